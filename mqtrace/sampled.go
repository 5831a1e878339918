package mqtrace

import (
	"github.com/opentracing/opentracing-go"

	"github.com/tracewrap/tracewrap/internal/core"
)

// isSampled guards tag formatting: unsampled jaeger spans record nothing.
func isSampled(span opentracing.Span) bool { return core.IsSampled(span) }
