package gintrace_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"github.com/opentracing/opentracing-go/mocktracer"

	"github.com/tracewrap/tracewrap/gintrace"
	"github.com/tracewrap/tracewrap/internal/testenv"
	"github.com/tracewrap/tracewrap/internal/tracetest"
	"github.com/tracewrap/tracewrap/nethttp"
)

// newEngine is gin.New() with the middleware (on mocktracer) first, as the
// README shows, and gin's defaults otherwise (ContextWithFallback=false).
func newEngine(t *testing.T, opts ...gintrace.Option) (*gin.Engine, *mocktracer.MockTracer) {
	t.Helper()
	tr := mocktracer.New()
	r := gin.New()
	r.Use(gintrace.Middleware(append([]gintrace.Option{nethttp.WithTracer(tr)}, opts...)...))
	return r, tr
}

func serverSpan(t *testing.T, tr *mocktracer.MockTracer) *mocktracer.MockSpan {
	t.Helper()
	return tracetest.WaitOne(t, tr, ext.SpanKindRPCServerEnum)
}

func TestSpanNamedByRoute(t *testing.T) {
	r, tr := newEngine(t)
	r.GET("/orders/:id", func(c *gin.Context) { c.String(http.StatusOK, "order "+c.Param("id")) })
	r.POST("/orders", func(c *gin.Context) { c.JSON(http.StatusCreated, gin.H{"ok": true}) })
	srv := testenv.Serve(t, r)
	hc := client(t)

	req, _ := http.NewRequest("GET", srv.URL+"/orders/42?token=s3cret", nil)
	if code, body := do(t, hc, req); code != 200 || body != "order 42" {
		t.Fatalf("%d %q", code, body)
	}
	s := serverSpan(t, tr)
	if s.OperationName != "HTTP GET /orders/:id" {
		t.Errorf("name %q", s.OperationName)
	}
	want := map[string]any{
		"http.route":       "/orders/:id",
		"http.method":      "GET",
		"http.status_code": uint16(200),
		"component":        "gin",
		"span.kind":        ext.SpanKindRPCServerEnum,
		"http.url":         "/orders/42?token=REDACTED",
		"peer.ipv4":        "127.0.0.1",
	}
	for k, v := range want {
		if got := s.Tag(k); got != v {
			t.Errorf("tag %s = %#v, want %#v", k, got, v)
		}
	}
	if s.Tag("error") != nil || s.ParentID != 0 {
		t.Errorf("tags %v parent %d", s.Tags(), s.ParentID)
	}
	tracetest.AssertNoSecret(t, tr.FinishedSpans(), "s3cret")

	tr.Reset()
	req, _ = http.NewRequest("POST", srv.URL+"/orders", strings.NewReader("{}"))
	if code, _ := do(t, hc, req); code != http.StatusCreated {
		t.Fatal(code)
	}
	if s := serverSpan(t, tr); s.OperationName != "HTTP POST /orders" || s.Tag("http.status_code") != uint16(201) {
		t.Errorf("%s %v", s.OperationName, s.Tags())
	}
}

// 404 and 405 answers of gin, with or without NoRoute handlers, get one
// fixed name per method whatever the path, and no http.route.
func TestUnmatchedRequests(t *testing.T) {
	r, tr := newEngine(t)
	r.HandleMethodNotAllowed = true
	r.GET("/orders/:id", func(c *gin.Context) { c.Status(http.StatusOK) })
	srv := testenv.Serve(t, r)
	hc := client(t)

	cases := []struct {
		method, path, name string
		code               int
	}{
		{"GET", "/nope", "HTTP GET (unmatched)", 404},
		{"GET", "/wp-admin/setup.php", "HTTP GET (unmatched)", 404},
		{"DELETE", "/orders/1", "HTTP DELETE (unmatched)", 405},
	}
	for _, c := range cases {
		tr.Reset()
		req, _ := http.NewRequest(c.method, srv.URL+c.path, nil)
		if code, _ := do(t, hc, req); code != c.code {
			t.Fatalf("%s %s: %d", c.method, c.path, code)
		}
		s := serverSpan(t, tr)
		if s.OperationName != c.name || s.Tag("http.status_code") != uint16(c.code) || s.Tag("http.route") != nil || s.Tag("error") != nil {
			t.Errorf("%s %s: %q %v", c.method, c.path, s.OperationName, s.Tags())
		}
	}

	// A NoRoute handler of the user's is traced under the same name.
	r2, tr2 := newEngine(t)
	r2.NoRoute(func(c *gin.Context) { c.JSON(http.StatusNotFound, gin.H{"error": "no such page"}) })
	srv2 := testenv.Serve(t, r2)
	req, _ := http.NewRequest("GET", srv2.URL+"/missing", nil)
	if code, body := do(t, hc, req); code != 404 || !strings.Contains(body, "no such page") {
		t.Fatal(code, body)
	}
	if s := serverSpan(t, tr2); s.OperationName != "HTTP GET (unmatched)" || s.Tag("http.status_code") != uint16(404) {
		t.Errorf("NoRoute: %q %v", s.OperationName, s.Tags())
	}
}

