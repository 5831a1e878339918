package core

import (
	"testing"

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
		KeyDBRows:               {"db.rows", "db.response.returned_rows"},
		KeyDBArgs:               {"db.args", "db.query.parameters"},
		KeyMessagingPayload:     {"message_bus.payload", "messaging.message.body"},
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
