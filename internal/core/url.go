package core

import (
	"net/url"
	"strings"
)

// RedactedValue replaces every query value RedactURL writes.
const RedactedValue = "REDACTED"

// RedactURL renders u for an http.url tag: scheme, host and path as sent,
// never the userinfo or fragment, and query parameter names with their values
// replaced by RedactedValue (values carry search terms, routing keys, tokens).
// A nil URL is "".
func RedactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	path := u.EscapedPath()
	n := len(u.Scheme) + 3 + len(u.Host) + len(path)
	if u.RawQuery != "" {
		n += 1 + len(u.RawQuery) + 8*strings.Count(u.RawQuery, "&")
	}
	var b strings.Builder
	b.Grow(n)
	if u.Scheme != "" {
		b.WriteString(u.Scheme)
		b.WriteString("://")
	}
	b.WriteString(u.Host)
	b.WriteString(path)
	if u.RawQuery == "" {
		return b.String()
	}
	b.WriteByte('?')
	q := u.RawQuery
	for first := true; q != ""; first = false {
		var pair string
		pair, q, _ = strings.Cut(q, "&")
		if pair == "" {
			continue
		}
		if !first {
			b.WriteByte('&')
		}
		key, _, hasValue := strings.Cut(pair, "=")
		b.WriteString(key)
		if hasValue {
			b.WriteByte('=')
			b.WriteString(RedactedValue)
		}
	}
	return b.String()
}
