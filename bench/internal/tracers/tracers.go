// Package tracers builds the tracer stacks every benchmark compares, so that
// ours and a peer always run on the same tracer in the same process.
//
//   - noop: opentracing.NoopTracer{}.
//   - mock: opentracing-go's mocktracer, reset every few thousand calls so
//     its list of finished spans stays small.
//   - jaeger-sampled, jaeger-unsampled: jaeger-client-go with a const
//     sampler (on, off) and a NullReporter: spans are built and dropped.
//   - init-sampled: the Jaeger tracer tracing.Init builds, with its default
//     propagation (inject uber-trace-id, traceparent and baggage; extract
//     any), 128-bit ids and a NullReporter. Set beside jaeger-sampled (jaeger's
//     own single-format propagator), it is the cost of the mixed-fleet
//     formats on the paths that inject and extract.
//   - otel-sampled, otel-unsampled: the OpenTelemetry SDK with an
//     AlwaysSample or NeverSample sampler and a span processor that drops
//     every span (the SDK's counterpart of a NullReporter). OpenTracing code
//     (ours, opentracing-contrib peers) reaches it through the OpenTelemetry
//     OpenTracing bridge; OpenTelemetry-native peers get the SDK's
//     TracerProvider itself. A parent span started through the bridge and
//     put in a ctx with opentracing.ContextWithSpan is the active span for
//     both APIs.
package tracers

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/mocktracer"
	"github.com/uber/jaeger-client-go"
	otbridge "go.opentelemetry.io/otel/bridge/opentracing"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracewrap/tracewrap/tracing"
)

// Names of the tracer stacks, as they appear in benchmark names
// (tracer=<name>).
const (
	None            = "none" // the bare client: no wrapper, no tracer
	Noop            = "noop"
	Mock            = "mock"
	JaegerSampled   = "jaeger-sampled"
	JaegerUnsampled = "jaeger-unsampled"
	InitSampled     = "init-sampled"
	OTelSampled     = "otel-sampled"
	OTelUnsampled   = "otel-unsampled"
)

// Stack is one tracer set-up.
type Stack struct {
	Name string
	// OT is the OpenTracing tracer (for OTel stacks: the bridge).
	OT opentracing.Tracer
	// OTel is the SDK's provider for OpenTelemetry-native peers; nil for
	// stacks that are not OpenTelemetry.
	OTel trace.TracerProvider

	mock  *mocktracer.MockTracer
	calls atomic.Int64
}

// IsOTel reports whether the stack is the OpenTelemetry SDK.
func (s *Stack) IsOTel() bool { return s.OTel != nil }

// Tick is called once per benchmark iteration; it keeps mocktracer's
// finished-span list from growing without bound.
func (s *Stack) Tick() {
	if s.mock != nil && s.calls.Add(1)%4096 == 0 {
		s.mock.Reset()
	}
}

// Parent starts a parent span, as a traced request would have, and returns a
// ctx holding it. The span is finished when the benchmark ends.
func (s *Stack) Parent(b testing.TB) context.Context {
	sp := s.OT.StartSpan("parent")
	b.Cleanup(sp.Finish)
	return opentracing.ContextWithSpan(context.Background(), sp)
}

// All returns every stack, in report order. Each is closed when b ends.
func All(b testing.TB) []*Stack {
	return []*Stack{
		New(b, Noop), New(b, Mock),
		New(b, JaegerSampled), New(b, JaegerUnsampled), New(b, InitSampled),
		New(b, OTelSampled), New(b, OTelUnsampled),
	}
}

// OTelOnly returns the OpenTelemetry stacks, for OpenTelemetry-native peers.
func OTelOnly(b testing.TB) []*Stack {
	return []*Stack{New(b, OTelSampled), New(b, OTelUnsampled)}
}

// New builds the named stack; it is shut down when b ends.
func New(b testing.TB, name string) *Stack {
	s := &Stack{Name: name}
	switch name {
	case Noop:
		s.OT = opentracing.NoopTracer{}
	case Mock:
		s.mock = mocktracer.New()
		s.OT = s.mock
	case JaegerSampled, JaegerUnsampled:
		tr, closer := jaeger.NewTracer("bench", jaeger.NewConstSampler(name == JaegerSampled), jaeger.NewNullReporter())
		b.Cleanup(func() { closer.Close() })
		s.OT = tr
	case InitSampled:
		tr, closer, err := tracing.Init("bench", tracing.WithoutGlobal(), tracing.WithReporter(jaeger.NewNullReporter()),
			tracing.WithSampler(jaeger.SamplerTypeConst, 1), tracing.WithPropagators(tracing.DefaultPropagators...))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { closer.Close() })
		s.OT = tr
	case OTelSampled, OTelUnsampled:
		sampler := sdktrace.NeverSample()
		if name == OTelSampled {
			sampler = sdktrace.AlwaysSample()
		}
		tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sampler), sdktrace.WithSpanProcessor(dropProcessor{}))
		b.Cleanup(func() { tp.Shutdown(context.Background()) })
		bt, _ := otbridge.NewTracerPair(tp.Tracer("bench"))
		s.OT, s.OTel = bt, tp
	default:
		b.Fatalf("unknown tracer stack %q", name)
	}
	return s
}

// dropProcessor drops every span: the OpenTelemetry counterpart of jaeger's
// NullReporter.
type dropProcessor struct{}

func (dropProcessor) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (dropProcessor) OnEnd(sdktrace.ReadOnlySpan)                     {}
func (dropProcessor) Shutdown(context.Context) error                  { return nil }
func (dropProcessor) ForceFlush(context.Context) error                { return nil }
