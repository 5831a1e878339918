package propagation

// Lexical helpers shared by the formats: hex ids and optional white space.

// parseLowerHex parses 1 to 16 lower-case hex digits (the only form W3C and
// B3 allow).
func parseLowerHex(s string) (uint64, bool) { return parseHex(s, false) }

// parseAnyHex is parseLowerHex accepting upper case too, as jaeger-client-go's
// strconv.ParseUint(s, 16, 64) does for uber-trace-id.
func parseAnyHex(s string) (uint64, bool) { return parseHex(s, true) }

func parseHex(s string, upper bool) (uint64, bool) {
	if len(s) == 0 || len(s) > 16 {
		return 0, false
	}
	var v uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case upper && 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		v = v<<4 | uint64(c)
	}
	return v, true
}

// parseTraceID parses a trace id of 1 to 32 hex digits; the last 16 are the
// low half.
func parseTraceID(s string, hex func(string) (uint64, bool)) (TraceID, bool) {
	if len(s) == 0 || len(s) > 32 {
		return TraceID{}, false
	}
	if len(s) <= 16 {
		lo, ok := hex(s)
		return TraceID{Low: lo}, ok
	}
	hi, ok1 := hex(s[:len(s)-16])
	lo, ok2 := hex(s[len(s)-16:])
	return TraceID{High: hi, Low: lo}, ok1 && ok2
}

const hexDigits = "0123456789abcdef"

// appendHex16 appends v as 16 lower-case hex digits.
func appendHex16(b []byte, v uint64) []byte {
	for i := 60; i >= 0; i -= 4 {
		b = append(b, hexDigits[v>>uint(i)&0xf])
	}
	return b
}

// appendTraceID appends t as 16 hex digits when 64-bit, else 32.
func appendTraceID(b []byte, t TraceID) []byte {
	if t.High != 0 {
		b = appendHex16(b, t.High)
	}
	return appendHex16(b, t.Low)
}

// trimOWS removes optional white space (spaces and tabs) around s.
func trimOWS(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}
