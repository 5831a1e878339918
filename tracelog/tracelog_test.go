package tracelog_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/mocktracer"
	"github.com/uber/jaeger-client-go"
	otelbridge "go.opentelemetry.io/otel/bridge/opentracing"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.uber.org/goleak"

	"github.com/tracewrap/tracewrap/internal/core"
	wraptest "github.com/tracewrap/tracewrap/internal/tracetest"
	"github.com/tracewrap/tracewrap/nethttp"
	"github.com/tracewrap/tracewrap/tracelog"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// span is a started span of some tracer and the ids its tracer reports for
// it, read with the tracer's own API.
type tracerCase struct {
	name  string
	start func(t *testing.T) (span opentracing.Span, traceID, spanID string)
}

func tracers() []tracerCase {
	return []tracerCase{
		{"jaeger", func(t *testing.T) (opentracing.Span, string, string) {
			tr, _ := wraptest.Jaeger(t, "tracelog", true)
			s := tr.StartSpan("op")
			sc := s.Context().(jaeger.SpanContext)
			return s, sc.TraceID().String(), sc.SpanID().String()
		}},
		{"jaeger-128bit", func(t *testing.T) (opentracing.Span, string, string) {
			tr, closer := jaeger.NewTracer("tracelog", jaeger.NewConstSampler(true), jaeger.NewInMemoryReporter(), jaeger.TracerOptions.Gen128Bit(true))
			t.Cleanup(func() { closer.Close() })
			s := tr.StartSpan("op")
			sc := s.Context().(jaeger.SpanContext)
			if sc.TraceID().High == 0 {
				t.Fatal("not a 128-bit trace id")
			}
			return s, sc.TraceID().String(), sc.SpanID().String()
		}},
		{"jaeger-unsampled", func(t *testing.T) (opentracing.Span, string, string) {
			tr, _ := wraptest.Jaeger(t, "tracelog", false)
			s := tr.StartSpan("op")
			sc := s.Context().(jaeger.SpanContext)
			return s, sc.TraceID().String(), sc.SpanID().String()
		}},
		{"mocktracer", func(t *testing.T) (opentracing.Span, string, string) {
			s := mocktracer.New().StartSpan("op").(*mocktracer.MockSpan)
			return s, strconv.Itoa(s.SpanContext.TraceID), strconv.Itoa(s.SpanContext.SpanID)
		}},
		{"otel-bridge", func(t *testing.T) (opentracing.Span, string, string) {
			rec := tracetest.NewSpanRecorder()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
			t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
			bt, _ := otelbridge.NewTracerPair(tp.Tracer("tracelog"))
			s := bt.StartSpan("op")
			s.Finish()
			ended := rec.Ended()
			if len(ended) != 1 {
				t.Fatalf("%d spans recorded", len(ended))
			}
			sc := ended[0].SpanContext()
			return s, sc.TraceID().String(), sc.SpanID().String()
		}},
	}
}

func TestIDsOfEveryTracer(t *testing.T) {
	for _, tc := range tracers() {
		t.Run(tc.name, func(t *testing.T) {
			span, wantTrace, wantSpan := tc.start(t)
			defer span.Finish()
			if wantTrace == "" || wantSpan == "" {
				t.Fatal("the tracer gave no ids")
			}
			ctx := opentracing.ContextWithSpan(context.Background(), span)
			if got := tracelog.TraceID(ctx); got != wantTrace {
				t.Errorf("TraceID = %q, want %q", got, wantTrace)
			}
			if got := tracelog.SpanID(ctx); got != wantSpan {
				t.Errorf("SpanID = %q, want %q", got, wantSpan)
			}
			if tr, sp := tracelog.IDs(span); tr != wantTrace || sp != wantSpan {
				t.Errorf("IDs = %q %q", tr, sp)
			}
			// A child context keeps the ids of the innermost span.
			child := span.Tracer().StartSpan("child", opentracing.ChildOf(span.Context()))
			defer child.Finish()
			cctx := opentracing.ContextWithSpan(ctx, child)
			if tracelog.TraceID(cctx) != wantTrace || tracelog.SpanID(cctx) == wantSpan || tracelog.SpanID(cctx) == "" {
				t.Errorf("child: trace %q span %q", tracelog.TraceID(cctx), tracelog.SpanID(cctx))
			}
		})
	}
}

