package propagation

import (
	"fmt"
	"strings"
)

// TraceID is a 128-bit trace id. A 64-bit (Jaeger or B3) id has High == 0;
// it is written zero-padded where a format needs 128 bits (traceparent) and
// as 16 hex digits where 64 bits are native (uber-trace-id, B3), so it comes
// back as the same id.
type TraceID struct{ High, Low uint64 }

// IsValid reports whether the id is not all zeros.
func (t TraceID) IsValid() bool { return t.High != 0 || t.Low != 0 }

// String is the id in lower-case hex: 16 digits for a 64-bit id, else 32.
func (t TraceID) String() string {
	if t.High == 0 {
		return fmt.Sprintf("%016x", t.Low)
	}
	return fmt.Sprintf("%016x%016x", t.High, t.Low)
}

// SpanContext is a trace context as it crosses a process boundary.
type SpanContext struct {
	TraceID  TraceID
	SpanID   uint64
	ParentID uint64 // the span's parent, where the format carries it (Jaeger, B3); 0 when unknown
	Sampled  bool
	Debug    bool // Jaeger's debug flag, B3's "d" / X-B3-Flags: 1; implies Sampled
	// TraceState is the W3C tracestate, validated and within its limits, to
	// be passed on unchanged; "" when none.
	TraceState string
	// DebugID is the value of jaeger-debug-id: a request to force sampling
	// of a new trace, under this correlation id (Jaeger only).
	DebugID string
}

// IsValid reports whether sc names a span of a trace: non-zero trace and span
// ids.
func (sc SpanContext) IsValid() bool { return sc.TraceID.IsValid() && sc.SpanID != 0 }

// Member is one baggage item. Properties holds W3C baggage member properties
// (";k=v" after the value) verbatim, for a tracer that can carry them; Jaeger
// cannot, and formats other than W3C baggage never write them.
type Member struct {
	Key, Value string
	Properties string
}

// Format is one propagation format.
type Format uint8

// The formats, named as in OTEL_PROPAGATORS.
const (
	TraceContext Format = iota + 1 // "tracecontext": traceparent, tracestate
	Baggage                        // "baggage": W3C baggage
	B3                             // "b3": the single b3 header
	B3Multi                        // "b3multi": X-B3-TraceId, X-B3-SpanId, ...
	Jaeger                         // "jaeger": uber-trace-id, uberctx-*, jaeger-debug-id, jaeger-baggage
)

var formatNames = [...]string{"", "tracecontext", "baggage", "b3", "b3multi", "jaeger"}

func (f Format) String() string {
	if int(f) < len(formatNames) && f != 0 {
		return formatNames[f]
	}
	return fmt.Sprintf("Format(%d)", uint8(f))
}

// ParseFormat returns the format named name (an OTEL_PROPAGATORS value,
// case-insensitive).
func ParseFormat(name string) (Format, bool) {
	name = strings.ToLower(strings.TrimSpace(name))
	for i, n := range formatNames {
		if i > 0 && n == name {
			return Format(i), true
		}
	}
	return 0, false
}

// Encoding is the kind of carrier. Only Jaeger's uberctx-* values differ:
// jaeger-client-go URL-escapes them (url.QueryEscape) in HTTP headers and
// writes them raw in a TextMap, and every jaeger client reads them that way.
type Encoding uint8

const (
	HTTPHeaders Encoding = iota // opentracing.HTTPHeaders (and gRPC metadata in header form)
	TextMap                     // opentracing.TextMap
)

// Reader is a carrier to extract from: opentracing.TextMapReader's method
// set. Keys are compared case-insensitively; a key may occur more than once.
type Reader interface {
	ForeachKey(handler func(key, val string) error) error
}

// Writer is a carrier to inject into: opentracing.TextMapWriter's method set.
// Keys are written in lower case (an http.Header canonicalises them).
type Writer interface {
	Set(key, val string)
}

// Limits of what is extracted and injected. The baggage limits are the W3C
// baggage ones (also OpenTelemetry's); they bound the merged baggage of all
// formats, so a flood of uberctx-* headers is bounded too.
const (
	MaxBaggageMembers    = 180  // members kept at most
	MaxBaggageBytes      = 8192 // a W3C baggage header written or read, and the merged baggage (keys and values)
	MaxBaggageMemberLen  = 4096 // one member: key and value
	MaxTraceStateMembers = 32
	MaxTraceStateLen     = 512
	maxDebugIDLen        = 256
	maxHeaderLen         = 32 << 10 // a single trace header longer than this is not read at all
)
