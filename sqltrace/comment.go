package sqltrace

import (
	"net/url"
	"sort"
	"strings"

	"github.com/opentracing/opentracing-go"

	"github.com/tracewrap/tracewrap/internal/core"
)

// maxCommentSize bounds the trace comment; entries that do not fit are left
// out rather than cut, so every entry that is there can be parsed.
const maxCommentSize = 512

// commentCarrier collects what the tracer injects, in order of arrival.
type commentCarrier [][2]string

func (c *commentCarrier) Set(key, val string) { *c = append(*c, [2]string{key, val}) }

// traceComment renders span's trace context as an sqlcommenter comment,
// /*key='value',...*/ with keys and values URL-encoded, so nothing in it can
// end the comment or open a string; form selects the entries (CommentForm).
// Baggage is left out: it is application data, and slow-query logs are read
// by more people than traces. It returns "" when there is nothing to write;
// callers only ask for sampled spans.
func traceComment(span opentracing.Span, form CommentForm) string {
	var c commentCarrier
	sc := span.Context()
	if err := span.Tracer().Inject(sc, opentracing.TextMap, &c); err != nil {
		c = nil
	}
	var baggage []string
	sc.ForeachBaggageItem(func(k, _ string) bool {
		baggage = append(baggage, "-"+strings.ToLower(k))
		return true
	})
	kept, w3c := c[:0], false
	for _, kv := range c {
		switch {
		case isBaggageKey(kv[0], baggage):
		case isW3CKey(kv[0]):
			w3c = w3c || strings.EqualFold(kv[0], "traceparent")
			kept = append(kept, kv)
		case form&CommentInjected != 0:
			kept = append(kept, kv)
		}
	}
	if !w3c && form&CommentTraceparent != 0 {
		if tp := core.Traceparent(sc); tp != "" {
			kept = append(kept, [2]string{"traceparent", tp})
		}
	}
	sort.Slice(kept, func(i, j int) bool { return kept[i][0] < kept[j][0] })

	var b strings.Builder
	b.WriteString("/*")
	n := 0
	for _, kv := range kept {
		entry := url.QueryEscape(kv[0]) + "='" + escapeCommentValue(kv[1]) + "'"
		if b.Len()+len(entry)+3 > maxCommentSize {
			continue
		}
		if n > 0 {
			b.WriteByte(',')
		}
		b.WriteString(entry)
		n++
	}
	if n == 0 {
		return ""
	}
	b.WriteString("*/")
	return b.String()
}

// isW3CKey: the W3C Trace Context entries, which both forms write.
func isW3CKey(k string) bool {
	return strings.EqualFold(k, "traceparent") || strings.EqualFold(k, "tracestate")
}

// isBaggageKey: a carrier key that holds baggage — the W3C and Jaeger baggage
// headers, or a key ending in "-<baggage key>" (uberctx-k, ot-baggage-k);
// never a span-context key, whatever the baggage is named.
func isBaggageKey(key string, baggage []string) bool {
	if core.IsTraceKey(key) {
		return false
	}
	if strings.EqualFold(key, "baggage") || strings.EqualFold(key, "jaeger-baggage") {
		return true
	}
	key = strings.ToLower(key)
	for _, suffix := range baggage {
		if strings.HasSuffix(key, suffix) {
			return true
		}
	}
	return false
}

// escapeCommentValue URL-encodes v the way sqlcommenter does (%20 for a
// space), leaving only [A-Za-z0-9_.~%-].
func escapeCommentValue(v string) string {
	return strings.ReplaceAll(url.QueryEscape(v), "+", "%20")
}

// withComment appends comment to query. A comment after a final ';' would be
// a statement of its own, so it goes before it; after a line comment it would
// be swallowed, so it goes on a new line.
func withComment(query, comment string) string {
	if comment == "" || strings.TrimSpace(query) == "" {
		return query
	}
	q := strings.TrimRight(query, " \t\r\n")
	semicolon := strings.HasSuffix(q, ";")
	if semicolon {
		q = strings.TrimRight(q[:len(q)-1], " \t\r\n")
	}
	sep := " "
	last := q[strings.LastIndexByte(q, '\n')+1:]
	if strings.Contains(last, "--") || strings.Contains(last, "#") {
		sep = "\n"
	}
	q = q + sep + comment
	if semicolon {
		q += ";"
	}
	return q
}
