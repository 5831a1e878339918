package core

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"github.com/opentracing/opentracing-go/mocktracer"

	"github.com/tracewrap/tracewrap/internal/tracetest"
)

type call struct{ name string }

func newCfg(tr opentracing.Tracer, opts ...Option[call]) *Config[call] {
	return New(Defaults[call]{Component: "test", Kind: ext.SpanKindRPCClientEnum,
		IsError: func(_ call, err error) bool { return !errors.Is(err, io.EOF) }},
		append([]Option[call]{WithTracer[call](tr)}, opts...)...)
}

func TestStartFromContextIsChildOfSpanInContext(t *testing.T) {
	tr := mocktracer.New()
	parent := tr.StartSpan("parent")
	ctx := opentracing.ContextWithSpan(context.Background(), parent)

	c := newCfg(tr)
	span, ctx2 := c.StartFromContext(ctx, call{"x"}, "op", time.Time{})
	if span == nil {
		t.Fatal("no span")
	}
	if opentracing.SpanFromContext(ctx2) != span {
		t.Fatal("returned ctx does not carry the new span")
	}
	c.Finish(span, call{}, nil, time.Time{})
	parent.Finish()

	got := tr.FinishedSpans()[0]
	if got.ParentID != parent.(*mocktracer.MockSpan).SpanContext.SpanID {
		t.Fatalf("parent id %d, want %d", got.ParentID, parent.(*mocktracer.MockSpan).SpanContext.SpanID)
	}
	if got.OperationName != "op" || got.Tag("component") != "test" || got.Tag("span.kind") != ext.SpanKindRPCClientEnum {
		t.Fatalf("unexpected span %s %v", got.OperationName, got.Tags())
	}
}

func TestStartWithoutParentIsRootUnlessChildSpansOnly(t *testing.T) {
	tr := mocktracer.New()
	span, _ := newCfg(tr).StartFromContext(context.Background(), call{}, "op", time.Time{})
	if span == nil || span.(*mocktracer.MockSpan).ParentID != 0 {
		t.Fatal("want a root span")
	}
	span, ctx := newCfg(tr, WithChildSpansOnly[call]()).StartFromContext(context.Background(), call{}, "op", time.Time{})
	if span != nil || ctx != context.Background() {
		t.Fatal("WithChildSpansOnly made a root span")
	}
}

func TestFollowsFromReferencesAndBackdating(t *testing.T) {
	tr := mocktracer.New()
	a, b := tr.StartSpan("a"), tr.StartSpan("b")
	start := time.Now().Add(-time.Hour)
	c := newCfg(tr, WithChildSpansOnly[call]())
	span := c.Start(call{}, nil, "batch", start,
		opentracing.FollowsFrom(a.Context()), opentracing.FollowsFrom(b.Context()))
	if span == nil {
		t.Fatal("references alone count as parents for WithChildSpansOnly")
	}
	end := start.Add(time.Second)
	c.Finish(span, call{}, nil, end)
	ms := span.(*mocktracer.MockSpan)
	if !ms.StartTime.Equal(start) || !ms.FinishTime.Equal(end) {
		t.Fatalf("times %v..%v, want %v..%v", ms.StartTime, ms.FinishTime, start, end)
	}
}

func TestTracerResolvedPerCall(t *testing.T) {
	defer opentracing.SetGlobalTracer(opentracing.NoopTracer{})
	c := New(Defaults[call]{Component: "test"}, WithTracer[call](nil), nil) // nil tracer and nil option are fine
	if c.Start(call{}, nil, "op", time.Time{}) != nil {
		t.Fatal("NoopTracer should make no span")
	}
	tr := mocktracer.New()
	opentracing.SetGlobalTracer(tr) // installed after the wrapper was built
	span := c.Start(call{}, nil, "op", time.Time{})
	if span == nil {
		t.Fatal("tracer installed later is not used")
	}
	span.Finish()
	if len(tr.FinishedSpans()) != 1 {
		t.Fatal("span not recorded by the late global tracer")
	}
}

func TestOperationNameFilterObserver(t *testing.T) {
	tr := mocktracer.New()
	var order []string
	c := newCfg(tr,
		WithOperationNameFunc(func(c call) string { return c.name }),
		WithSpanFilter(func(c call) bool { return c.name != "health" }),
		WithSpanObserver(SpanObserver[call]{
			OnStart: func(s opentracing.Span, c call) { s.SetTag("user.start", c.name); order = append(order, "start") },
			OnFinish: func(s opentracing.Span, c call, err error) {
				s.SetTag("user.err", err != nil)
				order = append(order, "finish")
			},
		}),
		WithSpanObserver(SpanObserver[call]{}), // empty observer is ignored
		WithComponentName[call]("custom"),
	)
	if c.Start(call{"health"}, nil, "op", time.Time{}) != nil {
		t.Fatal("filtered call was traced")
	}
	span := c.Start(call{"get"}, nil, "op", time.Time{})
	c.Finish(span, call{"get"}, errors.New("boom"), time.Time{})
	ms := tr.FinishedSpans()[0]
	if ms.OperationName != "get" || ms.Tag("user.start") != "get" || ms.Tag("user.err") != true || ms.Tag("component") != "custom" {
		t.Fatalf("got %s %v", ms.OperationName, ms.Tags())
	}
	if strings.Join(order, ",") != "start,finish" {
		t.Fatalf("observer order %v", order)
	}
	// An empty name from the func keeps the default; a fixed name wins.
	c = newCfg(tr, WithOperationNameFunc(func(call) string { return "" }))
	if n := c.OperationName(call{}, "def"); n != "def" {
		t.Fatalf("name %q", n)
	}
	c = newCfg(tr, WithOperationName[call]("fixed"))
	if n := c.OperationName(call{}, "def"); n != "fixed" {
		t.Fatalf("name %q", n)
	}
}

