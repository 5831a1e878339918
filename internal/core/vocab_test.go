package core

import (
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/mocktracer"
)

// otelVocabTracer wraps a tracer and asks for the OpenTelemetry vocabulary,
// as a tracer wrapping the bridge would.
type otelVocabTracer struct{ opentracing.Tracer }

func (otelVocabTracer) TagVocabulary() string { return OpenTelemetryVocabulary }

func TestVocabFor(t *testing.T) {
	mt := mocktracer.New()
	if VocabFor(mt) != OpenTracing || VocabFor(nil) != OpenTracing || VocabFor(opentracing.NoopTracer{}) != OpenTracing {
		t.Fatal("OpenTracing tracers must get the OpenTracing vocabulary")
	}
	ot := otelVocabTracer{mt}
	if VocabFor(ot) != OpenTelemetry {
		t.Fatal("a VocabularyProvider asking for OpenTelemetry must get it")
	}
	span := ot.StartSpan("x")
	if VocabOf(span) != OpenTracing { // the span's Tracer() is mocktracer's own
		t.Fatal("VocabOf follows the span's own tracer")
	}
	if VocabOf(nil) != OpenTracing {
		t.Fatal("nil span")
	}
	// The cache answers again, for both types, after the other was seen.
	for i := 0; i < 3; i++ {
		if VocabFor(mt) != OpenTracing || VocabFor(ot) != OpenTelemetry {
			t.Fatal("cached answer changed")
		}
	}
	if n := testing.AllocsPerRun(100, func() { VocabFor(mt) }); n != 0 {
		t.Errorf("VocabFor allocates %v times", n)
	}
}

func TestVocabTable(t *testing.T) {
	for k := Key(0); k < numKeys; k++ {
		if vocabTable[k][0] == "" && vocabTable[k][1] == "" {
			t.Errorf("key %d has no name in either vocabulary", k)
		}
	}
	for k, want := range map[Key][2]string{
		KeyHTTPMethod:           {"http.method", "http.request.method"},
		KeyHTTPStatusCode:       {"http.status_code", "http.response.status_code"},
		KeyDBSystem:             {"db.type", "db.system.name"},
		KeyDBStatement:          {"db.statement", "db.query.text"},
		KeyMessagingDestination: {"message_bus.destination", "messaging.destination.name"},
		KeyGRPCStatusCode:       {"grpc.status_code", "rpc.grpc.status_code"},
	} {
		if OpenTracing.Name(k) != want[0] || OpenTelemetry.Name(k) != want[1] {
			t.Errorf("key %d: %q, %q", k, OpenTracing.Name(k), OpenTelemetry.Name(k))
		}
	}
	span := mocktracer.New().StartSpan("x")
	OpenTracing.Set(span, KeyRPCSystem, "grpc") // not an OpenTracing tag
	OpenTelemetry.Set(span, KeyRPCSystem, "grpc")
	OpenTelemetry.Set(nil, KeyRPCSystem, "grpc")
	if tags := span.(*mocktracer.MockSpan).Tags(); len(tags) != 1 || tags["rpc.system"] != "grpc" {
		t.Errorf("tags %v", tags)
	}
}

// refTracer records the references each span starts with.
type refTracer struct {
	opentracing.Tracer
	otel bool
	refs [][]opentracing.SpanReference
}

func (r *refTracer) TagVocabulary() string {
	if r.otel {
		return OpenTelemetryVocabulary
	}
	return OpenTracingVocabulary
}

func (r *refTracer) StartSpan(name string, opts ...opentracing.StartSpanOption) opentracing.Span {
	var o opentracing.StartSpanOptions
	for _, opt := range opts {
		opt.Apply(&o)
	}
	r.refs = append(r.refs, o.References)
	return r.Tracer.StartSpan(name, opts...)
}

// On the OpenTelemetry vocabulary a span with only FollowsFrom references
// gets the first as its parent (the bridge ignores FollowsFrom as a parent);
// on OpenTracing's the references are handed over as they are.
func TestFollowsFromOnlyBecomesParentOnOTel(t *testing.T) {
	mt := mocktracer.New()
	a, b := mt.StartSpan("a"), mt.StartSpan("b")
	refs := []opentracing.SpanReference{opentracing.FollowsFrom(a.Context()), opentracing.FollowsFrom(b.Context())}
	id := func(r opentracing.SpanReference) int { return r.ReferencedContext.(mocktracer.MockSpanContext).SpanID }
	aID, bID := id(refs[0]), id(refs[1])
	for _, otel := range []bool{true, false} {
		rt := &refTracer{Tracer: mt, otel: otel}
		New(Defaults[call]{}, WithTracer[call](rt)).Start(call{}, nil, "batch", time.Time{}, refs...).Finish()
		got := rt.refs[0]
		if len(got) != 2 || id(got[0]) != aID || id(got[1]) != bID || got[1].Type != opentracing.FollowsFromRef {
			t.Fatalf("otel=%v: references %+v", otel, got)
		}
		want := opentracing.FollowsFromRef
		if otel {
			want = opentracing.ChildOfRef
		}
		if got[0].Type != want {
			t.Errorf("otel=%v: first reference %v, want %v", otel, got[0].Type, want)
		}
		// A ChildOf parent stays the parent, the FollowsFrom stay as they are.
		rt.refs = nil
		New(Defaults[call]{}, WithTracer[call](rt)).Start(call{}, b.Context(), "msg", time.Time{}, refs[0]).Finish()
		if got := rt.refs[0]; len(got) != 2 || got[0].Type != opentracing.ChildOfRef || id(got[0]) != bID || got[1].Type != opentracing.FollowsFromRef {
			t.Errorf("otel=%v: with a parent: %+v", otel, got)
		}
	}
	if refs[0].Type != opentracing.FollowsFromRef {
		t.Error("the caller's references were changed")
	}
}
