package tracetest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"github.com/opentracing/opentracing-go/log"
	"github.com/opentracing/opentracing-go/mocktracer"
	"github.com/uber/jaeger-client-go"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestBenchTracers(t *testing.T) {
	var names []string
	for _, bt := range BenchTracers() {
		names = append(names, bt.Name)
		tr := bt.Tracer(t)
		if tr == nil {
			t.Fatalf("%s: nil tracer", bt.Name)
		}
		span := tr.StartSpan("x")
		span.Finish()
		sc, isJaeger := span.Context().(jaeger.SpanContext)
		if isJaeger && sc.IsSampled() != (bt.Name == "jaeger-sampled") {
			t.Errorf("%s: sampled %v", bt.Name, sc.IsSampled())
		}
		if m, ok := tr.(*mocktracer.MockTracer); ok {
			bt.Trim(1)
			if len(m.FinishedSpans()) != 1 {
				t.Errorf("Trim(1) reset the mock")
			}
			bt.Trim(0)
			if len(m.FinishedSpans()) != 0 {
				t.Errorf("Trim(0) kept %d spans", len(m.FinishedSpans()))
			}
			span := tr.StartSpan("y")
			span.Finish()
			bt.Reset()
			if len(m.FinishedSpans()) != 0 {
				t.Errorf("Reset kept %d spans", len(m.FinishedSpans()))
			}
		}
	}
	if fmt.Sprint(names) != "[noop mock jaeger-sampled jaeger-unsampled]" {
		t.Fatalf("tracers %v", names)
	}
	if Bare.Tracer(t) != nil {
		t.Fatal("Bare has a tracer")
	}
	Bare.Trim(0)
	Bare.Reset()
}

func TestParentContext(t *testing.T) {
	if opentracing.SpanFromContext(ParentContext(nil)) != nil {
		t.Fatal("span for a nil tracer")
	}
	tr := mocktracer.New()
	if s, ok := opentracing.SpanFromContext(ParentContext(tr)).(*mocktracer.MockSpan); !ok || s.OperationName != "parent" {
		t.Fatalf("parent %v", s)
	}
}

func TestJaegerKeepsSampledSpans(t *testing.T) {
	for _, sampled := range []bool{true, false} {
		tr, rep := Jaeger(t, "svc", sampled)
		tr.StartSpan("x").Finish()
		if want := map[bool]int{true: 1, false: 0}[sampled]; rep.SpansSubmitted() != want {
			t.Errorf("sampled %v: %d spans reported", sampled, rep.SpansSubmitted())
		}
	}
}

func TestSpanLookups(t *testing.T) {
	tr := mocktracer.New()
	client := tr.StartSpan("c", ext.SpanKindRPCClient)
	client.LogFields(log.String("event", "retry"), log.Int("attempt", 1))
	client.LogFields(log.String("event", "error"), log.String("message", "boom"))
	client.Finish()
	tr.StartSpan("s", ext.SpanKindRPCServer).Finish()
	tr.StartSpan("plain").Finish()

	c := WaitOne(t, tr, ext.SpanKindRPCClientEnum)
	if c.OperationName != "c" || len(ByKind(tr, ext.SpanKindRPCServerEnum)) != 1 || len(ByKind(tr, ext.SpanKindProducerEnum)) != 0 {
		t.Fatalf("by kind: %v", tr.FinishedSpans())
	}
	if got := LogFields(c); len(got) != 2 || got[0]["attempt"] != "1" || got[1]["message"] != "boom" {
		t.Fatalf("log fields %v", got)
	}
	if f := ErrorLog(c); f["message"] != "boom" {
		t.Fatalf("error log %v", f)
	}
	if EventLog(c, "retry")["attempt"] != "1" || EventLog(c, "none") != nil || ErrorLog(WaitOne(t, tr, ext.SpanKindRPCServerEnum)) != nil {
		t.Fatal("event log")
	}
}

// recorder is a testing.TB that only counts failures.
type recorder struct {
	testing.TB
	errors, fatals int
}

func (r *recorder) Helper()               {}
func (r *recorder) Errorf(string, ...any) { r.errors++ }
func (r *recorder) Fatal(...any)          { r.fatals++; panic(r) }
func (r *recorder) Fatalf(string, ...any) { r.fatals++; panic(r) }

func TestAssertNoSecret(t *testing.T) {
	tr := mocktracer.New()
	s := tr.StartSpan("op").SetTag("db.user", "alice")
	s.LogFields(log.String("event", "error"), log.String("message", "password=hunter2"))
	s.Finish()
	spans := tr.FinishedSpans()
	for secret, want := range map[string]int{"hunter2": 1, "alice": 1, "op": 1, "message": 1, "bob": 0} {
		r := &recorder{TB: t}
		AssertNoSecret(r, spans, secret)
		if r.errors != want {
			t.Errorf("%q: %d errors, want %d", secret, r.errors, want)
		}
	}
}

func TestWaitOneFailsOnTwo(t *testing.T) {
	tr := mocktracer.New()
	tr.StartSpan("a", ext.SpanKindRPCClient).Finish()
	tr.StartSpan("b", ext.SpanKindRPCClient).Finish()
	r := &recorder{TB: t}
	func() {
		defer func() { _ = recover() }()
		WaitOne(r, tr, ext.SpanKindRPCClientEnum)
	}()
	if r.fatals != 1 {
		t.Fatalf("%d fatals", r.fatals)
	}
}

type client struct {
	startErr        error
	started, closed bool
}

func (c *client) Start() error    { c.started = true; return c.startErr }
func (c *client) Shutdown() error { c.closed = true; return nil }

func TestStarted(t *testing.T) {
	var c *client
	t.Run("ok", func(t *testing.T) {
		c = Started(t, &client{}, nil)
		if !c.started || c.closed {
			t.Fatalf("%+v", c)
		}
	})
	if !c.closed {
		t.Fatal("not shut down at cleanup")
	}
	for name, tc := range map[string]struct{ newErr, startErr error }{
		"constructor": {newErr: errors.New("new")},
		"start":       {startErr: errors.New("start")},
	} {
		r := &recorder{TB: t}
		func() {
			defer func() { _ = recover() }()
			Started(r, &client{startErr: tc.startErr}, tc.newErr)
		}()
		if r.fatals != 1 {
			t.Errorf("%s: %d fatals", name, r.fatals)
		}
	}
}