func TestNoSpanNoIDs(t *testing.T) {
	for _, ctx := range []context.Context{
		context.Background(),
		nil, //nolint:staticcheck // a nil ctx must not panic
		opentracing.ContextWithSpan(context.Background(), opentracing.NoopTracer{}.StartSpan("x")),
	} {
		if tracelog.TraceID(ctx) != "" || tracelog.SpanID(ctx) != "" {
			t.Errorf("ids in %v", ctx)
		}
	}
	if a, b := tracelog.IDs(nil); a != "" || b != "" {
		t.Error("ids of a nil span")
	}
}

// A string-keyed span (gin's c.Keys, see core.SpanKey) is found when the
// opentracing key is not there, and loses to it when both are.
func TestStringKeyedSpan(t *testing.T) {
	tr := mocktracer.New()
	outer := tr.StartSpan("outer").(*mocktracer.MockSpan)
	ctx := context.WithValue(context.Background(), core.SpanKey, opentracing.Span(outer)) //nolint:staticcheck // what gin's Keys do
	if got := tracelog.SpanID(ctx); got != strconv.Itoa(outer.SpanContext.SpanID) {
		t.Fatalf("string-keyed span not found: %q", got)
	}
	inner := tr.StartSpan("inner", opentracing.ChildOf(outer.Context())).(*mocktracer.MockSpan)
	if got := tracelog.SpanID(opentracing.ContextWithSpan(ctx, inner)); got != strconv.Itoa(inner.SpanContext.SpanID) {
		t.Fatalf("the opentracing key must win: %q", got)
	}
}

// The stand-in span a server makes for a caller's unsampled trace answers
// with the trace id without starting a real span, and gets its span id
// when the real one exists.
func TestUnsampledServerSpan(t *testing.T) {
	tr, rep := wraptest.Jaeger(t, "tracelog", false)
	caller := tr.StartSpan("caller")
	defer caller.Finish()
	wantTrace := caller.Context().(jaeger.SpanContext).TraceID().String()
	h := http.Header{}
	if err := tr.Inject(caller.Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h)); err != nil {
		t.Fatal(err)
	}
	var gotTrace, gotSpan, afterSpan string
	srv := nethttp.Middleware(tr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotTrace, gotSpan = tracelog.TraceID(r.Context()), tracelog.SpanID(r.Context())
		span := opentracing.SpanFromContext(r.Context())
		span.SetBaggageItem("k", "v") // starts the real span
		afterSpan = tracelog.SpanID(r.Context())
		if real := span.Context().(jaeger.SpanContext); afterSpan != real.SpanID().String() || real.TraceID().String() != wantTrace {
			t.Errorf("after: span %q, real %v", afterSpan, real)
		}
	}))
	req := httptest.NewRequest("GET", "/x", nil)
	req.Header = h
	srv.ServeHTTP(httptest.NewRecorder(), req)
	if gotTrace != wantTrace || gotSpan != "" {
		t.Fatalf("stand-in: trace %q (want %q) span %q (want none)", gotTrace, wantTrace, gotSpan)
	}
	if afterSpan == "" {
		t.Fatal("no span id once the real span exists")
	}
	if n := len(rep.GetSpans()); n != 0 {
		t.Fatalf("unsampled spans reported: %d", n)
	}
}

