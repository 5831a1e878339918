package tracing_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/opentracing/opentracing-go"
	"github.com/tracewrap/tracewrap/nethttp"
	"github.com/tracewrap/tracewrap/tracing"
	"github.com/uber/jaeger-client-go"
)

// A W3C-only caller (an OpenTelemetry service: traceparent and baggage, no
// Jaeger headers) calls a tracewrap service over real HTTP on 127.0.0.1,
// which calls a downstream service. The tracewrap service's span joins the
// caller's trace, the baggage crosses, and the downstream call carries the
// same 128-bit trace in both uber-trace-id and traceparent, and the baggage
// in both uberctx-* and baggage.
func TestMixedFleetOverHTTP(t *testing.T) {
	tr, rep := mixedFleetService(t)

	var mu sync.Mutex
	var downstream http.Header
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		downstream = r.Header.Clone()
		mu.Unlock()
	}))
	defer down.Close()

	client := &http.Client{Transport: nethttp.NewTransport(nil, nethttp.WithTracer(tr))}
	var seenBaggage string
	mid := httptest.NewServer(nethttp.Middleware(tr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if span := opentracing.SpanFromContext(r.Context()); span != nil {
			seenBaggage = span.BaggageItem("tenant")
		}
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, down.URL+"/stock", nil)
		resp, err := client.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	})))
	defer mid.Close()
	if !strings.HasPrefix(mid.URL, "http://127.0.0.1:") {
		t.Fatalf("server at %s", mid.URL)
	}

	const traceID, callerSpan = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	req, _ := http.NewRequest(http.MethodGet, mid.URL+"/order", nil)
	req.Header.Set("traceparent", "00-"+traceID+"-"+callerSpan+"-01")
	req.Header.Set("tracestate", "congo=t61rcWkgMzE")
	req.Header.Set("baggage", "tenant=acme%20corp,userId=42;ttl=1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}

	if seenBaggage != "acme corp" {
		t.Errorf("the handler's span has baggage tenant=%q, want the caller's", seenBaggage)
	}
	spans := rep.GetSpans()
	if len(spans) != 2 {
		t.Fatalf("%d spans", len(spans))
	}
	var server, clientSpan jaeger.SpanContext
	for _, s := range spans {
		js := s.(*jaeger.Span)
		if fmt.Sprint(js.Tags()["span.kind"]) == "server" {
			server = js.SpanContext()
		} else {
			clientSpan = js.SpanContext()
		}
	}
	if server.TraceID().String() != traceID || server.ParentID().String() != callerSpan {
		t.Errorf("server span %v, want a child of the caller's %s:%s", server, traceID, callerSpan)
	}
	if clientSpan.TraceID() != server.TraceID() || clientSpan.ParentID() != server.SpanID() {
		t.Errorf("client span %v, want a child of %v", clientSpan, server)
	}

	mu.Lock()
	defer mu.Unlock()
	wantUber := traceID + ":" + clientSpan.SpanID().String() + ":" + server.SpanID().String() + ":1"
	if got := downstream.Get("uber-trace-id"); got != wantUber {
		t.Errorf("downstream uber-trace-id %q, want %q", got, wantUber)
	}
	if got, want := downstream.Get("traceparent"), "00-"+traceID+"-"+clientSpan.SpanID().String()+"-01"; got != want {
		t.Errorf("downstream traceparent %q, want %q", got, want)
	}
	if got := downstream.Get("uberctx-tenant"); got != "acme%20corp" {
		t.Errorf("downstream uberctx-tenant %q", got)
	}
	if got := downstream.Get("baggage"); !strings.Contains(got, "tenant=acme%20corp") || !strings.Contains(got, "userId=42") {
		t.Errorf("downstream baggage %q", got)
	}
}

