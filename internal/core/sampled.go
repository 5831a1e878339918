package core

import "github.com/opentracing/opentracing-go"

// sampler is implemented by span contexts that know their sampling decision
// (jaeger.SpanContext), without importing their tracer.
type sampler interface{ IsSampled() bool }

// IsSampled reports whether span will be recorded, so a wrapper can skip
// formatting tags nobody will see. Spans of tracers that do not say are taken
// as sampled; a nil span is not.
func IsSampled(span opentracing.Span) bool {
	if span == nil {
		return false
	}
	if u, ok := span.(*unsampledSpan); ok {
		_, unsampled := u.peek()
		return !unsampled
	}
	if s, ok := span.Context().(sampler); ok {
		return s.IsSampled()
	}
	return true
}
