package nethttp

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"github.com/opentracing/opentracing-go/mocktracer"
	"github.com/uber/jaeger-client-go"

	"github.com/tracewrap/tracewrap/internal/testenv"
	"github.com/tracewrap/tracewrap/internal/tracetest"
)

var (
	clientKind = ext.SpanKindRPCClientEnum
	serverKind = ext.SpanKindRPCServerEnum
)

// A call from a traced client to a traced server: the server span is the
// client span's child, in its trace, and sees the caller's baggage.
func TestClientServerParentAndBaggage(t *testing.T) {
	tr := mocktracer.New()
	var baggage string
	srv := testenv.Serve(t, Middleware(tr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s := opentracing.SpanFromContext(r.Context()); s != nil {
			baggage = s.BaggageItem("tenant")
		}
		io.WriteString(w, "ok")
	})))
	root := tr.StartSpan("root")
	root.SetBaggageItem("tenant", "acme")
	ctx := opentracing.ContextWithSpan(context.Background(), root)
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/hello?token=s3cr3t&page=2", nil)
	if code, body := get(t, tracedClient(t, WithTracer(tr)), req); code != 200 || body != "ok" {
		t.Fatalf("%d %q", code, body)
	}
	root.Finish()
	if req.Header.Get("Uber-Trace-Id") != "" || len(req.Header) != 0 {
		t.Fatalf("caller's request was modified: %v", req.Header)
	}
	c, s := tracetest.WaitOne(t, tr, clientKind), tracetest.WaitOne(t, tr, serverKind)
	rootID := root.(*mocktracer.MockSpan).SpanContext.SpanID
	if c.ParentID != rootID || s.ParentID != c.SpanContext.SpanID || s.SpanContext.TraceID != c.SpanContext.TraceID {
		t.Fatalf("parents: root %d client %d<-%d server %d<-%d", rootID, c.SpanContext.SpanID, c.ParentID, s.SpanContext.SpanID, s.ParentID)
	}
	if baggage != "acme" {
		t.Fatalf("baggage %q", baggage)
	}
	if s.OperationName != "HTTP GET" || c.OperationName != "HTTP GET" {
		t.Fatalf("names %q %q", s.OperationName, c.OperationName)
	}
	if got := s.Tag("http.url"); got != "/hello?token=REDACTED&page=REDACTED" {
		t.Fatalf("server url %v", got)
	}
	if got := c.Tag("http.url"); got != srv.URL+"/hello?token=REDACTED&page=REDACTED" {
		t.Fatalf("client url %v", got)
	}
	for _, sp := range []*mocktracer.MockSpan{c, s} {
		if sp.Tag("http.status_code") != uint16(200) || sp.Tag("http.method") != "GET" || sp.Tag("component") != "net/http" ||
			sp.Tag("peer.ipv4") != "127.0.0.1" || sp.Tag("peer.port") == nil || sp.Tag("error") != nil {
			t.Fatalf("%v tags %v", sp.Tag("span.kind"), sp.Tags())
		}
	}
}

// The same with a real jaeger tracer on both sides: one trace id, the
// server's parent is the client span, baggage crosses.
func TestJaegerPropagation(t *testing.T) {
	tr, _ := tracetest.Jaeger(t, "nethttp-test", true)
	got := make(chan jaeger.SpanContext, 1)
	srv := testenv.Serve(t, Middleware(tr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sc := opentracing.SpanFromContext(r.Context()).Context().(jaeger.SpanContext)
		if opentracing.SpanFromContext(r.Context()).BaggageItem("tenant") != "acme" {
			w.WriteHeader(500)
		}
		got <- sc
	})))
	root := tr.StartSpan("root").SetBaggageItem("tenant", "acme")
	var clientSC jaeger.SpanContext
	c := tracedClient(t, WithTracer(tr), WithSpanObserver(SpanObserver{OnStart: func(s opentracing.Span, _ *http.Request) {
		clientSC = s.Context().(jaeger.SpanContext)
	}}))
	req, _ := http.NewRequestWithContext(opentracing.ContextWithSpan(context.Background(), root), "GET", srv.URL, nil)
	if code, _ := get(t, c, req); code != 200 {
		t.Fatalf("status %d (baggage lost?)", code)
	}
	sc := <-got
	if sc.TraceID() != root.Context().(jaeger.SpanContext).TraceID() || sc.ParentID() != clientSC.SpanID() {
		t.Fatalf("server %v, client %v", sc, clientSC)
	}
}

func TestServerStatusAndErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		h       http.HandlerFunc
		code    uint16
		isError bool
	}{
		{"no WriteHeader", func(http.ResponseWriter, *http.Request) {}, 200, false},
		{"write only", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "x") }, 200, false},
		{"404", http.NotFound, 404, false},
		{"503", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(503) }, 503, true},
		{"103 then 201", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(103); w.WriteHeader(201) }, 201, false},
		{"double WriteHeader", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(202); w.WriteHeader(500) }, 202, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := mocktracer.New()
			srv := testenv.Serve(t, Middleware(tr, tc.h))
			req, _ := http.NewRequest("GET", srv.URL, nil)
			get(t, &http.Client{Transport: baseTransport(t)}, req)
			s := tracetest.WaitOne(t, tr, serverKind)
			if s.Tag("http.status_code") != tc.code || (s.Tag("error") == true) != tc.isError {
				t.Fatalf("tags %v", s.Tags())
			}
			if tc.isError {
				if f := tracetest.ErrorLog(s); f["error.kind"] != "HTTP 503" || f["message"] != "503 Service Unavailable" {
					t.Fatalf("error log %v", f)
				}
			}
		})
	}
}

func TestServerPanic(t *testing.T) {
	tr := mocktracer.New()
	recoveredCh := make(chan any, 1)
	var recovered any
	inner := Middleware(tr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/abort" {
			panic(http.ErrAbortHandler)
		}
		panic("boom")
	}))
	outer := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			p := recover()
			recoveredCh <- p
			panic(p) // let net/http handle it as usual
		}()
		inner.ServeHTTP(w, r)
	})
	srv := testenv.Serve(t, outer)
	c := &http.Client{Transport: baseTransport(t)}
	if _, err := c.Get(srv.URL + "/boom"); err == nil {
		t.Fatal("a panicking handler produced a response")
	}
	if recovered = <-recoveredCh; recovered != "boom" {
		t.Fatalf("panic not re-raised with its value: %v", recovered)
	}
	s := tracetest.WaitOne(t, tr, serverKind)
	if f := tracetest.ErrorLog(s); s.Tag("error") != true || f["error.kind"] != "panic" || f["message"] != "panic: boom" {
		t.Fatalf("panic not recorded: %v %v", s.Tags(), f)
	}
	tr.Reset()
	c.Get(srv.URL + "/abort")
	recovered = <-recoveredCh
	s = tracetest.WaitOne(t, tr, serverKind)
	if s.Tag("error") != nil || recovered != http.ErrAbortHandler {
		t.Fatalf("ErrAbortHandler recorded as error: %v", s.Tags())
	}
}

func TestServerRoutePatternAndFilter(t *testing.T) {
	tr := mocktracer.New()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {})
	srv := testenv.Serve(t, Middleware(tr, mux, WithSpanFilter(func(r *http.Request) bool { return r.URL.Path != "/healthz" })))
	c := &http.Client{Transport: baseTransport(t)}
	for _, p := range []string{"/items/42", "/healthz", "/nowhere"} {
		resp, err := c.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	spans := tracetest.ByKind(tr, serverKind)
	if len(spans) != 2 {
		t.Fatalf("want 2 spans (health check filtered), got %d", len(spans))
	}
	if spans[0].OperationName != "HTTP GET /items/{id}" || spans[0].Tag("http.route") != "GET /items/{id}" {
		t.Fatalf("route: %q %v", spans[0].OperationName, spans[0].Tags())
	}
	if spans[1].OperationName != "HTTP GET" || spans[1].Tag("http.status_code") != uint16(404) {
		t.Fatalf("unmatched: %q %v", spans[1].OperationName, spans[1].Tags())
	}

	// A name option wins over the pattern.
	tr.Reset()
	srv2 := testenv.Serve(t, Middleware(tr, mux, WithOperationNameFunc(func(r *http.Request) string { return "items" })))
	resp, _ := c.Get(srv2.URL + "/items/1")
	resp.Body.Close()
	if n := tracetest.WaitOne(t, tr, serverKind).OperationName; n != "items" {
		t.Fatalf("name %q", n)
	}
}

