package nethttp

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/opentracing/opentracing-go"
	"github.com/uber/jaeger-client-go"

	"github.com/tracewrap/tracewrap/internal/testenv"
	"github.com/tracewrap/tracewrap/internal/tracetest"
)

// hostileRequest is a request a caller can send whose headers become
// baggage the next carrier cannot hold as it is: keys that are not header
// names, a value that decodes to a newline, more baggage than common servers
// take in headers. drops: whether jaeger's own propagator, which URL-escapes
// values, has to leave something out.
type hostileRequest struct {
	name   string
	header http.Header
	drops  bool
}

func hostileRequests() []hostileRequest {
	big := http.Header{}
	for i := range 6 {
		big.Set(fmt.Sprintf("Uberctx-K%d", i), strings.Repeat("v", 3000))
	}
	return []hostileRequest{
		{"space in key", http.Header{"Jaeger-Baggage": {"bad key=1"}}, true},
		{"non-token keys", http.Header{"Jaeger-Baggage": {"k(1)=v, a/b=2, ü=3, x:y=4, =5"}}, true},
		{"control in key", http.Header{"Jaeger-Baggage": {"k%01=1"}}, true},
		{"18 KB of baggage", big, true},
		{"newline values", http.Header{"Uberctx-Tenant": {"%0Aevil"}, "Jaeger-Baggage": {"city=a%0Db"}}, false},
		{"empty name", http.Header{"Uberctx-": {"1"}}, false},
	}
}

// TestHostileBaggageDoesNotFailOnwardCalls chains two real servers: the
// front's handler calls the back through the traced transport. Whatever the
// caller sent, the onward call succeeds (the back, like many servers, takes
// 16 KiB of headers at most) and still carries the trace; what was left out
// is logged on the client span.
func TestHostileBaggageDoesNotFailOnwardCalls(t *testing.T) {
	withRep, rep := tracetest.Jaeger(t, "front", true)
	tracers := map[string]opentracing.Tracer{
		"jaeger":           withRep,
		"jaeger unsampled": tracetest.JaegerNull(t, false),
	}
	for name, tr := range tracers {
		t.Run(name, func(t *testing.T) {
			back := httptest.NewUnstartedServer(Middleware(tr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Uber-Trace-Id") == "" {
					http.Error(w, "no trace context", http.StatusBadRequest)
					return
				}
				io.WriteString(w, "ok")
			})))
			back.Config.MaxHeaderBytes = 12 << 10 // with net/http's 4 KiB slack: 16 KiB, as Node.js
			back.Start()
			t.Cleanup(back.Close)
			onward := tracedClient(t, WithTracer(tr))
			front := testenv.Serve(t, Middleware(tr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				req, _ := http.NewRequestWithContext(r.Context(), "GET", back.URL, nil)
				resp, err := onward.Do(req)
				if err != nil {
					http.Error(w, err.Error(), http.StatusBadGateway)
					return
				}
				defer resp.Body.Close()
				w.WriteHeader(resp.StatusCode)
				io.Copy(w, resp.Body)
			})))
			plain := &http.Client{Transport: baseTransport(t)}
			for _, hr := range hostileRequests() {
				rep.Reset()
				req, _ := http.NewRequest("GET", front.URL, nil)
				req.Header = hr.header.Clone()
				if code, body := get(t, plain, req); code != 200 || body != "ok" {
					t.Errorf("%s: %d %q", hr.name, code, body)
				}
				if tr == withRep {
					want := 0
					if hr.drops {
						want = 1
					}
					if got := dropLogs(rep); got != want {
						t.Errorf("%s: %d drop logs, want %d", hr.name, got, want)
					}
				}
			}
		})
	}
}

// dropLogs counts the spans' logs of dropped entries in rep.
func dropLogs(rep *jaeger.InMemoryReporter) int {
	n := 0
	for _, s := range rep.GetSpans() {
		span := s.(*jaeger.Span)
		for _, l := range span.Logs() {
			if l.Fields[0].Value() == "trace context entries dropped" {
				n++
			}
		}
	}
	return n
}

// Over HTTP/2, which fails a request carrying a connection-specific header,
// a tracer that sends baggage as it is (Zipkin B3 without a prefix) cannot
// make the call fail with baggage named Connection or Transfer-Encoding.
func TestRawBaggageOverHTTP2(t *testing.T) {
	tr := tracetest.RawBaggage(t, opentracing.HTTPHeaders)
	back := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor != 2 || r.Header.Get("X-B3-Traceid") == "" || r.Header.Get("Tenant") != "acme" {
			http.Error(w, "want HTTP/2 with the trace and baggage", http.StatusBadRequest)
		}
	}))
	back.EnableHTTP2 = true
	back.StartTLS()
	t.Cleanup(back.Close)
	base := back.Client().Transport.(*http.Transport)
	t.Cleanup(base.CloseIdleConnections)
	client := &http.Client{Transport: NewTransport(base, WithTracer(tr))}

	parent := tr.StartSpan("parent")
	for k, v := range map[string]string{"Connection": "close", "Transfer-Encoding": "chunked", "Upgrade": "h2c", "Tenant": "acme"} {
		parent.SetBaggageItem(k, v)
	}
	req, _ := http.NewRequestWithContext(opentracing.ContextWithSpan(context.Background(), parent), "GET", back.URL, nil)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatal(resp.Status)
	}
}
