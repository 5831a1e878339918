package estrace

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/elastic/go-elasticsearch/v8"

	"github.com/tracewrap/tracewrap/internal/tracetest"
)

// Overhead of the wrapper against the bare client, on an in-process server so
// the network does not drown it. Run:
//
//	go test -run XXX -bench . -benchmem -count 5 -benchtime 200ms ./estrace
func BenchmarkSearch(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("X-Elastic-Product", "Elasticsearch")
		_, _ = io.WriteString(w, `{"took":1,"hits":{"hits":[]}}`)
	}))
	defer srv.Close()
	cfg := func() elasticsearch.Config {
		return elasticsearch.Config{Addresses: []string{srv.URL}, Transport: srv.Client().Transport}
	}
	const query = `{"query":{"match":{"title":"tracing"}}}`
	for _, bt := range append([]tracetest.BenchTracer{tracetest.Bare}, tracetest.BenchTracers()...) {
		tr := bt.Tracer(b)
		var es *elasticsearch.Client
		var err error
		if tr == nil {
			es, err = elasticsearch.NewClient(cfg())
		} else {
			es, err = NewClient(cfg(), WithTracer(tr))
		}
		if err != nil {
			b.Fatal(err)
		}
		ctx := tracetest.ParentContext(tr)
		b.Run(bt.Name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				res, err := es.Search(es.Search.WithContext(ctx), es.Search.WithIndex("orders"),
					es.Search.WithBody(strings.NewReader(query)))
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				bt.Trim(i)
			}
		})
	}
}
