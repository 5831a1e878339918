package core

import (
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/log"

	"github.com/tracewrap/tracewrap/internal/propagation"
)

// What a tracer injects is partly remote input: baggage arrives with a
// request and is sent on with every onward call. An entry the next carrier
// cannot hold (a header name with a space, a metadata value with a newline, a
// RocketMQ property separator) would fail that call, which the untraced
// program would not have made fail; so injection goes through an
// InjectFilter, and what it leaves out is counted and logged on the span.

// MaxInjectBaggageBytes bounds the entries other than trace-context keys
// (baggage, in practice) that one injection writes, keys and values counted:
// 8192 bytes is what W3C Baggage asks every platform to accept, and well
// under the header limits of common servers and proxies (Node.js: 16 KiB in
// all) and RocketMQ's 32 KiB of message properties.
const MaxInjectBaggageBytes = 8192

// maxDroppedKeyLog bounds the sample key a drop log quotes.
const maxDroppedKeyLog = 64

// InjectRule reports whether an entry can be written to one kind of carrier
// without failing the call or changing its meaning.
type InjectRule func(key, val string) bool

// InjectFilter decides, entry by entry, what a tracer's injection may write
// to an outgoing carrier: entries its rule rejects, and baggage beyond
// MaxInjectBaggageBytes, are dropped and counted. Carriers embed one and ask
// Allow in their Set; Report logs the drops once. The zero value is not
// usable: build it with NewInjectFilter.
type InjectFilter struct {
	rule    InjectRule
	size    int    // bytes of non-trace entries allowed into this carrier
	dropped int    // entries dropped, over all carriers since the last Report
	first   string // the first dropped key, for the log
}

// IsTraceKey reports whether k, in any case, is a span-context key (not
// baggage) of Jaeger, W3C Trace Context, B3, the OpenTracing basic tracer or
// mocktracer.
func IsTraceKey(k string) bool { return isTraceKey(k) }

// NewInjectFilter returns a filter applying rule.
func NewInjectFilter(rule InjectRule) InjectFilter { return InjectFilter{rule: rule} }

// Allow reports whether key and val may be written to the carrier.
func (f *InjectFilter) Allow(key, val string) bool {
	if !f.rule(key, val) {
		f.drop(key)
		return false
	}
	if isTraceKey(key) {
		return true
	}
	n := len(key) + len(val)
	if f.size+n > MaxInjectBaggageBytes {
		f.drop(key)
		return false
	}
	f.size += n
	return true
}

func (f *InjectFilter) drop(key string) {
	if f.dropped == 0 {
		f.first = key
	}
	f.dropped++
}

// NextCarrier starts the size budget over for another carrier (the next
// message of a batch) while keeping the count of drops for one Report.
func (f *InjectFilter) NextCarrier() { f.size = 0 }

// Dropped returns how many entries were dropped since the last Report.
func (f *InjectFilter) Dropped() int { return f.dropped }

// Report logs on span, in one record, how many entries were dropped and the
// first dropped key (quoted and cut; values are never logged: baggage values
// may be credentials), then resets the count. It logs nothing when nothing
// was dropped.
func (f *InjectFilter) Report(span opentracing.Span) {
	if f.dropped == 0 || span == nil {
		return
	}
	key, _ := Truncate(f.first, maxDroppedKeyLog)
	span.LogFields(log.String("event", "trace context entries dropped"),
		log.String("message", "not valid in the outgoing carrier, or over the baggage size limit"),
		log.Int("count", f.dropped), log.String("key", strconv.Quote(key)))
	f.dropped, f.first = 0, ""
}

// scratchHeaders are the HTTP headers a tracer injects into before the valid
// entries are moved to the request. A tracer must get an HTTPHeadersCarrier
// (the OpenTelemetry bridge writes canonical names only to that type), so the
// filter cannot sit in the carrier's Set.
var scratchHeaders = sync.Pool{New: func() any { return make(http.Header, 4) }}

// InjectHeaders writes sc, the context of span, through span's tracer into
// h as HTTP headers, keeping only names and values that net/http (HTTP/1 and
// HTTP/2) sends without failing and that do not touch the request's framing
// or connection. Headers the tracer writes replace those of the same name in
// h. Drops and a tracer's failure are logged on span.
func InjectHeaders(span opentracing.Span, sc opentracing.SpanContext, h http.Header) {
	if span == nil || sc == nil || h == nil {
		return
	}
	scratch := scratchHeaders.Get().(http.Header)
	InjectContext(span, sc, opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(scratch))
	f := NewInjectFilter(ValidHTTPHeader)
	for k, vs := range scratch {
		kept := vs[:0] // scratch's slices move to h: they are not reused
		for _, v := range vs {
			if f.Allow(k, v) {
				kept = append(kept, v)
			}
		}
		if len(kept) > 0 {
			h[k] = kept
		}
	}
	clear(scratch)
	scratchHeaders.Put(scratch)
	f.Report(span)
}

// ValidHTTPHeader is the InjectRule of HTTP headers: a token for a name and
// no control characters but tab in the value (the checks net/http makes
// before sending, golang.org/x/net/http/httpguts' ValidHeaderFieldName and
// ValidHeaderFieldValue), and not a name that governs the connection or the
// message framing (HTTP/2 fails a request carrying Connection or
// Transfer-Encoding; on HTTP/1 they would change what the request means).
func ValidHTTPHeader(key, val string) bool {
	if !propagation.IsToken(key) || ConnectionHeader(key) {
		return false
	}
	for i := 0; i < len(val); i++ {
		if c := val[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// connectionHeaders are the header names a traced call must not send:
// hop-by-hop and framing headers owned by the transport (RFC 9110 7.6.1,
// RFC 9113 8.2.2).
var connectionHeaders = [...]string{
	"Connection", "Proxy-Connection", "Keep-Alive", "Transfer-Encoding", "Te",
	"Trailer", "Upgrade", "Host", "Content-Length",
}

// ConnectionHeader reports whether name, in any case, is a hop-by-hop or
// framing header (see connectionHeaders).
func ConnectionHeader(name string) bool {
	for _, h := range connectionHeaders {
		if strings.EqualFold(name, h) {
			return true
		}
	}
	return false
}
