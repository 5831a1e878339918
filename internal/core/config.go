package core

import (
	"context"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
)

// DefaultMaxStatementSize is the default cap, in bytes, of statement tags.
const DefaultMaxStatementSize = 4096

// Defaults are what a wrapper sets before the user's options apply.
type Defaults[T any] struct {
	Component string                       // component tag, e.g. "net/http"
	Kind      ext.SpanKindEnum             // span.kind
	IsError   func(call T, err error) bool // nil: every non-nil error is one
	// Leaf says the wrapper's calls never carry the trace context further
	// (a data store client): under a parent whose trace is known not to be
	// sampled, Start makes no span (see Config.Unrecorded).
	Leaf bool
}

// Config is the resolved option set of one wrapper instance. It is immutable
// after New returns and safe for concurrent use.
type Config[T any] struct {
	tracer           opentracing.Tracer
	nameFunc         func(T) string
	filter           func(T) bool
	observers        []SpanObserver[T]
	component        string
	kind             ext.SpanKindEnum
	childOnly        bool
	isError          func(T, error) bool
	defaultIsError   func(T, error) bool
	leaf             bool
	MaxStatementSize int

	// The static tags, boxed once: converting a string to an interface on
	// every span would allocate.
	componentTag, kindTag any
}

// New applies defaults, then opts in order. Nil options are skipped.
func New[T any](d Defaults[T], opts ...Option[T]) *Config[T] {
	c := &Config[T]{
		component:        d.Component,
		kind:             d.Kind,
		defaultIsError:   d.IsError,
		leaf:             d.Leaf,
		MaxStatementSize: DefaultMaxStatementSize,
	}
	for _, o := range opts {
		if o != nil {
			o(c)
		}
	}
	c.componentTag = c.component
	if c.kind != "" {
		c.kindTag = c.kind
	}
	return c
}

// Tracer returns the configured tracer, or the global one at the time of the
// call.
func (c *Config[T]) Tracer() opentracing.Tracer {
	if c.tracer != nil {
		return c.tracer
	}
	return opentracing.GlobalTracer()
}

// Component is the component tag value.
func (c *Config[T]) Component() string { return c.component }

// ChildSpansOnly reports whether spans need a parent.
func (c *Config[T]) ChildSpansOnly() bool { return c.childOnly }

// Traced reports whether call passes the user's filter.
func (c *Config[T]) Traced(call T) bool { return c.filter == nil || c.filter(call) }

// OperationName is the user's name for call, or def.
func (c *Config[T]) OperationName(call T, def string) string {
	if c.nameFunc != nil {
		if n := c.nameFunc(call); n != "" {
			return n
		}
	}
	return def
}

// Start is the common span start of every wrapper. It returns a nil span when
// the call is not to be traced: filtered out, no parent under
// WithChildSpansOnly, a NoopTracer (which would record nothing anyway, so
// the wrapper skips all of its work), or a leaf call under a parent that is
// known not to be sampled (see Unrecorded). parent may be nil; refs adds references
// beyond ChildOf(parent) (FollowsFrom for messaging); start, if non-zero,
// back-dates the span.
func (c *Config[T]) Start(call T, parent opentracing.SpanContext, def string, start time.Time, refs ...opentracing.SpanReference) opentracing.Span {
	tr := c.begin(call)
	if tr == nil || (c.childOnly && parent == nil && len(refs) == 0) {
		return nil
	}
	if len(refs) == 0 && c.Unrecorded(parent) {
		return nil
	}
	return c.start(tr, call, parent, def, start, refs)
}

// StartRemote starts the span of a call that came from another process (a
// server request, a consumed message): ChildOf the context extracted from
// carrier, within bounds. A corrupt context never fails the call: the span is
// a new root that logs what was wrong. When the caller's trace is, for good,
// not sampled (jaeger), and no observer is configured, the span is a
// placeholder that starts a real one only when needed (see unsampledSpan).
func (c *Config[T]) StartRemote(call T, format any, carrier opentracing.TextMapReader, def string, refs ...opentracing.SpanReference) opentracing.Span {
	tr := c.begin(call)
	if tr == nil {
		return nil
	}
	parent, err := Extract(tr, format, carrier)
	if c.childOnly && parent == nil && len(refs) == 0 {
		return nil
	}
	if span := c.startRemoteUnsampled(tr, call, parent, def, refs); span != nil {
		return span
	}
	span := c.start(tr, call, parent, def, time.Time{}, refs)
	LogExtractProblem(span, err)
	return span
}

