package tracing

import (
	"context"

	"github.com/opentracing/opentracing-go"
	otbridge "go.opentelemetry.io/otel/bridge/opentracing"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracewrap/tracewrap/internal/core"
)

// Error status with a description on the OpenTelemetry backend.
//
// The wrappers mark a failed call's span with OpenTracing's error tag and an
// error log. The OpenTelemetry bridge turns the tag into the status Error
// with an empty description, and the log into an "error" event; OpenTelemetry
// backends show the status description as the reason a span failed. The
// wrappers do not import OpenTelemetry, so importing this package installs,
// in the shared core, the function that reaches the OpenTelemetry span
// behind a bridge span and sets its status to Error with the error's message
// (after the error tag, which would otherwise overwrite it).
//
// The OpenTelemetry span is reached through the bridge's public API:
// BridgeTracer.ContextWithSpanHook asks the bridge's OpenTelemetry tracer to
// put the span in a context, which the tracer of a bridge built the way the
// bridge documents (NewTracerPair, or SetOpenTelemetryTracer with a
// NewWrappedTracerProvider's tracer, as tracing's OpenTelemetry backend does)
// does. The span found is used only if it is the bridge span's own (same
// trace and span id). A bridge given a bare SDK tracer does not offer the
// span: its failed spans keep the empty description, and the message is in
// their "error" event. Programs that build their own bridge get the
// description by importing this package (a blank import is enough).

func init() { core.RegisterErrorStatus(SetErrorStatus) }

// SetErrorStatus sets the status of the OpenTelemetry span behind span, a
// span of the OpenTelemetry bridge, to Error with description, and reports
// whether it could. Spans of other tracers are left alone (false). The
// wrappers call it on every failed call when their tracer is the bridge;
// call it for spans of your own after setting the error tag.
func SetErrorStatus(span opentracing.Span, description string) bool {
	s := OTelSpan(span)
	if s == nil {
		return false
	}
	s.SetStatus(codes.Error, description)
	return true
}

// bridgeContext is what a bridge span's context offers of the OpenTelemetry
// span context it embeds.
type bridgeContext interface {
	TraceID() trace.TraceID
	SpanID() trace.SpanID
}

// OTelSpan returns the OpenTelemetry span behind span, a span of the
// OpenTelemetry bridge built with NewTracerPair or a wrapped tracer
// provider (see above), or nil.
func OTelSpan(span opentracing.Span) trace.Span {
	if span == nil {
		return nil
	}
	bt, ok := span.Tracer().(*otbridge.BridgeTracer)
	if !ok {
		return nil
	}
	want, ok := span.Context().(bridgeContext)
	if !ok {
		return nil
	}
	s := trace.SpanFromContext(bt.ContextWithSpanHook(context.Background(), span))
	if sc := s.SpanContext(); !sc.IsValid() || sc.SpanID() != want.SpanID() || sc.TraceID() != want.TraceID() {
		return nil
	}
	return s
}
