// Package httpbench compares nethttp with the bare net/http client and server
// and with opentracing-contrib/go-stdlib/nethttp ("otstdlib").
//
// otstdlib's client runs with ClientTrace(false): its default logs about ten
// httptrace events per request, which ours does only with WithClientTrace, so
// that is the like-for-like set-up. It still makes two spans per request (an
// "HTTP Client" span around every hop's span) where ours makes one.
package httpbench

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	otstdlib "github.com/opentracing-contrib/go-stdlib/nethttp"
	"github.com/opentracing/opentracing-go"

	"github.com/tracewrap/tracewrap/bench/internal/tracers"
	"github.com/tracewrap/tracewrap/nethttp"
)

const target = "http://orders.internal:8080/orders/7?x=1"

// discardWriter is the cheapest ResponseWriter.
type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(int)             {}

func okHandler(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") }

// BenchmarkHTTPServer is the server middleware alone, in process: a request
// carrying the caller's trace context is served by a handler that writes
// "ok".
func BenchmarkHTTPServer(b *testing.B) {
	h := http.HandlerFunc(okHandler)
	run := func(b *testing.B, st *tracers.Stack, mw http.Handler) {
		req := httptest.NewRequest("GET", "/orders/7?x=1", nil)
		req.RemoteAddr = "10.0.0.1:5555"
		if st != nil {
			parent := st.OT.StartSpan("caller")
			defer parent.Finish()
			st.OT.Inject(parent.Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(req.Header))
		}
		w := &discardWriter{h: http.Header{}}
		b.ReportAllocs()
		for b.Loop() {
			mw.ServeHTTP(w, req)
			if st != nil {
				st.Tick()
			}
		}
	}
	b.Run("tracer=none/impl=bare", func(b *testing.B) { run(b, nil, h) })
	for _, st := range tracers.All(b) {
		b.Run("tracer="+st.Name+"/impl=tracewrap", func(b *testing.B) { run(b, st, nethttp.Middleware(st.OT, h)) })
		b.Run("tracer="+st.Name+"/impl=otstdlib", func(b *testing.B) { run(b, st, otstdlib.Middleware(st.OT, h)) })
	}
}

// stubTransport answers every request with a two-byte 200, without a
// network.
type stubTransport struct{}

func (stubTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader("ok")), ContentLength: 2, Request: r}, nil
}

// roundTrip sends req the way each implementation is used.
type roundTrip func(req *http.Request) (*http.Response, error)

func bareRT(rt http.RoundTripper) roundTrip { return rt.RoundTrip }

func tracewrapRT(st *tracers.Stack, rt http.RoundTripper) roundTrip {
	return nethttp.NewTransport(rt, nethttp.WithTracer(st.OT)).RoundTrip
}

// otstdlib needs TraceRequest on every request and Finish once its response
// is done; the Finish is in the response's Close here.
func otstdlibRT(st *tracers.Stack, rt http.RoundTripper) roundTrip {
	t := &otstdlib.Transport{RoundTripper: rt}
	return func(req *http.Request) (*http.Response, error) {
		req, ht := otstdlib.TraceRequest(st.OT, req, otstdlib.ClientTrace(false))
		resp, err := t.RoundTrip(req)
		if err != nil {
			ht.Finish()
			return nil, err
		}
		resp.Body = &finishOnClose{ReadCloser: resp.Body, ht: ht}
		return resp, nil
	}
}

type finishOnClose struct {
	io.ReadCloser
	ht *otstdlib.Tracer
}

func (f *finishOnClose) Close() error {
	err := f.ReadCloser.Close()
	f.ht.Finish()
	return err
}

// clientCtx is the ctx of a request sent while serving one: cancellable and,
// when traced, holding the caller's span.
func clientCtx(b *testing.B, st *tracers.Stack) context.Context {
	ctx := context.Background()
	if st != nil {
		ctx = st.Parent(b)
	}
	ctx, cancel := context.WithCancel(ctx)
	b.Cleanup(cancel)
	return ctx
}

// BenchmarkHTTPClient is the client transport alone, in process: the request
// goes to a stub transport and the two-byte body is read and closed.
func BenchmarkHTTPClient(b *testing.B) {
	run := func(b *testing.B, st *tracers.Stack, rt roundTrip) {
		req, _ := http.NewRequestWithContext(clientCtx(b, st), "GET", target, nil)
		buf := make([]byte, 16)
		b.ReportAllocs()
		for b.Loop() {
			resp, err := rt(req)
			if err != nil {
				b.Fatal(err)
			}
			for {
				if _, err := resp.Body.Read(buf); err != nil {
					break
				}
			}
			resp.Body.Close()
			if st != nil {
				st.Tick()
			}
		}
	}
	b.Run("tracer=none/impl=bare", func(b *testing.B) { run(b, nil, bareRT(stubTransport{})) })
	for _, st := range tracers.All(b) {
		b.Run("tracer="+st.Name+"/impl=tracewrap", func(b *testing.B) { run(b, st, tracewrapRT(st, stubTransport{})) })
		b.Run("tracer="+st.Name+"/impl=otstdlib", func(b *testing.B) { run(b, st, otstdlibRT(st, stubTransport{})) })
	}
}

// BenchmarkHTTPLoopback is a whole GET over 127.0.0.1 (httptest), traced on
// both sides by the same implementation.
func BenchmarkHTTPLoopback(b *testing.B) {
	run := func(b *testing.B, st *tracers.Stack, srvH http.Handler, client func(http.RoundTripper) roundTrip) {
		srv := httptest.NewServer(srvH)
		defer srv.Close()
		base := &http.Transport{}
		defer base.CloseIdleConnections()
		rt := client(base)
		req, _ := http.NewRequestWithContext(clientCtx(b, st), "GET", srv.URL+"/orders/7?x=1", nil)
		b.ReportAllocs()
		for b.Loop() {
			resp, err := rt(req)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if st != nil {
				st.Tick()
			}
		}
	}
	h := http.HandlerFunc(okHandler)
	b.Run("tracer=none/impl=bare", func(b *testing.B) { run(b, nil, h, bareRT) })
	for _, st := range tracers.All(b) {
		b.Run("tracer="+st.Name+"/impl=tracewrap", func(b *testing.B) {
			run(b, st, nethttp.Middleware(st.OT, h), func(rt http.RoundTripper) roundTrip { return tracewrapRT(st, rt) })
		})
		b.Run("tracer="+st.Name+"/impl=otstdlib", func(b *testing.B) {
			run(b, st, otstdlib.Middleware(st.OT, h), func(rt http.RoundTripper) roundTrip { return otstdlibRT(st, rt) })
		})
	}
}
