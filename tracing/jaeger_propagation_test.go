package tracing

import (
	"bytes"
	"errors"
	"fmt"
	"log"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"github.com/tracewrap/tracewrap/internal/propagation"
	"github.com/uber/jaeger-client-go"
	jaegercfg "github.com/uber/jaeger-client-go/config"
)

// newTestTracer is Init's tracer with spans kept in memory.
func newTestTracer(t *testing.T, opts ...Option) (opentracing.Tracer, *jaeger.InMemoryReporter) {
	t.Helper()
	clearJaegerEnv(t)
	t.Setenv("OTEL_PROPAGATORS", "")
	t.Setenv("JAEGER_TRACEID_128BIT", "")
	rep := jaeger.NewInMemoryReporter()
	tr, closer, err := Init("prop-test", append([]Option{WithReporter(rep), WithoutGlobal()}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closer.Close() })
	return tr, rep
}

// countingLogger counts the lines the tracer logs.
type countingLogger struct {
	mu    sync.Mutex
	lines []string
}

func (l *countingLogger) Error(msg string) {
	l.mu.Lock()
	l.lines = append(l.lines, msg)
	l.mu.Unlock()
}
func (l *countingLogger) Infof(msg string, args ...interface{}) { l.Error(fmt.Sprintf(msg, args...)) }
func (l *countingLogger) Debugf(string, ...interface{})         {}
func (l *countingLogger) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.lines)
}

func headerKeys(h http.Header) []string {
	var ks []string
	for k := range h {
		ks = append(ks, strings.ToLower(k))
	}
	return ks
}

// Every format, alone and in the default set, through the tracer Init builds:
// what one side injects the other extracts as the same trace, with the same
// sampling decision and baggage, in both carrier kinds.
func TestInitPropagatesEveryFormat(t *testing.T) {
	for _, tc := range []struct {
		names []string
		keys  []string // keys injected (lower case)
	}{
		{nil, []string{"uber-trace-id", "uberctx-tenant", "traceparent", "baggage"}},
		{[]string{"tracecontext", "baggage"}, []string{"traceparent", "baggage"}},
		{[]string{"b3"}, []string{"b3"}},
		{[]string{"b3multi"}, []string{"x-b3-traceid", "x-b3-spanid", "x-b3-sampled"}},
		{[]string{"jaeger"}, []string{"uber-trace-id", "uberctx-tenant"}},
	} {
		for _, sampled := range []bool{true, false} {
			name := fmt.Sprintf("%v/sampled=%v", tc.names, sampled)
			t.Run(name, func(t *testing.T) {
				var opts []Option
				if tc.names != nil {
					opts = append(opts, WithPropagators(tc.names...))
				}
				if !sampled {
					opts = append(opts, WithSampler("const", 0))
				}
				tr, _ := newTestTracer(t, opts...)
				span := tr.StartSpan("client")
				defer span.Finish()
				span.SetBaggageItem("tenant", "acme corp/€")
				sc := span.Context().(jaeger.SpanContext)
				if sc.TraceID().High == 0 {
					t.Errorf("trace id %v is 64-bit; want 128-bit by default", sc.TraceID())
				}

				h := http.Header{}
				if err := tr.Inject(sc, opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h)); err != nil {
					t.Fatal(err)
				}
				if len(h) != len(tc.keys) {
					t.Errorf("injected %v, want %v", headerKeys(h), tc.keys)
				}
				for _, k := range tc.keys {
					if h.Get(k) == "" {
						t.Errorf("%s not injected (got %v)", k, headerKeys(h))
					}
				}
				tm := opentracing.TextMapCarrier{}
				if err := tr.Inject(sc, opentracing.TextMap, tm); err != nil {
					t.Fatal(err)
				}
				for format, carrier := range map[any]any{opentracing.HTTPHeaders: opentracing.HTTPHeadersCarrier(h), opentracing.TextMap: tm} {
					got, err := tr.Extract(format, carrier)
					if err != nil {
						t.Fatalf("%v: %v", format, err)
					}
					rc := got.(jaeger.SpanContext)
					if rc.TraceID() != sc.TraceID() || rc.SpanID() != sc.SpanID() || rc.IsSampled() != sampled {
						t.Errorf("%v: extracted %v, want %v", format, rc, sc)
					}
					wantBag := "acme corp/€"
					if tc.names != nil && tc.names[0] != "jaeger" && tc.names[0] != "tracecontext" {
						wantBag = "" // b3 carries no baggage
					}
					if v := baggageOf(rc, "tenant"); v != wantBag {
						t.Errorf("%v: baggage %q, want %q", format, v, wantBag)
					}
					child := tr.StartSpan("server", ext.RPCServerOption(got))
					cc := child.Context().(jaeger.SpanContext)
					if cc.TraceID() != sc.TraceID() || cc.ParentID() != sc.SpanID() || cc.IsSampled() != sampled {
						t.Errorf("%v: child %v of %v", format, cc, sc)
					}
					child.Finish()
				}
			})
		}
	}
}

