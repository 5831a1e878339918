package estrace

import (
	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"

	"github.com/tracewrap/tracewrap/internal/core"
)

// Option configures NewClient, NewTypedClient, NewInstrumentation and
// NewTransport. Options shared by every tracewrap package wrap the core ones;
// the estrace ones set fields of the package's own config. A nil Option is
// ignored.
type Option func(*config)

// SpanObserver adds tags of the user's own at span start and finish.
type SpanObserver = core.SpanObserver[*Request]

// config is the resolved option set: the shared core part plus estrace's own
// fields. Immutable after newConfig returns.
type config struct {
	coreOpts []core.Option[*Request]
	core     *core.Config[*Request]

	capture   bool                // db.statement / bulk summary for the endpoints below
	endpoints map[string]bodyKind // endpoint name -> how its body is recorded
	redact    func(r *Request, body string) string
	opaqueID  bool
}

// Component is the default component tag.
const Component = "go-elasticsearch"

func newConfig(opts []Option) *config {
	c := &config{capture: true, opaqueID: true, endpoints: defaultBodyEndpoints}
	for _, o := range opts {
		if o != nil {
			o(c)
		}
	}
	c.core = core.New(core.Defaults[*Request]{
		Component: Component,
		Kind:      ext.SpanKindRPCClientEnum,
		IsError:   defaultIsError,
	}, c.coreOpts...)
	return c
}

func shared(o core.Option[*Request]) Option {
	return func(c *config) { c.coreOpts = append(c.coreOpts, o) }
}

// WithTracer sets the tracer; nil or absent means opentracing.GlobalTracer()
// at the time of each call.
func WithTracer(tr opentracing.Tracer) Option { return shared(core.WithTracer[*Request](tr)) }

// WithOperationName replaces the endpoint name ("search", "index") as the
// operation name with a fixed one.
func WithOperationName(name string) Option { return shared(core.WithOperationName[*Request](name)) }

// WithOperationNameFunc derives the operation name from the request; "" keeps
// the endpoint name. Keep it low-cardinality: no ids or index names.
func WithOperationNameFunc(f func(r *Request) string) Option {
	return shared(core.WithOperationNameFunc(f))
}

// WithSpanFilter skips tracing requests for which f returns false.
func WithSpanFilter(f func(r *Request) bool) Option { return shared(core.WithSpanFilter(f)) }

// WithSpanObserver adds hooks that tag spans at start and finish.
func WithSpanObserver(o SpanObserver) Option { return shared(core.WithSpanObserver(o)) }

// WithComponentName sets the component tag (default "go-elasticsearch").
func WithComponentName(name string) Option { return shared(core.WithComponentName[*Request](name)) }

// WithChildSpansOnly traces only requests whose context already holds a span.
func WithChildSpansOnly() Option { return shared(core.WithChildSpansOnly[*Request]()) }

// WithErrorPolicy decides which failures mark a span as an error. It sees
// transport errors, *StatusError for 4xx/5xx responses and the typed client's
// errors. nil restores the default: everything but a 404 on GET/HEAD and a
// 409 conflict.
func WithErrorPolicy(f func(r *Request, err error) bool) Option {
	return shared(core.WithErrorPolicy(f))
}

// WithMaxStatementSize caps db.statement in bytes (default 4096). It is also
// how much of a request body is read to build it.
func WithMaxStatementSize(n int) Option { return shared(core.WithMaxStatementSize[*Request](n)) }

// WithStatementCapture turns request body capture on (the default) or off. On,
// search-like endpoints get their body, capped, as db.statement and bulk
// requests a summary (operations, bytes); no other endpoint's body is ever
// read, so documents, credentials and API keys sent to other endpoints never
// reach a span.
func WithStatementCapture(on bool) Option { return func(c *config) { c.capture = on } }

// WithCapturedEndpoints replaces the endpoints whose request body becomes
// db.statement (default: search, count, msearch, delete_by_query,
// update_by_query, explain, the template and async/eql/sql searches, ...).
// "bulk" keeps its summary whatever the list says.
func WithCapturedEndpoints(endpoints ...string) Option {
	return func(c *config) {
		m := make(map[string]bodyKind, len(endpoints)+1)
		for _, e := range endpoints {
			m[e] = bodyStatement
		}
		m["bulk"] = bodyBulkSummary
		c.endpoints = m
	}
}

// WithStatementRedactor rewrites a captured body before it becomes
// db.statement: f gets the body as read (at most the statement size cap, so
// possibly cut mid-JSON) and returns what to record; "" records nothing.
func WithStatementRedactor(f func(r *Request, body string) string) Option {
	return func(c *config) { c.redact = f }
}

// WithOpaqueID controls whether requests carry the trace id in X-Opaque-Id
// (default on) so Elasticsearch's slow logs, deprecation logs and tasks API
// can be tied to the trace. A caller's own X-Opaque-Id, set on the request or
// for every request in elasticsearch.Config.Header, is never replaced.
func WithOpaqueID(on bool) Option { return func(c *config) { c.opaqueID = on } }
