package sqltrace

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/mocktracer"
	"github.com/uber/jaeger-client-go"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracewrap/tracewrap/internal/core"
	"github.com/tracewrap/tracewrap/internal/tracetest"
)

// sentExec runs one exec under a parent span with baggage and returns the
// statement the driver received and the exec span's context.
func sentExec(t *testing.T, tr opentracing.Tracer, opts ...Option) string {
	t.Helper()
	db, rec := openFake(t, "modern", append([]Option{WithTracer(tr)}, opts...)...)
	parent := tr.StartSpan("parent")
	parent.SetBaggageItem("user-email", "ann@example.com")
	ctx := opentracing.ContextWithSpan(context.Background(), parent)
	db.PingContext(ctx)
	rec.take()
	if _, err := db.ExecContext(ctx, "insert ?", 1); err != nil {
		t.Fatal(err)
	}
	for _, c := range rec.take() {
		if strings.HasPrefix(c, "exec ") {
			if strings.Contains(c, "example") || strings.Contains(c, "email") {
				t.Fatalf("baggage in the comment: %q", c)
			}
			if i := strings.LastIndex(c, " ["); i > 0 {
				c = c[:i] // the recorder's arguments
			}
			return strings.TrimPrefix(c, "exec ")
		}
	}
	t.Fatal("no exec reached the driver")
	return ""
}

func TestTraceparentCommentDerivedFromJaeger(t *testing.T) {
	tr, rep := tracetest.Jaeger(t, "sqltrace-test", true)
	exec := func() jaeger.SpanContext {
		spans := rep.GetSpans()
		return spans[len(spans)-1].(*jaeger.Span).SpanContext()
	}
	want := func(sc jaeger.SpanContext) string {
		return fmt.Sprintf("00-%016x%016x-%016x-01", sc.TraceID().High, sc.TraceID().Low, uint64(sc.SpanID()))
	}

	sent := sentExec(t, tr, WithTraceComment(CommentTraceparent))
	sc := exec()
	if w := "insert ? /*traceparent='" + want(sc) + "'*/"; sent != w {
		t.Fatalf("sent %q, want %q", sent, w)
	}

	rep.Reset()
	sent = sentExec(t, tr, WithTraceComment(CommentInjected, CommentTraceparent))
	sc = exec()
	w := "insert ? /*traceparent='" + want(sc) + "',uber-trace-id='" + escapeCommentValue(sc.String()) + "'*/"
	if sent != w {
		t.Fatalf("sent %q, want %q", sent, w)
	}

	rep.Reset()
	if sent = sentExec(t, tr, WithTraceComment()); strings.Contains(sent, "traceparent") || !strings.Contains(sent, "uber-trace-id=") {
		t.Fatalf("default form: %q", sent)
	}
}

func TestTraceparentCommentDerivedFromMocktracer(t *testing.T) {
	tr := mocktracer.New()
	sent := sentExec(t, tr, WithTraceComment(CommentTraceparent))
	exec := tr.FinishedSpans()[len(tr.FinishedSpans())-1]
	w := fmt.Sprintf("insert ? /*traceparent='00-%032x-%016x-01'*/", exec.SpanContext.TraceID, exec.SpanContext.SpanID)
	if exec.OperationName != "sql.exec" || sent != w {
		t.Fatalf("sent %q, want %q (span %s)", sent, w, exec.OperationName)
	}
}

// w3cTracer is mocktracer that also injects W3C Trace Context, as a tracer
// with W3C propagation does: its own traceparent is used as it is.
type w3cTracer struct{ *mocktracer.MockTracer }

func (w w3cTracer) Inject(sc opentracing.SpanContext, format, carrier any) error {
	if err := w.MockTracer.Inject(sc, format, carrier); err != nil {
		return err
	}
	m := sc.(mocktracer.MockSpanContext)
	c := carrier.(opentracing.TextMapWriter)
	c.Set("traceparent", fmt.Sprintf("00-%032x-%016x-01", m.TraceID, m.SpanID+1000))
	c.Set("tracestate", "vendor=x y")
	sc.ForeachBaggageItem(func(k, v string) bool {
		c.Set("baggage", k+"="+v) // W3C baggage, as the OpenTelemetry bridge injects it
		return true
	})
	return nil
}

func (w w3cTracer) StartSpan(name string, opts ...opentracing.StartSpanOption) opentracing.Span {
	return w3cSpan{w.MockTracer.StartSpan(name, opts...), w}
}

type w3cSpan struct {
	opentracing.Span
	tr w3cTracer
}

