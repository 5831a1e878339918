package nethttp

import (
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/opentracing/opentracing-go"

	"github.com/tracewrap/tracewrap/internal/core"
)

// ServerTracer is Middleware for web frameworks that run a middleware chain
// of their own after routing (gin, echo, chi, ...): wrapping such a
// framework's handler with Middleware starts the span before the framework
// routed, so the span cannot be named by route, and the framework's writer,
// not the one Middleware wraps, knows the status. The framework's middleware
// calls Start when it runs and Finish (or FinishPanic) once the rest of the
// chain returned; spans, options, tags, redaction, error policy and the
// unsampled fast path are Middleware's. gintrace is built on it.
type ServerTracer struct {
	s     *settings
	names sync.Map // routeKey -> span name
	n     atomic.Int32
}

// maxRouteNames bounds the cache of span names: routes are the patterns a
// framework registered, so a few hundred at most.
const maxRouteNames = 4096

type routeKey struct{ op, route string }

// NewServerTracer returns a ServerTracer with Middleware's options
// (WithTracer, WithSpanFilter, WithHeaderTags, ...).
func NewServerTracer(opts ...Option) *ServerTracer {
	return &ServerTracer{s: newSettings(serverDefaults, opts)}
}

// ServerRequest is the server span of one request, from ServerTracer.Start.
// The zero value, for a request that is not traced, does nothing.
type ServerRequest struct {
	s       *settings
	span    opentracing.Span
	v       *core.Vocab
	r       *http.Request
	route   string
	sampled bool
}

// Start starts the server span of r as Middleware does: ChildOf the caller's
// context from r's headers (a missing or corrupt one starts a new trace). It
// returns r with the span in its context, for the handlers, or r itself
// when r is not traced.
//
// route is the route pattern the framework matched, such as "/orders/:id":
// the span is named after it ("HTTP GET /orders/:id") and tagged
// http.route. "" means that no route matched (a 404 or 405 the framework
// answers itself): the span is named "HTTP GET (unmatched)", so requests
// for paths that do not exist neither look like a real route nor make a
// name per path. WithOperationName and WithOperationNameFunc take
// precedence over both names.
func (t *ServerTracer) Start(r *http.Request, route string) (ServerRequest, *http.Request) {
	if t.s.noop() {
		return ServerRequest{}, r
	}
	span, v, sampled := t.s.startServer(r, t.spanName(r.Method, route))
	if span == nil {
		return ServerRequest{}, r
	}
	q := ServerRequest{s: t.s, span: span, v: v, sampled: sampled}
	if !t.s.named {
		q.route = route
	}
	q.r = r.WithContext(opentracing.ContextWithSpan(r.Context(), span))
	return q, q.r
}

// spanName is "HTTP GET /route", or "HTTP GET (unmatched)" for no route,
// made once per method and route.
func (t *ServerTracer) spanName(method, route string) string {
	k := routeKey{operationName(method), route}
	if v, ok := t.names.Load(k); ok {
		return v.(string)
	}
	var name string
	if route == "" {
		name = k.op + " (unmatched)"
	} else {
		name = k.op + " " + route
	}
	if t.n.Load() < maxRouteNames {
		if _, loaded := t.names.LoadOrStore(k, name); !loaded {
			t.n.Add(1)
		}
	}
	return name
}

// Span is the request's server span, nil when the request is not traced.
func (q ServerRequest) Span() opentracing.Span { return q.span }

// Finish tags the response and finishes the span. status is the response's
// status code (0: nothing was written, which net/http answers with 200), and
// header the response's header (for WithHeaderTags). A 5xx status marks the
// span as failed, unless WithErrorPolicy says otherwise.
func (q ServerRequest) Finish(status int, header http.Header) {
	if q.span == nil {
		return
	}
	q.s.finishServer(q.span, q.v, q.r, status, header, q.sampled, "", q.route)
}

// FinishPanic finishes the span of a request whose handler panicked with p,
// which is recorded as the error (http.ErrAbortHandler is logged, not an
// error), as Middleware does. status is the status already sent, 0 if none.
// The caller panics again afterwards, so the framework's recovery sees it.
func (q ServerRequest) FinishPanic(status int, p any) {
	if q.span == nil {
		return
	}
	if q.route != "" && q.sampled {
		q.v.Set(q.span, core.KeyHTTPRoute, q.route)
	}
	q.s.finishPanic(q.span, q.v, q.r, status, p)
}
