package core

import (
	"github.com/opentracing/opentracing-go"
)

// Option configures a Config[T]. A nil Option is ignored, so users can build
// option lists conditionally without tripping over a panic.
type Option[T any] func(*Config[T])

// SpanObserver is told when a span starts and right before it finishes, so a
// user can add tags of their own. Either field may be nil.
type SpanObserver[T any] struct {
	OnStart  func(span opentracing.Span, call T)
	OnFinish func(span opentracing.Span, call T, err error)
}

// WithTracer sets the tracer. nil (the default) means opentracing.GlobalTracer(),
// looked up on every call so a tracer installed after the wrapper was built is
// used.
func WithTracer[T any](tr opentracing.Tracer) Option[T] {
	return func(c *Config[T]) { c.tracer = tr }
}

// WithOperationName replaces the wrapper's default operation name with a fixed
// one. An empty name keeps the default.
func WithOperationName[T any](name string) Option[T] {
	return func(c *Config[T]) {
		if name == "" {
			c.nameFunc = nil
			return
		}
		c.nameFunc = func(T) string { return name }
	}
}

// WithOperationNameFunc derives the operation name from the call. Keep the
// result low-cardinality (no ids). A func returning "" keeps the default.
func WithOperationNameFunc[T any](f func(call T) string) Option[T] {
	return func(c *Config[T]) { c.nameFunc = f }
}

// WithSpanFilter decides per call whether a span is made: the filter returns
// false to skip tracing the call (the call itself always runs).
func WithSpanFilter[T any](f func(call T) bool) Option[T] {
	return func(c *Config[T]) { c.filter = f }
}

// WithSpanObserver adds an observer; several observers run in the order given.
func WithSpanObserver[T any](o SpanObserver[T]) Option[T] {
	return func(c *Config[T]) {
		if o.OnStart != nil || o.OnFinish != nil {
			c.observers = append(c.observers, o)
		}
	}
}

// WithComponentName sets the component tag. An empty name keeps the default.
func WithComponentName[T any](name string) Option[T] {
	return func(c *Config[T]) {
		if name != "" {
			c.component = name
		}
	}
}

// WithChildSpansOnly makes spans only for calls whose context already holds a
// span (for a server: whose request carried a trace context), so background
// chatter does not become a forest of root spans.
func WithChildSpansOnly[T any]() Option[T] {
	return func(c *Config[T]) { c.childOnly = true }
}

// WithErrorPolicy decides whether a failed call marks its span as an error.
// It is only asked about non-nil errors. nil restores the wrapper's default.
func WithErrorPolicy[T any](f func(call T, err error) bool) Option[T] {
	return func(c *Config[T]) { c.isError = f }
}

// WithMaxStatementSize caps statement-like tags (db.statement, payloads) in
// bytes. n <= 0 restores the default.
func WithMaxStatementSize[T any](n int) Option[T] {
	return func(c *Config[T]) {
		if n > 0 {
			c.MaxStatementSize = n
		}
	}
}
