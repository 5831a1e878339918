package grpctrace

import (
	"context"
	"strings"

	"github.com/opentracing/opentracing-go"
	"google.golang.org/grpc/codes"

	"github.com/tracewrap/tracewrap/internal/core"
)

// Call describes one RPC to name funcs, filters, observers and error
// policies.
type Call struct {
	Method       string     // full method, "/package.Service/Method"
	ClientStream bool       // the client sends a stream of messages
	ServerStream bool       // the server sends a stream of messages
	Code         codes.Code // the RPC's status; OK until the call ends
}

// Option configures the interceptors. Client and server options are the same
// type; options that only make sense on one side are ignored by the other.
type Option func(*config)

// SpanObserver adds tags of your own when a span starts and before it
// finishes.
type SpanObserver = core.SpanObserver[Call]

// Decorator is called right before a span finishes, with the call's context,
// the full method, the request and response messages (nil for streams) and
// the RPC's error.
type Decorator func(ctx context.Context, span opentracing.Span, method string, req, resp any, err error)

// config collects the options: the shared ones are kept as core options and
// resolved by core.New for each side, the package's own ones are plain fields.
type config struct {
	core      []core.Option[Call]
	payloads  bool
	mdTags    bool
	mdKeys    []string // nil with mdTags: every key that is not a credential
	decorator Decorator
}

// settings is the resolved, immutable configuration of one side.
type settings struct {
	*core.Config[Call]
	payloads  bool
	mdTags    bool
	mdKeys    []mdTag
	decorator Decorator
}

type mdTag struct{ key, tag string }

func newSettings(d core.Defaults[Call], opts []Option) *settings {
	var c config
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	s := &settings{Config: core.New(d, c.core...), payloads: c.payloads, mdTags: c.mdTags, decorator: c.decorator}
	for _, k := range c.mdKeys {
		s.mdKeys = append(s.mdKeys, mdTag{k, mdTagPrefix + k})
	}
	return s
}

// traced reports whether call gets a span, before any per-call work.
func (s *settings) traced(call Call) bool {
	if _, noop := s.Tracer().(opentracing.NoopTracer); noop {
		return false
	}
	return s.Traced(call)
}

func coreOption(o core.Option[Call]) Option {
	return func(c *config) { c.core = append(c.core, o) }
}

// WithTracer sets the tracer. nil or absent means opentracing.GlobalTracer(),
// looked up on every call so a tracer installed later is used.
func WithTracer(tr opentracing.Tracer) Option { return coreOption(core.WithTracer[Call](tr)) }

// WithOperationName names every span instead of the full method.
func WithOperationName(name string) Option { return coreOption(core.WithOperationName[Call](name)) }

// WithOperationNameFunc derives the span name from the call; "" keeps the
// full method.
func WithOperationNameFunc(f func(Call) string) Option {
	return coreOption(core.WithOperationNameFunc(f))
}

// WithSpanFilter skips tracing calls for which f returns false;
// ExceptHealthChecks is a ready filter. The call itself always runs.
func WithSpanFilter(f func(Call) bool) Option { return coreOption(core.WithSpanFilter(f)) }

// WithSpanObserver adds an observer; several run in the order given.
func WithSpanObserver(o SpanObserver) Option { return coreOption(core.WithSpanObserver(o)) }

// WithComponentName sets the component tag (default "gRPC").
func WithComponentName(name string) Option {
	return coreOption(core.WithComponentName[Call](name))
}

// WithChildSpansOnly traces only calls that have a parent: on the client a
// span in the context, on the server a trace context in the metadata.
func WithChildSpansOnly() Option { return coreOption(core.WithChildSpansOnly[Call]()) }

// WithErrorPolicy decides which failed calls mark their span as an error.
// The call's Code is set; err is the RPC's error. By default the client flags
// every code but OK and Canceled, the server flags Unknown,
// DeadlineExceeded, Unimplemented, Internal, Unavailable and DataLoss (codes
// that mean the server failed, not the caller). nil restores the default.
func WithErrorPolicy(f func(c Call, err error) bool) Option {
	return coreOption(core.WithErrorPolicy(f))
}

// WithMaxStatementSize caps payload logs and metadata tags in bytes (default
// 4096).
func WithMaxStatementSize(n int) Option { return coreOption(core.WithMaxStatementSize[Call](n)) }

// WithPayloadCapture logs request and response messages on sampled spans
// (text format, capped by WithMaxStatementSize; at most 16 messages per
// stream, each within 2 KiB, so the span stays small enough for the Jaeger
// agent). Off by default: messages may carry personal data.
func WithPayloadCapture() Option { return func(c *config) { c.payloads = true } }

// WithMetadataTags tags request metadata as grpc.metadata.<key>: the listed
// keys, or with no keys every key. Credentials (authorization, cookie,
// x-api-key and keys that look like tokens, secrets, passwords or sessions),
// binary (-bin) keys, gRPC's reserved keys and trace-context keys are never
// tagged, even when listed. With every key, at most 32 keys of up to 128
// bytes are tagged, each value capped at 256 bytes.
func WithMetadataTags(keys ...string) Option {
	return func(c *config) {
		c.mdTags = true
		for _, k := range keys {
			k = strings.ToLower(strings.TrimSpace(k))
			if k != "" && taggableKey(k) {
				c.mdKeys = append(c.mdKeys, k)
			}
		}
		if len(keys) > 0 && len(c.mdKeys) == 0 {
			c.mdTags = false // every listed key was refused
		}
	}
}

// WithSpanDecorator calls d right before each span finishes.
func WithSpanDecorator(d Decorator) Option { return func(c *config) { c.decorator = d } }

// ExceptHealthChecks is a span filter that skips the standard gRPC health
// service (grpc.health.v1.Health/Check and Watch):
//
//	grpctrace.ServerOptions(grpctrace.WithSpanFilter(grpctrace.ExceptHealthChecks))
func ExceptHealthChecks(c Call) bool {
	return !strings.HasPrefix(c.Method, "/grpc.health.v1.Health/")
}
