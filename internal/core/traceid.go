package core

import (
	"net/http"
	"strings"
)

// TraceIDFromHeaders returns the trace id a tracer has just injected into h
// with opentracing.HTTPHeaders, or "" when it recognises no trace header. It
// reads Jaeger (uber-trace-id, also URL-encoded), W3C traceparent, B3 and
// mocktracer headers, so a wrapper can hand the trace id to a server's own
// logs (Elasticsearch's X-Opaque-Id) without importing any tracer. The result
// is a substring of the header value: no allocation.
func TraceIDFromHeaders(h http.Header) string {
	if v := first(h, "Uber-Trace-Id"); v != "" {
		if i := strings.IndexByte(v, ':'); i > 0 {
			return v[:i]
		}
		if i := strings.Index(v, "%3A"); i > 0 {
			return v[:i]
		}
		return ""
	}
	if v := first(h, "Traceparent"); len(v) >= 35 && v[2] == '-' {
		return v[3:35] // version-traceid-spanid-flags
	}
	if v := first(h, "X-B3-Traceid"); v != "" {
		return v
	}
	return first(h, "Mockpfx-Ids-Traceid")
}

func first(h http.Header, canonicalKey string) string {
	if v := h[canonicalKey]; len(v) > 0 {
		return v[0]
	}
	return ""
}
