package tracetest

import (
	"testing"

	"github.com/opentracing/opentracing-go"
	"github.com/uber/jaeger-client-go"
)

// Jaeger is a real jaeger tracer with a constant sampler whose finished spans
// are kept by the returned in-memory reporter. It is closed when tb ends.
func Jaeger(tb testing.TB, service string, sampled bool) (opentracing.Tracer, *jaeger.InMemoryReporter) {
	rep := jaeger.NewInMemoryReporter()
	tr, closer := jaeger.NewTracer(service, jaeger.NewConstSampler(sampled), rep)
	tb.Cleanup(func() { closer.Close() })
	return tr, rep
}

// JaegerNull is a real jaeger tracer with a constant sampler that drops its
// spans: for benchmarks and fuzzing, where keeping them would grow without
// bound. It is closed when tb ends.
func JaegerNull(tb testing.TB, sampled bool) opentracing.Tracer {
	tr, closer := jaeger.NewTracer("tracetest", jaeger.NewConstSampler(sampled), jaeger.NewNullReporter())
	tb.Cleanup(func() { closer.Close() })
	return tr
}
