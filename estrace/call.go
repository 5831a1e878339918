package estrace

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/log"

	"github.com/tracewrap/tracewrap/internal/core"
)

// call is one logical request: everything from Instrumentation.Start (or a
// raw Perform) to its Close, across retries. It is also the context the
// client hands to the request, so the per-attempt hook (interceptor or
// Transport) finds it without a context.WithValue allocation. All hooks run
// on the caller's goroutine; only a bulk body is read elsewhere, and its
// summary is atomic.
type call struct {
	context.Context // the caller's context
	Request

	cfg   *config
	span  opentracing.Span
	start time.Time
	begun bool // begin ran: span started or decided against
	// forwarded: no span, the trace is not sampled for good, and the caller's
	// context was injected into the request in its place
	forwarded bool
	sampled   bool
	vocab     *core.Vocab // the tag vocabulary of span's tracer
	depth     int         // nested Start calls on the same call's context
	done      bool        // finished
	// bodyHeld: the body is recorded in RecordRequestBody, after a chained
	// instrumentation read it.
	bodyHeld bool

	parts []pathPart // path parts other than index and id

	res  *http.Response // last response seen
	err  error          // first error the client reported
	bulk *bulkSummary

	attempts int
	first    attempt // held back: logged only if a retry follows
}

type pathPart struct{ name, value string }

type attempt struct {
	address  string
	status   int
	err      error
	duration time.Duration
}

type callKey struct{}

// Value makes the call findable from the request context.
func (c *call) Value(key any) any {
	if key == (callKey{}) {
		return c
	}
	return c.Context.Value(key)
}

func callFrom(ctx context.Context) *call {
	if ctx == nil {
		return nil
	}
	c, _ := ctx.Value(callKey{}).(*call)
	return c
}

// active reports whether a call made with ctx may produce a span at all; when
// not (NoopTracer, or WithChildSpansOnly without a parent) nothing is
// allocated. ctx may be nil: the esapi functions pass a nil one when the
// caller gave none.
func (cfg *config) active(ctx context.Context) bool {
	if _, noop := cfg.core.Tracer().(opentracing.NoopTracer); noop {
		return false
	}
	return !cfg.core.ChildSpansOnly() || ctx != nil && core.SpanFromContext(ctx) != nil
}

func newCall(ctx context.Context, cfg *config, endpoint string) *call {
	if ctx == nil {
		ctx = context.Background()
	}
	c := &call{Context: ctx, cfg: cfg, start: time.Now()}
	c.Endpoint = endpoint
	return c
}

// begin starts the span once the request is built (so filters see method,
// index and id), tags it, records the body and injects the trace context.
// req may be nil when the client failed before building one.
func (c *call) begin(req *http.Request) {
	if c.begun {
		return
	}
	c.begun = true
	if req != nil {
		c.Method = req.Method
		c.HTTPRequest = req
	}
	ps := core.SpanFromContext(c.Context)
	parent, unsampled := c.cfg.core.Parent(ps)
	if unsampled {
		// The trace is not sampled, for good: no span, the caller's context
		// goes on as it is (same trace, decision and baggage).
		if req != nil && c.cfg.core.Traced(&c.Request) {
			if req.Header == nil {
				req.Header = http.Header{}
			}
			core.InjectHeaders(ps, parent, req.Header)
			c.forwarded = true
		}
		return
	}
	c.span = c.cfg.core.Start(&c.Request, parent, c.Endpoint, c.start)
	if c.span == nil {
		return
	}
	v := core.VocabOf(c.span)
	c.vocab = v
	v.Set(c.span, core.KeyDBSystem, "elasticsearch")
	sc, sampled := core.SampledContext(c.span) // once: some tracers box a copy per call
	c.sampled = sampled
	if c.sampled {
		c.span.SetTag("es.endpoint", c.Endpoint)
		if v.OTel() {
			v.Set(c.span, core.KeyDBOperation, c.Endpoint)
		}
		if c.Method != "" {
			v.Set(c.span, core.KeyHTTPMethod, c.Method)
		}
		if c.Path != "" {
			c.span.SetTag("es.path", c.Path)
		}
		if c.Index != "" {
			c.span.SetTag("es.index", c.Index)
		}
		if c.DocumentID != "" {
			c.span.SetTag("es.id", c.DocumentID)
		}
		for _, p := range c.parts {
			c.span.SetTag("es."+p.name, p.value)
		}
	}
	if req == nil {
		return
	}
	if c.sampled && !c.bodyHeld {
		c.recordBody(req)
	}
	if req.Header == nil {
		req.Header = http.Header{}
	}
	core.InjectHeaders(c.span, sc, req.Header)
	if c.sampled && c.cfg.opaqueID && len(req.Header["X-Opaque-Id"]) == 0 {
		if id := core.TraceIDFromHeaders(req.Header); id != "" {
			req.Header["X-Opaque-Id"] = []string{id}
		}
	}
}

