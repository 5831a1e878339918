package nethttp

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"github.com/opentracing/opentracing-go/mocktracer"
	"github.com/uber/jaeger-client-go"
)

// serve starts a real HTTP server on 127.0.0.1 with h; it is closed, with its
// connections, when the test ends. Panics logged by net/http are discarded.
func serve(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// baseTransport is a fresh transport whose idle connections are closed when
// the test ends, so goleak sees no keep-alive goroutines.
func baseTransport(t testing.TB) *http.Transport {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

func tracedClient(t testing.TB, opts ...Option) *http.Client {
	return &http.Client{Transport: NewTransport(baseTransport(t), opts...)}
}

func jaegerTracer(t testing.TB, sampled bool) opentracing.Tracer {
	tr, closer := jaeger.NewTracer("nethttp-test", jaeger.NewConstSampler(sampled), jaeger.NewInMemoryReporter())
	t.Cleanup(func() { closer.Close() })
	return tr
}

// byKind returns the finished spans of kind.
func byKind(tr *mocktracer.MockTracer, kind ext.SpanKindEnum) []*mocktracer.MockSpan {
	var out []*mocktracer.MockSpan
	for _, s := range tr.FinishedSpans() {
		if s.Tag("span.kind") == kind {
			out = append(out, s)
		}
	}
	return out
}

// one returns the single finished span of kind. It waits briefly for it: a
// server span finishes when the handler returns, which a client can observe
// later than its own end of the response (a hijacked connection closed by the
// handler, a body whose Content-Length was reached).
func one(t *testing.T, tr *mocktracer.MockTracer, kind ext.SpanKindEnum) *mocktracer.MockSpan {
	t.Helper()
	s := byKind(tr, kind)
	for deadline := time.Now().Add(5 * time.Second); len(s) == 0 && time.Now().Before(deadline); s = byKind(tr, kind) {
		time.Sleep(time.Millisecond)
	}
	if len(s) != 1 {
		t.Fatalf("want 1 %s span, got %d: %v", kind, len(s), tr.FinishedSpans())
	}
	return s[0]
}

func errorLog(s *mocktracer.MockSpan) map[string]string {
	for _, l := range s.Logs() {
		f := map[string]string{}
		for _, kv := range l.Fields {
			f[kv.Key] = kv.ValueString
		}
		if f["event"] == "error" {
			return f
		}
	}
	return nil
}

func get(t *testing.T, c *http.Client, req *http.Request) (int, string) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}