func baggageOf(sc opentracing.SpanContext, key string) string {
	var v string
	sc.ForeachBaggageItem(func(k, val string) bool {
		if k == key {
			v = val
			return false
		}
		return true
	})
	return v
}

// A W3C caller's 128-bit id is kept whole in the span and in every header
// sent on; a 64-bit Jaeger id crosses W3C zero-padded and comes back as
// the same trace.
func TestInitTraceIDWidths(t *testing.T) {
	tr, rep := newTestTracer(t)
	h := http.Header{}
	h.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	h.Set("tracestate", "congo=t61rcWkgMzE")
	parent, err := tr.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h))
	if err != nil {
		t.Fatal(err)
	}
	span := tr.StartSpan("server", ext.RPCServerOption(parent))
	out := http.Header{}
	if err := tr.Inject(span.Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(out)); err != nil {
		t.Fatal(err)
	}
	span.Finish()
	if got := rep.GetSpans()[0].(*jaeger.Span).SpanContext().TraceID().String(); got != "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Errorf("span's trace id %s", got)
	}
	if v := out.Get("uber-trace-id"); !strings.HasPrefix(v, "4bf92f3577b34da6a3ce929d0e0e4736:") || !strings.HasSuffix(v, ":00f067aa0ba902b7:1") {
		t.Errorf("uber-trace-id %q", v)
	}
	if v := out.Get("traceparent"); !strings.HasPrefix(v, "00-4bf92f3577b34da6a3ce929d0e0e4736-") || !strings.HasSuffix(v, "-01") {
		t.Errorf("traceparent %q", v)
	}
	// jaeger.SpanContext has no room for tracestate: it is not sent on (README).
	if v := out.Get("tracestate"); v != "" {
		t.Errorf("tracestate %q sent on", v)
	}

	// 64-bit: a Jaeger-only service (JAEGER_TRACEID_128BIT=false) calls a
	// W3C-only one, which calls back.
	t.Setenv("JAEGER_TRACEID_128BIT", "false")
	rep64 := jaeger.NewInMemoryReporter()
	tr64, c64, err := Init("legacy", WithReporter(rep64), WithoutGlobal())
	if err != nil {
		t.Fatal(err)
	}
	defer c64.Close()
	w3cOnly, cw, err := Init("w3c", WithReporter(jaeger.NewInMemoryReporter()), WithoutGlobal(), WithPropagators("tracecontext"))
	if err != nil {
		t.Fatal(err)
	}
	defer cw.Close()
	root := tr64.StartSpan("root")
	defer root.Finish()
	id := root.Context().(jaeger.SpanContext).TraceID()
	if id.High != 0 {
		t.Fatalf("JAEGER_TRACEID_128BIT=false gave %v", id)
	}
	hop := http.Header{}
	_ = tr64.Inject(root.Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(hop))
	if want := "00-0000000000000000" + id.String() + "-"; !strings.HasPrefix(hop.Get("traceparent"), want) {
		t.Errorf("traceparent %q, want it zero-padded (%s)", hop.Get("traceparent"), want)
	}
	hop.Del("uber-trace-id")
	mid, err := w3cOnly.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(hop))
	if err != nil {
		t.Fatal(err)
	}
	midSpan := w3cOnly.StartSpan("mid", opentracing.ChildOf(mid))
	back := http.Header{}
	_ = w3cOnly.Inject(midSpan.Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(back))
	midSpan.Finish()
	ret, err := tr64.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(back))
	if err != nil {
		t.Fatal(err)
	}
	if got := ret.(jaeger.SpanContext).TraceID(); got != id {
		t.Errorf("came back as trace %v, want %v", got, id)
	}
	last := tr64.StartSpan("last", opentracing.ChildOf(ret))
	last.Finish()
	if s := rep64.GetSpans()[0].(*jaeger.Span).SpanContext(); s.TraceID() != id {
		t.Errorf("span of the returning call in trace %v, want %v", s.TraceID(), id)
	}
}

