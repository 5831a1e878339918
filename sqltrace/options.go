package sqltrace

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"

	"github.com/tracewrap/tracewrap/internal/core"
)

// Option configures a traced driver or connector. The options shared by every
// tracewrap package (WithTracer, WithSpanFilter, ...) and the ones only this
// package has are the same type, so they mix in one list. A nil Option is
// ignored.
type Option func(*config)

// SpanObserver adds tags of your own when a span starts and right before it
// finishes.
type SpanObserver = core.SpanObserver[*Call]

// ArgsFormatter renders a call's arguments for the db.args tag. max is the
// size cap in bytes the result must respect.
type ArgsFormatter func(args []driver.NamedValue, max int) string

// config is one wrapper's resolved settings: the shared core options plus
// this package's own. Immutable once built.
type config struct {
	coreOpts []core.Option[*Call]
	core     *core.Config[*Call]

	optional     map[Op]bool   // opt-in spans that are enabled
	args         ArgsFormatter // nil: arguments are not recorded
	traceComment CommentForm   // what to append to statements; 0: nothing
	dsn          *dsnInfo      // tags given by WithDSN, overriding what the wrapper sees
}

func newConfig(opts []Option) *config {
	c := &config{optional: map[Op]bool{}}
	for _, o := range opts {
		if o != nil {
			o(c)
		}
	}
	c.core = core.New(core.Defaults[*Call]{
		Component: "database/sql",
		Kind:      ext.SpanKindRPCClientEnum,
		IsError:   isError,
		// Statements carry no trace context on unsampled traces (a trace
		// comment is only written for sampled spans).
		Leaf: true,
	}, c.coreOpts...)
	c.coreOpts = nil
	return c
}

// isError is the default error policy: only real failures mark a span.
// driver.ErrSkip never reaches a span (the call is retried by database/sql
// and traced then); sql.ErrNoRows and io.EOF are answers, not failures.
func isError(_ *Call, err error) bool {
	return !errors.Is(err, driver.ErrSkip) && !errors.Is(err, sql.ErrNoRows) && !errors.Is(err, io.EOF)
}

func coreOption(o core.Option[*Call]) Option {
	return func(c *config) { c.coreOpts = append(c.coreOpts, o) }
}

// WithTracer sets the tracer. nil (the default) means the global tracer,
// looked up on every call.
func WithTracer(tr opentracing.Tracer) Option { return coreOption(core.WithTracer[*Call](tr)) }

// WithOperationName replaces the default operation names (sql.query,
// sql.exec, ...) with a fixed one.
func WithOperationName(name string) Option {
	return coreOption(core.WithOperationName[*Call](name))
}

// WithOperationNameFunc derives the operation name from the call; "" keeps
// the default. Keep it low-cardinality: never the statement text with values.
func WithOperationNameFunc(f func(call *Call) string) Option {
	return coreOption(core.WithOperationNameFunc(f))
}

// WithSpanFilter returns false for calls that get no span; the call still runs.
func WithSpanFilter(f func(call *Call) bool) Option { return coreOption(core.WithSpanFilter(f)) }

// WithSpanObserver adds tags of your own at start and finish.
func WithSpanObserver(o SpanObserver) Option { return coreOption(core.WithSpanObserver(o)) }

// WithComponentName sets the component tag (default "database/sql").
func WithComponentName(name string) Option {
	return coreOption(core.WithComponentName[*Call](name))
}

// WithChildSpansOnly traces only calls whose ctx already holds a span; a
// transaction's commit and rollback follow its BeginTx context.
func WithChildSpansOnly() Option { return coreOption(core.WithChildSpansOnly[*Call]()) }

// WithErrorPolicy decides which failures mark a span as an error. The default
// treats every error except sql.ErrNoRows and io.EOF as one.
func WithErrorPolicy(f func(call *Call, err error) bool) Option {
	return coreOption(core.WithErrorPolicy(f))
}

// WithMaxStatementSize caps db.statement and db.args in bytes (default 4096).
func WithMaxStatementSize(n int) Option {
	return coreOption(core.WithMaxStatementSize[*Call](n))
}

// WithOptionalSpans enables spans that are off by default because they are
// frequent and rarely interesting: OpConnect, OpPing, OpResetSession. Other
// values are ignored. A failed connect under a span is traced without it.
func WithOptionalSpans(ops ...Op) Option {
	return func(c *config) {
		for _, op := range ops {
			switch op {
			case OpConnect, OpPing, OpResetSession:
				c.optional[op] = true
			}
		}
	}
}

// WithPayloadCapture records the statements' argument values in the db.args
// tag, formatted by FormatArgs: strings quoted and capped, []byte shown as
// its length only, the whole capped by WithMaxStatementSize. Off by default:
// arguments often hold personal data or secrets.
func WithPayloadCapture() Option { return WithArgsFormatter(FormatArgs) }

// WithArgsFormatter records the arguments through f (nil turns recording
// off). f runs only for sampled spans and its result is capped again.
func WithArgsFormatter(f ArgsFormatter) Option { return func(c *config) { c.args = f } }

// CommentForm selects what WithTraceComment writes; forms combine with |
// or as several arguments.
type CommentForm uint8

const (
	// CommentInjected is every entry the tracer injects, baggage left out:
	// uber-trace-id for jaeger, and traceparent/tracestate as well when the
	// tracer propagates W3C Trace Context (tracing.Init's does by default).
	CommentInjected CommentForm = 1 << iota
	// CommentTraceparent is the W3C form only: traceparent (and tracestate
	// when the tracer injects one), which sqlcommenter-aware database proxies
	// and slow-query tools read. A tracer that does not inject traceparent
	// (jaeger with its own propagator, mocktracer) gets one derived from its
	// span context's trace and span ids, when the context exposes them.
	CommentTraceparent
)

// WithTraceComment appends the span's trace context to every statement the
// application sends on a connection (query, exec, prepare) as an SQL comment
// in sqlcommenter style, e.g. /*uber-trace-id='4bf9...%3A1'*/ or
// /*traceparent='00-4bf9...-00f0...-01'*/, so a slow-query log line or a
// processlist entry can be tied to its trace. forms selects what is written
// (none: CommentInjected). Only sampled spans add it. It changes the
// statement text the server sees, which defeats server-side statement caches
// keyed by text; statements prepared once carry the trace of their prepare
// call.
func WithTraceComment(forms ...CommentForm) Option {
	return func(c *config) {
		c.traceComment = 0
		for _, f := range forms {
			c.traceComment |= f & (CommentInjected | CommentTraceparent)
		}
		if c.traceComment == 0 {
			c.traceComment = CommentInjected
		}
	}
}

// WithDSN gives the data source name the peer.*, db.instance and db.user tags
// are read from when the wrapper cannot see one (WrapConnector, OpenDB with a
// connector built from a config struct). The password is never used.
func WithDSN(dsn string) Option {
	return func(c *config) {
		info := parseDSN(dsn)
		c.dsn = &info
	}
}
