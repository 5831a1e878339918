package core

import (
	"net/url"
	"strings"
)

// RedactedValue replaces every query value RedactURL hides.
const RedactedValue = "REDACTED"

// RedactURL renders u for an http.url tag: scheme, host and path as sent,
// never the userinfo or fragment. Query parameter names are kept and their
// values replaced by RedactedValue (values carry search terms, routing keys,
// tokens) unless keepQuery; a parameter without "=" is replaced whole, since a
// bare item may itself be a token. A nil URL is "".
func RedactURL(u *url.URL, keepQuery bool) string {
	if u == nil {
		return ""
	}
	path := u.EscapedPath()
	var b strings.Builder
	b.Grow(len(u.Scheme) + 3 + len(u.Host) + len(path) + 1 + len(u.RawQuery) + 8*strings.Count(u.RawQuery, "&"))
	if u.Host != "" {
		if u.Scheme != "" {
			b.WriteString(u.Scheme)
			b.WriteString("://")
		} else {
			b.WriteString("//")
		}
		b.WriteString(u.Host)
	}
	b.WriteString(path)
	if u.RawQuery == "" && !u.ForceQuery {
		return b.String()
	}
	b.WriteByte('?')
	if keepQuery {
		b.WriteString(u.RawQuery)
		return b.String()
	}
	q := u.RawQuery
	for i := 0; q != ""; i++ {
		var item string
		item, q, _ = strings.Cut(q, "&")
		if i > 0 {
			b.WriteByte('&')
		}
		if item == "" {
			continue
		}
		key, _, hasValue := strings.Cut(item, "=")
		if hasValue {
			b.WriteString(key)
			b.WriteByte('=')
		}
		b.WriteString(RedactedValue)
	}
	return b.String()
}
