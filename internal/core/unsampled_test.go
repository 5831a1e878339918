package core

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"github.com/opentracing/opentracing-go/mocktracer"
	"github.com/uber/jaeger-client-go"
)

func newServerCfg(tr opentracing.Tracer, opts ...Option[call]) *Config[call] {
	return New(Defaults[call]{Component: "test", Kind: ext.SpanKindRPCServerEnum},
		append([]Option[call]{WithTracer[call](tr)}, opts...)...)
}

func jaegerReporting(t *testing.T, sampled bool) (opentracing.Tracer, *jaeger.InMemoryReporter) {
	rep := jaeger.NewInMemoryReporter()
	tr, closer := jaeger.NewTracer("test", jaeger.NewConstSampler(sampled), rep)
	t.Cleanup(func() { closer.Close() })
	return tr, rep
}

// carrierFrom is what a caller in another process sends: parent's context
// injected by the caller's own tracer.
func carrierFrom(t *testing.T, parent opentracing.Span) opentracing.TextMapCarrier {
	t.Helper()
	c := opentracing.TextMapCarrier{}
	if err := parent.Tracer().Inject(parent.Context(), opentracing.TextMap, c); err != nil {
		t.Fatal(err)
	}
	return c
}

func traceID(sc opentracing.SpanContext) jaeger.TraceID { return sc.(jaeger.SpanContext).TraceID() }

func TestStartRemoteUnsampledStartsNoSpanUntilNeeded(t *testing.T) {
	caller, _ := jaegerReporting(t, false)
	root := caller.StartSpan("root")
	root.SetBaggageItem("user", "alice")
	tr, rep := jaegerReporting(t, true) // would sample a new trace: the caller's decision rules
	c := newServerCfg(tr)

	span := c.StartRemote(call{}, opentracing.TextMap, carrierFrom(t, root), "op")
	u, ok := span.(*unsampledSpan)
	if !ok {
		t.Fatalf("span is %T, want the unsampled placeholder", span)
	}
	if IsSampled(span) {
		t.Fatal("IsSampled")
	}
	span.SetTag("k", "v").LogKV("event", "x")
	if got := span.BaggageItem("user"); got != "alice" {
		t.Fatalf("baggage before the real span: %q", got)
	}
	if sc, unsampled := c.Parent(span); !unsampled || traceID(sc) != traceID(root.Context()) {
		t.Fatal("Parent of the placeholder")
	}
	if u.get() != nil {
		t.Fatal("reads started the real span")
	}

	span.SetBaggageItem("tenant", "t1")
	if u.get() == nil {
		t.Fatal("SetBaggageItem did not start the real span")
	}
	if span.BaggageItem("tenant") != "t1" || span.BaggageItem("user") != "alice" {
		t.Fatal("baggage after the real span")
	}
	sc, unsampled := c.Parent(span)
	if !unsampled || traceID(sc) != traceID(root.Context()) {
		t.Fatal("Parent after the real span")
	}
	var got string
	sc.ForeachBaggageItem(func(k, v string) bool {
		if k == "tenant" {
			got = v
		}
		return true
	})
	if got != "t1" {
		t.Fatal("propagated context misses the baggage set on the span")
	}
	child := tr.StartSpan("child", opentracing.ChildOf(span.Context()))
	if IsSampled(child) || traceID(child.Context()) != traceID(root.Context()) {
		t.Fatal("child not in the caller's unsampled trace")
	}
	child.Finish()
	span.Finish()
	span.Finish()
	if n := len(rep.GetSpans()); n != 0 {
		t.Fatalf("%d spans reported", n)
	}
}

func TestUnsampledSpanConcurrentChildren(t *testing.T) {
	caller, _ := jaegerReporting(t, false)
	tr, rep := jaegerReporting(t, false)
	span := newServerCfg(tr).StartRemote(call{}, opentracing.TextMap, carrierFrom(t, caller.StartSpan("root")), "op")
	ctx := opentracing.ContextWithSpan(context.Background(), span)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			child, _ := opentracing.StartSpanFromContextWithTracer(ctx, tr, "child")
			child.SetBaggageItem("k", "v")
			child.Finish()
		}()
	}
	wg.Wait()
	span.Finish()
	if n := len(rep.GetSpans()); n != 0 {
		t.Fatalf("%d spans reported", n)
	}
}

func TestUnsampledSpanSamplingPriorityForcesTheRealSpan(t *testing.T) {
	caller, _ := jaegerReporting(t, false)
	tr, rep := jaegerReporting(t, false)
	span := newServerCfg(tr).StartRemote(call{}, opentracing.TextMap, carrierFrom(t, caller.StartSpan("root")), "op")
	ext.SamplingPriority.Set(span, 1)
	if !IsSampled(span) {
		t.Fatal("sampling.priority did not sample the trace")
	}
	span.SetTag("after", "yes")
	span.Finish()
	spans := rep.GetSpans()
	if len(spans) != 1 {
		t.Fatalf("%d spans reported, want the forced one", len(spans))
	}
	// Tags set before the trace was forced are dropped, as on any span of
	// an unsampled trace.
	tags := spans[0].(*jaeger.Span).Tags()
	if tags["after"] != "yes" || spans[0].(*jaeger.Span).OperationName() != "op" {
		t.Fatalf("tags %v", tags)
	}
}

