package redistrace

import (
	"github.com/go-redis/redis/v8"
	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"

	"github.com/tracewrap/tracewrap/internal/core"
)

// Option configures the hook and the traced constructors. The options shared
// by every tracewrap package (WithTracer, WithSpanFilter, ...) and the ones
// only this package has are the same type, so they mix in one list. A nil
// Option is ignored.
type Option func(*config)

// SpanObserver adds tags of your own when a span starts and right before it
// finishes.
type SpanObserver = core.SpanObserver[*Call]

// StatementMode says how much of a command goes into db.statement.
type StatementMode int

const (
	// StatementFull shows the command with its arguments, each capped, with
	// credentials redacted. The default.
	StatementFull StatementMode = iota
	// StatementKeysOnly shows the command name and its keys; every other
	// argument (values, scores, scripts' arguments) becomes "?".
	StatementKeysOnly
	// StatementOmitted sets no db.statement at all.
	StatementOmitted
)

// Statement limits applied before db.statement is capped as a whole by
// WithMaxStatementSize, so a 10 MB value is never even copied.
const (
	DefaultMaxArgs             = 32  // arguments shown per command
	DefaultMaxArgLength        = 128 // bytes shown per argument
	DefaultMaxPipelineCommands = 16  // commands shown per pipeline
)

// config is one hook's resolved settings: the shared core options plus this
// package's own. Immutable once built.
type config struct {
	coreOpts []core.Option[*Call]
	core     *core.Config[*Call]

	mode            StatementMode
	maxArgs         int
	maxArgLen       int
	maxPipelineCmds int
	commandFilter   func(cmd redis.Cmder) bool
}

func newConfig(opts []Option) *config {
	c := &config{
		maxArgs:         DefaultMaxArgs,
		maxArgLen:       DefaultMaxArgLength,
		maxPipelineCmds: DefaultMaxPipelineCommands,
	}
	for _, o := range opts {
		if o != nil {
			o(c)
		}
	}
	c.core = core.New(core.Defaults[*Call]{
		Component: "go-redis",
		Kind:      ext.SpanKindRPCClientEnum,
		IsError:   isError,
		Leaf:      true, // commands carry no trace context to the server
	}, c.coreOpts...)
	c.coreOpts = nil
	return c
}

func coreOption(o core.Option[*Call]) Option {
	return func(c *config) { c.coreOpts = append(c.coreOpts, o) }
}

// WithTracer sets the tracer. nil (the default) means the global tracer,
// looked up on every call.
func WithTracer(tr opentracing.Tracer) Option { return coreOption(core.WithTracer[*Call](tr)) }

// WithOperationName replaces the command name as the span's operation name.
func WithOperationName(name string) Option {
	return coreOption(core.WithOperationName[*Call](name))
}

// WithOperationNameFunc derives the operation name from the call; "" keeps the
// default (the command name, or "pipeline"). Keep it low-cardinality.
func WithOperationNameFunc(f func(call *Call) string) Option {
	return coreOption(core.WithOperationNameFunc(f))
}

// WithSpanFilter returns false for calls that get no span; the call still runs.
func WithSpanFilter(f func(call *Call) bool) Option { return coreOption(core.WithSpanFilter(f)) }

// WithSpanObserver adds tags of your own at start and finish.
func WithSpanObserver(o SpanObserver) Option { return coreOption(core.WithSpanObserver(o)) }

// WithComponentName sets the component tag (default "go-redis").
func WithComponentName(name string) Option {
	return coreOption(core.WithComponentName[*Call](name))
}

// WithChildSpansOnly traces only commands whose ctx already holds a span.
func WithChildSpansOnly() Option { return coreOption(core.WithChildSpansOnly[*Call]()) }

// WithErrorPolicy decides which failures mark a span as an error. The default
// treats every error except redis.Nil (a missing key) as one.
func WithErrorPolicy(f func(call *Call, err error) bool) Option {
	return coreOption(core.WithErrorPolicy(f))
}

// WithMaxStatementSize caps db.statement in bytes (default 4096).
func WithMaxStatementSize(n int) Option {
	return coreOption(core.WithMaxStatementSize[*Call](n))
}

// WithStatementMode chooses how much of each command db.statement shows:
// StatementFull (default), StatementKeysOnly or StatementOmitted. Credentials
// are redacted in every mode; in the last two, the arguments a server error
// echoes are left out of the span's error log too.
func WithStatementMode(m StatementMode) Option {
	return func(c *config) {
		if m >= StatementFull && m <= StatementOmitted {
			c.mode = m
		}
	}
}

// WithMaxArgs caps how many arguments of one command db.statement shows; the
// rest are counted. n <= 0 keeps the default.
func WithMaxArgs(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.maxArgs = n
		}
	}
}

// WithMaxArgLength caps how many bytes of one argument db.statement shows; a
// longer argument is cut and its full length given. n <= 0 keeps the default.
func WithMaxArgLength(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.maxArgLen = n
		}
	}
}

// WithMaxPipelineCommands caps how many commands of a pipeline db.statement
// shows; the rest are counted. n <= 0 keeps the default.
func WithMaxPipelineCommands(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.maxPipelineCmds = n
		}
	}
}

// WithCommandFilter returns false for commands that are not to be traced (a
// health-check PING, say). A single command it rejects gets no span; in a
// pipeline, rejected commands are left out of db.statement and
// db.redis.commands, and a pipeline made only of rejected commands gets no
// span. The commands always run.
func WithCommandFilter(f func(cmd redis.Cmder) bool) Option {
	return func(c *config) { c.commandFilter = f }
}