func (c *call) recordBody(req *http.Request) {
	switch c.cfg.bodyKind(c.Endpoint) {
	case bodyStatement:
		max := c.cfg.core.MaxStatementSize
		prefix, whole := peekRequestBody(req, max+1)
		if len(prefix) == 0 {
			return
		}
		s := string(prefix)
		if c.cfg.redact != nil {
			if s = c.cfg.redact(&c.Request, s); s == "" {
				return
			}
		}
		t, cut := core.Truncate(s, max)
		c.vocab.Set(c.span, core.KeyDBStatement, t)
		if (cut || !whole) && req.ContentLength > 0 && !isGzip(req.Header) {
			c.vocab.Set(c.span, core.KeyDBStatementLength, req.ContentLength)
		}
	case bodyBulkSummary:
		if req.Body == nil || req.Body == http.NoBody {
			return
		}
		if isGzip(req.Header) { // counting would mean inflating it all
			if req.ContentLength > 0 {
				c.span.SetTag("es.bulk.bytes", req.ContentLength)
			}
			return
		}
		c.bulk = &bulkSummary{}
		req.Body = c.bulk.wrap(req.Body)
		if get := req.GetBody; get != nil {
			req.GetBody = func() (rc io.ReadCloser, err error) {
				rc, err = get()
				return c.bulk.wrap(rc), err
			}
		}
	}
}

func (c *call) addPathPart(name, value string) {
	switch name {
	case "index":
		c.Index = value
	case "id":
		c.DocumentID = value
	default:
		c.parts = append(c.parts, pathPart{name, value})
	}
}

// attemptDone records one round trip. The first is held back and logged only
// when a retry follows, so the common single-attempt call logs nothing.
func (c *call) attemptDone(req *http.Request, start time.Time, res *http.Response, err error) {
	if c.span == nil {
		return
	}
	c.attempts++
	if err != nil {
		c.res = nil
	}
	if !c.sampled {
		return
	}
	a := attempt{address: req.URL.Host, err: err, duration: time.Since(start)}
	if res != nil {
		a.status = res.StatusCode
	}
	switch c.attempts {
	case 1:
		c.first = a
	case 2:
		c.logAttempt(1, c.first)
		fallthrough
	default:
		c.logAttempt(c.attempts, a)
	}
}

func (c *call) logAttempt(n int, a attempt) {
	fields := make([]log.Field, 0, 5)
	fields = append(fields, log.String("event", "attempt"), log.Int("attempt", n),
		log.String("peer.address", a.address), log.Int64("duration_us", a.duration.Microseconds()))
	if a.err != nil {
		msg, _ := core.Truncate(a.err.Error(), maxReasonSize)
		fields = append(fields, log.String("message", msg))
	} else {
		fields = append(fields, log.Int("http.status_code", a.status))
	}
	c.span.LogFields(fields...)
}

// afterRequest runs once the client returns the final response: peer and URL
// tags, and the error snippet of a 4xx/5xx answer, read before the caller
// gets the body.
func (c *call) afterRequest(req *http.Request) {
	if c.span == nil {
		return
	}
	if res := c.res; res != nil {
		c.StatusCode = res.StatusCode
		if res.StatusCode >= 400 && c.sampled && c.Method != http.MethodHead {
			c.err = statusError(res.StatusCode, peekResponse(res), c.err)
		}
	}
	if c.sampled && req != nil && req.URL != nil {
		c.vocab.Set(c.span, core.KeyHTTPURL, core.RedactURL(req.URL, false))
		if req.URL.Host != "" {
			core.ParsePeer(req.URL.Host).Apply(c.span, c.vocab)
		}
	}
}

func (c *call) recordError(err error) {
	if err == nil {
		return
	}
	if !c.begun {
		c.begin(nil)
	}
	switch se := c.err.(type) {
	case nil:
		c.err = err
	case *StatusError:
		if se.Err == nil {
			se.Err = err
		}
	}
}

// finish ends the span. A final status of 400 and above becomes a
// *StatusError (wrapping what the client reported) so one error policy
// judges responses of every client flavour.
func (c *call) finish() {
	c.done = true
	if c.span == nil {
		return
	}
	span, err := c.span, c.err
	c.span = nil
	if c.StatusCode != 0 {
		if c.vocab.OTel() {
			c.vocab.Set(span, core.KeyHTTPStatusCode, c.StatusCode)
		} else {
			c.vocab.Set(span, core.KeyHTTPStatusCode, uint16(c.StatusCode))
		}
		if c.StatusCode >= 400 {
			if _, ok := err.(*StatusError); !ok {
				err = &StatusError{StatusCode: c.StatusCode, Err: err}
			}
		}
	}
	if c.sampled {
		if c.attempts > 1 {
			span.SetTag("es.attempts", c.attempts)
		}
		if c.bulk != nil {
			if ops, n, ok := c.bulk.result(); ok {
				span.SetTag("es.bulk.operations", ops)
				span.SetTag("es.bulk.bytes", n)
				c.vocab.Set(span, core.KeyDBStatement, "bulk: "+strconv.FormatInt(ops, 10)+" operations, "+strconv.FormatInt(n, 10)+" bytes")
			}
		}
	}
	c.cfg.core.Finish(span, &c.Request, err, time.Time{})
}
