package gintrace

import (
	"context"

	"github.com/gin-gonic/gin"
	"github.com/opentracing/opentracing-go"

	"github.com/tracewrap/tracewrap/internal/core"
	"github.com/tracewrap/tracewrap/nethttp"
)

// Option configures Middleware. Every nethttp option works
// (nethttp.WithTracer, nethttp.WithSpanFilter, nethttp.WithHeaderTags,
// nethttp.WithQueryValues, nethttp.WithErrorPolicy, ...), with the meaning
// it has for nethttp.Middleware.
type Option = nethttp.Option

// Component is the default component tag of gin's server spans
// (nethttp.WithComponentName changes it).
const Component = "gin"

// Middleware traces every request the engine serves, as nethttp.Middleware
// does (the span is started by the same code, with the same options, tags,
// redaction, error policy and unsampled fast path), but from inside gin, so
// that:
//
//   - the span is named after the route gin matched, "HTTP GET /orders/:id",
//     and tagged http.route; a request that matched no route (gin's 404 and
//     405 answers, NoRoute handlers) is named "HTTP GET (unmatched)";
//   - the status is the one gin sends, also when gin writes it after the
//     handlers returned (404, 405, a handler that only called c.Status);
//   - the span is in c.Request.Context() and also reachable from c itself:
//     pass c as the ctx of any tracewrap-wrapped call (gRPC, HTTP client,
//     SQL, Redis, Elasticsearch, RocketMQ) and the call is a child of the
//     request's span, with gin's default ContextWithFallback=false, under
//     which c.Value answers only string keys (c.Keys) and
//     opentracing.SpanFromContext(c) finds nothing. SpanFromContext finds it
//     in both.
//
// A panic is recorded on the span (error, the panic value) and goes on to
// the recovery middleware, in either order with gin.Recovery(): registered
// before Middleware, Recovery sees the panic after the span is finished;
// registered after it, Recovery answers 500, which fails the span.
//
// Register it first, with r.Use, so it sees the other middleware's work:
//
//	r := gin.New()
//	r.Use(gintrace.Middleware(), gin.Recovery())
func Middleware(opts ...Option) gin.HandlerFunc {
	all := make([]Option, 0, len(opts)+1)
	all = append(all, nethttp.WithComponentName(Component))
	t := nethttp.NewServerTracer(append(all, opts...)...)
	return func(c *gin.Context) {
		q, r := t.Start(c.Request, c.FullPath())
		span := q.Span()
		if span == nil {
			c.Next()
			return
		}
		c.Request = r
		c.Set(core.SpanKey, span)
		defer func() {
			if p := recover(); p != nil {
				status := 0
				if c.Writer.Written() {
					status = c.Writer.Status()
				}
				q.FinishPanic(status, p)
				panic(p)
			}
		}()
		c.Next()
		q.Finish(c.Writer.Status(), c.Writer.Header())
	}
}

// SpanFromContext returns the span of the request that ctx belongs to: ctx
// may be the *gin.Context of a handler behind Middleware (whatever its
// engine's ContextWithFallback), its c.Request.Context(), or any context
// derived from them; a span set with opentracing.ContextWithSpan on a
// derived context wins. nil when there is none.
func SpanFromContext(ctx context.Context) opentracing.Span { return core.SpanFromContext(ctx) }
