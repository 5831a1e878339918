package tracing

import (
	"errors"
	"testing"

	"github.com/opentracing/opentracing-go/mocktracer"
	otbridge "go.opentelemetry.io/otel/bridge/opentracing"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/tracewrap/tracewrap/internal/core"
)

func newBridge(t *testing.T, wrapped bool) (*otbridge.BridgeTracer, *tracetest.InMemoryExporter) {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(t.Context()) })
	if !wrapped {
		bt := otbridge.NewBridgeTracer()
		bt.SetOpenTelemetryTracer(tp.Tracer("test"))
		return bt, exp
	}
	bt, _ := otbridge.NewTracerPair(tp.Tracer("test"))
	return bt, exp
}

// A failed call on the bridge: the core's error recording gives the
// OpenTelemetry span the status Error with the error's message, and
// error.type, besides the error event.
func TestErrorStatusOnBridge(t *testing.T) {
	bt, exp := newBridge(t, true)
	span := bt.StartSpan("call")
	core.RecordError(span, errors.New("connection refused"))
	span.Finish()
	spans := exp.GetSpans()
	if len(spans) != 1 {
		t.Fatalf("%d spans", len(spans))
	}
	s := spans[0]
	if s.Status.Code != codes.Error || s.Status.Description != "connection refused" {
		t.Errorf("status %+v", s.Status)
	}
	var errType string
	for _, a := range s.Attributes {
		if a.Key == "error.type" {
			errType = a.Value.AsString()
		}
	}
	if errType != "*errors.errorString" {
		t.Errorf("error.type %q in %v", errType, s.Attributes)
	}
	if len(s.Events) != 1 || s.Events[0].Name != "error" {
		t.Errorf("events %+v", s.Events)
	}
}

// Without the setter the bridge leaves the description empty: what the
// setter is for.
func TestBridgeAloneLeavesDescriptionEmpty(t *testing.T) {
	core.RegisterErrorStatus(nil)
	defer core.RegisterErrorStatus(SetErrorStatus)
	bt, exp := newBridge(t, true)
	span := bt.StartSpan("call")
	core.RecordError(span, errors.New("connection refused"))
	span.Finish()
	if s := exp.GetSpans(); len(s) != 1 || s[0].Status.Code != codes.Error || s[0].Status.Description != "" {
		t.Fatalf("spans %+v", s)
	}
}

// A bridge given a bare SDK tracer does not offer its span: the status stays
// Error, without a description, and nothing fails.
func TestErrorStatusBareBridge(t *testing.T) {
	bt, exp := newBridge(t, false)
	span := bt.StartSpan("call")
	if SetErrorStatus(span, "x") {
		t.Error("a bare bridge's span cannot be reached")
	}
	core.RecordError(span, errors.New("boom"))
	span.Finish()
	if s := exp.GetSpans(); len(s) != 1 || s[0].Status.Code != codes.Error {
		t.Fatalf("spans %+v", s)
	}
}

func TestErrorStatusOtherTracers(t *testing.T) {
	if SetErrorStatus(mocktracer.New().StartSpan("x"), "x") || SetErrorStatus(nil, "x") || OTelSpan(nil) != nil {
		t.Error("only bridge spans have an OpenTelemetry span")
	}
}

// The same through Init's OpenTelemetry backend (NewTracerProvider's
// tracer on the bridge, not NewTracerPair): the README's "status Error with
// the error's message as its description".
func TestErrorStatusOnInitsOpenTelemetryBackend(t *testing.T) {
	clearOTelEnv(t)
	tr, closer, exp := initMemory(t, "status")
	span := tr.StartSpan("call")
	core.RecordError(span, errors.New("connection refused"))
	span.Finish()
	if err := closer.Close(); err != nil {
		t.Fatal(err)
	}
	s := byName(t, exp.GetSpans(), "call")
	if s.Status.Code != codes.Error || s.Status.Description != "connection refused" {
		t.Errorf("status %+v", s.Status)
	}
}