// Hostile headers never fail the call: a broken traceparent starts a new
// trace whose server span says why; a baggage flood is bounded.
func TestMixedFleetHostileHeadersOverHTTP(t *testing.T) {
	tr, rep := mixedFleetService(t, tracing.WithLogger(jaeger.NullLogger))
	var bagCount int
	srv := httptest.NewServer(nethttp.Middleware(tr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		opentracing.SpanFromContext(r.Context()).Context().ForeachBaggageItem(func(k, v string) bool {
			bagCount++
			return true
		})
	})))
	defer srv.Close()

	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	req.Header.Set("traceparent", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("%v %v", resp, err)
	}
	resp.Body.Close()
	js := rep.GetSpans()[0].(*jaeger.Span)
	if js.SpanContext().TraceID().String() == "4bf92f3577b34da6a3ce929d0e0e4736" || js.SpanContext().ParentID() != 0 || js.Tags()["tracewrap.context.invalid"] != true {
		t.Errorf("broken traceparent: span %v tags %v; want a tagged new root", js.SpanContext(), js.Tags())
	}

	req, _ = http.NewRequest(http.MethodGet, srv.URL, nil)
	req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	var b strings.Builder
	for i := 0; b.Len() < 8000; i++ { // within the W3C size limit, over its 180 members
		fmt.Fprintf(&b, "k%d=v,", i)
	}
	req.Header.Set("baggage", b.String())
	req.Header.Set("jaeger-baggage", strings.Repeat(",", 4000))
	resp, err = http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("%v %v", resp, err)
	}
	resp.Body.Close()
	if js := rep.GetSpans()[1].(*jaeger.Span); js.SpanContext().TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Errorf("trace lost under a baggage flood: %v", js.SpanContext())
	}
	if bagCount != 180 {
		t.Errorf("%d baggage items reached the handler", bagCount)
	}
}

// An OpenTelemetry caller's "not sampled" decision holds through a tracewrap
// service (its unsampled fast path included): no span is reported, and the
// downstream call carries the same trace, not sampled, in both formats.
func TestMixedFleetUnsampledOverHTTP(t *testing.T) {
	tr, rep := mixedFleetService(t)
	got := make(chan http.Header, 1)
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got <- r.Header.Clone() }))
	defer down.Close()
	client := &http.Client{Transport: nethttp.NewTransport(nil, nethttp.WithTracer(tr))}
	mid := httptest.NewServer(nethttp.Middleware(tr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, down.URL, nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
		}
	})))
	defer mid.Close()

	req, _ := http.NewRequest(http.MethodGet, mid.URL, nil)
	req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	h := <-got
	if v := h.Get("traceparent"); !strings.HasPrefix(v, "00-4bf92f3577b34da6a3ce929d0e0e4736-") || !strings.HasSuffix(v, "-00") {
		t.Errorf("downstream traceparent %q", v)
	}
	if v := h.Get("uber-trace-id"); !strings.HasPrefix(v, "4bf92f3577b34da6a3ce929d0e0e4736:") || !strings.HasSuffix(v, ":0") {
		t.Errorf("downstream uber-trace-id %q", v)
	}
	if n := len(rep.GetSpans()); n != 0 {
		t.Errorf("%d spans reported for an unsampled trace", n)
	}
}

// mixedFleetService is the tracewrap service of a mixed fleet: a tracer from
// tracing.Init with the default propagation and sampling (the variables that
// would change them cleared), its spans kept by the returned reporter, closed
// when the test ends.
func mixedFleetService(t *testing.T, opts ...tracing.Option) (opentracing.Tracer, *jaeger.InMemoryReporter) {
	t.Helper()
	for _, k := range []string{"OTEL_PROPAGATORS", "JAEGER_SAMPLER_TYPE", "JAEGER_SAMPLER_PARAM", "JAEGER_TRACEID_128BIT", "JAEGER_DISABLED"} {
		t.Setenv(k, "")
	}
	rep := jaeger.NewInMemoryReporter()
	tr, closer, err := tracing.Init("mixed-fleet", append([]tracing.Option{tracing.WithReporter(rep), tracing.WithoutGlobal()}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closer.Close() })
	return tr, rep
}
