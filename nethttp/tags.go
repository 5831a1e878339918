package nethttp

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/opentracing/opentracing-go"

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
	return operationName(method) + " " + routePath(pattern)
}

// routePath is a ServeMux pattern without its method: "/items/{id}",
// "example.com/static/".
func routePath(pattern string) string {
	if i := strings.IndexAny(pattern, " \t"); i >= 0 {
		pattern = strings.TrimLeft(pattern[i:], " \t")
	}
	return pattern
}

// tagURL sets http.url (OpenTelemetry: url.full), capped: no userinfo or
// fragment, query values redacted unless keepQuery (see core.RedactURL).
func tagURL(span opentracing.Span, v *core.Vocab, u *url.URL, keepQuery bool, max int) {
	if u == nil {
		return
	}
	s, _ := core.Truncate(core.RedactURL(u, keepQuery), max)
	v.Set(span, core.KeyHTTPURL, s)
}

// tagServerURL sets what a server knows of the request's URL: http.url
// (path and query) in OpenTracing's vocabulary, url.path and url.query in
// OpenTelemetry's; capped, query values redacted unless keepQuery.
func tagServerURL(span opentracing.Span, v *core.Vocab, u *url.URL, keepQuery bool, max int) {
	if u == nil {
		return
	}
	if !v.OTel() {
		s, _ := core.Truncate(core.RedactURL(u, keepQuery), max)
		v.Set(span, core.KeyHTTPPath, s)
		return
	}
	p, _ := core.Truncate(u.EscapedPath(), max)
	v.Set(span, core.KeyHTTPPath, p)
	if u.RawQuery != "" {
		q := core.RedactURL(&url.URL{RawQuery: u.RawQuery}, keepQuery)
		q, _ = core.Truncate(strings.TrimPrefix(q, "?"), max)
		v.Set(span, core.KeyHTTPQuery, q)
	}
}

// tagMethod sets http.method (OpenTelemetry: http.request.method), capped:
// the method is whatever the client sent.
func tagMethod(span opentracing.Span, v *core.Vocab, method string) {
	if m := standardMethod(method); m != nil {
		v.Set(span, core.KeyHTTPMethod, m)
		return
	}
	m, _ := core.Truncate(method, maxMethodLen)
	v.Set(span, core.KeyHTTPMethod, m)
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

// tagStatus sets http.status_code (OpenTelemetry: http.response.status_code,
// an int).
func tagStatus(span opentracing.Span, v *core.Vocab, code int) {
	if code <= 0 || code >= 1000 {
		return
	}
	if v.OTel() {
		v.Set(span, core.KeyHTTPStatusCode, code)
		return
	}
	v.Set(span, core.KeyHTTPStatusCode, uint16(code))
}
