package estrace

import (
	"net/http"
	"time"

	"github.com/elastic/elastic-transport-go/v8/elastictransport"
)

// Transport is an http.RoundTripper for Elasticsearch requests. It plays two
// parts:
//
//   - Under a client traced by NewClient or Instrumentation, it sees each
//     attempt of a logical request that already has its span, and only adds
//     to it: retries become one "attempt" log each (attempt number, node
//     address, status or error, duration), never extra spans.
//   - Alone (elasticsearch.Config{Transport: estrace.NewTransport(nil)}
//     without the Instrumentation, or any http.Client talking to
//     Elasticsearch), each round trip is one span named from the path
//     template, with the same tags, body capture (gzip-aware, for a client
//     with CompressRequestBody) and error snippet. The client's retries are
//     then one span per attempt: the transport cannot know which attempt is
//     the last. Use NewClient for one span per logical request.
//
// The request is never modified: headers are injected into a copy.
type Transport struct {
	base http.RoundTripper
	cfg  *config
}

// NewTransport wraps base (nil: http.DefaultTransport).
func NewTransport(base http.RoundTripper, opts ...Option) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &Transport{base: base, cfg: newConfig(opts)}
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	if c := callFrom(ctx); c != nil {
		return roundTripAttempt(c, t.base.RoundTrip, req)
	}
	if !t.cfg.active(ctx) {
		return t.base.RoundTrip(req)
	}
	c := newRawCall(req, t.cfg)
	r2 := new(http.Request)
	*r2 = *req
	r2.Header = req.Header.Clone()
	c.begin(r2)
	if c.span == nil {
		if c.forwarded { // the caller's context, in r2's headers
			return t.base.RoundTrip(r2)
		}
		return t.base.RoundTrip(req)
	}
	res, err := t.base.RoundTrip(r2)
	if err != nil {
		c.recordError(err)
	} else {
		c.res = res
	}
	c.afterRequest(r2)
	c.finish()
	return res, err
}

// newRawCall describes a request known only by its URL.
func newRawCall(req *http.Request, cfg *config) *call {
	info := parsePath(req.Method, req.URL.Path)
	c := newCall(req.Context(), cfg, info.operationName(req.Method))
	c.Path, c.Index, c.DocumentID = info.template, info.index, info.id
	return c
}

// roundTripAttempt times one attempt of a traced logical request.
func roundTripAttempt(c *call, next func(*http.Request) (*http.Response, error), req *http.Request) (*http.Response, error) {
	if c.span == nil {
		return next(req)
	}
	start := time.Now()
	res, err := next(req)
	c.attemptDone(req, start, res, err)
	return res, err
}

// interceptor is Transport's per-attempt part as an elastictransport
// interceptor, which NewClient installs instead of replacing the user's
// http.RoundTripper (the client configures CACert and certificate
// fingerprints only on an *http.Transport of its own).
func interceptor() elastictransport.InterceptorFunc {
	return func(next elastictransport.RoundTripFunc) elastictransport.RoundTripFunc {
		return func(req *http.Request) (*http.Response, error) {
			if c := callFrom(req.Context()); c != nil {
				return roundTripAttempt(c, next, req)
			}
			return next(req)
		}
	}
}
