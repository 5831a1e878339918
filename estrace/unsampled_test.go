package estrace

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/opentracing/opentracing-go"
	"github.com/uber/jaeger-client-go"

	"github.com/tracewrap/tracewrap/internal/tracetest"
)

// Under a parent whose trace is not sampled, a request makes no span and
// carries the parent's own context (same trace, decision and baggage), through
// the client's hooks and through the standalone Transport alike; sampled, it
// carries its own span's context and the span is reported.
func TestUnsampledParentForwardsItsContext(t *testing.T) {
	var mu sync.Mutex
	var headers []http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		headers = append(headers, r.Header.Clone())
		mu.Unlock()
		w.Header().Set("X-Elastic-Product", "Elasticsearch")
		_, _ = io.WriteString(w, `{"_id":"1","found":true}`)
	}))
	defer srv.Close()

	for _, sampled := range []bool{false, true} {
		tr, rep := tracetest.Jaeger(t, "estrace-test", sampled)
		es, err := NewClient(elasticsearch.Config{Addresses: []string{srv.URL}, Transport: srv.Client().Transport}, WithTracer(tr))
		if err != nil {
			t.Fatal(err)
		}
		raw := &http.Client{Transport: NewTransport(srv.Client().Transport, WithTracer(tr))}

		root := tr.StartSpan("root")
		root.SetBaggageItem("user", "alice")
		ctx := opentracing.ContextWithSpan(context.Background(), root)
		headers = nil
		res, err := es.Get("orders", "1", es.Get.WithContext(ctx))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/orders/_doc/1", nil)
		resp, err := raw.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if len(req.Header) != 0 {
			t.Fatal("the caller's request was modified")
		}
		root.Finish()

		want := root.Context().(jaeger.SpanContext)
		if len(headers) != 2 {
			t.Fatalf("%d requests", len(headers))
		}
		for _, h := range headers {
			sc, err := tr.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h))
			if err != nil {
				t.Fatalf("sampled=%v: %v %v", sampled, err, h)
			}
			got := sc.(jaeger.SpanContext)
			var user string
			got.ForeachBaggageItem(func(k, v string) bool { user = v; return k != "user" })
			if got.TraceID() != want.TraceID() || got.IsSampled() != sampled || user != "alice" ||
				(got.SpanID() == want.SpanID()) == sampled {
				t.Fatalf("sampled=%v: sent %v (root %v) baggage %q", sampled, got, want, user)
			}
		}
		if n, want := len(rep.GetSpans()), map[bool]int{false: 0, true: 3}[sampled]; n != want {
			t.Fatalf("sampled=%v: %d spans reported, want %d", sampled, n, want)
		}
	}
}
