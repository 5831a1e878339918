package mqtrace

import (
	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"

	"github.com/tracewrap/tracewrap/internal/core"
)

// ComponentName is the default component tag of every mqtrace span.
const ComponentName = "rocketmq-client-go"

// Option configures a Tracing. Options are applied in order; nil is ignored.
type Option func(*settings)

// SpanObserver adds tags of the user's own when a span starts and finishes.
type SpanObserver = core.SpanObserver[*Call]

// settings collects the shared core options (applied to the producer,
// consumer and callback configs alike) and mqtrace's own switches.
type settings struct {
	core         []core.Option[*Call]
	messageSpans bool
	payload      bool
}

func shared(o core.Option[*Call]) Option {
	return func(s *settings) { s.core = append(s.core, o) }
}

// WithTracer sets the tracer; nil or absent means opentracing.GlobalTracer(),
// looked up on every call.
func WithTracer(tr opentracing.Tracer) Option { return shared(core.WithTracer[*Call](tr)) }

// WithOperationName replaces the default operation names ("send <topic>",
// "consume <topic>", ...) with a fixed one.
func WithOperationName(name string) Option { return shared(core.WithOperationName[*Call](name)) }

// WithOperationNameFunc derives the operation name from the call; keep it
// low-cardinality. A func returning "" keeps the default.
func WithOperationNameFunc(f func(*Call) string) Option {
	return shared(core.WithOperationNameFunc[*Call](f))
}

// WithSpanFilter skips tracing a call when f returns false. A filtered send
// carries no trace context to its consumers.
func WithSpanFilter(f func(*Call) bool) Option { return shared(core.WithSpanFilter[*Call](f)) }

// WithSpanObserver adds an observer; several run in the order given.
func WithSpanObserver(o SpanObserver) Option { return shared(core.WithSpanObserver[*Call](o)) }

// WithComponentName sets the component tag (default ComponentName).
func WithComponentName(name string) Option { return shared(core.WithComponentName[*Call](name)) }

// WithChildSpansOnly traces sends only when ctx already holds a span, and
// consumption only of messages that carry a trace context.
func WithChildSpansOnly() Option { return shared(core.WithChildSpansOnly[*Call]()) }

// WithErrorPolicy decides which failures mark a span as an error. It sees the
// call's error, or ErrRetryLater / ErrSuspendQueue for a consumer's non-success
// result.
func WithErrorPolicy(f func(*Call, error) bool) Option {
	return shared(core.WithErrorPolicy[*Call](f))
}

// WithMaxStatementSize caps the captured payload (WithPayloadCapture) in bytes.
func WithMaxStatementSize(n int) Option { return shared(core.WithMaxStatementSize[*Call](n)) }

// WithPayloadCapture tags message bodies (capped by WithMaxStatementSize) on
// send and consume spans: text as it is, anything else (invalid UTF-8,
// control characters) quoted with Go escapes. Off by default: bodies often
// hold personal data.
func WithPayloadCapture() Option { return func(s *settings) { s.payload = true } }

// WithMessageSpans adds, for every message of a consumed batch, a span that is
// ChildOf that message's producing span (so each producer's trace shows its
// consumption) and FollowsFrom the batch span. Single messages never get an
// extra span.
func WithMessageSpans() Option { return func(s *settings) { s.messageSpans = true } }

// Tracing is one resolved set of mqtrace options. Its methods build traced
// clients and helpers; the package-level functions use a Tracing with default
// options (the global tracer). It is safe for concurrent use.
type Tracing struct {
	produce      *core.Config[*Call] // span.kind=producer: sends
	consume      *core.Config[*Call] // span.kind=consumer: consumption, transaction checks
	callback     *core.Config[*Call] // no kind: a transaction and its local transaction
	messageSpans bool
	payload      bool
	names        opNames
}

// New resolves opts into a Tracing.
func New(opts ...Option) *Tracing {
	var s settings
	for _, o := range opts {
		if o != nil {
			o(&s)
		}
	}
	defaults := func(kind ext.SpanKindEnum) core.Defaults[*Call] {
		return core.Defaults[*Call]{Component: ComponentName, Kind: kind}
	}
	return &Tracing{
		produce:      core.New(defaults(ext.SpanKindProducerEnum), s.core...),
		consume:      core.New(defaults(ext.SpanKindConsumerEnum), s.core...),
		callback:     core.New(defaults(""), s.core...),
		messageSpans: s.messageSpans,
		payload:      s.payload,
	}
}

// std backs the package-level functions: default options, global tracer.
var std = New()

// off reports whether nothing would be recorded by cfg's tracer, so a wrapper
// can skip every bit of its work (not even a Call is built).
func off(cfg *core.Config[*Call]) bool {
	_, noop := cfg.Tracer().(opentracing.NoopTracer)
	return noop
}
