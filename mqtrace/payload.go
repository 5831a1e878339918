package mqtrace

import (
	"strconv"
	"unicode/utf8"

	"github.com/tracewrap/tracewrap/internal/core"
)

// payload is the message_bus.payload of a body, at most max bytes (max <= 0:
// no cap). Text (valid UTF-8 of printable runes and line breaks or tabs) is
// shown as it is; anything else, a protobuf or a compressed body, is quoted
// with Go escapes like redistrace's arguments, so that no raw binary byte
// reaches the span. Only the part of the body that can be shown is copied.
func payload(body []byte, max int) string {
	cut := max > 0 && len(body) > max
	if cut {
		// One byte past the cap still tells Truncate it was cut.
		body = body[:max+1]
	}
	s := string(body)
	whole := s
	if cut {
		whole = dropSplitRune(s)
	}
	if isText(whole) {
		v, _ := core.Truncate(s, max)
		return v
	}
	return quoteCapped(s, max)
}

// isText reports whether s reads unambiguously as it is: valid UTF-8 of
// printable runes, tabs and line breaks, not starting with a quote (which
// would look like a quoted binary body).
func isText(s string) bool {
	if s != "" && s[0] == '"' || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !strconv.IsPrint(r) && r != '\t' && r != '\n' && r != '\r' {
			return false
		}
	}
	return true
}

// quoteCapped quotes s with Go escapes; when that is longer than max bytes it
// cuts between escapes and ends with TruncationMarker, within max.
func quoteCapped(s string, max int) string {
	if max <= 0 || len(s)+len(`""`) <= max { // escaping never shortens s
		q := core.Quote(make([]byte, 0, len(s)+len(`""`)), s)
		if max <= 0 || len(q) <= max {
			return string(q)
		}
	}
	const closing = len(`"`) + len(core.TruncationMarker)
	if max < len(`"`)+closing {
		// No room for one escape: cut anyhow (s is a few bytes here).
		v, _ := core.Truncate(string(core.Quote(nil, s)), max)
		return v
	}
	b := make([]byte, 1, max)
	b[0] = '"'
	var scratch [16]byte // one quoted rune: at most `"\U0010ffff"`
	for i := 0; i < len(s); {
		_, n := utf8.DecodeRuneInString(s[i:])
		e := core.Quote(scratch[:0], s[i:i+n])
		e = e[1 : len(e)-1] // strconv quotes rune by rune: pieces join up
		if len(b)+len(e)+closing > max {
			break
		}
		b = append(b, e...)
		i += n
	}
	return string(append(append(b, '"'), core.TruncationMarker...))
}

// dropSplitRune drops a rune that the cut at the end of s split.
func dropSplitRune(s string) string {
	for j := len(s) - 1; j >= 0 && len(s)-j <= utf8.UTFMax; j-- {
		if utf8.RuneStart(s[j]) {
			if !utf8.FullRuneInString(s[j:]) {
				return s[:j]
			}
			break
		}
	}
	return s
}
