package propagation

import (
	"errors"
	"net/url"
	"strconv"
	"strings"
)

// Jaeger's native format, as jaeger-client-go (propagation.go) and the other
// jaeger clients read and write it.

const (
	headerUberTraceID   = "uber-trace-id"
	headerJaegerDebugID = "jaeger-debug-id"
	headerJaegerBaggage = "jaeger-baggage"
	prefixUberctx       = "uberctx-"
)

var errJaeger = errors.New("uber-trace-id: malformed")

// JaegerHeaders names Jaeger's keys, for services that renamed them
// (jaeger-client-go's HeadersConfig). Empty fields keep the defaults.
type JaegerHeaders struct {
	TraceContext  string // uber-trace-id
	BaggagePrefix string // uberctx-
	DebugID       string // jaeger-debug-id
	Baggage       string // jaeger-baggage
}

func (h JaegerHeaders) withDefaults() JaegerHeaders {
	def := func(v, d string) string {
		if v = strings.ToLower(strings.TrimSpace(v)); v == "" {
			return d
		}
		return v
	}
	return JaegerHeaders{
		TraceContext:  def(h.TraceContext, headerUberTraceID),
		BaggagePrefix: def(h.BaggagePrefix, prefixUberctx),
		DebugID:       def(h.DebugID, headerJaegerDebugID),
		Baggage:       def(h.Baggage, headerJaegerBaggage),
	}
}

// ParseUberTraceID parses {trace-id}:{span-id}:{parent-span-id}:{flags}: ids
// of up to 32 (trace) and 16 hex digits in either case, as jaeger-client-go
// reads them; flags in hex (jaeger's spec; jaeger-client-go writes hex). Zero
// trace or span ids are invalid. Flag bit 1 is sampled, bit 2 debug (which
// implies sampled: jaeger only ever sets both). Other bits (firehose) are
// not carried.
func ParseUberTraceID(v string) (SpanContext, error) {
	v = trimOWS(v)
	t, rest, ok1 := strings.Cut(v, ":")
	s, rest, ok2 := strings.Cut(rest, ":")
	p, f, ok3 := strings.Cut(rest, ":")
	if !ok1 || !ok2 || !ok3 || len(f) == 0 || len(f) > 2 {
		return SpanContext{}, errJaeger
	}
	var sc SpanContext
	var ok bool
	if sc.TraceID, ok = parseTraceID(t, parseAnyHex); !ok || !sc.TraceID.IsValid() {
		return SpanContext{}, errJaeger
	}
	if sc.SpanID, ok = parseAnyHex(s); !ok || sc.SpanID == 0 {
		return SpanContext{}, errJaeger
	}
	if sc.ParentID, ok = parseAnyHex(p); !ok {
		return SpanContext{}, errJaeger
	}
	flags, ok := parseAnyHex(f)
	if !ok {
		return SpanContext{}, errJaeger
	}
	sc.Sampled, sc.Debug = flags&3 != 0, flags&2 != 0 // debug implies sampled, as everywhere else
	return sc, nil
}

// FormatUberTraceID writes sc exactly as jaeger-client-go's
// SpanContext.String does: 16 hex digits for a 64-bit trace id, else 32.
func FormatUberTraceID(sc SpanContext) string {
	b := make([]byte, 0, 32+3+32+2)
	b = appendTraceID(b, sc.TraceID)
	b = append(b, ':')
	b = appendHex16(b, sc.SpanID)
	b = append(b, ':')
	b = appendHex16(b, sc.ParentID)
	var flags uint64
	if sc.Sampled || sc.Debug {
		flags |= 1
	}
	if sc.Debug {
		flags |= 2
	}
	b = append(b, ':')
	b = strconv.AppendUint(b, flags, 16)
	return string(b)
}

// decodeJaegerValue undoes the HTTP form's URL escaping the way
// jaeger-client-go does: a value that does not unescape is kept as it is.
func decodeJaegerValue(v string, enc Encoding) string {
	if enc != HTTPHeaders || strings.IndexByte(v, '%') < 0 && strings.IndexByte(v, '+') < 0 {
		return v
	}
	if d, err := url.QueryUnescape(v); err == nil {
		return d
	}
	return v
}

// parseJaegerBaggageInto reads the jaeger-baggage header, "k1=v1, k2=v2",
// the way jaeger-client-go does (the whole value URL-unescaped first; each
// entry trimmed; exactly one '='; the key trimmed). It reports whether some
// entries were malformed, once for the whole header: jaeger-client-go logs
// every malformed entry, a line per comma.
func parseJaegerBaggageInto(v string, s *baggageSet) (malformed bool) {
	if len(v) > maxHeaderLen {
		return true
	}
	if strings.IndexByte(v, '%') >= 0 || strings.IndexByte(v, '+') >= 0 {
		d, err := url.QueryUnescape(v)
		if err != nil {
			return true
		}
		v = d
	}
	for rest, more := v, true; more; {
		var kv string
		kv, rest, more = strings.Cut(rest, ",")
		k, val, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok || strings.IndexByte(val, '=') >= 0 {
			malformed = true
			continue
		}
		if !s.add(Member{Key: strings.TrimSpace(k), Value: val}, false) {
			return malformed
		}
	}
	return malformed
}

// injectJaeger writes uber-trace-id (when sc is valid) and one uberctx-<key> per member: values
// URL-escaped in the HTTP form (url.QueryEscape, as jaeger-client-go), raw in
// the TextMap form, where a value with control characters is left out.
func injectJaeger(sc SpanContext, baggage []Member, enc Encoding, h *JaegerHeaders, w Writer) Problem {
	if sc.IsValid() {
		w.Set(h.TraceContext, FormatUberTraceID(sc))
	}
	var p Problem
	for _, m := range baggage {
		if !IsToken(m.Key) {
			p |= BaggageUnsafe
			continue
		}
		v := m.Value
		if enc == HTTPHeaders {
			// A space as %20, not QueryEscape's '+': jaeger clients decode
			// with QueryUnescape (Go), URLDecoder (Java) or unquote
			// (Python), and only %20 reads as a space in all of them.
			v = strings.ReplaceAll(url.QueryEscape(v), "+", "%20")
		} else if !SafeValue(v) {
			p |= BaggageUnsafe
			continue
		}
		w.Set(h.BaggagePrefix+m.Key, v)
	}
	return p
}