func TestUnsampledSpanFinishedBeforeContext(t *testing.T) {
	caller, _ := jaegerReporting(t, false)
	tr, _ := jaegerReporting(t, false)
	root := caller.StartSpan("root")
	span := newServerCfg(tr).StartRemote(call{}, opentracing.TextMap, carrierFrom(t, root), "op")
	span.Finish()
	if traceID(span.Context()) != traceID(root.Context()) {
		t.Fatal("context after Finish")
	}
}

func TestStartRemoteKeepsRealSpan(t *testing.T) {
	unsampled, _ := jaegerReporting(t, false)
	sampled, _ := jaegerReporting(t, true)
	mock := mocktracer.New()
	observer := WithSpanObserver(SpanObserver[call]{OnStart: func(opentracing.Span, call) {}})
	baggageOnly := opentracing.TextMapCarrier{"uberctx-user": "alice"}
	for _, c := range []struct {
		name    string
		cfg     *Config[call]
		carrier opentracing.TextMapCarrier
	}{
		{"sampled caller", newServerCfg(unsampled), carrierFrom(t, sampled.StartSpan("p"))},
		{"mocktracer", newServerCfg(mock), carrierFrom(t, mock.StartSpan("p"))},
		{"observer configured", newServerCfg(unsampled, observer), carrierFrom(t, unsampled.StartSpan("p"))},
		{"no trace in the carrier", newServerCfg(unsampled), baggageOnly},
		{"no carrier", newServerCfg(unsampled), opentracing.TextMapCarrier{}},
	} {
		span := c.cfg.StartRemote(call{}, opentracing.TextMap, c.carrier, "op")
		if _, ok := span.(*unsampledSpan); ok || span == nil {
			t.Errorf("%s: span %T", c.name, span)
		}
	}
	// A FollowsFrom reference (a consumer linking other traces) keeps the span.
	span := newServerCfg(unsampled).StartRemote(call{}, opentracing.TextMap, carrierFrom(t, unsampled.StartSpan("p")), "op",
		opentracing.FollowsFrom(unsampled.StartSpan("x").Context()))
	if _, ok := span.(*unsampledSpan); ok {
		t.Error("span with a reference")
	}
}

func TestParentForPropagatingCalls(t *testing.T) {
	unsampled, _ := jaegerReporting(t, false)
	sampled, _ := jaegerReporting(t, true)
	mock := mocktracer.New()
	observer := WithSpanObserver(SpanObserver[call]{OnStart: func(opentracing.Span, call) {}})
	if _, ok := newCfg(unsampled).Parent(nil); ok {
		t.Fatal("nil parent")
	}
	if _, ok := newCfg(unsampled).Parent(unsampled.StartSpan("p")); !ok {
		t.Fatal("jaeger's final unsampled decision was not trusted")
	}
	for name, c := range map[string]struct {
		cfg *Config[call]
		ps  opentracing.Span
	}{
		"sampled":             {newCfg(sampled), sampled.StartSpan("p")},
		"mocktracer":          {newCfg(mock), mock.StartSpan("p")},
		"observer configured": {newCfg(unsampled, observer), unsampled.StartSpan("p")},
		"pending decision":    {newCfg(mock), pendingSpan{mock.StartSpan("p")}},
	} {
		if sc, ok := c.cfg.Parent(c.ps); ok || sc == nil {
			t.Errorf("%s: %v %v", name, sc, ok)
		}
	}
	// With an observer the placeholder gives its real span's context.
	span := newServerCfg(unsampled).StartRemote(call{}, opentracing.TextMap, carrierFrom(t, unsampled.StartSpan("p")), "op")
	if _, ok := newCfg(unsampled, observer).Parent(span); ok || span.(*unsampledSpan).get() == nil {
		t.Fatal("observer: placeholder not made real")
	}
}

type pendingSpan struct{ opentracing.Span }

func (pendingSpan) Context() opentracing.SpanContext { return pendingContext{} }

func TestLeafUnderPlaceholderMakesNoSpan(t *testing.T) {
	unsampled, rep := jaegerReporting(t, false)
	span := newServerCfg(unsampled).StartRemote(call{}, opentracing.TextMap, carrierFrom(t, unsampled.StartSpan("p")), "op")
	ctx := opentracing.ContextWithSpan(context.Background(), span)
	if s, _ := newLeafCfg(unsampled).StartFromContext(ctx, call{}, "op", time.Time{}); s != nil {
		t.Fatal("leaf made a span")
	}
	if span.(*unsampledSpan).get() != nil {
		t.Fatal("leaf started the real span")
	}
	span.Finish()
	if len(rep.GetSpans()) != 0 {
		t.Fatal("spans reported")
	}
}
