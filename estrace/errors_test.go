package estrace

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/opentracing/opentracing-go/mocktracer"

	"github.com/tracewrap/tracewrap/internal/testenv"
	"github.com/tracewrap/tracewrap/internal/tracetest"
)

func TestBadQueryLogsElasticsearchErrorAndKeepsBody(t *testing.T) {
	es, tr := liveClient(t, elasticsearch.Config{})
	idx := testIndex(t, es)
	drain(t)(es.Indices.Create(idx))

	tr.Reset()
	res, err := es.Search(es.Search.WithIndex(idx), es.Search.WithBody(strings.NewReader(`{"query":{"mach":{"title":"x"}}}`)))
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil || res.StatusCode != 400 {
		t.Fatalf("status %d err %v", res.StatusCode, err)
	}
	// The caller reads the whole, unchanged body: valid JSON with its status.
	if !bytes.HasPrefix(body, []byte(`{"error":{"root_cause":[`)) || !bytes.HasSuffix(body, []byte(`"status":400}`)) {
		t.Fatalf("body changed: %s", body)
	}
	s := only(t, tr, "search")
	logs := tracetest.LogFields(s)
	if s.Tag("error") != true || len(logs) != 1 {
		t.Fatalf("400 must be one error: %v %v", s.Tags(), logs)
	}
	if logs[0]["event"] != "error" || logs[0]["error.kind"] != "parsing_exception" ||
		!strings.Contains(logs[0]["message"], "unknown query [mach]") {
		t.Fatalf("error log %v", logs[0])
	}
}

func TestConflictAndMissingIndex(t *testing.T) {
	es, tr := liveClient(t, elasticsearch.Config{})
	idx := testIndex(t, es)
	drain(t)(es.Create(idx, "1", strings.NewReader(`{"a":1}`)))

	// 409: optimistic concurrency doing its job, not an error by default.
	tr.Reset()
	res := drain(t)(es.Create(idx, "1", strings.NewReader(`{"a":1}`)))
	s := only(t, tr, "create")
	if res.StatusCode != 409 || s.Tag("error") != nil || s.Tag("http.status_code") != uint16(409) {
		t.Fatalf("409: status %d tags %v", res.StatusCode, s.Tags())
	}

	// A 404 from a search (POST) on a missing index is a failure.
	tr.Reset()
	res = drain(t)(es.Search(es.Search.WithIndex(idx + "-missing")))
	s = only(t, tr, "search")
	logs := tracetest.LogFields(s)
	if res.StatusCode != 404 || s.Tag("error") != true || logs[0]["error.kind"] != "index_not_found_exception" {
		t.Fatalf("404 search: %v %v", s.Tags(), logs)
	}

	// A HEAD 404 has no body to read and is not an error.
	tr.Reset()
	res = drain(t)(es.Indices.Exists([]string{idx + "-missing"}))
	s = only(t, tr, "indices.exists")
	if res.StatusCode != 404 || s.Tag("error") != nil {
		t.Fatalf("HEAD 404: %v", s.Tags())
	}

	// The user's policy sees *StatusError and overrides the default.
	es2, tr2 := liveClient(t, elasticsearch.Config{}, WithErrorPolicy(func(r *Request, err error) bool {
		var se *StatusError
		return !errors.As(err, &se) || se.StatusCode != 404 || r.Endpoint != "search"
	}))
	drain(t)(es2.Search(es2.Search.WithIndex(idx + "-missing")))
	if s := only(t, tr2, "search"); s.Tag("error") != nil {
		t.Fatal("policy ignored")
	}
	drain(t)(es2.Create(idx, "1", strings.NewReader(`{"a":1}`)))
	if s := tr2.FinishedSpans()[1]; s.Tag("error") != true || tracetest.LogFields(s)[0]["error.kind"] != "version_conflict_engine_exception" {
		t.Fatalf("policy made 409 an error: %v %v", s.Tags(), tracetest.LogFields(s))
	}
}

