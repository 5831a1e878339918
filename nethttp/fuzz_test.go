package nethttp

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/opentracing/opentracing-go"

	"github.com/tracewrap/tracewrap/internal/tracetest"
)

// FuzzMiddlewareTraceHeaders drives arbitrary trace headers through the
// server's extract path: the handler always runs with a span, nothing
// panics, and a rejected context never becomes a parent.
func FuzzMiddlewareTraceHeaders(f *testing.F) {
	tr := tracetest.JaegerNull(f, true)
	f.Add("1:2:3:1", "Uberctx-tenant", "acme", "/p?q=1")
	f.Add("ffffffffffffffffffffffffffffffffff:0:0:zz", "Jaeger-Baggage", "k=v, k2", "/")
	f.Add("0:0:0:0", "Jaeger-Debug-Id", "\x00\xff", "//a/../b?x")
	f.Add("1:1:0:1", "Uberctx-%zz", "%zz", "/%ff")
	f.Fuzz(func(t *testing.T, traceID, key, value, target string) {
		ran := false
		h := Middleware(tr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ran = opentracing.SpanFromContext(r.Context()) != nil
		}))
		req := httptest.NewRequest("GET", "/", nil)
		if u, err := req.URL.Parse(target); err == nil {
			req.URL = u
		}
		req.Header = http.Header{"Uber-Trace-Id": {traceID}, key: {value}}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if !ran || rec.Code != 200 {
			t.Fatalf("handler ran %v, status %d", ran, rec.Code)
		}
	})
}
