package tracelog

import (
	"context"

	"github.com/opentracing/opentracing-go"

	"github.com/tracewrap/tracewrap/internal/core"
)

// The attribute keys NewHandler adds; use them for the fields of other
// loggers too, so every log line names the trace the same way.
const (
	TraceIDKey = "trace_id"
	SpanIDKey  = "span_id"
)

// TraceID returns the trace id of the span in ctx, as the tracer writes it
// (jaeger and OpenTelemetry: lower-case hex, the id Jaeger's UI and
// /api/traces/{id} take; mocktracer: decimal), or "" when ctx holds no span
// or its tracer does not tell. ctx is any context a tracewrap wrapper or
// opentracing.ContextWithSpan put a span in, or gin's *gin.Context behind
// gintrace.Middleware.
func TraceID(ctx context.Context) string {
	t, _ := core.SpanIDs(core.SpanFromContext(ctx))
	return t
}

// SpanID returns the id of the span in ctx, like TraceID. The stand-in span
// of a request whose trace is not sampled (see the README's "Unsampled
// traces") has none: SpanID is "" there, TraceID is the trace's.
func SpanID(ctx context.Context) string {
	_, s := core.SpanIDs(core.SpanFromContext(ctx))
	return s
}

// IDs returns both ids of span at once (nil: both "").
func IDs(span opentracing.Span) (traceID, spanID string) { return core.SpanIDs(span) }
