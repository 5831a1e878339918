package propagation

import (
	"errors"
	"strings"
)

// W3C Trace Context, https://www.w3.org/TR/trace-context/.

const (
	headerTraceparent = "traceparent"
	headerTracestate  = "tracestate"
	traceparentLen    = 55 // "00-" 32 "-" 16 "-" 2
)

var errTraceparent = errors.New("traceparent: malformed")

// ParseTraceparent parses a traceparent value by the spec's rules: version 00
// is exactly 55 characters; a higher version (not ff) is read by the version
// 00 layout and may go on after a '-'; hex is lower case; trace and span ids
// are not all zeros. Only the sampled flag is kept (the spec's other bits
// have no meaning yet).
func ParseTraceparent(v string) (SpanContext, error) {
	v = trimOWS(v)
	if len(v) < traceparentLen || v[2] != '-' || v[35] != '-' || v[52] != '-' {
		return SpanContext{}, errTraceparent
	}
	ver, ok := parseLowerHex(v[:2])
	if !ok || ver == 0xff {
		return SpanContext{}, errTraceparent
	}
	if ver == 0 && len(v) != traceparentLen || ver != 0 && len(v) > traceparentLen && v[traceparentLen] != '-' {
		return SpanContext{}, errTraceparent
	}
	hi, ok1 := parseLowerHex(v[3:19])
	lo, ok2 := parseLowerHex(v[19:35])
	span, ok3 := parseLowerHex(v[36:52])
	flags, ok4 := parseLowerHex(v[53:55])
	if !ok1 || !ok2 || !ok3 || !ok4 || hi == 0 && lo == 0 || span == 0 {
		return SpanContext{}, errTraceparent
	}
	return SpanContext{TraceID: TraceID{High: hi, Low: lo}, SpanID: span, Sampled: flags&1 == 1}, nil
}

// FormatTraceparent writes sc as a version 00 traceparent. A 64-bit trace id
// is zero-padded to 128 bits; a debug context is sampled.
func FormatTraceparent(sc SpanContext) string {
	b := make([]byte, 0, traceparentLen)
	b = append(b, "00-"...)
	b = appendHex16(b, sc.TraceID.High)
	b = appendHex16(b, sc.TraceID.Low)
	b = append(b, '-')
	b = appendHex16(b, sc.SpanID)
	if sc.Sampled || sc.Debug {
		b = append(b, "-01"...)
	} else {
		b = append(b, "-00"...)
	}
	return string(b)
}

// ParseTracestate validates a tracestate value (several headers already
// joined with ","). It returns the value to pass on: "" with
// TracestateInvalid when a member is malformed, a key repeats or there are
// more than 32 members (the whole header is then unusable, per the spec);
// over 512 characters, members longer than 128 characters are removed first,
// then members from the end, with TracestateTruncated.
func ParseTracestate(v string) (string, Problem) {
	if len(v) > maxHeaderLen {
		return "", TracestateInvalid
	}
	var members []string
	n := 0
	for rest, more := v, true; more; {
		var m string
		m, rest, more = strings.Cut(rest, ",")
		m = trimOWS(m)
		if m != "" {
			n++
			if n > MaxTraceStateMembers || !validTracestateMember(m) {
				return "", TracestateInvalid
			}
			key := m[:strings.IndexByte(m, '=')]
			for _, o := range members {
				if o[:strings.IndexByte(o, '=')] == key {
					return "", TracestateInvalid
				}
			}
			members = append(members, m)
		}
	}
	total := func() int {
		t := 0
		for i, m := range members {
			if i > 0 {
				t++
			}
			t += len(m)
		}
		return t
	}
	var p Problem
	if total() > MaxTraceStateLen {
		p = TracestateTruncated
		kept := members[:0]
		for _, m := range members {
			if len(m) <= 128 {
				kept = append(kept, m)
			}
		}
		members = kept
		for len(members) > 0 && total() > MaxTraceStateLen {
			members = members[:len(members)-1]
		}
	}
	return strings.Join(members, ","), p
}

// validTracestateMember checks key "=" value: key is
// lcalpha 0*255(lcalpha / DIGIT / "_" / "-"/ "*" / "/"), or
// (lcalpha / DIGIT) 0*240(same) "@" lcalpha 0*13(same); value is 1 to 256
// printable characters other than "," and "=", not ending in a space.
func validTracestateMember(m string) bool {
	eq := strings.IndexByte(m, '=')
	if eq <= 0 {
		return false
	}
	key, val := m[:eq], m[eq+1:]
	if !validTracestateKey(key) || len(val) == 0 || len(val) > 256 || val[len(val)-1] == ' ' {
		return false
	}
	for i := 0; i < len(val); i++ {
		c := val[i]
		if c < 0x20 || c > 0x7e || c == ',' || c == '=' {
			return false
		}
	}
	return true
}

func validTracestateKey(k string) bool {
	tenant, system, multi := strings.Cut(k, "@")
	keyChar := func(c byte) bool {
		return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '*' || c == '/'
	}
	if !multi {
		if len(k) > 256 || !('a' <= k[0] && k[0] <= 'z') {
			return false
		}
		for i := 1; i < len(k); i++ {
			if !keyChar(k[i]) {
				return false
			}
		}
		return true
	}
	if len(tenant) == 0 || len(tenant) > 241 || len(system) == 0 || len(system) > 14 {
		return false
	}
	if c := tenant[0]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9') || !('a' <= system[0] && system[0] <= 'z') {
		return false
	}
	for i := 1; i < len(tenant); i++ {
		if !keyChar(tenant[i]) {
			return false
		}
	}
	for i := 1; i < len(system); i++ {
		if !keyChar(system[i]) {
			return false
		}
	}
	return true
}