func TestErrorPolicy(t *testing.T) {
	tr := mocktracer.New()
	c := newCfg(tr)
	for _, tc := range []struct {
		err  error
		want bool
	}{{nil, false}, {io.EOF, false}, {errors.New("x"), true}} {
		span := c.Start(call{}, nil, "op", time.Time{})
		c.Finish(span, call{}, tc.err, time.Time{})
		ms := span.(*mocktracer.MockSpan)
		if got := ms.Tag("error") == true; got != tc.want {
			t.Fatalf("err %v: error tag %v, want %v", tc.err, got, tc.want)
		}
		if tc.want {
			logs := tracetest.LogFields(ms)
			if len(logs) != 1 {
				t.Fatalf("want one error log, got %d", len(logs))
			}
			f := logs[0]
			if f["event"] != "error" || f["error.kind"] != "*errors.errorString" || f["message"] != "x" {
				t.Fatalf("error log %v", f)
			}
		}
	}
	// The user's policy overrides the wrapper's default, nil restores it.
	c = newCfg(tr, WithErrorPolicy(func(call, error) bool { return false }))
	if c.IsError(call{}, errors.New("x")) {
		t.Fatal("user policy ignored")
	}
	c = newCfg(tr, WithErrorPolicy(func(call, error) bool { return false }), WithErrorPolicy[call](nil))
	if !c.IsError(call{}, errors.New("x")) || c.IsError(call{}, io.EOF) {
		t.Fatal("nil policy does not restore the default")
	}
	RecordError(nil, errors.New("x")) // nil span is fine
	c.Finish(nil, call{}, errors.New("x"), time.Time{})
}

func TestMaxStatementSize(t *testing.T) {
	if c := newCfg(nil); c.MaxStatementSize != DefaultMaxStatementSize {
		t.Fatal(c.MaxStatementSize)
	}
	if c := newCfg(nil, WithMaxStatementSize[call](10), WithMaxStatementSize[call](-1)); c.MaxStatementSize != 10 {
		t.Fatal(c.MaxStatementSize)
	}
}

func TestIsSampled(t *testing.T) {
	if IsSampled(nil) {
		t.Fatal("nil span sampled")
	}
	if !IsSampled(mocktracer.New().StartSpan("x")) {
		t.Fatal("tracers that do not say are sampled")
	}
}

func TestStartFromNilContext(t *testing.T) {
	tr := mocktracer.New()
	//lint:ignore SA1012 a nil ctx is what some client libraries hand over
	span, ctx := newCfg(tr).StartFromContext(nil, call{}, "op", time.Time{}) //nolint:staticcheck
	if span == nil || opentracing.SpanFromContext(ctx) != span {
		t.Fatal("nil ctx: want a root span in a usable ctx")
	}
	span, _ = newCfg(tr, WithChildSpansOnly[call]()).StartFromContext(nil, call{}, "op", time.Time{}) //nolint:staticcheck
	if span != nil {
		t.Fatal("nil ctx has no parent")
	}
}

func TestNoopTracerPointerIsNoop(t *testing.T) {
	if newCfg(&opentracing.NoopTracer{}).Start(call{}, nil, "op", time.Time{}) != nil {
		t.Fatal("*NoopTracer made a span")
	}
}

// startRecorder is a tracer that keeps the options each span started with.
type startRecorder struct {
	opentracing.NoopTracer
	opts []opentracing.StartSpanOptions
}

func (r *startRecorder) StartSpan(name string, opts ...opentracing.StartSpanOption) opentracing.Span {
	var o opentracing.StartSpanOptions
	for _, opt := range opts {
		opt.Apply(&o)
	}
	r.opts = append(r.opts, o)
	return r.NoopTracer.StartSpan(name, opts...)
}

// The kind and component are start options, not later tags: the
// OpenTelemetry bridge reads the kind only at start. Each span gets a map of
// its own, since tracers may keep it.
func TestStartGivesKindAndComponentAtStart(t *testing.T) {
	r := &startRecorder{}
	c := New(Defaults[call]{Component: "test", Kind: ext.SpanKindRPCClientEnum}, WithTracer[call](r))
	c.Start(call{}, nil, "a", time.Time{})
	c.Start(call{}, nil, "b", time.Time{})
	if len(r.opts) != 2 {
		t.Fatalf("%d spans", len(r.opts))
	}
	for _, o := range r.opts {
		if o.Tags[string(ext.SpanKind)] != ext.SpanKindRPCClientEnum || o.Tags[string(ext.Component)] != "test" {
			t.Fatalf("start tags %v", o.Tags)
		}
	}
	r.opts[0].Tags["x"] = 1
	if _, shared := r.opts[1].Tags["x"]; shared {
		t.Fatal("spans share one tag map")
	}
}