// The extracted context behaves as jaeger's own extractor's: the same
// validity, sampling flags, open decision, debug flag; its children take the
// caller's decision for good (internal/core's unsampled fast path relies on
// it); a debug id alone starts a debug trace tagged with it.
func TestInitExtractMatchesJaegerSemantics(t *testing.T) {
	tr, rep := newTestTracer(t, WithPropagators("jaeger"))
	own := jaeger.NewHTTPHeaderPropagator(new(jaeger.HeadersConfig).ApplyDefaults(), *jaeger.NewNullMetrics())
	for _, hdr := range []map[string]string{
		{"uber-trace-id": "1:2:0:0"},
		{"uber-trace-id": "00000000000000aa00000000000000bb:2:1:1", "uberctx-k": "v%20w"},
		{"uber-trace-id": "1:2:0:3"},
		{"jaeger-debug-id": "corr-1", "uberctx-k": "v"},
		{"uberctx-only": "baggage"},
	} {
		h := http.Header{}
		for k, v := range hdr {
			h.Set(k, v)
		}
		got, err := tr.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h))
		if err != nil {
			t.Fatalf("%v: %v", hdr, err)
		}
		want, err := own.Extract(opentracing.HTTPHeadersCarrier(h))
		if err != nil {
			t.Fatal(err)
		}
		g := got.(jaeger.SpanContext)
		if g.IsValid() != want.IsValid() || g.TraceID() != want.TraceID() || g.SpanID() != want.SpanID() || g.ParentID() != want.ParentID() {
			t.Errorf("%v: ids %v, jaeger's own %v", hdr, g, want)
		}
		if g.IsValid() && (g.IsSampled() != want.IsSampled() || g.IsDebug() != want.IsDebug() || g.IsSamplingFinalized() || want.IsSamplingFinalized()) {
			t.Errorf("%v: sampled %v debug %v final %v; jaeger's own %v %v %v", hdr,
				g.IsSampled(), g.IsDebug(), g.IsSamplingFinalized(), want.IsSampled(), want.IsDebug(), want.IsSamplingFinalized())
		}
		if baggageOf(g, "k") != baggageOf(want, "k") || baggageOf(g, "only") != baggageOf(want, "only") {
			t.Errorf("%v: baggage differs from jaeger's own", hdr)
		}
		child := tr.StartSpan("server", ext.RPCServerOption(got))
		cc := child.Context().(jaeger.SpanContext)
		if g.IsValid() && (!cc.IsSamplingFinalized() || cc.IsSampled() != g.IsSampled() || cc.IsDebug() != g.IsDebug()) {
			t.Errorf("%v: child sampled %v final %v debug %v", hdr, cc.IsSampled(), cc.IsSamplingFinalized(), cc.IsDebug())
		}
		child.Finish()
	}
	var debugTag any
	for _, s := range rep.GetSpans() {
		if v, ok := s.(*jaeger.Span).Tags()[jaeger.JaegerDebugHeader]; ok {
			debugTag = v
			if !s.(*jaeger.Span).SpanContext().IsDebug() {
				t.Error("debug-id span not debug")
			}
		}
	}
	if debugTag != "corr-1" {
		t.Errorf("jaeger-debug-id tag %v", debugTag)
	}
}

