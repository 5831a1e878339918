package core

import (
	"context"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"github.com/opentracing/opentracing-go/mocktracer"
)

func newLeafCfg(tr opentracing.Tracer, opts ...Option[call]) *Config[call] {
	return New(Defaults[call]{Component: "test", Kind: ext.SpanKindRPCClientEnum, Leaf: true},
		append([]Option[call]{WithTracer[call](tr)}, opts...)...)
}

func childOf(t *testing.T, c *Config[call], parent opentracing.Span) opentracing.Span {
	t.Helper()
	ctx := opentracing.ContextWithSpan(context.Background(), parent)
	span, _ := c.StartFromContext(ctx, call{}, "op", time.Time{})
	if span != nil {
		span.Finish()
	}
	return span
}

func TestLeafSkipsSpanUnderUnsampledParent(t *testing.T) {
	tr := jaegerSampler(t, false)
	parent := tr.StartSpan("parent")
	defer parent.Finish()
	if span := childOf(t, newLeafCfg(tr), parent); span != nil {
		t.Fatal("a leaf call under an unsampled parent made a span")
	}
}

func TestLeafKeepsSpanWhenItCouldBeRecorded(t *testing.T) {
	unsampled := jaegerSampler(t, false)
	sampled := jaegerSampler(t, true)
	mock := mocktracer.New()
	observer := WithSpanObserver(SpanObserver[call]{OnStart: func(opentracing.Span, call) {}})
	for _, c := range []struct {
		name   string
		cfg    *Config[call]
		parent opentracing.Span
	}{
		{"sampled parent", newLeafCfg(sampled), sampled.StartSpan("p")},
		{"mocktracer parent (sampling unknown)", newLeafCfg(mock), mock.StartSpan("p")},
		{"not a leaf", newCfg(unsampled), unsampled.StartSpan("p")},
		{"observer configured", newLeafCfg(unsampled, observer), unsampled.StartSpan("p")},
	} {
		if span := childOf(t, c.cfg, c.parent); span == nil {
			t.Errorf("%s: no span", c.name)
		}
	}
	// No parent: a root span, sampled or not by the tracer's own decision.
	if span, _ := newLeafCfg(unsampled).StartFromContext(context.Background(), call{}, "op", time.Time{}); span == nil {
		t.Error("no root span")
	}
	// References other than the parent: the span links other traces.
	p := unsampled.StartSpan("p")
	if span := newLeafCfg(unsampled).Start(call{}, p.Context(), "op", time.Time{}, opentracing.FollowsFrom(sampled.StartSpan("x").Context())); span == nil {
		t.Error("no span with an extra reference")
	}
}

// pendingContext is a span context whose sampling decision is not final yet.
type pendingContext struct{ opentracing.SpanContext }

func (pendingContext) IsSampled() bool           { return false }
func (pendingContext) IsSamplingFinalized() bool { return false }

func TestUnrecordedTrustsOnlyFinalDecisions(t *testing.T) {
	c := newLeafCfg(mocktracer.New())
	if c.Unrecorded(pendingContext{}) {
		t.Fatal("a decision that may still change was trusted")
	}
	if c.Unrecorded(nil) {
		t.Fatal("no parent was taken as unsampled")
	}
	tr := jaegerSampler(t, false)
	if !c.Unrecorded(tr.StartSpan("p").Context()) {
		t.Fatal("jaeger's final unsampled decision was not trusted")
	}
}
