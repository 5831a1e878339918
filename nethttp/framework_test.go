package nethttp

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/mocktracer"

	"github.com/tracewrap/tracewrap/internal/tracetest"
)

// ServerTracer names spans by the route the framework reports, one name for
// unmatched requests, keeps the user's names, and finishes like Middleware.
func TestServerTracer(t *testing.T) {
	tr := mocktracer.New()
	st := NewServerTracer(WithTracer(tr), WithHeaderTags("X-Id"))

	r := httptest.NewRequest("GET", "/orders/7?token=x", nil)
	r.Header.Set("X-Id", "a")
	q, r2 := st.Start(r, "/orders/:id")
	if q.Span() == nil || opentracing.SpanFromContext(r2.Context()) != q.Span() {
		t.Fatal("the span is not in the request's context")
	}
	hdr := http.Header{"X-Id": {"b"}}
	q.Finish(0, hdr)
	s := tr.FinishedSpans()[0]
	if s.OperationName != "HTTP GET /orders/:id" || s.Tag("http.route") != "/orders/:id" || s.Tag("http.status_code") != uint16(200) ||
		s.Tag("http.url") != "/orders/7?token=REDACTED" || s.Tag("http.request.header.x-id") != "a" || s.Tag("http.response.header.x-id") != "b" {
		t.Fatalf("%q %v", s.OperationName, s.Tags())
	}

	tr.Reset()
	q, _ = st.Start(httptest.NewRequest("PROPFIND", "/x", nil), "")
	q.Finish(http.StatusMethodNotAllowed, nil)
	if s := tr.FinishedSpans()[0]; s.OperationName != "HTTP OTHER (unmatched)" || s.Tag("http.route") != nil || s.Tag("error") != nil {
		t.Fatalf("%q %v", s.OperationName, s.Tags())
	}

	tr.Reset()
	q, _ = st.Start(httptest.NewRequest("GET", "/p", nil), "/p")
	q.FinishPanic(0, "boom")
	s = tr.FinishedSpans()[0]
	if l := tracetest.ErrorLog(s); s.Tag("error") != true || l["message"] != "panic: boom" || s.Tag("http.status_code") != nil || s.Tag("http.route") != "/p" {
		t.Fatalf("%v %v", s.Tags(), tracetest.LogFields(s))
	}

	tr.Reset()
	q, _ = st.Start(httptest.NewRequest("GET", "/p", nil), "/p")
	q.Finish(503, nil)
	if s := tr.FinishedSpans()[0]; s.Tag("error") != true {
		t.Fatalf("503 is not an error: %v", s.Tags())
	}

	// The user's name wins, and no route is tagged (as with Middleware).
	tr.Reset()
	named := NewServerTracer(WithTracer(tr), WithOperationName("web"))
	q, _ = named.Start(httptest.NewRequest("GET", "/p", nil), "/p")
	q.Finish(200, nil)
	if s := tr.FinishedSpans()[0]; s.OperationName != "web" || s.Tag("http.route") != nil {
		t.Fatalf("%q %v", s.OperationName, s.Tags())
	}

	// Not traced: the request as it was, a zero ServerRequest that does nothing.
	filtered := NewServerTracer(WithTracer(tr), WithSpanFilter(func(*http.Request) bool { return false }))
	r = httptest.NewRequest("GET", "/p", nil)
	q, r2 = filtered.Start(r, "/p")
	if q.Span() != nil || r2 != r {
		t.Fatal("a filtered request was traced")
	}
	q.Finish(200, nil)
	q.FinishPanic(0, "x")
	noop := NewServerTracer(WithTracer(opentracing.NoopTracer{}))
	if q, r2 := noop.Start(r, "/p"); q.Span() != nil || r2 != r {
		t.Fatal("NoopTracer: traced")
	}
}

// Route names are made once per method and route, and the cache is bounded.
func TestServerTracerNameCache(t *testing.T) {
	st := NewServerTracer(WithTracer(mocktracer.New()))
	if a, b := st.spanName("GET", "/a"), st.spanName("GET", "/a"); a != "HTTP GET /a" || b != a {
		t.Fatal(a, b)
	}
	if n := testing.AllocsPerRun(100, func() { _ = st.spanName("GET", "/a") }); n != 0 {
		t.Errorf("a cached name allocates %v times", n)
	}
	for i := 0; i < maxRouteNames+100; i++ {
		st.spanName("GET", "/r"+string(rune('a'+i%26))+string(rune(i)))
	}
	if n := st.n.Load(); n > maxRouteNames {
		t.Fatalf("%d names cached", n)
	}
}
