package tracing

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/opentracing/opentracing-go"
	"github.com/uber/jaeger-client-go"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracewrap/tracewrap/nethttp"
)

// Jaeger baggage (uberctx-*, the one format here) crosses a fleet of
// Jaeger backend -> OpenTelemetry backend -> Jaeger backend over real HTTP
// on 127.0.0.1: a value that needs escaping arrives whole at both hops, in
// one trace.
func TestOpenTelemetryCarriesUberctxBetweenJaegerServices(t *testing.T) {
	clearOTelEnv(t)
	const tenant = "acme corp/ü+1,2;3"
	jaegerSide := func(name string) (opentracing.Tracer, *jaeger.InMemoryReporter) {
		rep := jaeger.NewInMemoryReporter()
		tr, closer, err := Init(name, WithReporter(rep), WithoutGlobal(), WithPropagators(PropagatorJaeger))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { closer.Close() })
		return tr, rep
	}
	front, frontRep := jaegerSide("front")
	back, backRep := jaegerSide("back")
	mid, midCloser, exp := initMemory(t, "mid", WithoutGlobal(), WithPropagators(PropagatorJaeger))

	var mu sync.Mutex
	var atBack, atMid string
	var toMid, toBack http.Header
	backSrv := httptest.NewServer(nethttp.Middleware(back, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		toBack = r.Header.Clone()
		atBack = opentracing.SpanFromContext(r.Context()).BaggageItem("tenant")
	})))
	defer backSrv.Close()
	midClient := &http.Client{Transport: nethttp.NewTransport(nil, nethttp.WithTracer(mid))}
	midSrv := httptest.NewServer(nethttp.Middleware(mid, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		toMid = r.Header.Clone()
		atMid = opentracing.SpanFromContext(r.Context()).BaggageItem("tenant")
		mu.Unlock()
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, backSrv.URL, nil)
		resp, err := midClient.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	})))
	defer midSrv.Close()
	if !strings.HasPrefix(midSrv.URL, "http://127.0.0.1:") {
		t.Fatalf("server at %s", midSrv.URL)
	}

	root := front.StartSpan("root")
	root.SetBaggageItem("tenant", tenant)
	client := &http.Client{Transport: nethttp.NewTransport(nil, nethttp.WithTracer(front))}
	req, _ := http.NewRequestWithContext(opentracing.ContextWithSpan(context.Background(), root), http.MethodGet, midSrv.URL, nil)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	root.Finish()
	midCloser.Close()

	mu.Lock()
	defer mu.Unlock()
	if toMid.Get("Uberctx-Tenant") == "" || toMid.Get("Baggage") != "" {
		t.Fatalf("front sent %v, want uberctx-tenant only", toMid)
	}
	if atMid != tenant {
		t.Errorf("OpenTelemetry backend read tenant %q, want %q", atMid, tenant)
	}
	if got := toBack.Get("Uberctx-Tenant"); got != toMid.Get("Uberctx-Tenant") {
		t.Errorf("OpenTelemetry backend sent uberctx-tenant %q, the Jaeger backend %q", got, toMid.Get("Uberctx-Tenant"))
	}
	if atBack != tenant {
		t.Errorf("Jaeger backend behind it read tenant %q, want %q", atBack, tenant)
	}
	traceID := root.Context().(jaeger.SpanContext).TraceID().String()
	spans := exp.GetSpans()
	if len(spans) != 2 {
		t.Fatalf("%d spans on the OpenTelemetry backend, want server and client", len(spans))
	}
	for _, s := range spans {
		if s.SpanContext.TraceID().String() != traceID {
			t.Errorf("span %s in trace %s, want %s", s.Name, s.SpanContext.TraceID(), traceID)
		}
	}
	if len(frontRep.GetSpans()) != 2 || len(backRep.GetSpans()) != 1 {
		t.Fatalf("front %d spans, back %d", len(frontRep.GetSpans()), len(backRep.GetSpans()))
	}
	if got := backRep.GetSpans()[0].Context().(jaeger.SpanContext).TraceID().String(); got != traceID {
		t.Errorf("back in trace %s, want %s", got, traceID)
	}
}