// The wrapped writer keeps Flusher and Hijacker for http.ResponseController
// and for plain type assertions.
func TestServerResponseControllerFlushAndHijack(t *testing.T) {
	tr := mocktracer.New()
	flushed := make(chan struct{})
	srv := testenv.Serve(t, Middleware(tr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		switch r.URL.Path {
		case "/flush":
			io.WriteString(w, "part1")
			if err := rc.Flush(); err != nil {
				t.Errorf("flush: %v", err)
			}
			<-flushed // the client saw part1 before the handler returned
			if err := rc.SetWriteDeadline(time.Now().Add(time.Second)); err != nil {
				t.Errorf("deadline through Unwrap: %v", err)
			}
			io.WriteString(w, "part2")
		case "/hijack":
			if _, ok := w.(http.Hijacker); !ok {
				t.Error("Hijacker lost")
			}
			conn, buf, err := rc.Hijack()
			if err != nil {
				t.Errorf("hijack: %v", err)
				return
			}
			defer conn.Close()
			buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 8\r\nConnection: close\r\n\r\nhijacked")
			buf.Flush()
		}
	})))
	c := &http.Client{Transport: baseTransport(t)}
	resp, err := c.Get(srv.URL + "/flush")
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 5)
	if _, err := io.ReadFull(resp.Body, b); err != nil || string(b) != "part1" {
		t.Fatalf("flushed part: %q %v", b, err)
	}
	close(flushed)
	rest, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(rest) != "part2" {
		t.Fatalf("rest %q", rest)
	}
	if s := tracetest.WaitOne(t, tr, serverKind); s.Tag("http.status_code") != uint16(200) {
		t.Fatalf("flush status %v", s.Tags())
	}
	tr.Reset()

	resp, err = c.Get(srv.URL + "/hijack")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "hijacked" {
		t.Fatalf("hijacked body %q", body)
	}
	if s := tracetest.WaitOne(t, tr, serverKind); s.Tag("http.hijacked") != true || s.Tag("http.status_code") != nil {
		t.Fatalf("hijack tags %v", s.Tags())
	}
}

// The writer has exactly the optional interfaces of the one it wraps.
func TestServerWriterInterfaces(t *testing.T) {
	tr := mocktracer.New()
	check := func(w http.ResponseWriter, wantF, wantH, wantP bool) {
		t.Helper()
		Middleware(tr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, f := w.(http.Flusher)
			_, h := w.(http.Hijacker)
			_, p := w.(http.Pusher)
			if f != wantF || h != wantH || p != wantP {
				t.Errorf("flusher %v hijacker %v pusher %v, want %v %v %v", f, h, p, wantF, wantH, wantP)
			}
			if inner := w.(interface{ Unwrap() http.ResponseWriter }).Unwrap(); inner == nil {
				t.Error("Unwrap")
			}
		})).ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	}
	rec := httptest.NewRecorder()
	check(rec, true, false, false)
	check(struct{ http.ResponseWriter }{rec}, false, false, false)
	check(fullWriter{rec}, true, true, true)
	check(hpWriter{rec}, false, true, true)

	// Push on a writer that cannot push, Hijack on one that cannot hijack,
	// through the controller: a clean ErrNotSupported.
	Middleware(tr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, _, err := http.NewResponseController(w).Hijack(); !errors.Is(err, http.ErrNotSupported) {
			t.Errorf("hijack on a recorder: %v", err)
		}
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("flush on a recorder: %v", err)
		}
	})).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if !rec.Flushed {
		t.Fatal("flush did not reach the recorder")
	}
}

type fullWriter struct{ *httptest.ResponseRecorder }

func (fullWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) { return nil, nil, errors.New("x") }
func (fullWriter) Push(string, *http.PushOptions) error         { return nil }

type hpWriter struct{ http.ResponseWriter }

func (hpWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) { return nil, nil, errors.New("x") }
func (hpWriter) Push(string, *http.PushOptions) error         { return nil }

// Credentials never reach a span, even when the user asks for them.
func TestServerSecretsNotTagged(t *testing.T) {
	tr := mocktracer.New()
	srv := testenv.Serve(t, Middleware(tr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "sid", Value: "cookie-secret"})
		w.Header().Set("X-Request-Id", "rid-1")
	}), WithHeaderTags("Authorization", "cookie", "Set-Cookie", "Proxy-Authorization", "X-Api-Key", "X-Auth-Token", "x-request-id", "User-Agent")))
	req, _ := http.NewRequest("GET", srv.URL+"/p?access_token=tok-secret&bare-secret", nil)
	req.Header.Set("Authorization", "Bearer auth-secret")
	req.Header.Set("Cookie", "sid=cookie-secret")
	req.Header.Set("X-Api-Key", "key-secret")
	req.Header.Set("X-Auth-Token", "auth-token-secret")
	req.Header.Set("User-Agent", "tester")
	req.SetBasicAuth("user", "basic-secret")
	get(t, &http.Client{Transport: baseTransport(t)}, req)
	s := tracetest.WaitOne(t, tr, serverKind)
	tracetest.AssertNoSecret(t, []*mocktracer.MockSpan{s}, "secret", "Bearer", "basic")
	if s.Tag("http.request.header.user-agent") != "tester" || s.Tag("http.response.header.x-request-id") != "rid-1" {
		t.Fatalf("allowed headers not tagged: %v", s.Tags())
	}
	if s.Tag("http.url") != "/p?access_token=REDACTED&REDACTED" {
		t.Fatalf("url %v", s.Tag("http.url"))
	}
}

