package core

import (
	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/log"
)

// SampledContext returns span's context and whether span is sampled, asking
// the span for its context once. Some tracers box a fresh copy of the context
// on every Span.Context call (jaeger's is a struct of about 100 bytes), so a
// wrapper that needs both the sampling decision and the context to inject
// saves an allocation per call over IsSampled followed by Inject. A nil span
// gives (nil, false).
func SampledContext(span opentracing.Span) (opentracing.SpanContext, bool) {
	if span == nil {
		return nil, false
	}
	if u, ok := span.(*unsampledSpan); ok {
		sc, unsampled := u.peek()
		return sc, !unsampled
	}
	sc := span.Context()
	if s, ok := sc.(sampler); ok {
		return sc, s.IsSampled()
	}
	return sc, true
}

// InjectContext is Inject with span's context already in hand (from
// SampledContext): it writes sc into carrier through span's tracer, and a
// tracer's failure is logged on the span rather than failing the call.
func InjectContext(span opentracing.Span, sc opentracing.SpanContext, format any, carrier any) {
	if span == nil || sc == nil {
		return
	}
	if err := span.Tracer().Inject(sc, format, carrier); err != nil {
		msg, _ := Truncate(err.Error(), maxProblemLen)
		span.LogFields(log.String("event", "trace context not injected"), log.String("message", msg))
	}
}
