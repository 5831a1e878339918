package nethttp

import (
	"context"
	"net/http"
	"sync"
	"testing"

	"github.com/opentracing/opentracing-go"
	"github.com/uber/jaeger-client-go"

	"github.com/tracewrap/tracewrap/internal/testenv"
	"github.com/tracewrap/tracewrap/internal/tracetest"
)

type seen struct {
	traceID jaeger.TraceID
	sampled bool
	baggage map[string]string
}

func seenOf(span opentracing.Span, keys ...string) seen {
	sc := span.Context().(jaeger.SpanContext)
	s := seen{traceID: sc.TraceID(), sampled: sc.IsSampled(), baggage: map[string]string{}}
	for _, k := range keys {
		s.baggage[k] = span.BaggageItem(k)
	}
	return s
}

// A request whose trace the caller does not sample crosses three processes
// (each its own jaeger tracer, the servers' samplers willing to sample):
// every hop stays in the caller's trace, unsampled, baggage set in the middle
// handler reaches the back end, and nobody reports a span. The same chain
// sampled reports a client and a server span per hop.
func TestUnsampledTraceAcrossProcesses(t *testing.T) {
	for _, sampled := range []bool{false, true} {
		front, frontRep := tracetest.Jaeger(t, "front", sampled)
		mid, midRep := tracetest.Jaeger(t, "mid", true)
		back, backRep := tracetest.Jaeger(t, "back", true)

		var got seen
		backSrv := testenv.Serve(t, Middleware(back, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got = seenOf(opentracing.SpanFromContext(r.Context()), "user", "tenant")
		})))
		midClient := tracedClient(t, WithTracer(mid))
		midSrv := testenv.Serve(t, Middleware(mid, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			span := opentracing.SpanFromContext(r.Context())
			if span.BaggageItem("user") != "alice" {
				t.Error("caller's baggage not readable")
			}
			span.SetBaggageItem("tenant", "t1")
			// Children started by the handler, concurrently, are in the trace.
			var wg sync.WaitGroup
			for i := 0; i < 4; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					c, _ := opentracing.StartSpanFromContextWithTracer(r.Context(), mid, "work")
					if c.Context().(jaeger.SpanContext).IsSampled() != sampled {
						t.Error("handler's child: wrong sampling")
					}
					c.Finish()
				}()
			}
			wg.Wait()
			req, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, backSrv.URL, nil)
			get(t, midClient, req)
		})))

		root := front.StartSpan("root")
		root.SetBaggageItem("user", "alice")
		ctx := opentracing.ContextWithSpan(context.Background(), root)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, midSrv.URL, nil)
		get(t, tracedClient(t, WithTracer(front)), req)
		root.Finish()

		want := seenOf(root, "user")
		if got.traceID != want.traceID || got.sampled != sampled || got.baggage["user"] != "alice" || got.baggage["tenant"] != "t1" {
			t.Fatalf("sampled=%v: back end saw %+v, root %+v", sampled, got, want)
		}
		n := len(frontRep.GetSpans()) + len(midRep.GetSpans()) + len(backRep.GetSpans())
		if want := map[bool]int{false: 0, true: 1 + 1 + 1 + 4 + 1 + 1}[sampled]; n != want {
			t.Fatalf("sampled=%v: %d spans reported, want %d", sampled, n, want)
		}
	}
}
