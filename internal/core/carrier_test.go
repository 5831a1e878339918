package core

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/mocktracer"
	"github.com/uber/jaeger-client-go"

	"github.com/tracewrap/tracewrap/internal/tracetest"
)

func TestStartRemoteJoinsCallersTrace(t *testing.T) {
	for name, tr := range map[string]opentracing.Tracer{"mock": mocktracer.New(), "jaeger": tracetest.JaegerNull(t, true)} {
		t.Run(name, func(t *testing.T) {
			client := tr.StartSpan("client").SetBaggageItem("tenant", "acme")
			h := http.Header{}
			if err := tr.Inject(client.Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h)); err != nil {
				t.Fatal(err)
			}
			c := newCfg(tr, WithChildSpansOnly[call]())
			span := c.StartRemote(call{}, opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h), "server")
			if span == nil {
				t.Fatal("no server span")
			}
			if span.BaggageItem("tenant") != "acme" {
				t.Fatal("baggage lost")
			}
			if js, ok := span.Context().(jaeger.SpanContext); ok {
				cc := client.Context().(jaeger.SpanContext)
				if js.TraceID() != cc.TraceID() || js.ParentID() != cc.SpanID() {
					t.Fatalf("server %v not child of client %v", js, cc)
				}
			}
		})
	}
}

func TestStartRemoteCorruptContextStartsRoot(t *testing.T) {
	tr := tracetest.JaegerNull(t, true)
	for _, h := range []http.Header{
		{"Uber-Trace-Id": {"not-a-trace"}},
		{"Uber-Trace-Id": {strings.Repeat("f", 1<<20)}},
	} {
		c := newCfg(tr)
		span := c.StartRemote(call{}, opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h), "server")
		if span == nil {
			t.Fatal("no span for a corrupt header")
		}
		js := span.Context().(jaeger.SpanContext)
		if js.ParentID() != 0 {
			t.Fatalf("corrupt header produced a parent: %v", js)
		}
		if span.(*jaeger.Span).Tags()["tracewrap.context.invalid"] != true {
			t.Fatalf("problem not tagged for %.40v", h)
		}
	}
	// A syntactically valid but empty context must not become a parent either.
	span := newCfg(tr).StartRemote(call{}, opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(http.Header{"Uber-Trace-Id": {"0:0:0:0"}}), "server")
	if span.Context().(jaeger.SpanContext).ParentID() != 0 {
		t.Fatal("zero context became a parent")
	}
	// Missing context: a clean root, nothing flagged; ChildSpansOnly skips it.
	span = newCfg(tr).StartRemote(call{}, opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(http.Header{}), "server")
	if span.(*jaeger.Span).Tags()["tracewrap.context.invalid"] != nil {
		t.Fatal("missing context flagged as invalid")
	}
	if newCfg(tr, WithChildSpansOnly[call]()).StartRemote(call{}, opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(http.Header{}), "s") != nil {
		t.Fatal("ChildSpansOnly server span without a caller")
	}
}

// A flood of baggage, many small entries or fewer large ones, is cut to the
// bounds, and the caller's trace survives it.
func TestExtractBoundsBaggageFlood(t *testing.T) {
	for name, flood := range map[string]func(h http.Header){
		"many": func(h http.Header) {
			for i := 0; i < 10000; i++ {
				h.Set(fmt.Sprintf("Uberctx-K%d", i), "v")
			}
		},
		"large": func(h http.Header) {
			for i := 0; i < 100; i++ {
				h.Set(fmt.Sprintf("Uberctx-Big%d", i), strings.Repeat("x", 3000))
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			tr := tracetest.JaegerNull(t, true)
			client := tr.StartSpan("client")
			h := http.Header{}
			_ = tr.Inject(client.Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h))
			flood(h)
			sc, err := Extract(tr, opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h))
			if err != nil || sc == nil {
				t.Fatalf("the caller's trace did not survive: %v", err)
			}
			if sc.(jaeger.SpanContext).TraceID() != client.Context().(jaeger.SpanContext).TraceID() {
				t.Fatal("wrong trace")
			}
			n, size := 0, 0
			sc.ForeachBaggageItem(func(k, v string) bool { n++; size += len(k) + len(v); return true })
			if n > MaxCarrierEntries || size > MaxCarrierBytes {
				t.Fatalf("%d baggage items, %d bytes passed the bounds", n, size)
			}
		})
	}
}