// begin returns the tracer to use, or nil when the call is filtered out or the
// tracer is a NoopTracer (which records nothing, so the wrapper skips its work).
func (c *Config[T]) begin(call T) opentracing.Tracer {
	if c.filter != nil && !c.filter(call) {
		return nil
	}
	tr := c.Tracer()
	switch tr.(type) {
	case opentracing.NoopTracer, *opentracing.NoopTracer: // jaeger's config hands out the pointer when disabled
		return nil
	}
	return tr
}

func (c *Config[T]) start(tr opentracing.Tracer, call T, parent opentracing.SpanContext, def string, start time.Time, refs []opentracing.SpanReference) opentracing.Span {
	so := &startOptions{parent: parent, refs: refs, start: start, component: c.componentTag, kind: c.kindTag}
	so.list[0] = so
	span := tr.StartSpan(c.OperationName(call, def), so.list[:]...)
	for _, o := range c.observers {
		if o.OnStart != nil {
			o.OnStart(span, call)
		}
	}
	return span
}

// StartFromContext starts a child of the span held by ctx and returns ctx
// carrying the new span. When no span is made it returns (nil, ctx).
func (c *Config[T]) StartFromContext(ctx context.Context, call T, def string, start time.Time) (opentracing.Span, context.Context) {
	if ctx == nil { // some client APIs pass a nil ctx when the caller gave none
		ctx = context.Background()
	}
	var parent opentracing.SpanContext
	if ps := SpanFromContext(ctx); ps != nil {
		if c.leaf {
			var unsampled bool
			if parent, unsampled = c.Parent(ps); unsampled {
				return nil, ctx
			}
		} else {
			parent = ps.Context()
		}
	}
	span := c.Start(call, parent, def, start)
	if span == nil {
		return nil, ctx
	}
	return span, opentracing.ContextWithSpan(ctx, span)
}

// IsError applies the error policy to a non-nil err.
func (c *Config[T]) IsError(call T, err error) bool {
	if err == nil {
		return false
	}
	switch {
	case c.isError != nil:
		return c.isError(call, err)
	case c.defaultIsError != nil:
		return c.defaultIsError(call, err)
	}
	return true
}

// Finish runs the observers, records err when the policy says it is a real
// failure, and finishes span. A nil span is a no-op. end, if non-zero, is the
// finish time.
func (c *Config[T]) Finish(span opentracing.Span, call T, err error, end time.Time) {
	if span == nil {
		return
	}
	for _, o := range c.observers {
		if o.OnFinish != nil {
			o.OnFinish(span, call, err)
		}
	}
	if err != nil && c.IsError(call, err) {
		RecordError(span, err)
	}
	if end.IsZero() {
		span.Finish()
		return
	}
	span.FinishWithOptions(opentracing.FinishOptions{FinishTime: end})
}

// startOptions hands the references and start time to a tracer as one
// StartSpanOption, so no option value is allocated per reference. It also
// holds the variadic argument of StartSpan, which would otherwise be an
// allocation of its own: one allocation per span for all of it.
type startOptions struct {
	parent          opentracing.SpanContext
	refs            []opentracing.SpanReference
	start           time.Time
	component, kind any                            // boxed once per Config; kind nil: none
	list            [1]opentracing.StartSpanOption // {the startOptions itself}
}

// Apply hands the tracer the references, the start time, and the component
// and span.kind tags. The kind must be known at start: the OpenTelemetry
// bridge reads it only from the start options (a later SetTag is ignored),
// and a sampler may look at it. The tag map is made per span, because some
// tracers (mocktracer) keep it as the span's own.
func (s *startOptions) Apply(o *opentracing.StartSpanOptions) {
	if o.Tags == nil {
		o.Tags = make(map[string]any, 2)
	}
	o.Tags[string(ext.Component)] = s.component
	if s.kind != nil {
		o.Tags[string(ext.SpanKind)] = s.kind
	}
	if s.parent != nil {
		o.References = append(o.References, opentracing.SpanReference{Type: opentracing.ChildOfRef, ReferencedContext: s.parent})
	}
	o.References = append(o.References, s.refs...)
	if !s.start.IsZero() {
		o.StartTime = s.start
	}
}