// tracestate goes through an OpenTelemetry-backend service unchanged, also
// when it arrives over two header lines and the trace came in on
// uber-trace-id (the default's first format) naming the same trace.
func TestOpenTelemetryPassesTracestateThrough(t *testing.T) {
	clearOTelEnv(t)
	tr, closer, exp := initMemory(t, "tracestate-lines", WithoutGlobal())
	in := http.Header{}
	in.Set("Uber-Trace-Id", "4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7:0:1")
	in.Set("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	in.Add("Tracestate", "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7")
	in.Add("Tracestate", "vendor=opaque-1")
	onward := relayOnce(t, tr, in)
	closer.Close()
	const want = "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7,vendor=opaque-1"
	if got := onward.Values("Tracestate"); len(got) != 1 || got[0] != want {
		t.Fatalf("onward tracestate %q, want %q", got, want)
	}
	if got := onward.Get("Traceparent"); !strings.HasPrefix(got, "00-4bf92f3577b34da6a3ce929d0e0e4736-") {
		t.Fatalf("onward traceparent %q", got)
	}
	spans := exp.GetSpans()
	if len(spans) != 2 {
		t.Fatalf("%d spans", len(spans))
	}
	for _, s := range spans {
		if got := s.SpanContext.TraceState().String(); got != want {
			t.Errorf("span %s tracestate %q, want %q", s.Name, got, want)
		}
	}
}

// A baggage flood on the OpenTelemetry backend is bounded (OpenTelemetry's
// 64 members, 8192 bytes) and logged once however many requests bring it.
func TestOpenTelemetryBoundsAndLogsHostileBaggage(t *testing.T) {
	clearOTelEnv(t)
	log := &recordingLogger{}
	tr, closer, _ := initMemory(t, "flood", WithoutGlobal(), WithLogger(log))
	var mu sync.Mutex
	var counts, sizes []int
	srv := httptest.NewServer(nethttp.Middleware(tr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, size := 0, 0
		opentracing.SpanFromContext(r.Context()).Context().ForeachBaggageItem(func(k, v string) bool {
			n, size = n+1, size+len(k)+len(v)
			return true
		})
		mu.Lock()
		counts, sizes = append(counts, n), append(sizes, size)
		mu.Unlock()
	})))
	defer srv.Close()
	var members []string
	for i := 0; i < 3000; i++ {
		members = append(members, "k"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+"="+strings.Repeat("v", 30))
	}
	for i := 0; i < 5; i++ {
		req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
		req.Header.Set("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
		req.Header.Set("Baggage", strings.Join(members[:250], ","))
		for j := 0; j < 100; j++ {
			req.Header.Set("Uberctx-Flood"+strings.Repeat("z", j), strings.Repeat("w", 100))
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	closer.Close()
	mu.Lock()
	defer mu.Unlock()
	if len(counts) != 5 {
		t.Fatalf("%d requests served", len(counts))
	}
	for i := range counts {
		if counts[i] == 0 || counts[i] > otelMaxBaggageMembers || sizes[i] > 8192 {
			t.Errorf("request %d: %d baggage items, %d bytes", i, counts[i], sizes[i])
		}
	}
	if n := strings.Count(log.all(), "baggage over limits"); n != 1 {
		t.Fatalf("%d log lines about the flood in 5 requests, want 1:\n%s", n, log.all())
	}
}

// Jaeger's debug flag arrives as sampled, so a parent-based sampler keeps the
// trace that the caller forced; a jaeger-debug-id OpenTelemetry cannot use
// is still checked and logged (rate-limited), and never fails the request.
func TestOpenTelemetryJaegerDebug(t *testing.T) {
	clearOTelEnv(t)
	t.Setenv("OTEL_TRACES_SAMPLER", "parentbased_always_off")
	log := &recordingLogger{}
	tr, closer, exp := initMemory(t, "debug", WithoutGlobal(), WithLogger(log))
	srv := nethttp.Middleware(tr, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	serve := func(h map[string]string) int {
		req := httptest.NewRequest(http.MethodGet, "/x", nil)
		for k, v := range h {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		return rec.Code
	}
	serve(map[string]string{"Uber-Trace-Id": "4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7:0:3", "Jaeger-Debug-Id": "corr-1"})
	serve(map[string]string{"Uber-Trace-Id": "4bf92f3577b34da6a3ce929d0e0e4737:00f067aa0ba902b7:0:0"}) // not sampled
	for i := 0; i < 3; i++ {
		if code := serve(map[string]string{"Jaeger-Debug-Id": strings.Repeat("d", 300)}); code != http.StatusOK {
			t.Fatalf("status %d", code)
		}
	}
	closer.Close()
	spans := exp.GetSpans()
	if len(spans) != 1 {
		t.Fatalf("%d spans exported, want the debug one", len(spans))
	}
	if got := spans[0].SpanContext.TraceID().String(); got != "4bf92f3577b34da6a3ce929d0e0e4736" || spans[0].Parent.SpanID().String() != "00f067aa0ba902b7" {
		t.Fatalf("span in trace %s under %s", got, spans[0].Parent.SpanID())
	}
	if n := strings.Count(log.all(), "jaeger-debug-id invalid"); n != 1 {
		t.Fatalf("%d lines about the invalid debug id, want 1:\n%s", n, log.all())
	}
}

// Over a TextMap carrier (mqtrace's message properties) the OpenTelemetry
// backend reads and writes uberctx-* values URL-escaped, where the Jaeger
// backend writes them raw: what crosses between the two, as documented on
// otelPropagator.
func TestOpenTelemetryUberctxOverTextMap(t *testing.T) {
	clearOTelEnv(t)
	jtr, jcloser, err := Init("producer", WithReporter(jaeger.NewInMemoryReporter()), WithoutGlobal(), WithPropagators(PropagatorJaeger))
	if err != nil {
		t.Fatal(err)
	}
	defer jcloser.Close()
	otr, _, _ := initMemory(t, "consumer", WithoutGlobal(), WithPropagators(PropagatorJaeger))

	values := map[string]string{ // raw value -> what the OpenTelemetry backend reads
		"plain-1.2_3~": "plain-1.2_3~",
		"acme corp":    "acme corp",
		"été":          "été",
		"100%":         "100%", // not an escape: kept
		"a+b":          "a b",  // QueryUnescape: '+' is a space
		"x%41":         "xA",   // a valid escape is decoded
	}
	span := jtr.StartSpan("produce")
	defer span.Finish()
	keys := map[string]string{}
	i := 0
	for raw := range values {
		k := "k" + string(rune('a'+i))
		keys[k] = raw
		span.SetBaggageItem(k, raw)
		i++
	}
	msg := opentracing.TextMapCarrier{}
	if err := jtr.Inject(span.Context(), opentracing.TextMap, msg); err != nil {
		t.Fatal(err)
	}
	for k, raw := range keys {
		if msg["uberctx-"+k] != raw {
			t.Fatalf("the Jaeger backend wrote %q for %q in a TextMap, want it raw", msg["uberctx-"+k], raw)
		}
	}
	sc, err := otr.Extract(opentracing.TextMap, msg)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	sc.ForeachBaggageItem(func(k, v string) bool { got[k] = v; return true })
	for k, raw := range keys {
		if got[k] != values[raw] {
			t.Errorf("raw %q read as %q on the OpenTelemetry backend, want %q", raw, got[k], values[raw])
		}
	}

	// The other way: the OpenTelemetry backend escapes, a Jaeger-backend
	// consumer of a TextMap keeps the escape.
	ospan := otr.StartSpan("produce", opentracing.ChildOf(sc))
	defer ospan.Finish()
	ospan.SetBaggageItem("tenant", "acme corp")
	out := opentracing.TextMapCarrier{}
	if err := otr.Inject(ospan.Context(), opentracing.TextMap, out); err != nil {
		t.Fatal(err)
	}
	if out["uberctx-tenant"] != "acme%20corp" {
		t.Fatalf("the OpenTelemetry backend wrote %q", out["uberctx-tenant"])
	}
	jsc, err := jtr.Extract(opentracing.TextMap, out)
	if err != nil {
		t.Fatal(err)
	}
	var v string
	jsc.ForeachBaggageItem(func(k, val string) bool {
		if k == "tenant" {
			v = val
		}
		return true
	})
	if v != "acme%20corp" {
		t.Fatalf("the Jaeger backend read %q from a TextMap", v)
	}
}

// The propagator alone, as OpenTelemetry code uses it through the global:
// span context, tracestate and baggage with properties go round; a member
// OpenTelemetry's baggage refuses is dropped and logged, the rest kept.
func TestOTelPropagatorRoundTrip(t *testing.T) {
	log := &recordingLogger{}
	p, err := newOTelPropagator([]string{PropagatorTraceContext, PropagatorBaggage, PropagatorJaeger}, newRemoteLog(log))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(p.Fields(), ","); got != "traceparent,tracestate,baggage,uber-trace-id" {
		t.Fatalf("Fields %s", got)
	}
	ts, _ := trace.ParseTraceState("a=1,b=2")
	sc := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{0x4b, 0xf9, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14}, SpanID: trace.SpanID{0, 0xf0, 1, 2, 3, 4, 5, 6},
		TraceFlags: trace.FlagsSampled, TraceState: ts,
	})
	prop, _ := baggage.NewKeyValuePropertyRaw("ttl", "30")
	m, _ := baggage.NewMemberRaw("tenant", "acme corp", prop)
	b, _ := baggage.New(m)
	ctx := baggage.ContextWithBaggage(trace.ContextWithSpanContext(context.Background(), sc), b)
	h := http.Header{}
	p.Inject(ctx, propagation.HeaderCarrier(h))
	if h.Get("Traceparent") != "00-4bf90102030405060708090a0b0c0d0e-00f0010203040506-01" || h.Get("Tracestate") != "a=1,b=2" {
		t.Fatalf("injected %v", h)
	}
	if h.Get("Baggage") != "tenant=acme%20corp;ttl=30" || h.Get("Uberctx-Tenant") != "acme%20corp" {
		t.Fatalf("injected baggage %v", h)
	}
	h.Set("Baggage", h.Get("Baggage")+",bad=%FF%FE,ok=1")
	out := p.Extract(context.Background(), propagation.HeaderCarrier(h))
	got := trace.SpanContextFromContext(out)
	if !got.IsRemote() || got.TraceID() != sc.TraceID() || got.SpanID() != sc.SpanID() || !got.IsSampled() || got.TraceState().String() != "a=1,b=2" {
		t.Fatalf("extracted %v", got)
	}
	ob := baggage.FromContext(out)
	if v := ob.Member("tenant"); v.Value() != "acme corp" || len(v.Properties()) != 1 || v.Properties()[0].Key() != "ttl" {
		t.Fatalf("tenant %v", v)
	}
	if ob.Member("ok").Value() != "1" || ob.Member("bad").Key() != "" {
		t.Fatalf("baggage %v", ob)
	}
	if !strings.Contains(log.all(), "baggage") {
		t.Fatalf("nothing logged about the dropped member:\n%s", log.all())
	}
	// Over OpenTelemetry's 64 members, the first ones are kept (baggage.New
	// alone would keep any 64).
	var many []string
	for i := 0; i < 100; i++ {
		many = append(many, fmt.Sprintf("m%02d=%d", i, i))
	}
	ob = baggage.FromContext(p.Extract(context.Background(), propagation.MapCarrier{"baggage": strings.Join(many, ",")}))
	if ob.Len() != otelMaxBaggageMembers {
		t.Fatalf("%d members kept of 100", ob.Len())
	}
	for i := 0; i < otelMaxBaggageMembers; i++ {
		if k := fmt.Sprintf("m%02d", i); ob.Member(k).Value() != fmt.Sprint(i) {
			t.Fatalf("member %s not kept: %v", k, ob)
		}
	}
	// A carrier without the formats' keys leaves ctx alone.
	if p.Extract(out, propagation.MapCarrier{"x": "y"}) != out {
		t.Fatal("ctx replaced for an empty carrier")
	}
}

// relayOnce sends one request with header in to a service traced by tr
// (nethttp.Middleware) that calls a downstream service through a traced
// client (nethttp.NewTransport), and returns the header the downstream
// service received. The servers close when the test ends.
func relayOnce(t *testing.T, tr opentracing.Tracer, in http.Header) http.Header {
	t.Helper()
	var mu sync.Mutex
	var onward http.Header
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		onward = r.Header.Clone()
		mu.Unlock()
	}))
	t.Cleanup(down.Close)
	client := &http.Client{Transport: nethttp.NewTransport(nil, nethttp.WithTracer(tr))}
	srv := httptest.NewServer(nethttp.Middleware(tr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, down.URL, nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
		}
	})))
	t.Cleanup(srv.Close)
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	req.Header = in
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	mu.Lock()
	defer mu.Unlock()
	return onward
}