func TestServerKeepQueryAndChildOnly(t *testing.T) {
	tr := mocktracer.New()
	srv := testenv.Serve(t, Middleware(tr, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}), WithQueryValues(), WithChildSpansOnly()))
	c := &http.Client{Transport: baseTransport(t)}
	resp, _ := c.Get(srv.URL + "/q?a=1")
	resp.Body.Close()
	if n := len(tr.FinishedSpans()); n != 0 {
		t.Fatalf("ChildSpansOnly traced a request without a caller: %d", n)
	}
	req, _ := http.NewRequestWithContext(opentracing.ContextWithSpan(context.Background(), tr.StartSpan("root")), "GET", srv.URL+"/q?a=1", nil)
	get(t, tracedClient(t, WithTracer(tr)), req)
	if u := tracetest.WaitOne(t, tr, serverKind).Tag("http.url"); u != "/q?a=1" {
		t.Fatalf("url %v", u)
	}
}

// Middleware's nil tracer is the global one, resolved per request; a
// WithTracer option overrides the argument.
func TestServerTracerResolution(t *testing.T) {
	defer opentracing.SetGlobalTracer(opentracing.NoopTracer{})
	h := Middleware(nil, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil)) // Noop: nothing happens
	global := mocktracer.New()
	opentracing.SetGlobalTracer(global)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	if len(global.FinishedSpans()) != 1 {
		t.Fatal("late global tracer not used")
	}
	arg, opt := mocktracer.New(), mocktracer.New()
	Middleware(arg, http.NotFoundHandler(), WithTracer(opt)).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	if len(arg.FinishedSpans()) != 0 || len(opt.FinishedSpans()) != 1 {
		t.Fatal("WithTracer does not override the argument")
	}
	MiddlewareFunc(arg, func(http.ResponseWriter, *http.Request) {})(httptest.NewRecorder(), httptest.NewRequest("POST", "/", nil))
	if s := arg.FinishedSpans(); len(s) != 1 || s[0].OperationName != "HTTP POST" {
		t.Fatal("MiddlewareFunc")
	}
}

// A hostile trace header never fails the request: a new root, flagged.
func TestServerCorruptTraceHeaders(t *testing.T) {
	tr, _ := tracetest.Jaeger(t, "nethttp-test", true)
	var sc jaeger.SpanContext
	var span *jaeger.Span
	srv := testenv.Serve(t, Middleware(tr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		span = opentracing.SpanFromContext(r.Context()).(*jaeger.Span)
		sc = span.SpanContext()
	})))
	c := &http.Client{Transport: baseTransport(t)}
	for _, v := range []string{"garbage", "1:2:3", strings.Repeat("9", 8000), "0:0:0:0", "ffffffffffffffffffffffffffffffffff:1:0:1"} {
		req, _ := http.NewRequest("GET", srv.URL, nil)
		req.Header.Set("Uber-Trace-Id", v)
		req.Header.Set("Uberctx-"+strings.Repeat("k", 5000), "v")
		if code, _ := get(t, c, req); code != 200 {
			t.Fatalf("%.20q: status %d", v, code)
		}
		if sc.ParentID() != 0 {
			t.Fatalf("%.20q became a parent", v)
		}
	}
}

// Handlers and frameworks still assert http.CloseNotifier without checking
// (gin's Context.Stream calls CloseNotify on the writer it was given): the
// wrapped writer must keep it, and the channel must fire when the client
// goes away.
func TestServerKeepsCloseNotifier(t *testing.T) {
	tr := mocktracer.New()
	gone := make(chan bool, 1)
	started := make(chan struct{})
	srv := testenv.Serve(t, Middleware(tr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cn, ok := w.(http.CloseNotifier)
		if !ok {
			t.Error("http.CloseNotifier lost")
			close(started)
			gone <- true
			return
		}
		ch := cn.CloseNotify()
		close(started)
		select {
		case v := <-ch:
			gone <- v
		case <-time.After(5 * time.Second):
			gone <- false
		}
	})))
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	<-started
	conn.Close()
	if !<-gone {
		t.Fatal("CloseNotify did not fire when the client went away")
	}
	tracetest.WaitOne(t, tr, serverKind)

	// A writer that cannot notify (a recorder) still answers the assertion
	// with a channel that never fires, rather than a panic.
	Middleware(tr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-w.(http.CloseNotifier).CloseNotify():
			t.Error("recorder notified")
		default:
		}
	})).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
}
