package sqltrace

import "strings"

// maskQuoted replaces what a driver's error message puts in single quotes
// with '?'. Databases quote the offending value there ("Duplicate entry
// 'alice@example.com' for key 'email'", "Incorrect integer value: 'x'"), and
// argument values reach spans only with WithPayloadCapture. Identifiers quoted
// the same way are masked too; db.statement still names them.
//
// A quoted part ends at a quote followed by a space, punctuation or the end,
// so a value with a quote inside is masked up to there and never shown.
func maskQuoted(msg string) string {
	i := strings.IndexByte(msg, '\'')
	if i < 0 {
		return msg
	}
	var b strings.Builder
	b.Grow(len(msg))
	for i >= 0 {
		b.WriteString(msg[:i+1])
		rest := msg[i+1:]
		end := closingQuote(rest)
		if end < 0 { // unterminated: mask to the end
			b.WriteString("?'")
			return b.String()
		}
		b.WriteString("?'")
		msg = rest[end+1:]
		i = strings.IndexByte(msg, '\'')
	}
	b.WriteString(msg)
	return b.String()
}

// closingQuote is the index in s of the quote that closes a quoted part.
func closingQuote(s string) int {
	for j := 0; j < len(s); j++ {
		if s[j] != '\'' {
			continue
		}
		if j+1 == len(s) || strings.IndexByte(" ,.;:)]\n", s[j+1]) >= 0 {
			return j
		}
	}
	return -1
}
