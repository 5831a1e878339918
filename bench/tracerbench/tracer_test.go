// Package tracerbench measures what every instrumentation pays the tracer
// itself, whoever wrote it: a child span started and finished, its context
// injected into HTTP headers (a client), or extracted from them and a span
// started under it (a server). The wrappers' numbers are read against these:
// an unsampled span costs about as much to start and to propagate as a
// sampled one, so the unsampled/sampled ratio of a wrapper cannot go far below
// the tracer's own.
package tracerbench

import (
	"net/http"
	"testing"

	"github.com/opentracing/opentracing-go"

	"github.com/tracewrap/tracewrap/bench/internal/tracers"
)

// BenchmarkFloorChildSpan starts and finishes a child of the span in a ctx.
func BenchmarkFloorChildSpan(b *testing.B) {
	for _, st := range tracers.All(b) {
		b.Run("tracer="+st.Name+"/impl=tracer", func(b *testing.B) {
			parent := opentracing.SpanFromContext(st.Parent(b))
			b.ReportAllocs()
			for b.Loop() {
				sp := st.OT.StartSpan("op", opentracing.ChildOf(parent.Context()))
				sp.Finish()
				st.Tick()
			}
		})
	}
}

// BenchmarkFloorClient is a client's share: a child span whose context is
// injected into a fresh header map.
func BenchmarkFloorClient(b *testing.B) {
	for _, st := range tracers.All(b) {
		b.Run("tracer="+st.Name+"/impl=tracer", func(b *testing.B) {
			parent := opentracing.SpanFromContext(st.Parent(b))
			b.ReportAllocs()
			for b.Loop() {
				sp := st.OT.StartSpan("op", opentracing.ChildOf(parent.Context()))
				h := make(http.Header, 2)
				st.OT.Inject(sp.Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h))
				sp.Finish()
				st.Tick()
			}
		})
	}
}

// BenchmarkFloorServer is a server's share: the caller's context extracted
// from headers and a span started under it.
func BenchmarkFloorServer(b *testing.B) {
	for _, st := range tracers.All(b) {
		b.Run("tracer="+st.Name+"/impl=tracer", func(b *testing.B) {
			parent := opentracing.SpanFromContext(st.Parent(b))
			h := http.Header{}
			st.OT.Inject(parent.Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h))
			b.ReportAllocs()
			for b.Loop() {
				sc, _ := st.OT.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h))
				sp := st.OT.StartSpan("op", opentracing.ChildOf(sc))
				sp.Finish()
				st.Tick()
			}
		})
	}
}
