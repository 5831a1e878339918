package core

import (
	"context"
	"testing"

	"github.com/opentracing/opentracing-go"
)

// otelLikeContext has the method set of the OpenTelemetry bridge's span
// contexts (trace.SpanContext embedded): a decision fixed at start, and
// IsRemote for extracted ones. The real bridge is tested in package tracing,
// which may import OpenTelemetry.
type otelLikeContext struct{ sampled, valid, remote bool }

func (c otelLikeContext) IsSampled() bool                         { return c.sampled }
func (c otelLikeContext) IsValid() bool                           { return c.valid }
func (c otelLikeContext) IsRemote() bool                          { return c.remote }
func (otelLikeContext) ForeachBaggageItem(func(k, v string) bool) {}

func TestFixedDecisionContexts(t *testing.T) {
	for _, tc := range []struct {
		name             string
		sc               otelLikeContext
		known, final     bool
		remoteFastServer bool
	}{
		{name: "local unsampled", sc: otelLikeContext{valid: true}, known: true, final: true},
		{name: "local sampled", sc: otelLikeContext{sampled: true, valid: true}},
		// A remote "not sampled" binds only a parent-based sampler, which
		// core cannot see: never final, never the server placeholder.
		{name: "remote unsampled", sc: otelLikeContext{valid: true, remote: true}},
		{name: "remote sampled", sc: otelLikeContext{sampled: true, valid: true, remote: true}},
		// An invalid local context (a no-op tracer's) is not a trace to hand on.
		{name: "invalid", sc: otelLikeContext{}, known: true},
	} {
		if got := knownUnsampled(tc.sc); got != tc.known {
			t.Errorf("%s: knownUnsampled %v, want %v", tc.name, got, tc.known)
		}
		if got := finalUnsampled(tc.sc); got != tc.final {
			t.Errorf("%s: finalUnsampled %v, want %v", tc.name, got, tc.final)
		}
		if got := remoteUnsampled(tc.sc); got != tc.remoteFastServer {
			t.Errorf("%s: remoteUnsampled %v, want %v", tc.name, got, tc.remoteFastServer)
		}
	}
}

// hookedTracer stands for the OpenTelemetry bridge: a tracer with a context
// hook, here over jaeger, whose contexts would qualify for the placeholder.
type hookedTracer struct{ opentracing.Tracer }

func (hookedTracer) ContextWithSpanHook(ctx context.Context, _ opentracing.Span) context.Context {
	return ctx
}

// A server whose tracer has a context hook starts its real span even when the
// caller's trace is not sampled: the hook must see the tracer's own span.
func TestNoPlaceholderForTracersWithContextHook(t *testing.T) {
	caller, _ := jaegerReporting(t, false)
	carrier := carrierFrom(t, caller.StartSpan("root"))
	server, rep := jaegerReporting(t, true)
	if span := newServerCfg(server).StartRemote(call{}, opentracing.TextMap, carrier, "op"); span == nil {
		t.Fatal("no span")
	} else if _, ok := span.(*unsampledSpan); !ok {
		t.Fatalf("jaeger without a hook: %T, want the placeholder", span)
	}
	span := newServerCfg(hookedTracer{server}).StartRemote(call{}, opentracing.TextMap, carrier, "op")
	if _, ok := span.(*unsampledSpan); ok || span == nil {
		t.Fatalf("tracer with a context hook: %T, want its own span", span)
	}
	if IsSampled(span) {
		t.Fatal("the caller's decision was not kept")
	}
	span.Finish()
	if rep.SpansSubmitted() != 0 {
		t.Fatal("an unsampled span was reported")
	}
}