func (s w3cSpan) Tracer() opentracing.Tracer { return s.tr }

func TestTraceparentCommentUsesTheTracersOwn(t *testing.T) {
	tr := w3cTracer{mocktracer.New()}
	sent := sentExec(t, tr, WithTraceComment(CommentTraceparent))
	exec := tr.FinishedSpans()[len(tr.FinishedSpans())-1]
	tp := fmt.Sprintf("00-%032x-%016x-01", exec.SpanContext.TraceID, exec.SpanContext.SpanID+1000)
	if w := "insert ? /*traceparent='" + tp + "',tracestate='vendor%3Dx%20y'*/"; sent != w {
		t.Fatalf("sent %q, want %q", sent, w)
	}
	sent = sentExec(t, tr, WithTraceComment())
	if !strings.Contains(sent, "mockpfx-ids-traceid=") || !strings.Contains(sent, "traceparent=") || !strings.Contains(sent, "tracestate=") {
		t.Fatalf("CommentInjected lost entries: %q", sent)
	}
}

// otelLike has the shape of the OpenTelemetry bridge's span context, which
// embeds trace.SpanContext.
type otelLike struct{ trace.SpanContext }

func (otelLike) ForeachBaggageItem(func(k, v string) bool) {}

// Baggage named like the end of a trace key ("trace-id", "id") does not hide
// the trace key from the comment.
func TestTraceCommentBaggageNamedLikeTraceKeys(t *testing.T) {
	tr, _ := tracetest.Jaeger(t, "sqltrace-test", true)
	db, rec := openFake(t, "modern", WithTracer(tr), WithTraceComment())
	parent := tr.StartSpan("parent")
	parent.SetBaggageItem("trace-id", "x")
	parent.SetBaggageItem("id", "y")
	ctx := opentracing.ContextWithSpan(context.Background(), parent)
	db.PingContext(ctx)
	rec.take()
	db.ExecContext(ctx, "insert ?", 1)
	calls := rec.take()
	for _, c := range calls {
		if strings.HasPrefix(c, "exec ") && strings.Contains(c, "/*uber-trace-id='") {
			return
		}
	}
	t.Fatalf("sent %q", calls)
}

func TestTraceparentOf(t *testing.T) {
	tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	otel := otelLike{trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid})}
	j := jaeger.NewSpanContext(jaeger.TraceID{High: 0x4bf92f3577b34da6, Low: 0xa3ce929d0e0e4736}, 0xf067aa0ba902b7, 0, true, nil)
	for name, c := range map[string]struct {
		sc   opentracing.SpanContext
		want string
	}{
		"otel":        {otel, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
		"jaeger 128":  {j, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
		"jaeger 64":   {jaeger.NewSpanContext(jaeger.TraceID{Low: 1}, 2, 0, true, nil), "00-00000000000000000000000000000001-0000000000000002-01"},
		"mock":        {mocktracer.MockSpanContext{TraceID: 10, SpanID: 11}, "00-0000000000000000000000000000000a-000000000000000b-01"},
		"zero trace":  {jaeger.NewSpanContext(jaeger.TraceID{}, 2, 0, true, nil), ""},
		"zero span":   {otelLike{}, ""},
		"no ids":      {opentracing.NoopTracer{}.StartSpan("x").Context(), ""},
		"nil pointer": {(*otelLike)(nil), ""},
	} {
		if got := core.Traceparent(c.sc); got != c.want {
			t.Errorf("%s: %q, want %q", name, got, c.want)
		}
	}
}

// TestMySQLTraceparentInProcesslist: on a real MariaDB, while a statement
// runs, the processlist shows it with the W3C traceparent of its span.
func TestMySQLTraceparentInProcesslist(t *testing.T) {
	tr, reporter := tracetest.Jaeger(t, "sqltrace-test", true)
	db := openMySQL(t, mysqlDSN(t, "interpolateParams=true"), WithTracer(tr), WithTraceComment(CommentTraceparent))
	observer := openBare(t, mysqlDSN(t))
	parent := tr.StartSpan("request")
	ctx := opentracing.ContextWithSpan(context.Background(), parent)
	info := sleepInProcesslist(t, ctx, db, observer)
	q := reporter.GetSpans()[0].(*jaeger.Span).SpanContext()
	want := fmt.Sprintf("SELECT SLEEP(1) /*traceparent='00-%016x%016x-%016x-01'*/", q.TraceID().High, q.TraceID().Low, uint64(q.SpanID()))
	if info != want {
		t.Fatalf("processlist shows %q, want %q", info, want)
	}
}
