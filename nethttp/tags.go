package nethttp

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"

	"github.com/tracewrap/tracewrap/internal/core"
)

const (
	maxMethodLen = 32
)

// operationName is "HTTP <method>" for the standard methods. Any other
// method, which a client may invent freely, becomes "HTTP OTHER" so that span
// names stay low-cardinality; the http.method tag keeps the real one.
func operationName(method string) string {
	switch method {
	case http.MethodGet, "":
		return "HTTP GET"
	case http.MethodPost:
		return "HTTP POST"
	case http.MethodPut:
		return "HTTP PUT"
	case http.MethodDelete:
		return "HTTP DELETE"
	case http.MethodHead:
		return "HTTP HEAD"
	case http.MethodPatch:
		return "HTTP PATCH"
	case http.MethodOptions:
		return "HTTP OPTIONS"
	case http.MethodConnect:
		return "HTTP CONNECT"
	case http.MethodTrace:
		return "HTTP TRACE"
	}
	return "HTTP OTHER"
}

// routeName is the span name once the server's mux matched pattern, a Go 1.22
// ServeMux pattern such as "GET /items/{id}" or "example.com/static/".
func routeName(method, pattern string) string {
	if i := strings.IndexAny(pattern, " \t"); i >= 0 {
		pattern = strings.TrimLeft(pattern[i:], " \t")
	}
	return operationName(method) + " " + pattern
}

// tagURL sets http.url, capped: no userinfo or fragment, query values
// redacted unless keepQuery (see core.RedactURL).
func tagURL(span opentracing.Span, u *url.URL, keepQuery bool, max int) {
	if u == nil {
		return
	}
	s, _ := core.Truncate(core.RedactURL(u, keepQuery), max)
	ext.HTTPUrl.Set(span, s)
}

// tagMethod sets http.method, capped: the method is whatever the client sent.
func tagMethod(span opentracing.Span, method string) {
	if v := standardMethod(method); v != nil {
		span.SetTag(string(ext.HTTPMethod), v)
		return
	}
	m, _ := core.Truncate(method, maxMethodLen)
	ext.HTTPMethod.Set(span, m)
}

// standardMethod returns the standard methods as constants in an interface,
// which costs no allocation, unlike boxing the request's own string.
func standardMethod(method string) any {
	switch method {
	case http.MethodGet, "":
		return http.MethodGet
	case http.MethodPost:
		return http.MethodPost
	case http.MethodPut:
		return http.MethodPut
	case http.MethodDelete:
		return http.MethodDelete
	case http.MethodHead:
		return http.MethodHead
	case http.MethodPatch:
		return http.MethodPatch
	case http.MethodOptions:
		return http.MethodOptions
	case http.MethodConnect:
		return http.MethodConnect
	case http.MethodTrace:
		return http.MethodTrace
	}
	return nil
}

// tagHeaders tags the configured headers present in h. The list never holds
// credential headers (see WithHeaderTags).
func tagHeaders(span opentracing.Span, h http.Header, tags []headerTag, response bool, max int) {
	for _, t := range tags {
		vs := h[t.name]
		if len(vs) == 0 {
			continue
		}
		v, _ := core.Truncate(strings.Join(vs, ", "), max)
		if response {
			span.SetTag(t.resTag, v)
		} else {
			span.SetTag(t.reqTag, v)
		}
	}
}

// tagStatus sets http.status_code.
func tagStatus(span opentracing.Span, code int) {
	if code > 0 && code < 1000 {
		ext.HTTPStatusCode.Set(span, uint16(code))
	}
}