// The status is gin's, also when gin writes it after the handlers returned;
// 5xx fail the span, 4xx do not.
func TestStatusAndErrors(t *testing.T) {
	r, tr := newEngine(t)
	r.GET("/empty", func(c *gin.Context) { c.Status(http.StatusNoContent) })
	r.GET("/bad", func(c *gin.Context) { c.String(http.StatusBadRequest, "bad") })
	r.GET("/down", func(c *gin.Context) { c.AbortWithStatus(http.StatusServiceUnavailable) })
	srv := testenv.Serve(t, r)
	hc := client(t)
	for path, want := range map[string]struct {
		code  int
		error bool
	}{"/empty": {204, false}, "/bad": {400, false}, "/down": {503, true}} {
		tr.Reset()
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		if code, _ := do(t, hc, req); code != want.code {
			t.Fatalf("%s: %d", path, code)
		}
		s := serverSpan(t, tr)
		if s.Tag("http.status_code") != uint16(want.code) || (s.Tag("error") == true) != want.error {
			t.Errorf("%s: %v", path, s.Tags())
		}
		if want.error {
			if l := tracetest.ErrorLog(s); l == nil || l["error.kind"] != "HTTP 503" {
				t.Errorf("%s: error log %v", path, tracetest.LogFields(s))
			}
		}
	}
}

// A panicking handler fails the span and the client gets gin.Recovery's 500,
// with Recovery before or after the middleware.
func TestPanicWithRecoveryInEitherOrder(t *testing.T) {
	for _, order := range []string{"recovery first", "recovery after"} {
		t.Run(order, func(t *testing.T) {
			tr := mocktracer.New()
			r := gin.New()
			mw := gintrace.Middleware(nethttp.WithTracer(tr))
			rec := gin.CustomRecoveryWithWriter(nil, func(c *gin.Context, _ any) { c.AbortWithStatus(500) })
			if order == "recovery first" {
				r.Use(rec, mw)
			} else {
				r.Use(mw, rec)
			}
			r.GET("/boom/:n", func(c *gin.Context) { panic("boom " + c.Param("n")) })
			srv := testenv.Serve(t, r)
			req, _ := http.NewRequest("GET", srv.URL+"/boom/1", nil)
			if code, _ := do(t, client(t), req); code != 500 {
				t.Fatalf("status %d", code)
			}
			s := serverSpan(t, tr)
			if s.OperationName != "HTTP GET /boom/:n" || s.Tag("error") != true || s.Tag("http.route") != "/boom/:n" {
				t.Fatalf("%q %v", s.OperationName, s.Tags())
			}
			l := tracetest.ErrorLog(s)
			switch order {
			case "recovery first": // the middleware saw the panic itself
				if l == nil || l["error.kind"] != "panic" || l["message"] != "panic: boom 1" {
					t.Errorf("error log %v", tracetest.LogFields(s))
				}
			case "recovery after": // Recovery answered 500 inside the span
				if s.Tag("http.status_code") != uint16(500) || l == nil || l["error.kind"] != "HTTP 500" {
					t.Errorf("tags %v log %v", s.Tags(), tracetest.LogFields(s))
				}
			}
		})
	}
}

// nethttp's options work: fixed names, filters, header tags, error policy,
// component; and the caller's trace is continued.
func TestOptionsAndCallerTrace(t *testing.T) {
	r, tr := newEngine(t,
		nethttp.WithSpanFilter(func(r *http.Request) bool { return r.URL.Path != "/healthz" }),
		nethttp.WithHeaderTags("X-Request-Id", "Authorization"),
		nethttp.WithErrorPolicy(func(_ *http.Request, err error) bool {
			var se *nethttp.StatusError
			return errors.As(err, &se) && se.Code >= 400
		}),
		nethttp.WithComponentName("shop-web"),
	)
	var inHandler opentracing.Span
	r.GET("/healthz", func(c *gin.Context) {
		inHandler = gintrace.SpanFromContext(c)
		c.Status(204)
	})
	r.GET("/items/:id", func(c *gin.Context) { c.String(404, "no item") })
	srv := testenv.Serve(t, r)
	hc := client(t)

	req, _ := http.NewRequest("GET", srv.URL+"/healthz", nil)
	do(t, hc, req)
	if len(tr.FinishedSpans()) != 0 || inHandler != nil {
		t.Fatalf("filtered request traced: %v", tr.FinishedSpans())
	}

	caller := tr.StartSpan("caller")
	req, _ = http.NewRequest("GET", srv.URL+"/items/7", nil)
	req.Header.Set("X-Request-Id", "req-1")
	req.Header.Set("Authorization", "Bearer t0ken")
	if err := tr.Inject(caller.Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(req.Header)); err != nil {
		t.Fatal(err)
	}
	do(t, hc, req)
	s := serverSpan(t, tr)
	cs := caller.(*mocktracer.MockSpan).SpanContext
	if s.ParentID != cs.SpanID || s.SpanContext.TraceID != cs.TraceID {
		t.Errorf("not a child of the caller: parent %d", s.ParentID)
	}
	if s.Tag("http.request.header.x-request-id") != "req-1" || s.Tag("component") != "shop-web" || s.Tag("error") != true {
		t.Errorf("tags %v", s.Tags())
	}
	tracetest.AssertNoSecret(t, tr.FinishedSpans(), "t0ken")

	// A fixed name is kept (and is not replaced by the route).
	r3, tr3 := newEngine(t, nethttp.WithOperationName("web"))
	r3.GET("/a/:x", func(c *gin.Context) {})
	srv3 := testenv.Serve(t, r3)
	req, _ = http.NewRequest("GET", srv3.URL+"/a/1", nil)
	do(t, hc, req)
	if s := serverSpan(t, tr3); s.OperationName != "web" {
		t.Errorf("name %q", s.OperationName)
	}
}
