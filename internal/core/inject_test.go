package core

import (
	"net/http"
	"net/textproto"
	"strings"
	"testing"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/mocktracer"
	"github.com/uber/jaeger-client-go"
	"golang.org/x/net/http/httpguts"

	"github.com/tracewrap/tracewrap/internal/tracetest"
)

func dropLogs(span opentracing.Span) []map[string]any {
	var out []map[string]any
	for _, l := range span.(*jaeger.Span).Logs() {
		f := map[string]any{}
		for _, field := range l.Fields {
			f[field.Key()] = field.Value()
		}
		if f["event"] == "trace context entries dropped" {
			out = append(out, f)
		}
	}
	return out
}

// validByNetHTTP is the oracle: the checks net/http's transport makes.
func validByNetHTTP(k, v string) bool {
	return httpguts.ValidHeaderFieldName(k) && httpguts.ValidHeaderFieldValue(v)
}

// FuzzInjectHeaders: whatever baggage a span holds, InjectHeaders writes only
// headers net/http sends, keeps the trace context, keeps every entry net/http
// would send (within the size budget), and logs drops once.
func FuzzInjectHeaders(f *testing.F) {
	tr := tracetest.RawBaggage(f, opentracing.HTTPHeaders)
	f.Add("tenant", "acme")
	f.Add("bad key", "1")
	f.Add("city", "a\nb")
	f.Add("Connection", "close")
	f.Add("transfer-encoding", "chunked")
	f.Add("k", "tab\there")
	f.Add("ü", "ü")
	f.Add("", "empty")
	f.Fuzz(func(t *testing.T, k, v string) {
		span := tr.StartSpan("c")
		span.SetBaggageItem(k, v)
		v = span.BaggageItem(k) // jaeger cuts long values
		h := http.Header{"Accept": {"*/*"}}
		InjectHeaders(span, span.Context(), h)
		for name, vals := range h {
			for _, val := range vals {
				if !validByNetHTTP(name, val) || (name != "Accept" && ConnectionHeader(name)) {
					t.Fatalf("header net/http would refuse or that governs the connection: %q: %q", name, val)
				}
			}
		}
		if h.Get("X-B3-Traceid") == "" || h.Get("Accept") != "*/*" {
			t.Fatalf("trace context or the caller's header lost: %v", h)
		}
		canon := textproto.CanonicalMIMEHeaderKey(k)
		if strings.HasPrefix(strings.ToLower(k), "x-b3-") || canon == "Accept" || v == "" {
			return // collides with the context or the caller's header; or jaeger removed it
		}
		kept := h.Get(canon) == v && len(h[canon]) == 1
		sendable := validByNetHTTP(canon, v) && !ConnectionHeader(canon) && len(k)+len(v) <= MaxInjectBaggageBytes
		if sendable && !kept {
			t.Fatalf("baggage %q=%q lost: %v", k, v, h)
		}
		if logs := dropLogs(span); len(logs) != map[bool]int{true: 0, false: 1}[kept] {
			t.Fatalf("kept %v, drop logs %v", kept, logs)
		}
	})
}

func TestValidHTTPHeaderMatchesNetHTTP(t *testing.T) {
	for c := 0; c < 256; c++ {
		s := string([]byte{byte(c)})
		if got, want := ValidHTTPHeader("k"+s, "v"), httpguts.ValidHeaderFieldName("k"+s); got != want {
			t.Errorf("name byte %#x: %v, net/http %v", c, got, want)
		}
		if got, want := ValidHTTPHeader("k", "v"+s), httpguts.ValidHeaderFieldValue("v"+s); got != want {
			t.Errorf("value byte %#x: %v, net/http %v", c, got, want)
		}
	}
	for _, h := range []string{"connection", "TE", "Transfer-Encoding", "host", "content-length", "Upgrade", "keep-alive"} {
		if ValidHTTPHeader(h, "x") {
			t.Errorf("%s allowed", h)
		}
	}
}

// Baggage over the budget is dropped in order of arrival; trace keys never
// count against it, and NextCarrier starts the budget over but keeps the
// count for one report.
func TestInjectFilterBudget(t *testing.T) {
	f := NewInjectFilter(func(k, v string) bool { return !strings.Contains(k, " ") })
	big := strings.Repeat("v", MaxInjectBaggageBytes/2)
	if !f.Allow("uber-trace-id", strings.Repeat("1", 100)) || !f.Allow("a", big) || f.Allow("b", big) || f.Allow("bad key", "1") {
		t.Fatal("budget or rule not applied")
	}
	if !f.Allow("traceparent", "00-x") || f.Dropped() != 2 {
		t.Fatalf("trace key counted against the budget, or drops %d", f.Dropped())
	}
	f.NextCarrier()
	if !f.Allow("b", big) || f.Dropped() != 2 {
		t.Fatal("NextCarrier did not start the budget over, or lost the count")
	}
	tr := mocktracer.New()
	span := tr.StartSpan("s")
	f.Report(span)
	f.Report(span) // nothing left to report
	logs := span.(*mocktracer.MockSpan).Logs()
	if len(logs) != 1 {
		t.Fatalf("%d logs", len(logs))
	}
	fields := map[string]string{}
	for _, field := range logs[0].Fields {
		fields[field.Key] = field.ValueString
	}
	if fields["count"] != "2" || fields["key"] != `"b"` {
		t.Fatalf("log %v", fields)
	}
}

// The tracer gets an HTTPHeadersCarrier (the OpenTelemetry bridge and
// others type-assert it), and nothing of the scratch headers leaks from one
// call into the next.
func TestInjectHeadersCarrierTypeAndScratchReuse(t *testing.T) {
	var seen any
	tr := &carrierSpy{Tracer: mocktracer.New(), seen: &seen}
	span := tr.StartSpan("s")
	span.SetBaggageItem("first", "1")
	h1 := http.Header{}
	InjectHeaders(span, span.Context(), h1)
	if _, ok := seen.(opentracing.HTTPHeadersCarrier); !ok {
		t.Fatalf("tracer got %T", seen)
	}
	span2 := tr.StartSpan("s2")
	h2 := http.Header{}
	InjectHeaders(span2, span2.Context(), h2)
	if h2.Get("Mockpfx-Baggage-First") != "" || h1.Get("Mockpfx-Baggage-First") != "1" {
		t.Fatalf("scratch leaked: %v / %v", h1, h2)
	}
}

type carrierSpy struct {
	opentracing.Tracer
	seen *any
}

func (c *carrierSpy) StartSpan(name string, opts ...opentracing.StartSpanOption) opentracing.Span {
	return &spySpan{Span: c.Tracer.StartSpan(name, opts...), tr: c}
}

func (c *carrierSpy) Inject(sc opentracing.SpanContext, format, carrier any) error {
	*c.seen = carrier
	return c.Tracer.Inject(sc, format, carrier)
}

type spySpan struct {
	opentracing.Span
	tr *carrierSpy
}

func (s *spySpan) Tracer() opentracing.Tracer { return s.tr }
