package estrace

import (
	"io"
	"strings"
	"testing"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esapi"
	"github.com/opentracing/opentracing-go/mocktracer"

	"github.com/tracewrap/tracewrap/internal/tracetest"
)

// The tests in this file run against the real Elasticsearch node of the
// project's stack (testenv.ElasticsearchURL).

// step runs one client call and returns its span, checking what every span
// must have.
func step(t *testing.T, tr *mocktracer.MockTracer, parentID int, name string, do func() (*esapi.Response, error)) (*mocktracer.MockSpan, *esapi.Response) {
	t.Helper()
	tr.Reset()
	res, err := do()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if len(body) == 0 && res.StatusCode != 200 && res.StatusCode != 404 {
		t.Fatalf("%s: empty body, status %d", name, res.StatusCode)
	}
	s := only(t, tr, name)
	if s.ParentID != parentID {
		t.Fatalf("%s: parent %d, want %d", name, s.ParentID, parentID)
	}
	if s.Tag("db.type") != "elasticsearch" || s.Tag("component") != Component || s.Tag("span.kind") == nil ||
		s.Tag("es.endpoint") != name || s.Tag("peer.port") != uint16(9200) || s.Tag("peer.ipv4") != "127.0.0.1" {
		t.Fatalf("%s: tags %v", name, s.Tags())
	}
	if s.Tag("http.status_code") != uint16(res.StatusCode) {
		t.Fatalf("%s: status tag %v, response %d", name, s.Tag("http.status_code"), res.StatusCode)
	}
	return s, res
}

func TestDocumentLifecycle(t *testing.T) {
	es, tr := liveClient(t, elasticsearch.Config{})
	idx := testIndex(t, es)
	ctx, parent := parentCtx(t, tr)
	pid := parent.Context().(mocktracer.MockSpanContext).SpanID

	s, _ := step(t, tr, pid, "index", func() (*esapi.Response, error) {
		return es.Index(idx, strings.NewReader(`{"title":"tracing","n":1}`),
			es.Index.WithDocumentID("doc-1"), es.Index.WithRefresh("true"), es.Index.WithContext(ctx))
	})
	if s.Tag("es.index") != idx || s.Tag("es.id") != "doc-1" || s.Tag("http.method") != "PUT" || s.Tag("http.status_code") != uint16(201) {
		t.Fatalf("index tags %v", s.Tags())
	}
	if s.Tag("db.statement") != nil {
		t.Fatal("a document body must never be recorded")
	}
	if u := s.Tag("http.url").(string); !strings.Contains(u, "refresh=REDACTED") || !strings.Contains(u, "/"+idx+"/_doc/doc-1") {
		t.Fatalf("http.url %q", u)
	}

	s, _ = step(t, tr, pid, "get", func() (*esapi.Response, error) {
		return es.Get(idx, "doc-1", es.Get.WithContext(ctx))
	})
	if s.Tag("error") != nil || s.Tag("es.id") != "doc-1" || s.Tag("http.method") != "GET" {
		t.Fatalf("get %v", s.Tags())
	}

	s, _ = step(t, tr, pid, "update", func() (*esapi.Response, error) {
		return es.Update(idx, "doc-1", strings.NewReader(`{"doc":{"n":2}}`), es.Update.WithContext(ctx), es.Update.WithRefresh("true"))
	})
	if s.Tag("es.id") != "doc-1" || s.Tag("http.status_code") != uint16(200) || s.Tag("db.statement") != nil {
		t.Fatalf("update %v", s.Tags())
	}

	s, res := step(t, tr, pid, "search", func() (*esapi.Response, error) {
		return es.Search(es.Search.WithIndex(idx), es.Search.WithContext(ctx),
			es.Search.WithBody(strings.NewReader(`{"query":{"match":{"title":"tracing"}}}`)))
	})
	if s.Tag("db.statement") != `{"query":{"match":{"title":"tracing"}}}` || res.StatusCode != 200 {
		t.Fatalf("search statement %v", s.Tag("db.statement"))
	}

	s, _ = step(t, tr, pid, "count", func() (*esapi.Response, error) {
		return es.Count(es.Count.WithIndex(idx), es.Count.WithContext(ctx),
			es.Count.WithBody(strings.NewReader(`{"query":{"term":{"n":2}}}`)))
	})
	if s.Tag("db.statement") != `{"query":{"term":{"n":2}}}` {
		t.Fatalf("count statement %v", s.Tag("db.statement"))
	}

	s, _ = step(t, tr, pid, "delete", func() (*esapi.Response, error) {
		return es.Delete(idx, "doc-1", es.Delete.WithContext(ctx))
	})
	if s.Tag("http.method") != "DELETE" || s.Tag("error") != nil {
		t.Fatalf("delete %v", s.Tags())
	}

	// A missing document: a 404 on GET is an answer, not an error.
	s, _ = step(t, tr, pid, "get", func() (*esapi.Response, error) {
		return es.Get(idx, "doc-1", es.Get.WithContext(ctx))
	})
	if s.Tag("http.status_code") != uint16(404) || s.Tag("error") != nil || len(s.Logs()) != 0 {
		t.Fatalf("404 GET must not be an error: %v %v", s.Tags(), tracetest.LogFields(s))
	}
}

// An API call made without WithContext hands the hooks a nil context (the
// esapi functions pass their request's ctx field as is). It is traced as a
// root span, and under WithChildSpansOnly not at all; it must never panic.
func TestCallWithoutContext(t *testing.T) {
	for name, opts := range map[string][]Option{"default": nil, "child-only": {WithChildSpansOnly()}} {
		es, tr := liveClient(t, elasticsearch.Config{}, opts...)
		res, err := es.Info()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		res.Body.Close()
		want := 1
		if name == "child-only" {
			want = 0
		}
		if n := len(tr.FinishedSpans()); n != want {
			t.Fatalf("%s: %d spans, want %d", name, n, want)
		}
	}
}
