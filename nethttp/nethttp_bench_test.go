package nethttp

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/tracewrap/tracewrap/internal/tracetest"
)

// Per-call overhead of the wrappers against the bare handler and transport,
// in process (no network) so the difference is the wrapper's own cost, and
// over loopback for the end-to-end picture.

// discardWriter is the cheapest possible ResponseWriter.
type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(int)             {}

func BenchmarkServer(b *testing.B) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) })
	req := httptest.NewRequest("GET", "/orders/7?x=1", nil)
	req.RemoteAddr = "10.0.0.1:5555"
	w := &discardWriter{h: http.Header{}}
	run := func(b *testing.B, h http.Handler, bt tracetest.BenchTracer) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			h.ServeHTTP(w, req)
			bt.Trim(i)
		}
	}
	b.Run("bare", func(b *testing.B) { run(b, h, tracetest.Bare) })
	for _, bt := range tracetest.BenchTracers() {
		b.Run(bt.Name, func(b *testing.B) { run(b, Middleware(bt.Tracer(b), h), bt) })
	}
}

// stubTransport answers every request with an empty 200, without a network.
type stubTransport struct{}

func (stubTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Body: http.NoBody, Request: r}, nil
}

func BenchmarkClient(b *testing.B) {
	req, _ := http.NewRequest("GET", "http://orders.internal:8080/orders/7?x=1", nil)
	run := func(b *testing.B, rt http.RoundTripper, bt tracetest.BenchTracer) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			resp, err := rt.RoundTrip(req)
			if err != nil {
				b.Fatal(err)
			}
			resp.Body.Close()
			bt.Trim(i)
		}
	}
	b.Run("bare", func(b *testing.B) { run(b, stubTransport{}, tracetest.Bare) })
	for _, bt := range tracetest.BenchTracers() {
		b.Run(bt.Name, func(b *testing.B) { run(b, NewTransport(stubTransport{}, WithTracer(bt.Tracer(b))), bt) })
	}
}

// BenchmarkLoopback is a whole request over 127.0.0.1, traced on both sides.
func BenchmarkLoopback(b *testing.B) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	run := func(b *testing.B, srvH http.Handler, rt func(http.RoundTripper) http.RoundTripper, bt tracetest.BenchTracer) {
		srv := httptest.NewServer(srvH)
		defer srv.Close()
		base := &http.Transport{}
		defer base.CloseIdleConnections()
		c := &http.Client{Transport: rt(base)}
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			resp, err := c.Get(srv.URL + "/x")
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			bt.Trim(i)
		}
	}
	b.Run("bare", func(b *testing.B) {
		run(b, h, func(rt http.RoundTripper) http.RoundTripper { return rt }, tracetest.Bare)
	})
	for _, bt := range tracetest.BenchTracers() {
		b.Run(bt.Name, func(b *testing.B) {
			tr := bt.Tracer(b)
			run(b, Middleware(tr, h), func(rt http.RoundTripper) http.RoundTripper { return NewTransport(rt, WithTracer(tr)) }, bt)
		})
	}
}
