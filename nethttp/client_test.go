package nethttp

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/mocktracer"

	"github.com/tracewrap/tracewrap/internal/testenv"
	"github.com/tracewrap/tracewrap/internal/tracetest"
)

// finishedCount polls briefly for spans finished from another goroutine
// (context.AfterFunc).
func waitSpans(tr *mocktracer.MockTracer, n int) []*mocktracer.MockSpan {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if s := tr.FinishedSpans(); len(s) >= n {
			return s
		}
		time.Sleep(5 * time.Millisecond)
	}
	return tr.FinishedSpans()
}

func TestClientSpanEndsWithBody(t *testing.T) {
	srv := testenv.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodHead {
			io.WriteString(w, strings.Repeat("x", 100))
		}
	}))
	tr := mocktracer.New()
	c := tracedClient(t, WithTracer(tr))

	resp, err := c.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.FinishedSpans()) != 0 {
		t.Fatal("span finished before the body was read")
	}
	io.ReadAll(resp.Body)
	if len(tr.FinishedSpans()) != 1 {
		t.Fatal("span not finished at EOF")
	}
	resp.Body.Close() // a second end is a no-op
	if len(tr.FinishedSpans()) != 1 {
		t.Fatal("span finished twice")
	}

	// Close without reading.
	tr.Reset()
	resp, _ = c.Get(srv.URL)
	resp.Body.Close()
	if len(tr.FinishedSpans()) != 1 {
		t.Fatal("span not finished on Close")
	}

	// HEAD finishes at once.
	tr.Reset()
	resp, _ = c.Head(srv.URL)
	if len(tr.FinishedSpans()) != 1 {
		t.Fatal("HEAD span not finished at once")
	}
	resp.Body.Close()
	if len(tr.FinishedSpans()) != 1 {
		t.Fatal("HEAD span finished twice")
	}
}

func TestClientEmptyBodyFinishesAtOnce(t *testing.T) {
	srv := testenv.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }))
	tr := mocktracer.New()
	resp, err := tracedClient(t, WithTracer(tr)).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if s := tr.FinishedSpans(); len(s) != 1 || s[0].Tag("http.status_code") != uint16(204) {
		t.Fatalf("spans %v", s)
	}
}

// A caller that drops the body after http.Client.Timeout leaks no span: the
// span ends with the request's context.
func TestClientDroppedBodyAfterTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := testenv.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "head")
		http.NewResponseController(w).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer close(release)
	tr := mocktracer.New()
	c := tracedClient(t, WithTracer(tr))
	c.Timeout = 100 * time.Millisecond
	resp, err := c.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp // dropped: never read, never closed
	s := waitSpans(tr, 1)
	if len(s) != 1 {
		t.Fatal("span of a dropped body never finished")
	}
	if f := tracetest.ErrorLog(s[0]); s[0].Tag("error") != true || !strings.Contains(f["message"], "deadline") {
		t.Fatalf("dropped body: %v %v", s[0].Tags(), f)
	}
	resp.Body.Close() // let the transport release the connection
}

// Cancelling the context of a request whose body nobody reads finishes it.
func TestClientDroppedBodyOnCancel(t *testing.T) {
	srv := testenv.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "partial")
		http.NewResponseController(w).Flush()
		<-r.Context().Done()
	}))
	tr := mocktracer.New()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
	resp, err := tracedClient(t, WithTracer(tr)).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	if len(waitSpans(tr, 1)) != 1 {
		t.Fatal("span not finished on cancel")
	}
	resp.Body.Close()
	if len(tr.FinishedSpans()) != 1 {
		t.Fatal("finished twice")
	}
}

func TestClientErrorsAndStatus(t *testing.T) {
	srv := testenv.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/404":
			http.NotFound(w, r)
		case "/502":
			http.Error(w, "bad gateway", 502)
		}
	}))
	tr := mocktracer.New()
	c := tracedClient(t, WithTracer(tr))
	for path, wantErr := range map[string]bool{"/404": false, "/502": true} {
		tr.Reset()
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		get(t, c, req)
		s := tracetest.WaitOne(t, tr, clientKind)
		if (s.Tag("error") == true) != wantErr {
			t.Fatalf("%s: %v", path, s.Tags())
		}
	}
	// 4xx by policy.
	tr.Reset()
	strict := tracedClient(t, WithTracer(tr), WithErrorPolicy(func(_ *http.Request, err error) bool {
		var se *StatusError
		return !errors.As(err, &se) || se.Code >= 400
	}))
	req, _ := http.NewRequest("GET", srv.URL+"/404", nil)
	get(t, strict, req)
	if s := tracetest.WaitOne(t, tr, clientKind); s.Tag("error") != true || tracetest.ErrorLog(s)["error.kind"] != "HTTP 404" {
		t.Fatalf("policy: %v %v", s.Tags(), tracetest.ErrorLog(s))
	}

	// A transport error is an error.
	tr.Reset()
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	if _, err := c.Get("http://" + addr + "/"); err == nil {
		t.Fatal("connected to a closed port")
	}
	if s := tracetest.WaitOne(t, tr, clientKind); s.Tag("error") != true || s.Tag("http.status_code") != nil {
		t.Fatalf("transport error: %v", s.Tags())
	}
}

