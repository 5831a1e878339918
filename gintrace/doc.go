// Package gintrace traces gin (github.com/gin-gonic/gin) servers: one
// middleware, the same server spans as nethttp.Middleware, named after the
// route gin matched.
//
// The one-line change:
//
//	r := gin.New()
//	r.Use(gintrace.Middleware()) // was: http.ListenAndServe(addr, nethttp.Middleware(nil, r))
//
// Wrapping the engine with nethttp.Middleware instead names every span
// "HTTP GET": the span starts before gin routed the request.
//
// Handlers pass the request's context on as usual, and may pass c itself:
//
//	func getOrder(c *gin.Context) {
//		out, err := orders.Get(c, &pb.GetRequest{Id: c.Param("id")}) // gRPC client span, child of the request's
//		rows, err := db.QueryContext(c.Request.Context(), q, id)       // the same
//	}
//
// gin's *gin.Context is a context.Context whose Value, with the engine's
// default ContextWithFallback=false, answers only the string keys set with
// c.Set: a span put in the request's context alone would not be found
// through c, and every call made with c would start a new trace. Middleware
// therefore also sets the span into c under a string key that tracewrap's
// wrappers look up when the usual opentracing key finds nothing; so every
// tracewrap wrapper, and SpanFromContext, find the span in c, in
// c.Request.Context(), and in contexts derived from either (a context derived
// from c carries no deadline or cancellation of the request unless
// ContextWithFallback is on: that is gin's behaviour). Code that calls
// opentracing.SpanFromContext(c) itself finds nothing unless
// ContextWithFallback is on; use SpanFromContext, or c.Request.Context().
//
// Spans: "HTTP GET /orders/:id" (the route pattern, also tagged http.route);
// "HTTP GET (unmatched)" for requests that matched no route, whatever their
// path (gin's 404 and 405 answers, NoRoute and NoMethod handlers), so probes
// of missing paths neither look like a route nor make a name per path. Tags,
// options and redaction are nethttp.Middleware's (component "gin");
// WithOperationName and WithOperationNameFunc replace the route name.
//
// Requests gin answers without running any middleware (its automatic
// redirects for a trailing slash or a fixed path) are not traced.
//
// gintrace is a Go module of its own, so programs that do not import it do
// not get gin in their module graph.
package gintrace