// What this tracer injects in the Jaeger format, jaeger-client-go's own
// propagators read, and the other way round (the other jaeger clients
// interoperate with those).
func TestInitJaegerWireCompatibility(t *testing.T) {
	tr, _ := newTestTracer(t, WithPropagators("jaeger"))
	hc := new(jaeger.HeadersConfig).ApplyDefaults()
	m := *jaeger.NewNullMetrics()
	for _, c := range []struct {
		format any
		own    *jaeger.TextMapPropagator
		mk     func() (opentracing.TextMapWriter, opentracing.TextMapReader)
	}{
		{opentracing.HTTPHeaders, jaeger.NewHTTPHeaderPropagator(hc, m), func() (opentracing.TextMapWriter, opentracing.TextMapReader) {
			h := opentracing.HTTPHeadersCarrier(http.Header{})
			return h, h
		}},
		{opentracing.TextMap, jaeger.NewTextMapPropagator(hc, m), func() (opentracing.TextMapWriter, opentracing.TextMapReader) {
			tm := opentracing.TextMapCarrier{}
			return tm, tm
		}},
	} {
		span := tr.StartSpan("x")
		span.SetBaggageItem("k", "a b&c=d/€%")
		span.SetBaggageItem("plain", "v")
		sc := span.Context().(jaeger.SpanContext)

		w, r := c.mk()
		if err := tr.Inject(sc, c.format, w); err != nil {
			t.Fatal(err)
		}
		theirs, err := c.own.Extract(r)
		if err != nil || theirs.TraceID() != sc.TraceID() || theirs.SpanID() != sc.SpanID() || theirs.Flags() != sc.Flags() ||
			baggageOf(theirs, "k") != "a b&c=d/€%" || baggageOf(theirs, "plain") != "v" {
			t.Errorf("%v: jaeger's own read %v (%v), want %v", c.format, theirs, err, sc)
		}

		w, r = c.mk()
		if err := c.own.Inject(sc, w); err != nil {
			t.Fatal(err)
		}
		ours, err := tr.Extract(c.format, r)
		if err != nil {
			t.Fatal(err)
		}
		o := ours.(jaeger.SpanContext)
		if o.TraceID() != sc.TraceID() || o.SpanID() != sc.SpanID() || o.Flags() != sc.Flags() || baggageOf(o, "k") != "a b&c=d/€%" {
			t.Errorf("%v: read %v from jaeger's own, want %v", c.format, o, sc)
		}
		span.Finish()
	}
}

// Issue 17: jaeger-client-go's propagator printed one line per malformed
// jaeger-baggage entry through the standard log package, past WithLogger: a
// header of 4,000 commas printed 4,001 lines. Now the standard log stays
// silent and the configured logger gets one line per kind of problem per
// minute, however many requests carry it.
func TestInitHostileBaggageDoesNotFloodLogs(t *testing.T) {
	var std bytes.Buffer
	log.SetOutput(&std)
	defer log.SetOutput(logOutput)
	logger := &countingLogger{}
	tr, _ := newTestTracer(t, WithLogger(logger))

	for i := 0; i < 50; i++ {
		h := http.Header{}
		h.Set("jaeger-baggage", strings.Repeat(",", 4000))
		h.Set("uber-trace-id", "4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7:0:1")
		sc, err := tr.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h))
		if err != nil || !sc.(jaeger.SpanContext).IsValid() {
			t.Fatalf("the trace did not survive a hostile jaeger-baggage: %v, %v", sc, err)
		}
		tm := opentracing.TextMapCarrier{"jaeger-baggage": strings.Repeat("x,", 4000), "uber-trace-id": "1:2:0:1"}
		if _, err := tr.Extract(opentracing.TextMap, tm); err != nil {
			t.Fatal(err)
		}
	}
	if n := strings.Count(std.String(), "\n"); n != 0 {
		t.Errorf("the standard log got %d lines:\n%.300s", n, std.String())
	}
	if n := logger.count(); n != 1 {
		t.Errorf("the configured logger got %d lines, want 1: %q", n, logger.lines)
	}
	if !strings.Contains(logger.lines[0], "jaeger-baggage malformed") {
		t.Errorf("line %q does not say what was wrong", logger.lines[0])
	}
}

var logOutput = log.Writer()

func TestRemoteLogRateLimit(t *testing.T) {
	logger := &countingLogger{}
	l := newRemoteLog(logger)
	now := time.Unix(1000, 0)
	l.now = func() time.Time { return now }
	for i := 0; i < 10; i++ {
		l.report(propagation.TraceparentInvalid|propagation.BaggageUnsafe, false)
	}
	l.report(propagation.BaggageUnsafe, true) // injecting is its own kind
	if logger.count() != 3 {
		t.Fatalf("lines %q", logger.lines)
	}
	now = now.Add(time.Minute)
	l.report(propagation.TraceparentInvalid, false)
	if logger.count() != 4 || !strings.Contains(logger.lines[3], "(9 more since the last report)") {
		t.Errorf("after a minute: %q", logger.lines)
	}
}

