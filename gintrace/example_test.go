package gintrace_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/gin-gonic/gin"
	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/mocktracer"

	"github.com/tracewrap/tracewrap/gintrace"
	"github.com/tracewrap/tracewrap/nethttp"
)

// The one-line change: the middleware, first in the chain. Spans are named
// by route; requests that match none share one name.
func Example() {
	tracer := mocktracer.New() // for the example; without options: the global tracer (tracing.Init)

	r := gin.New()
	r.Use(gintrace.Middleware(nethttp.WithTracer(tracer)), gin.Recovery()) // was: nethttp.Middleware(nil, r)
	r.GET("/orders/:id", func(c *gin.Context) { c.String(http.StatusOK, "order "+c.Param("id")) })

	for _, path := range []string{"/orders/42", "/orders/43", "/.env"} {
		r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", path, nil))
	}
	for _, s := range tracer.FinishedSpans() {
		fmt.Println(s.OperationName, s.Tag("http.status_code"))
	}
	// Output:
	// HTTP GET /orders/:id 200
	// HTTP GET /orders/:id 200
	// HTTP GET (unmatched) 404
}

// c is a context holding the request's span, with gin's default settings:
// pass it to any tracewrap-wrapped call (here a stand-in for a gRPC client).
func ExampleSpanFromContext() {
	tracer := mocktracer.New()
	r := gin.New()
	r.Use(gintrace.Middleware(nethttp.WithTracer(tracer)))

	getOrder := func(ctx context.Context, id string) { // e.g. a grpctrace-wrapped client call
		span := gintrace.SpanFromContext(ctx)
		fmt.Println("parent of the call:", span.(*mocktracer.MockSpan).OperationName)
		fmt.Println("opentracing.SpanFromContext(c) finds it:", opentracing.SpanFromContext(ctx) != nil)
	}
	r.GET("/orders/:id", func(c *gin.Context) { getOrder(c, c.Param("id")) })
	r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/orders/42", nil))
	// Output:
	// parent of the call: HTTP GET /orders/:id
	// opentracing.SpanFromContext(c) finds it: false
}
