package estrace

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/typedapi/types"
	"github.com/elastic/go-elasticsearch/v8/typedapi/types/enums/refresh"
	"github.com/opentracing/opentracing-go/mocktracer"

	"github.com/tracewrap/tracewrap/internal/testenv"
	"github.com/tracewrap/tracewrap/internal/tracetest"
)

// The typed client (8.x request/response types) against the 7.17 node. What
// works and what the server version limits is recorded here; see doc.go.
func TestTypedClient(t *testing.T) {
	url := testenv.ElasticsearchURL(t)
	tr := mocktracer.New()
	es, err := NewTypedClient(elasticsearch.Config{Addresses: []string{url}}, WithTracer(tr))
	if err != nil {
		t.Fatal(err)
	}
	defer closeClient(&es.BaseClient, nil)
	plain, _ := liveClient(t, elasticsearch.Config{})
	idx := testIndex(t, plain)
	ctx, parent := parentCtx(t, tr)
	pid := parent.Context().(mocktracer.MockSpanContext).SpanID
	check := func(name string) *mocktracer.MockSpan {
		t.Helper()
		s := only(t, tr, name)
		if s.ParentID != pid || s.Tag("db.type") != "elasticsearch" || s.Tag("es.index") != idx {
			t.Fatalf("%s: parent %d tags %v", name, s.ParentID, s.Tags())
		}
		tr.Reset()
		return s
	}

	// The 8.x typed client sends "compatible-with=8" media types; 7.17
	// accepts them for these APIs.
	if _, err := es.Indices.Create(idx).Do(ctx); err != nil {
		t.Fatal(err)
	}
	check("indices.create")

	if _, err := es.Index(idx).Id("1").Document(map[string]any{"title": "typed"}).Refresh(refresh.True).Do(ctx); err != nil {
		t.Fatal(err)
	}
	if s := check("index"); s.Tag("es.id") != "1" || s.Tag("db.statement") != nil {
		t.Fatalf("index %v", s.Tags())
	}

	res, err := es.Search().Index(idx).Query(&types.Query{Match: map[string]types.MatchQuery{"title": {Query: "typed"}}}).Do(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Hits.Total == nil || res.Hits.Total.Value != 1 {
		t.Fatalf("hits %+v", res.Hits.Total)
	}
	if s := check("search"); !strings.Contains(s.Tag("db.statement").(string), `"match":{"title":{"query":"typed"}}`) {
		t.Fatalf("typed search statement %v", s.Tag("db.statement"))
	}

	// Get of a missing document: Found=false, a 404 on GET, not an error.
	got, err := es.Get(idx, "nope").Do(ctx)
	if err != nil || got.Found {
		t.Fatalf("get missing: %+v %v", got, err)
	}
	if s := check("get"); s.Tag("error") != nil || s.Tag("http.status_code") != uint16(404) {
		t.Fatalf("typed 404 get %v %v", s.Tags(), tracetest.LogFields(s))
	}

	// A bad query: the typed client decodes the body into its own error,
	// which the span records as one error with the Elasticsearch type.
	_, err = es.Search().Index(idx).Raw(strings.NewReader(`{"query":{"mach":{}}}`)).Do(ctx)
	var ee *types.ElasticsearchError
	if !errors.As(err, &ee) || ee.Status != 400 {
		t.Fatalf("err %v", err)
	}
	s := check("search")
	logs := tracetest.LogFields(s)
	if s.Tag("error") != true || len(logs) != 1 || logs[0]["error.kind"] != "parsing_exception" {
		t.Fatalf("typed 400: %v %v", s.Tags(), logs)
	}

	// A server-version limit: APIs newer than 7.17 (here ES|QL, 8.11) are
	// answered 4xx by the node; the span is an error with its status as kind.
	_, err = es.Esql.Query().Query("FROM " + idx).Do(ctx)
	if !errors.As(err, &ee) || ee.Status < 400 {
		t.Fatalf("esql on 7.17: %v", err)
	}
	if s := only(t, tr, "esql.query"); s.Tag("error") != true || !strings.HasPrefix(tracetest.LogFields(s)[0]["error.kind"], "HTTP 4") {
		t.Fatalf("esql %v %v", s.Tags(), tracetest.LogFields(s))
	}
	tr.Reset()

	// Without a parent span in the context: a root span.
	_, err = es.Count().Index(idx).Do(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if s := only(t, tr, "count"); s.Tag("es.index") != idx {
		t.Fatalf("count %v", s.Tags())
	}
}
