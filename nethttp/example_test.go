package nethttp_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/mocktracer"

	"github.com/tracewrap/tracewrap/nethttp"
)

// The swap on both sides: wrap the server's handler, give the client a traced
// transport. The server span is the client span's child.
func Example() {
	tracer := mocktracer.New() // in a service: tr, closer, _ := tracing.Init("order-srv")

	mux := http.NewServeMux()
	mux.HandleFunc("GET /orders/{id}", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "order "+r.PathValue("id"))
	})
	srv := httptest.NewServer(nethttp.Middleware(tracer, mux)) // was: httptest.NewServer(mux)
	defer srv.Close()

	transport := nethttp.NewTransport(nil, nethttp.WithTracer(tracer))
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport} // was: &http.Client{}

	root := tracer.StartSpan("checkout")
	ctx := opentracing.ContextWithSpan(context.Background(), root)
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/orders/7?token=abc", nil)
	resp, err := client.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	root.Finish()

	fmt.Println(string(body))
	for _, s := range tracer.FinishedSpans() {
		fmt.Println(s.OperationName, s.Tag("span.kind"), s.Tag("http.status_code"))
	}
	server := tracer.FinishedSpans()[0]
	fmt.Println("url tag:", server.Tag("http.url"))
	// Output:
	// order 7
	// HTTP GET /orders/{id} server 200
	// HTTP GET client 200
	// checkout <nil> <nil>
	// url tag: /orders/7?token=REDACTED
}

// WrapClient traces a client you already have, keeping its settings.
func ExampleWrapClient() {
	client := nethttp.WrapClient(http.DefaultClient, nethttp.WithClientTrace())
	_ = client // use it as before; pass request contexts that carry a span
}
