package propagation

import (
	"errors"
	"strings"
)

// Zipkin B3, https://github.com/openzipkin/b3-propagation.

const (
	headerB3           = "b3"
	headerB3TraceID    = "x-b3-traceid"
	headerB3SpanID     = "x-b3-spanid"
	headerB3ParentSpan = "x-b3-parentspanid"
	headerB3Sampled    = "x-b3-sampled"
	headerB3Flags      = "x-b3-flags"
)

var errB3 = errors.New("b3: malformed")

// b3TraceID accepts 16 or 32 lower-case hex digits, not all zeros.
func b3TraceID(s string) (TraceID, bool) {
	if len(s) != 16 && len(s) != 32 {
		return TraceID{}, false
	}
	t, ok := parseTraceID(s, parseLowerHex)
	return t, ok && t.IsValid()
}

func b3SpanID(s string) (uint64, bool) {
	if len(s) != 16 {
		return 0, false
	}
	v, ok := parseLowerHex(s)
	return v, ok && v != 0
}

// ParseB3 parses the single b3 header:
// {TraceId}-{SpanId}[-{SamplingState}[-{ParentSpanId}]]. A header with only a
// sampling state names no trace: it gives an invalid context and no error. A
// context without a sampling state is not sampled (B3's "defer" cannot be
// expressed to a tracer whose remote parents decide; jaeger-client-go's and
// OpenTelemetry's B3 readers do the same).
func ParseB3(v string) (SpanContext, error) {
	v = trimOWS(v)
	if v == "0" || v == "1" || v == "d" {
		return SpanContext{}, nil
	}
	parts := strings.SplitN(v, "-", 5)
	if len(parts) < 2 || len(parts) > 4 {
		return SpanContext{}, errB3
	}
	var sc SpanContext
	var ok bool
	if sc.TraceID, ok = b3TraceID(parts[0]); !ok {
		return SpanContext{}, errB3
	}
	if sc.SpanID, ok = b3SpanID(parts[1]); !ok {
		return SpanContext{}, errB3
	}
	if len(parts) > 2 {
		switch parts[2] {
		case "1":
			sc.Sampled = true
		case "d":
			sc.Sampled, sc.Debug = true, true
		case "0":
		default:
			return SpanContext{}, errB3
		}
	}
	if len(parts) > 3 {
		if sc.ParentID, ok = b3SpanID(parts[3]); !ok {
			return SpanContext{}, errB3
		}
	}
	return sc, nil
}

// FormatB3 writes sc as a single b3 header: 16 hex digits for a 64-bit trace
// id (Zipkin's native width), else 32; the parent when known.
func FormatB3(sc SpanContext) string {
	b := make([]byte, 0, 32+1+16+2+17)
	b = appendTraceID(b, sc.TraceID)
	b = append(b, '-')
	b = appendHex16(b, sc.SpanID)
	switch {
	case sc.Debug:
		b = append(b, "-d"...)
	case sc.Sampled:
		b = append(b, "-1"...)
	default:
		b = append(b, "-0"...)
	}
	if sc.ParentID != 0 {
		b = append(b, '-')
		b = appendHex16(b, sc.ParentID)
	}
	return string(b)
}

// ParseB3Multi parses the X-B3-* headers (values as received; "" when
// absent). With neither trace nor span id it gives an invalid context and no
// error.
func ParseB3Multi(traceID, spanID, parentID, sampled, flags string) (SpanContext, error) {
	traceID, spanID = trimOWS(traceID), trimOWS(spanID)
	if traceID == "" && spanID == "" {
		return SpanContext{}, nil
	}
	var sc SpanContext
	var ok bool
	if sc.TraceID, ok = b3TraceID(traceID); !ok {
		return SpanContext{}, errB3
	}
	if sc.SpanID, ok = b3SpanID(spanID); !ok {
		return SpanContext{}, errB3
	}
	if parentID = trimOWS(parentID); parentID != "" {
		if sc.ParentID, ok = b3SpanID(parentID); !ok {
			return SpanContext{}, errB3
		}
	}
	switch trimOWS(sampled) {
	case "1", "true":
		sc.Sampled = true
	case "0", "false", "":
	default:
		return SpanContext{}, errB3
	}
	switch trimOWS(flags) {
	case "1":
		sc.Sampled, sc.Debug = true, true
	case "0", "":
	default:
		return SpanContext{}, errB3
	}
	return sc, nil
}

func injectB3Multi(sc SpanContext, w Writer) {
	w.Set(headerB3TraceID, string(appendTraceID(make([]byte, 0, 32), sc.TraceID)))
	w.Set(headerB3SpanID, string(appendHex16(make([]byte, 0, 16), sc.SpanID)))
	if sc.ParentID != 0 {
		w.Set(headerB3ParentSpan, string(appendHex16(make([]byte, 0, 16), sc.ParentID)))
	}
	switch {
	case sc.Debug: // debug implies sampled; B3 says not to send both
		w.Set(headerB3Flags, "1")
	case sc.Sampled:
		w.Set(headerB3Sampled, "1")
	default:
		w.Set(headerB3Sampled, "0")
	}
}