// Hostile input never fails a call: broken or conflicting headers give the
// usable context, or a new root with the error the wrappers tag.
func TestInitHostileInput(t *testing.T) {
	logger := &countingLogger{}
	tr, _ := newTestTracer(t, WithLogger(logger))
	extract := func(kv ...string) (jaeger.SpanContext, error) {
		h := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			h.Add(kv[i], kv[i+1])
		}
		sc, err := tr.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h))
		if err != nil {
			return jaeger.SpanContext{}, err
		}
		return sc.(jaeger.SpanContext), nil
	}
	if _, err := extract("traceparent", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"); !errors.Is(err, opentracing.ErrSpanContextCorrupted) {
		t.Errorf("upper-case traceparent: %v", err)
	}
	if _, err := extract("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		"traceparent", "00-11111111111111111111111111111111-00f067aa0ba902b7-01"); !errors.Is(err, opentracing.ErrSpanContextCorrupted) {
		t.Errorf("two traceparents: %v", err)
	}
	sc, err := extract("uber-trace-id", "abc:def:0:1", "traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	if err != nil || sc.TraceID().String() != "0000000000000abc" {
		t.Errorf("conflict: %v %v; want the Jaeger context (first in the default order)", sc, err)
	}
	sc, err = extract("traceparent", "bogus", "baggage", "k=v")
	if err != nil || sc.IsValid() || baggageOf(sc, "k") != "v" {
		t.Errorf("broken traceparent with baggage: %v %v; want baggage only", sc, err)
	}
	if _, err := extract("x-unrelated", "1"); !errors.Is(err, opentracing.ErrSpanContextNotFound) {
		t.Errorf("no trace headers: %v", err)
	}
	if _, err := tr.Extract(opentracing.HTTPHeaders, "not a carrier"); !errors.Is(err, opentracing.ErrInvalidCarrier) {
		t.Errorf("bad carrier: %v", err)
	}
	if logger.count() == 0 {
		t.Error("nothing logged")
	}
}

func TestInitUnknownPropagator(t *testing.T) {
	clearJaegerEnv(t)
	t.Setenv("OTEL_PROPAGATORS", "xray")
	if _, _, err := Init("x", WithReporter(jaeger.NewNullReporter()), WithoutGlobal()); err == nil || !strings.Contains(err.Error(), "xray") {
		t.Errorf("Init with OTEL_PROPAGATORS=xray: %v", err)
	}
	t.Setenv("OTEL_PROPAGATORS", "none")
	tr, c, err := Init("x", WithReporter(jaeger.NewNullReporter()), WithoutGlobal())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	span := tr.StartSpan("s")
	defer span.Finish()
	h := http.Header{}
	_ = tr.Inject(span.Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h))
	if len(h) != 0 {
		t.Errorf("none injected %v", h)
	}
}

// Jaeger header names renamed in jaeger-client-go's configuration are used.
func TestInitCustomJaegerHeaders(t *testing.T) {
	tr, _ := newTestTracer(t, WithPropagators("jaeger"), WithConfig(func(c *jaegercfg.Configuration) {
		c.Headers = &jaeger.HeadersConfig{TraceContextHeaderName: "x-trace", TraceBaggageHeaderPrefix: "x-ctx-"}
	}))
	span := tr.StartSpan("s")
	defer span.Finish()
	span.SetBaggageItem("k", "v")
	h := http.Header{}
	_ = tr.Inject(span.Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h))
	if h.Get("x-trace") == "" || h.Get("x-ctx-k") != "v" || h.Get("uber-trace-id") != "" {
		t.Fatalf("injected %v", h)
	}
	sc, err := tr.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h))
	if err != nil || sc.(jaeger.SpanContext).SpanID() != span.Context().(jaeger.SpanContext).SpanID() || baggageOf(sc, "k") != "v" {
		t.Errorf("extracted %v, %v", sc, err)
	}
}
