package tracetest

import (
	"context"
	"net"
	"testing"

	"github.com/opentracing/opentracing-go"
	"github.com/uber/jaeger-client-go"
	"github.com/uber/jaeger-client-go/zipkin"
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

// UnsampledParent is a jaeger tracer that samples nothing and a ctx holding a
// span of it, finished when tb ends: the parent of calls whose trace is known
// not to be recorded.
func UnsampledParent(tb testing.TB) (opentracing.Tracer, context.Context) {
	tr := JaegerNull(tb, false)
	parent := tr.StartSpan("parent")
	tb.Cleanup(parent.Finish)
	return tr, opentracing.ContextWithSpan(context.Background(), parent)
}

// AssertFitsAgentPacket fails when jaeger's UDP agent transport would refuse
// span as too big for one packet: jaeger-client-go then drops the whole span.
func AssertFitsAgentPacket(tb testing.TB, span *jaeger.Span) {
	tb.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer pc.Close()
	udp, err := jaeger.NewUDPTransport(pc.LocalAddr().String(), 0)
	if err != nil {
		tb.Fatal(err)
	}
	defer udp.Close()
	if _, err := udp.Append(span); err != nil {
		tb.Errorf("span %q (%d tags, %d logs) refused by the agent transport: %v",
			span.OperationName(), len(span.Tags()), len(span.Logs()), err)
	}
}

// RawBaggage is a sampling jaeger tracer whose injection and extraction in
// format write and read baggage keys and values exactly as they are (Zipkin
// B3 with no baggage prefix): what a tracer that trusts remote baggage would
// send on. Its finished spans are kept in memory. It is closed when tb ends.
func RawBaggage(tb testing.TB, format opentracing.BuiltinFormat) opentracing.Tracer {
	p := zipkin.NewZipkinB3HTTPHeaderPropagator(zipkin.BaggagePrefix(""))
	tr, closer := jaeger.NewTracer("raw", jaeger.NewConstSampler(true), jaeger.NewInMemoryReporter(),
		jaeger.TracerOptions.Injector(format, p), jaeger.TracerOptions.Extractor(format, p))
	tb.Cleanup(func() { closer.Close() })
	return tr
}
