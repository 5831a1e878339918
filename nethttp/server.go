package nethttp

import (
	"net/http"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"github.com/opentracing/opentracing-go/log"

	"github.com/tracewrap/tracewrap/internal/core"
)

// serverDefaults: server spans; 5xx and panics are errors, 4xx are not.
var serverDefaults = core.Defaults[*http.Request]{
	Component: "net/http",
	Kind:      ext.SpanKindRPCServerEnum,
	IsError:   defaultIsError,
}

// Middleware traces every request h serves: it continues the caller's trace
// from the request headers (a missing or corrupt context starts a new trace),
// puts the server span in the request's context for h and everything it
// calls, and finishes it when h returns.
//
// tr is the tracer; nil means opentracing.GlobalTracer(), looked up on every
// request. tr is applied as if it were the first option, so a WithTracer
// among opts overrides it.
func Middleware(tr opentracing.Tracer, h http.Handler, opts ...Option) http.Handler {
	if h == nil {
		h = http.DefaultServeMux
	}
	all := make([]Option, 0, len(opts)+1)
	all = append(all, WithTracer(tr))
	return &handler{next: h, s: newSettings(serverDefaults, append(all, opts...))}
}

// MiddlewareFunc is Middleware for a handler function.
func MiddlewareFunc(tr opentracing.Tracer, fn http.HandlerFunc, opts ...Option) http.HandlerFunc {
	return Middleware(tr, fn, opts...).ServeHTTP
}

type handler struct {
	next http.Handler
	s    *settings
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.s.noop() {
		h.next.ServeHTTP(w, r)
		return
	}
	span, v, sampled := h.s.startServer(r, operationName(r.Method))
	if span == nil {
		h.next.ServeHTTP(w, r)
		return
	}
	rw := &responseWriter{ResponseWriter: w}
	r2 := r.WithContext(opentracing.ContextWithSpan(r.Context(), span))
	defer func() {
		if p := recover(); p != nil {
			h.s.finishPanic(span, v, r2, rw.status, p)
			panic(p)
		}
	}()
	h.next.ServeHTTP(rw.wrap(), r2)
	h.finish(span, v, r2, rw, sampled)
}

// startServer starts the server span of r, named def unless the user names
// spans, and tags the request; v is the span's tag vocabulary and sampled
// says whether the span records (an unsampled one is not tagged). A nil
// span when r is not traced.
func (s *settings) startServer(r *http.Request, def string) (span opentracing.Span, v *core.Vocab, sampled bool) {
	span = s.StartRemote(r, opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(r.Header), def)
	if span == nil {
		return nil, nil, false
	}
	sampled = core.IsSampled(span)
	v = core.VocabOf(span)
	if sampled {
		tagMethod(span, v, r.Method)
		tagServerURL(span, v, r.URL, s.keepQuery, maxURLLen(s))
		core.ParsePeer(r.RemoteAddr).ApplyClient(span, v)
		tagHeaders(span, r.Header, s.headers, false, s.MaxStatementSize)
	}
	return span, v, sampled
}

func (h *handler) finish(span opentracing.Span, v *core.Vocab, r *http.Request, rw *responseWriter, sampled bool) {
	if rw.hijacked {
		v.Set(span, core.KeyHTTPHijacked, true)
		h.s.Finish(span, r, nil, time.Time{})
		return
	}
	var name, route string
	if sampled && r.Pattern != "" && !h.s.named {
		name, route = routeName(r.Method, r.Pattern), r.Pattern
		if v.OTel() { // the path template alone, as the semantic conventions say
			route = routePath(route)
		}
	}
	h.s.finishServer(span, v, r, rw.status, rw.Header(), sampled, name, route)
}

// finishServer tags the response and finishes span. code 0 means nothing was
// written (net/http then sends 200). A sampled span is renamed to name, when
// set, and tagged with route, when set.
func (s *settings) finishServer(span opentracing.Span, v *core.Vocab, r *http.Request, code int, header http.Header, sampled bool, name, route string) {
	if code == 0 {
		code = http.StatusOK // net/http sends 200 for a handler that wrote nothing
	}
	tagStatus(span, v, code)
	if sampled {
		if name != "" {
			span.SetOperationName(name)
		}
		if route != "" {
			v.Set(span, core.KeyHTTPRoute, route)
		}
		tagHeaders(span, header, s.headers, true, s.MaxStatementSize)
	}
	s.Finish(span, r, statusErr(code), time.Time{})
}

// finishPanic records a handler's panic; http.ErrAbortHandler, the sanctioned
// way to abort a response, is logged but is not an error. code is the status
// already sent, 0 if none.
func (s *settings) finishPanic(span opentracing.Span, v *core.Vocab, r *http.Request, code int, p any) {
	if code != 0 {
		tagStatus(span, v, code)
	}
	if p == http.ErrAbortHandler {
		span.LogFields(log.String("event", "handler aborted"))
		s.Finish(span, r, nil, time.Time{})
		return
	}
	s.Finish(span, r, &PanicError{Value: p}, time.Time{})
}

// maxURLLen bounds the http.url tag.
func maxURLLen(s *settings) int { return s.MaxStatementSize }