// Each redirect hop is its own span under the caller's span.
func TestClientRedirects(t *testing.T) {
	tr := mocktracer.New()
	mux := http.NewServeMux()
	mux.HandleFunc("/a", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/b", http.StatusFound) })
	mux.HandleFunc("/b", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/c", http.StatusFound) })
	mux.HandleFunc("/c", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "done") })
	srv := testenv.Serve(t, Middleware(tr, mux))
	root := tr.StartSpan("root")
	req, _ := http.NewRequestWithContext(opentracing.ContextWithSpan(context.Background(), root), "GET", srv.URL+"/a", nil)
	if _, body := get(t, tracedClient(t, WithTracer(tr)), req); body != "done" {
		t.Fatalf("body %q", body)
	}
	clients, servers := tracetest.ByKind(tr, clientKind), tracetest.ByKind(tr, serverKind)
	if len(clients) != 3 || len(servers) != 3 {
		t.Fatalf("%d client, %d server spans", len(clients), len(servers))
	}
	rootID := root.(*mocktracer.MockSpan).SpanContext.SpanID
	for i, c := range clients {
		if c.ParentID != rootID {
			t.Fatalf("hop %d parent %d", i, c.ParentID)
		}
		found := false
		for _, s := range servers {
			found = found || s.ParentID == c.SpanContext.SpanID
		}
		if !found {
			t.Fatalf("hop %d has no server child", i)
		}
	}
}

// Userinfo never reaches the span; query values are redacted unless kept.
func TestClientURLRedaction(t *testing.T) {
	srv := testenv.Serve(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	tr := mocktracer.New()
	u := strings.Replace(srv.URL, "http://", "http://alice:pw-secret@", 1) + "/x?api_key=k-secret&q=shoes#frag"
	req, _ := http.NewRequest("GET", u, nil)
	get(t, tracedClient(t, WithTracer(tr), WithHeaderTags("Authorization")), req)
	s := tracetest.WaitOne(t, tr, clientKind)
	tracetest.AssertNoSecret(t, []*mocktracer.MockSpan{s}, "secret", "alice", "frag")
	if want := srv.URL + "/x?api_key=REDACTED&q=REDACTED"; s.Tag("http.url") != want {
		t.Fatalf("url %v, want %s", s.Tag("http.url"), want)
	}
	tr.Reset()
	get(t, tracedClient(t, WithTracer(tr), WithQueryValues()), req)
	if want := srv.URL + "/x?api_key=k-secret&q=shoes"; tracetest.WaitOne(t, tr, clientKind).Tag("http.url") != want {
		t.Fatal("WithQueryValues")
	}
}

func TestClientTraceEvents(t *testing.T) {
	srv := testenv.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "x") }))
	tr := mocktracer.New()
	req, _ := http.NewRequest("GET", srv.URL, nil)
	get(t, tracedClient(t, WithTracer(tr), WithClientTrace()), req)
	events := map[string]bool{}
	for _, l := range tracetest.WaitOne(t, tr, clientKind).Logs() {
		events[l.Fields[0].ValueString] = true
	}
	for _, e := range []string{"get conn", "connect start", "connect done", "got conn", "wrote request", "first response byte"} {
		if !events[e] {
			t.Errorf("no %q event in %v", e, events)
		}
	}
	// Unsampled jaeger spans log nothing, but still propagate.
	jt, _ := tracetest.Jaeger(t, "nethttp-test", false)
	var seen string
	srv2 := testenv.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = r.Header.Get("Uber-Trace-Id") }))
	req, _ = http.NewRequest("GET", srv2.URL, nil)
	get(t, tracedClient(t, WithTracer(jt), WithClientTrace()), req)
	if !strings.HasSuffix(seen, ":0") {
		t.Fatalf("unsampled context not propagated: %q", seen)
	}
}

// Without a span in ctx WithChildSpansOnly sends the request untouched; the
// NoopTracer path does too.
func TestClientPassThrough(t *testing.T) {
	var hdr http.Header
	srv := testenv.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hdr = r.Header.Clone() }))
	tr := mocktracer.New()
	for _, c := range []*http.Client{
		tracedClient(t, WithTracer(tr), WithChildSpansOnly()),
		tracedClient(t, WithTracer(opentracing.NoopTracer{})),
	} {
		req, _ := http.NewRequest("GET", srv.URL, nil)
		get(t, c, req)
		for k := range hdr {
			if strings.HasPrefix(strings.ToLower(k), "mockpfx") {
				t.Fatalf("trace header %s sent", k)
			}
		}
	}
	if len(tr.FinishedSpans()) != 0 {
		t.Fatal("spans made")
	}
}

func TestWrapClient(t *testing.T) {
	base := &http.Client{Timeout: time.Second, Transport: baseTransport(t)}
	c := WrapClient(base)
	if base.Transport == c.Transport || c.Timeout != time.Second {
		t.Fatal("WrapClient must copy and keep settings")
	}
	if c.Transport.(*Transport).Unwrap() != base.Transport {
		t.Fatal("Unwrap")
	}
	if NewTransport(nil).Unwrap() != http.DefaultTransport {
		t.Fatal("nil base is not the default transport")
	}
	c.CloseIdleConnections()
	if WrapClient(nil).Transport.(*Transport).Unwrap() != http.DefaultTransport {
		t.Fatal("nil client")
	}
}
