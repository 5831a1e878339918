package core

import (
	"strconv"
	"unicode/utf8"

	"github.com/opentracing/opentracing-go"
)

// TruncationMarker ends a value that was cut.
const TruncationMarker = "…"

// Truncate cuts s to at most max bytes, on a rune boundary, and reports
// whether it cut anything. A cut value ends with TruncationMarker, counted in
// max, so the reader sees it is incomplete. max <= 0 means no cap.
func Truncate(s string, max int) (string, bool) {
	if max <= 0 || len(s) <= max {
		return s, false
	}
	keep := max - len(TruncationMarker)
	if keep <= 0 {
		return cutRunes(s, max), true
	}
	return cutRunes(s, keep) + TruncationMarker, true
}

// cutRunes returns the longest prefix of s no longer than n bytes that does
// not split a UTF-8 sequence.
func cutRunes(s string, n int) string {
	if n >= len(s) {
		return s
	}
	for i := n; i >= 0 && n-i < utf8.UTFMax; i-- {
		if utf8.RuneStart(s[i]) {
			return s[:i]
		}
	}
	return s[:n] // no rune start near the cut: invalid UTF-8, cut by bytes
}

// SetStatement sets the statement (db.statement, or db.query.text in
// OpenTelemetry's vocabulary) to s capped at max bytes; when it was cut it
// also tags the full size in bytes (KeyDBStatementLength).
func SetStatement(span opentracing.Span, v *Vocab, s string, max int) {
	t, cut := Truncate(s, max)
	v.Set(span, KeyDBStatement, t)
	if cut {
		v.Set(span, KeyDBStatementLength, len(s))
	}
}

// Quote appends s to b as a binary-safe quoted string: printable UTF-8 is
// kept, everything else is escaped the way Go escapes it.
func Quote(b []byte, s string) []byte { return strconv.AppendQuote(b, s) }