// Within the bounds the carrier is handed over as it is (an
// HTTPHeadersCarrier stays one, for tracers that look header names up in
// their canonical case) and measuring it costs one allocation.
func TestExtractWithinBoundsHandsOverTheCarrier(t *testing.T) {
	h := http.Header{}
	for i := 0; i < 50; i++ {
		h.Set(fmt.Sprintf("X-H%d", i), "value")
	}
	var out opentracing.TextMapReader
	var dropped int
	allocs := testing.AllocsPerRun(10, func() {
		out, dropped, _ = bound(opentracing.HTTPHeadersCarrier(h))
	})
	if hc, ok := out.(opentracing.HTTPHeadersCarrier); !ok || len(hc) != 50 || dropped != 0 {
		t.Fatalf("handed over %T (%d dropped)", out, dropped)
	}
	if allocs > 2 { // the measuring method value, and boxing the carrier
		t.Fatalf("%v allocations for a carrier within bounds", allocs)
	}
}

// Over the bounds the copy keeps the carrier's kind and the trace keys.
func TestExtractOverBoundsKeepsKindAndTraceKeys(t *testing.T) {
	h := http.Header{}
	for i := 0; i < 3*MaxCarrierEntries; i++ {
		h.Set(fmt.Sprintf("Uberctx-k%d", i), "v")
	}
	h.Set("Traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
	out, dropped, err := bound(opentracing.HTTPHeadersCarrier(h))
	if err != nil {
		t.Fatal(err)
	}
	hc, ok := out.(opentracing.HTTPHeadersCarrier)
	if !ok {
		t.Fatalf("copy is a %T", out)
	}
	if http.Header(hc).Get("traceparent") == "" || len(hc) != MaxCarrierEntries || dropped != 2*MaxCarrierEntries+1 {
		t.Fatalf("kept %d entries, dropped %d, traceparent %q", len(hc), dropped, http.Header(hc).Get("traceparent"))
	}
	tm := opentracing.TextMapCarrier{"k": strings.Repeat("x", MaxCarrierValue+1), "uber-trace-id": "1:2:0:1"}
	out, dropped, _ = bound(tm)
	if c, ok := out.(opentracing.TextMapCarrier); !ok || len(c) != 1 || dropped != 1 {
		t.Fatalf("text map copy %T %v, dropped %d", out, out, dropped)
	}
}

type panickyTracer struct{ opentracing.NoopTracer }

func (panickyTracer) Extract(any, any) (opentracing.SpanContext, error) { panic("bad tracer") }

func TestExtractSurvivesTracerPanic(t *testing.T) {
	_, err := Extract(panickyTracer{}, opentracing.TextMap, opentracing.TextMapCarrier{"a": "b"})
	if err == nil || !strings.Contains(err.Error(), "bad tracer") {
		t.Fatalf("err %v", err)
	}
}

func FuzzExtractHTTPHeaders(f *testing.F) {
	tr := tracetest.JaegerNull(f, true)
	f.Add("Uber-Trace-Id", "1:2:3:1", "Uberctx-a", "b")
	f.Add("Uber-Trace-Id", "ffffffffffffffffffffffffffffffffff:0:0:zz", "Jaeger-Baggage", "k=v, k2")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		h := http.Header{}
		h.Add(k1, v1)
		h.Add(k2, v2)
		c := newCfg(tr)
		span := c.StartRemote(call{}, opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h), "s")
		if span == nil {
			t.Fatal("no span")
		}
		span.Finish()
	})
}

// mocktracer answers a carrier without a context with an empty, non-nil
// context and ErrSpanContextNotFound: that is no parent.
func TestExtractNotFoundIsNoParent(t *testing.T) {
	tr := mocktracer.New()
	sc, err := Extract(tr, opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(http.Header{}))
	if sc != nil || err != nil {
		t.Fatalf("sc %v err %v", sc, err)
	}
	if newCfg(tr, WithChildSpansOnly[call]()).StartRemote(call{}, opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(http.Header{}), "s") != nil {
		t.Fatal("ChildSpansOnly server span without a caller")
	}
}