func TestLargeSearchBodyIsCappedAndSentWhole(t *testing.T) {
	es, tr := liveClient(t, elasticsearch.Config{}, WithMaxStatementSize(1024))
	idx := testIndex(t, es)
	drain(t)(es.Index(idx, strings.NewReader(`{"tag":"needle"}`), es.Index.WithRefresh("true")))

	// A 1 MB terms query (~45k values, under index.max_terms_count) whose
	// last value matches: a hit proves the node received the whole body.
	var q strings.Builder
	q.WriteString(`{"query":{"terms":{"tag":[`)
	for i := 0; q.Len() < 1<<20; i++ {
		fmt.Fprintf(&q, `"hay-%016d",`, i)
	}
	q.WriteString(`"needle"]}}}`)
	body := q.String()

	for name, r := range map[string]func() io.Reader{
		"strings.Reader": func() io.Reader { return strings.NewReader(body) },                 // GetBody set
		"plain reader":   func() io.Reader { return io.MultiReader(strings.NewReader(body)) }, // no GetBody: peeked
	} {
		t.Run(name, func(t *testing.T) {
			tr.Reset()
			res, err := es.Search(es.Search.WithIndex(idx), es.Search.WithBody(r()))
			if err != nil {
				t.Fatal(err)
			}
			out, _ := io.ReadAll(res.Body)
			res.Body.Close()
			s := only(t, tr, "search")
			stmt, _ := s.Tag("db.statement").(string)
			if len(stmt) > 1024 || !strings.HasPrefix(stmt, `{"query":{"terms":{"tag":["hay-`) || !strings.HasSuffix(stmt, "…") {
				t.Fatalf("statement %d bytes: %.80q", len(stmt), stmt)
			}
			if res.StatusCode != 200 || !bytes.Contains(out, []byte(`"needle"`)) {
				t.Fatalf("no hit: %.300s", out)
			}
			if name == "strings.Reader" && s.Tag("db.statement.length") != int64(len(body)) {
				t.Fatalf("length tag %v", s.Tag("db.statement.length"))
			}
		})
	}
}

func TestCompressRequestBody(t *testing.T) {
	for _, pooled := range []bool{false, true} {
		es, tr := liveClient(t, elasticsearch.Config{CompressRequestBody: true, PoolCompressor: pooled})
		idx := testIndex(t, es)
		drain(t)(es.Index(idx, strings.NewReader(`{"tag":"zipped"}`), es.Index.WithRefresh("true")))
		tr.Reset()
		res := drain(t)(es.Search(es.Search.WithIndex(idx), es.Search.WithBody(strings.NewReader(`{"query":{"term":{"tag":"zipped"}}}`))))
		s := only(t, tr, "search")
		if res.StatusCode != 200 || s.Tag("db.statement") != `{"query":{"term":{"tag":"zipped"}}}` {
			t.Fatalf("pooled=%v: status %d statement %v", pooled, res.StatusCode, s.Tag("db.statement"))
		}
	}
}

// The standalone Transport sees the gzip body the client compressed.
func TestTransportDecodesCompressedBody(t *testing.T) {
	url := testenv.ElasticsearchURL(t)
	tr := mocktracer.New()
	rt := NewTransport(nil, WithTracer(tr))
	bare, err := elasticsearch.NewClient(elasticsearch.Config{Addresses: []string{url}, CompressRequestBody: true, Transport: rt})
	if err != nil {
		t.Fatal(err)
	}
	defer closeClient(&bare.BaseClient, http.DefaultTransport)
	res := drain(t)(bare.Search(bare.Search.WithBody(strings.NewReader(`{"size":0,"query":{"match_all":{}}}`))))
	s := only(t, tr, "search")
	if res.StatusCode != 200 || s.Tag("db.statement") != `{"size":0,"query":{"match_all":{}}}` || s.Tag("es.path") != "/_search" {
		t.Fatalf("%d %v", res.StatusCode, s.Tags())
	}
}

// Document bodies never reach a span, and neither may the piece of one that
// Elasticsearch quotes in a mapping error ("Preview of field's value: '...'").
// The rest of the reason (field, type, document id) stays for diagnosis.
func TestMappingErrorDoesNotLeakDocumentValue(t *testing.T) {
	es, tr := liveClient(t, elasticsearch.Config{})
	idx := testIndex(t, es)
	drain(t)(es.Indices.Create(idx, es.Indices.Create.WithBody(strings.NewReader(`{"mappings":{"properties":{"age":{"type":"long"}}}}`))))
	tr.Reset()
	res := drain(t)(es.Index(idx, strings.NewReader(`{"age":"ssn-123-45-6789"}`), es.Index.WithDocumentID("1")))
	s := only(t, tr, "index")
	logs := tracetest.LogFields(s)
	if res.StatusCode != 400 || len(logs) != 1 || logs[0]["error.kind"] != "mapper_parsing_exception" {
		t.Fatalf("status %d logs %v", res.StatusCode, logs)
	}
	if msg := logs[0]["message"]; strings.Contains(fmt.Sprint(s.Tags(), logs), "6789") || !strings.Contains(msg, "failed to parse field [age]") {
		t.Fatalf("error log %q", msg)
	}
}