// logLines decodes the JSON lines of buf.
func logLines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	dec := json.NewDecoder(buf)
	for dec.More() {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

func TestHandlerAddsIDs(t *testing.T) {
	for _, tc := range tracers() {
		t.Run(tc.name, func(t *testing.T) {
			span, wantTrace, wantSpan := tc.start(t)
			defer span.Finish()
			ctx := opentracing.ContextWithSpan(context.Background(), span)
			var buf bytes.Buffer
			log := slog.New(tracelog.NewHandler(slog.NewJSONHandler(&buf, nil)))

			log.InfoContext(ctx, "with span", "k", "v")
			log.Info("without a context")
			log.InfoContext(context.Background(), "without a span")
			lines := logLines(t, &buf)
			if len(lines) != 3 {
				t.Fatalf("%d lines", len(lines))
			}
			if l := lines[0]; l["trace_id"] != wantTrace || l["span_id"] != wantSpan || l["k"] != "v" || l["msg"] != "with span" {
				t.Errorf("line with span: %v", l)
			}
			for _, l := range lines[1:] {
				if _, ok := l["trace_id"]; ok {
					t.Errorf("ids without a span: %v", l)
				}
				if _, ok := l["span_id"]; ok {
					t.Errorf("ids without a span: %v", l)
				}
			}
		})
	}
}

func TestHandlerWithAttrsAndGroups(t *testing.T) {
	tr := mocktracer.New()
	span := tr.StartSpan("op").(*mocktracer.MockSpan)
	ctx := opentracing.ContextWithSpan(context.Background(), span)
	wantTrace, wantSpan := strconv.Itoa(span.SpanContext.TraceID), strconv.Itoa(span.SpanContext.SpanID)

	var buf bytes.Buffer
	base := slog.New(tracelog.NewHandler(slog.NewJSONHandler(&buf, nil)))
	withAttrs := base.With("svc", "web")
	grouped := withAttrs.WithGroup("req").With("method", "GET").WithGroup("inner")
	withAttrs.InfoContext(ctx, "attrs", "n", 1)
	grouped.InfoContext(ctx, "grouped", "n", 2)
	grouped.Info("grouped, no span", "n", 3)
	base.WithGroup("").InfoContext(ctx, "empty group", "n", 4)

	lines := logLines(t, &buf)
	if len(lines) != 4 {
		t.Fatalf("%d lines", len(lines))
	}
	if l := lines[0]; l["svc"] != "web" || l["n"] != float64(1) || l["trace_id"] != wantTrace || l["span_id"] != wantSpan {
		t.Errorf("WithAttrs: %v", l)
	}
	// {"svc":"web","trace_id":..,"span_id":..,"req":{"method":"GET","inner":{"n":2}}}
	l := lines[1]
	req, _ := l["req"].(map[string]any)
	inner, _ := req["inner"].(map[string]any)
	if l["svc"] != "web" || l["trace_id"] != wantTrace || l["span_id"] != wantSpan || req["method"] != "GET" || inner["n"] != float64(2) {
		t.Errorf("groups: %v", l)
	}
	if _, ok := req["trace_id"]; ok {
		t.Errorf("ids inside the group: %v", l)
	}
	l = lines[2]
	req, _ = l["req"].(map[string]any)
	inner, _ = req["inner"].(map[string]any)
	if _, ok := l["trace_id"]; ok || req["method"] != "GET" || inner["n"] != float64(3) {
		t.Errorf("groups without a span: %v", l)
	}
	if l := lines[3]; l["trace_id"] != wantTrace || l["n"] != float64(4) {
		t.Errorf("empty group: %v", l)
	}
	if h := tracelog.NewHandler(base.Handler()); h != base.Handler() {
		t.Error("a handler wrapped twice adds the ids twice")
	}
}

// Enabled is the wrapped handler's, and a record is not changed for other
// handlers that see it.
func TestHandlerEnabledAndRecordUnchanged(t *testing.T) {
	var buf bytes.Buffer
	h := tracelog.NewHandler(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if h.Enabled(context.Background(), slog.LevelInfo) || !h.Enabled(context.Background(), slog.LevelError) {
		t.Fatal("Enabled is not the wrapped handler's")
	}
	span := mocktracer.New().StartSpan("op")
	ctx := opentracing.ContextWithSpan(context.Background(), span)
	r := slog.NewRecord(span.(*mocktracer.MockSpan).StartTime, slog.LevelError, "m", 0)
	for i := range 6 { // past the Record's inline attributes
		r.AddAttrs(slog.Int("a"+strconv.Itoa(i), i))
	}
	if err := h.Handle(ctx, r); err != nil {
		t.Fatal(err)
	}
	if r.NumAttrs() != 6 {
		t.Fatalf("the caller's record changed: %d attributes", r.NumAttrs())
	}
	if l := logLines(t, &buf); len(l) != 1 || l[0]["trace_id"] == nil || l[0]["a5"] != float64(5) {
		t.Fatalf("%v", l)
	}
}
