package nethttp

import (
	"context"
	"io"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"

	"github.com/tracewrap/tracewrap/internal/core"
)

// clientDefaults: client spans; 5xx and transport errors are errors, 4xx are
// not (WithErrorPolicy to change that).
var clientDefaults = core.Defaults[*http.Request]{
	Component: "net/http",
	Kind:      ext.SpanKindRPCClientEnum,
	IsError:   defaultIsError,
}

// Transport is an http.RoundTripper that makes a client span of every
// request, a child of the span in the request's context, and sends the span's
// context (and baggage) in the request headers.
//
// The span ends when the response body is read to EOF, fails or is closed;
// at once for HEAD requests, empty bodies and errors; or, if the caller drops
// the body, when the request's context is done (e.g. http.Client.Timeout).
// Each redirect hop is a span of its own under the caller's span.
type Transport struct {
	base http.RoundTripper
	s    *settings
}

// NewTransport wraps base; nil base means http.DefaultTransport (looked up
// per request).
func NewTransport(base http.RoundTripper, opts ...Option) *Transport {
	return &Transport{base: base, s: newSettings(clientDefaults, opts)}
}

// WrapClient returns a copy of c (nil: http.DefaultClient) whose transport is
// traced. c itself is not modified.
func WrapClient(c *http.Client, opts ...Option) *http.Client {
	if c == nil {
		c = http.DefaultClient
	}
	c2 := *c
	c2.Transport = NewTransport(c.Transport, opts...)
	return &c2
}

// Unwrap returns the wrapped transport.
func (t *Transport) Unwrap() http.RoundTripper { return t.baseTransport() }

func (t *Transport) baseTransport() http.RoundTripper {
	if t.base != nil {
		return t.base
	}
	return http.DefaultTransport
}

// CloseIdleConnections forwards to the wrapped transport, so that
// http.Client.CloseIdleConnections keeps working.
func (t *Transport) CloseIdleConnections() {
	if c, ok := t.baseTransport().(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// RoundTrip implements http.RoundTripper. It never modifies req: the trace
// headers go on a copy.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.baseTransport()
	if t.s.noop() {
		return base.RoundTrip(req)
	}
	ctx := req.Context()
	ps := core.SpanFromContext(ctx)
	parent, unsampled := t.s.Parent(ps)
	if unsampled {
		// The trace is not sampled, for good: no span, the caller's context
		// goes on as it is (same trace, decision and baggage).
		if !t.s.Traced(req) {
			return base.RoundTrip(req)
		}
		out := withHeaders(req)
		core.InjectHeaders(ps, parent, out.Header)
		return base.RoundTrip(out)
	}
	span := t.s.Start(req, parent, operationName(req.Method), time.Time{})
	if span == nil {
		return base.RoundTrip(req)
	}
	sc, sampled := core.SampledContext(span) // once: some tracers box a copy per call
	v := core.VocabOf(span)
	if sampled {
		tagMethod(span, v, req.Method)
		tagURL(span, v, req.URL, t.s.keepQuery, maxURLLen(t.s))
		tagClientPeer(span, v, req)
		tagHeaders(span, req.Header, t.s.headers, false, t.s.MaxStatementSize)
	}

	out := withHeaders(req)
	if sampled && t.s.clientTrace {
		out = out.WithContext(withClientTrace(ctx, span))
	}
	core.InjectHeaders(span, sc, out.Header)

	resp, err := base.RoundTrip(out)
	if err != nil {
		t.s.Finish(span, req, err, time.Time{})
		return resp, err
	}
	tagStatus(span, v, resp.StatusCode)
	if sampled {
		tagHeaders(span, resp.Header, t.s.headers, true, t.s.MaxStatementSize)
	}
	serr := statusErr(resp.StatusCode)
	if req.Method == http.MethodHead || resp.Body == nil || resp.Body == http.NoBody ||
		resp.ContentLength == 0 || resp.StatusCode == http.StatusSwitchingProtocols {
		// Nothing to wait for (a 101's body is the upgraded connection,
		// which must stay an io.ReadWriteCloser).
		t.s.Finish(span, req, serr, time.Time{})
		return resp, nil
	}
	b := &body{rc: resp.Body, s: t.s, span: span, req: req, status: serr}
	if ctx.Done() != nil {
		b.ctx = ctx
		b.stop = context.AfterFunc(ctx, b.contextDone)
	}
	resp.Body = b
	return resp, nil
}

// withHeaders returns a shallow copy of req with headers of its own, for the
// trace context: the caller's request is never modified.
func withHeaders(req *http.Request) *http.Request {
	out := new(http.Request)
	*out = *req
	out.Header = req.Header.Clone()
	if out.Header == nil {
		out.Header = make(http.Header, 2)
	}
	return out
}

// body finishes the client span exactly once: at EOF, on a read error, on
// Close, or when the request's context ends first (a dropped body).
type body struct {
	rc     io.ReadCloser
	s      *settings
	span   opentracing.Span
	req    *http.Request
	status error // *StatusError for 4xx/5xx
	ctx    context.Context
	stop   func() bool
	done   atomic.Bool
}

func (b *body) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	switch {
	case err == io.EOF:
		b.finish(b.status)
	case err != nil:
		b.finish(err)
	}
	return n, err
}

func (b *body) Close() error {
	err := b.rc.Close()
	b.finish(b.status)
	return err
}

// contextDone runs in its own goroutine when the context ends first. It must
// not touch b.stop: the context may end before RoundTrip has stored it.
func (b *body) contextDone() { b.end(b.ctx.Err()) }

// finish ends the span from the caller's goroutine, which RoundTrip returned
// to, so b.stop is set.
func (b *body) finish(err error) {
	if b.end(err) && b.stop != nil {
		b.stop()
	}
}

// end finishes the span if nobody has; it reports whether it did.
func (b *body) end(err error) bool {
	if !b.done.CompareAndSwap(false, true) {
		return false
	}
	b.s.Finish(b.span, b.req, err, time.Time{})
	return true
}

// tagClientPeer tags the server's host and port from the URL, with the
// scheme's default port when none is given.
func tagClientPeer(span opentracing.Span, v *core.Vocab, req *http.Request) {
	if req.URL == nil || req.URL.Host == "" {
		return
	}
	p := core.ParsePeer(req.URL.Host)
	if p.Port == 0 {
		switch req.URL.Scheme {
		case "https", "wss":
			p.Port = 443
		case "http", "ws":
			p.Port = 80
		}
	}
	p.Apply(span, v)
}
