package core

import "github.com/opentracing/opentracing-go"

// finalizer is implemented by span contexts whose sampling decision may still
// change after the span started (jaeger.SpanContext): a decision that is not
// final is not trusted.
type finalizer interface{ IsSamplingFinalized() bool }

// knownUnsampled reports whether sc says, for good, that its trace is not
// sampled. Contexts that do not say (mocktracer's) are taken as sampled.
func knownUnsampled(sc opentracing.SpanContext) bool {
	s, ok := sc.(sampler)
	if !ok || s.IsSampled() {
		return false
	}
	if f, ok := sc.(finalizer); ok && !f.IsSamplingFinalized() {
		return false
	}
	if d, ok := sc.(fixedDecision); ok && d.IsRemote() {
		return false // a child's decision is the local sampler's (see fixedDecision)
	}
	return true
}

// Unrecorded reports whether a call whose parent is parent can skip its span
// altogether: the wrapper declared its calls leaves (Defaults.Leaf: they carry
// no trace context further), the parent's trace is known not to be sampled
// (so the span would be neither recorded nor propagated), and no span
// observer is configured (observers see every span that is made). Start
// applies it; a wrapper may ask first to skip its own per-call set-up too.
func (c *Config[T]) Unrecorded(parent opentracing.SpanContext) bool {
	return c.leaf && parent != nil && len(c.observers) == 0 && knownUnsampled(parent)
}
