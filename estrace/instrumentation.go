package estrace

import (
	"context"
	"io"
	"net/http"

	"github.com/elastic/elastic-transport-go/v8/elastictransport"
)

// Instrumentation is the OpenTracing implementation of the client's
// elastictransport.Instrumentation hooks, which every API function of the
// client (esapi and typedapi) calls with the endpoint name and path parts, so
// no URL is parsed. NewClient installs it; set it yourself as
// elasticsearch.Config.Instrumentation when building a client by hand.
//
// The span starts when the request is about to be sent (a filter sees the
// method, index and id) with the time of Start, and ends when the API
// function returns: for esapi calls that is when the response headers (and,
// for 4xx/5xx, the first bytes of the body) are in; typed calls also decode
// the body inside the span.
type Instrumentation struct {
	cfg  *config
	next elastictransport.Instrumentation
}

var _ elastictransport.Instrumentation = (*Instrumentation)(nil)

// NewInstrumentation returns the hooks for elasticsearch.Config.Instrumentation.
func NewInstrumentation(opts ...Option) *Instrumentation {
	return &Instrumentation{cfg: newConfig(opts)}
}

// chain returns in calling next's hooks too (the user's own instrumentation,
// e.g. OpenTelemetry's), next first on the way in and last on the way out.
func (in *Instrumentation) chain(next elastictransport.Instrumentation) *Instrumentation {
	if next == nil {
		return in
	}
	return &Instrumentation{cfg: in.cfg, next: next}
}

// Start begins a logical request named after the endpoint.
func (in *Instrumentation) Start(ctx context.Context, name string) context.Context {
	if in.next != nil {
		ctx = in.next.Start(ctx, name)
	}
	if c := callFrom(ctx); c != nil && c.cfg == in.cfg && !c.done {
		c.depth++ // a typed Do calling its own Perform: one span
		return ctx
	}
	if !in.cfg.active(ctx) {
		return ctx
	}
	return newCall(ctx, in.cfg, name)
}

// Close ends the span.
func (in *Instrumentation) Close(ctx context.Context) {
	if c := in.callOf(ctx); c != nil {
		if c.depth > 0 {
			c.depth--
		} else {
			c.finish()
		}
	}
	if in.next != nil {
		in.next.Close(ctx)
	}
}

// RecordError keeps the first error the client reports for the span.
func (in *Instrumentation) RecordError(ctx context.Context, err error) {
	if c := in.callOf(ctx); c != nil {
		c.recordError(err)
	}
	if in.next != nil {
		in.next.RecordError(ctx, err)
	}
}

// RecordPathPart keeps index, id and other path parts for the span's tags.
func (in *Instrumentation) RecordPathPart(ctx context.Context, pathPart, value string) {
	if c := in.callOf(ctx); c != nil && !c.begun {
		c.addPathPart(pathPart, value)
	}
	if in.next != nil {
		in.next.RecordPathPart(ctx, pathPart, value)
	}
}

// RecordRequestBody returns nil: BeforeRequest, which can see the request's
// GetBody and Content-Encoding, records the body. Only behind a chained
// instrumentation is the body recorded here, after that one had it: it may
// read the very reader the caller gave (the client's OpenTelemetry
// instrumentation does) and hand back a copy to send, so peeking first would
// take bytes from under it.
func (in *Instrumentation) RecordRequestBody(ctx context.Context, endpoint string, query io.Reader) io.ReadCloser {
	var body io.ReadCloser
	if in.next != nil {
		body = in.next.RecordRequestBody(ctx, endpoint, query)
	}
	if c := in.callOf(ctx); c != nil && c.bodyHeld {
		c.bodyHeld = false
		if req := c.HTTPRequest; req != nil && c.span != nil && c.sampled {
			if body != nil {
				req.Body = body // what the client does with it
			}
			c.recordBody(req)
			if body != nil {
				body = req.Body
			}
		}
	}
	return body
}

// BeforeRequest starts the span, records the body (see RecordRequestBody)
// and injects the trace context and X-Opaque-Id into the request headers.
func (in *Instrumentation) BeforeRequest(req *http.Request, endpoint string) {
	if c := in.callOf(req.Context()); c != nil {
		c.bodyHeld = in.next != nil && req.Body != nil && req.Body != http.NoBody
		c.begin(req)
	}
	if in.next != nil {
		in.next.BeforeRequest(req, endpoint)
	}
}

// AfterRequest tags the final URL and peer and reads an error answer's
// snippet.
func (in *Instrumentation) AfterRequest(req *http.Request, system, endpoint string) {
	if c := in.callOf(req.Context()); c != nil {
		c.afterRequest(req)
	}
	if in.next != nil {
		in.next.AfterRequest(req, system, endpoint)
	}
}

// AfterResponse notes each attempt's response; the last one is the answer.
func (in *Instrumentation) AfterResponse(ctx context.Context, res *http.Response) {
	if c := in.callOf(ctx); c != nil {
		c.res = res
	}
	if in.next != nil {
		in.next.AfterResponse(ctx, res)
	}
}

func (in *Instrumentation) callOf(ctx context.Context) *call {
	if c := callFrom(ctx); c != nil && c.cfg == in.cfg {
		return c
	}
	return nil
}
