package nethttp

import (
	"net/http"
	"net/textproto"
	"strings"

	"github.com/opentracing/opentracing-go"

	"github.com/tracewrap/tracewrap/internal/core"
)

// Option configures Middleware, MiddlewareFunc, NewTransport and WrapClient.
// The same options work on both sides; options that only make sense on one
// side are ignored by the other.
type Option func(*config)

// SpanObserver adds tags of your own when a span starts and before it
// finishes. The request is the one being served or sent; on finish err is the
// failure (a *StatusError for 4xx/5xx, a *PanicError, a transport or body
// read error), nil on success.
type SpanObserver = core.SpanObserver[*http.Request]

// config collects the options: the shared ones are kept as core options and
// resolved by core.New for each side, the package's own ones are plain fields.
type config struct {
	core        []core.Option[*http.Request]
	named       bool // the user names spans: route patterns do not rename them
	keepQuery   bool
	clientTrace bool
	headers     []string // canonical header names to tag, credentials removed
}

// settings is the resolved, immutable configuration of one Middleware or
// Transport.
type settings struct {
	*core.Config[*http.Request]
	named       bool
	keepQuery   bool
	clientTrace bool
	headers     []headerTag
}

type headerTag struct {
	name   string // canonical header name
	reqTag string // http.request.header.<name>
	resTag string // http.response.header.<name>
}

func newSettings(d core.Defaults[*http.Request], opts []Option) *settings {
	var c config
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	s := &settings{
		Config:      core.New(d, c.core...),
		named:       c.named,
		keepQuery:   c.keepQuery,
		clientTrace: c.clientTrace,
	}
	for _, h := range c.headers {
		lc := strings.ToLower(h)
		s.headers = append(s.headers, headerTag{h, "http.request.header." + lc, "http.response.header." + lc})
	}
	return s
}

// noop reports whether the tracer in effect records nothing, so a call can
// take the bare path before any other work.
func (s *settings) noop() bool {
	_, ok := s.Tracer().(opentracing.NoopTracer)
	return ok
}

func coreOption(o core.Option[*http.Request]) Option {
	return func(c *config) { c.core = append(c.core, o) }
}

// WithTracer sets the tracer. nil or absent means opentracing.GlobalTracer(),
// looked up on every request so a tracer installed later is used.
func WithTracer(tr opentracing.Tracer) Option {
	return coreOption(core.WithTracer[*http.Request](tr))
}

// WithOperationName names every span name instead of "HTTP GET". A fixed name
// also stops the server from renaming spans after the matched route.
func WithOperationName(name string) Option {
	return func(c *config) {
		c.named = name != ""
		c.core = append(c.core, core.WithOperationName[*http.Request](name))
	}
}

// WithOperationNameFunc derives the span name from the request (keep it
// low-cardinality: no ids). A func returning "" keeps the default. It also
// stops the server from renaming spans after the matched route.
func WithOperationNameFunc(f func(r *http.Request) string) Option {
	return func(c *config) {
		c.named = f != nil
		c.core = append(c.core, core.WithOperationNameFunc(f))
	}
}

// WithSpanFilter skips tracing requests for which f returns false (health
// checks, metrics scrapes). The request itself is served or sent as usual.
func WithSpanFilter(f func(r *http.Request) bool) Option {
	return coreOption(core.WithSpanFilter(f))
}

// WithSpanObserver adds an observer; several run in the order given.
func WithSpanObserver(o SpanObserver) Option { return coreOption(core.WithSpanObserver(o)) }

// WithComponentName sets the component tag (default "net/http").
func WithComponentName(name string) Option {
	return coreOption(core.WithComponentName[*http.Request](name))
}

// WithChildSpansOnly traces only requests that have a parent: for the server,
// requests that carried a trace context; for the client, requests whose
// context holds a span. Untraced client requests carry no trace headers.
func WithChildSpansOnly() Option { return coreOption(core.WithChildSpansOnly[*http.Request]()) }

// WithErrorPolicy decides which failures mark a span as an error. By default
// every transport error, panic and 5xx response is one, 4xx responses are not.
// Status codes reach the policy as *StatusError. nil restores the default.
func WithErrorPolicy(f func(r *http.Request, err error) bool) Option {
	return coreOption(core.WithErrorPolicy(f))
}

// WithMaxStatementSize caps the http.url tag and header tag values in bytes
// (default 4096).
func WithMaxStatementSize(n int) Option {
	return coreOption(core.WithMaxStatementSize[*http.Request](n))
}

// WithQueryValues keeps query values in the http.url tag. By default every
// value is replaced by "REDACTED" because query strings routinely carry tokens
// and personal data; only the parameter names are kept.
func WithQueryValues() Option { return func(c *config) { c.keepQuery = true } }

// WithClientTrace logs connection events of client requests (DNS, connect,
// TLS handshake, connection reuse, request written, first response byte) on
// the span, through net/http/httptrace. Unsampled spans skip it.
func WithClientTrace() Option { return func(c *config) { c.clientTrace = true } }

// WithHeaderTags tags the named request and response headers as
// http.request.header.<name> and http.response.header.<name>. Credential
// headers (Authorization, Cookie, Set-Cookie, Proxy-Authorization, and names
// that look like tokens, keys, secrets or sessions) are never tagged, even
// when listed.
func WithHeaderTags(names ...string) Option {
	return func(c *config) {
		for _, n := range names {
			n = textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(n))
			if n != "" && !core.IsSensitiveKey(n) {
				c.headers = append(c.headers, n)
			}
		}
	}
}
