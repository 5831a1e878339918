package tracetest

import (
	"context"
	"testing"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/mocktracer"
)

// trimEvery is how many iterations a benchmark runs between two resets of a
// recording tracer.
const trimEvery = 1024

// BenchTracer is one tracer a benchmark runs the wrapped client with.
type BenchTracer struct {
	Name  string
	open  func(testing.TB) opentracing.Tracer
	reset func()
}

// Bare stands for the unwrapped client: its Tracer is nil and Trim and Reset
// do nothing.
var Bare = BenchTracer{Name: "bare"}

// BenchTracers are the tracers every benchmark compares, in order:
// opentracing.NoopTracer, one mocktracer shared by the set, and jaeger with a
// NullReporter, sampled and unsampled.
func BenchTracers() []BenchTracer {
	mock := mocktracer.New()
	return []BenchTracer{
		{Name: "noop", open: func(testing.TB) opentracing.Tracer { return opentracing.NoopTracer{} }},
		{Name: "mock", open: func(testing.TB) opentracing.Tracer { return mock }, reset: mock.Reset},
		{Name: "jaeger-sampled", open: func(tb testing.TB) opentracing.Tracer { return JaegerNull(tb, true) }},
		{Name: "jaeger-unsampled", open: func(tb testing.TB) opentracing.Tracer { return JaegerNull(tb, false) }},
	}
}

// Tracer returns the tracer, nil for Bare. A jaeger tracer is new on every
// call and closed when tb ends.
func (bt BenchTracer) Tracer(tb testing.TB) opentracing.Tracer {
	if bt.open == nil {
		return nil
	}
	return bt.open(tb)
}

// Trim resets a recording tracer on every 1024th iteration i, so a long run
// does not keep every finished span; a no-op for the other tracers.
func (bt BenchTracer) Trim(i int) {
	if bt.reset != nil && i%trimEvery == 0 {
		bt.reset()
	}
}

// Reset drops what a recording tracer has kept; a no-op for the others.
func (bt BenchTracer) Reset() {
	if bt.reset != nil {
		bt.reset()
	}
}

// ParentContext is a context holding a "parent" span of tr, as a traced
// request's context would; context.Background() when tr is nil (Bare).
func ParentContext(tr opentracing.Tracer) context.Context {
	if tr == nil {
		return context.Background()
	}
	return opentracing.ContextWithSpan(context.Background(), tr.StartSpan("parent"))
}
