package estrace

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/elastic/go-elasticsearch/v8/typedapi/types"
)

// Request describes one logical Elasticsearch request to filters, name funcs,
// observers and error policies. Fields fill in as the client learns them: a
// filter (run when the request is about to be sent) sees everything but
// StatusCode.
type Request struct {
	// Endpoint is the API name: "search", "index", "bulk", "indices.create".
	// For raw Perform calls it comes from the path template; an unknown path
	// gives "<METHOD> <template>", e.g. "GET /_nodes/{}/{}".
	Endpoint string
	// Method is the HTTP method.
	Method string
	// Path is the path template ("/{index}/_doc/{id}") of raw Perform calls;
	// "" for calls made through the client's API functions.
	Path string
	// Index and DocumentID are the index and document id path parts, if any.
	Index      string
	DocumentID string
	// HTTPRequest is the request as the client sends it. Treat it as read-only
	// and do not read its body.
	HTTPRequest *http.Request
	// StatusCode is the final response status; 0 before a response or after a
	// transport error.
	StatusCode int
}

// StatusError is the error a span records for a 4xx/5xx response. Type and
// Reason come from the first bytes of the response body (Elasticsearch's
// root cause), read without taking them from the caller.
type StatusError struct {
	StatusCode int
	Type       string // e.g. "parsing_exception"; "" when the body did not say
	Reason     string
	Err        error // what the client itself reported, if anything
}

func (e *StatusError) Error() string {
	b := make([]byte, 0, 32+len(e.Type)+len(e.Reason))
	b = append(b, "elasticsearch: "...)
	b = strconv.AppendInt(b, int64(e.StatusCode), 10)
	if t := http.StatusText(e.StatusCode); t != "" {
		b = append(b, ' ')
		b = append(b, t...)
	}
	if e.Type != "" {
		b = append(b, ": "...)
		b = append(b, e.Type...)
	}
	if e.Reason != "" {
		b = append(b, ": "...)
		b = append(b, e.Reason...)
	}
	return string(b)
}

// ErrorKind is the Elasticsearch error type, or "HTTP <code>".
func (e *StatusError) ErrorKind() string {
	if e.Type != "" {
		return e.Type
	}
	return "HTTP " + strconv.Itoa(e.StatusCode)
}

// Unwrap returns the client's own error.
func (e *StatusError) Unwrap() error { return e.Err }

// defaultIsError: transport errors and 5xx always; 4xx except a 404 on
// GET/HEAD (a missing document or index is an answer) and a 409 (optimistic
// concurrency doing its job).
func defaultIsError(r *Request, err error) bool {
	code := 0
	var se *StatusError
	var te *types.ElasticsearchError
	switch {
	case errors.As(err, &se):
		code = se.StatusCode
	case errors.As(err, &te):
		code = te.Status
	}
	if code == 0 {
		return true
	}
	method := ""
	if r != nil {
		method = r.Method
	}
	return IsErrorStatus(method, code)
}

// IsErrorStatus is the default judgement on a response status, for error
// policies that want to keep it for statuses and decide other errors
// themselves.
func IsErrorStatus(method string, code int) bool {
	switch {
	case code >= 500:
		return true
	case code == http.StatusNotFound && (method == http.MethodGet || method == http.MethodHead):
		return false
	case code == http.StatusConflict:
		return false
	}
	return code >= 400
}
