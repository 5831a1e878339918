package estrace

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/mocktracer"
	"github.com/uber/jaeger-client-go"
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
	sampled, c1 := jaeger.NewTracer("bench", jaeger.NewConstSampler(true), jaeger.NewNullReporter())
	defer c1.Close()
	unsampled, c2 := jaeger.NewTracer("bench", jaeger.NewConstSampler(false), jaeger.NewNullReporter())
	defer c2.Close()
	mock := mocktracer.New()

	bare, _ := elasticsearch.NewClient(cfg())
	clients := []struct {
		name string
		es   *elasticsearch.Client
		tr   opentracing.Tracer
	}{{"bare", bare, nil}}
	for _, tc := range []struct {
		name string
		tr   opentracing.Tracer
	}{{"noop", opentracing.NoopTracer{}}, {"mock", mock}, {"jaeger-sampled", sampled}, {"jaeger-unsampled", unsampled}} {
		es, err := NewClient(cfg(), WithTracer(tc.tr))
		if err != nil {
			b.Fatal(err)
		}
		clients = append(clients, struct {
			name string
			es   *elasticsearch.Client
			tr   opentracing.Tracer
		}{tc.name, es, tc.tr})
	}
	const query = `{"query":{"match":{"title":"tracing"}}}`
	for _, c := range clients {
		b.Run(c.name, func(b *testing.B) {
			ctx := context.Background()
			if c.tr != nil {
				ctx = opentracing.ContextWithSpan(ctx, c.tr.StartSpan("parent"))
			}
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				res, err := c.es.Search(c.es.Search.WithContext(ctx), c.es.Search.WithIndex("orders"),
					c.es.Search.WithBody(strings.NewReader(query)))
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if i%1000 == 0 {
					mock.Reset()
				}
			}
		})
	}
}
