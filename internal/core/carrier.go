package core

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"sync"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/log"
)

// Bounds of what is handed to a tracer from a remote carrier. Remote input is
// hostile until proven otherwise: a flood of baggage entries or a megabyte
// header must not become a megabyte of span state, which the baggage would
// then carry on to every downstream call.
const (
	MaxCarrierEntries = 256      // entries handed over at most
	MaxCarrierValue   = 8192     // keys or values longer than this are dropped (a W3C baggage header may be 8192 bytes)
	MaxCarrierBytes   = 32 << 10 // keys and values handed over, in all
	maxProblemLen     = 256      // how much of an extract error is logged
)

type carrierEntry struct{ k, v string }

// traceKeys are the span-context keys (not baggage) of Jaeger, W3C Trace
// Context, B3, the OpenTracing basic tracer and mocktracer, lower-cased.
var traceKeys = map[string]bool{
	"uber-trace-id": true, "jaeger-debug-id": true, "traceparent": true, "tracestate": true,
	"b3": true, "x-b3-traceid": true, "x-b3-spanid": true, "x-b3-parentspanid": true, "x-b3-sampled": true, "x-b3-flags": true,
	"ot-tracer-traceid": true, "ot-tracer-spanid": true, "ot-tracer-sampled": true,
	"mockpfx-ids-traceid": true, "mockpfx-ids-spanid": true, "mockpfx-ids-sampled": true,
}

// isTraceKey lowers k into a stack buffer: the map lookup of string(b[:n])
// does not allocate, and injection asks for every entry of every call.
func isTraceKey(k string) bool {
	var b [20]byte
	if len(k) > len(b) {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	return traceKeys[string(b[:len(k)])]
}

func oversize(k, v string) bool { return len(k) > MaxCarrierValue || len(v) > MaxCarrierValue }

// carrierSize measures a carrier in one pass. A carrier is an interface, so
// a carrierSize and its method value handed to ForeachKey would escape: two
// allocations per call. They are pooled instead, the method value bound once.
type carrierSize struct {
	n, total, oversize int
	visitFn            func(k, v string) error // m.visit
}

var carrierSizes = sync.Pool{New: func() any {
	m := &carrierSize{}
	m.visitFn = m.visit
	return m
}}

func (m *carrierSize) visit(k, v string) error {
	if oversize(k, v) {
		m.oversize++
		return nil
	}
	m.n++
	m.total += len(k) + len(v)
	return nil
}

func (m *carrierSize) within() bool {
	return m.oversize == 0 && m.n <= MaxCarrierEntries && m.total <= MaxCarrierBytes
}

// bound returns the carrier to hand a tracer: carrier itself when it is
// within bounds (the normal case), so the tracer sees the type it expects —
// an HTTPHeadersCarrier stays one, which tracers that look header names up
// in their canonical case (the OpenTelemetry bridge) need. Over a bound it
// returns a copy of the same kind holding what fits: the trace context keys
// of the common propagation formats first, then the smallest entries, so the
// caller's trace survives a flood of baggage or headers. dropped counts what
// was left out.
func bound(carrier opentracing.TextMapReader) (out opentracing.TextMapReader, dropped int, err error) {
	pm := carrierSizes.Get().(*carrierSize)
	pm.n, pm.total, pm.oversize = 0, 0, 0
	if err := carrier.ForeachKey(pm.visitFn); err != nil {
		carrierSizes.Put(pm)
		return nil, 0, err
	}
	m := *pm
	carrierSizes.Put(pm)
	if m.within() {
		return carrier, 0, nil
	}
	entries := make([]carrierEntry, 0, m.n)
	_ = carrier.ForeachKey(func(k, v string) error {
		if !oversize(k, v) {
			entries = append(entries, carrierEntry{k, v})
		}
		return nil
	})
	sort.SliceStable(entries, func(i, j int) bool {
		ti, tj := isTraceKey(entries[i].k), isTraceKey(entries[j].k)
		if ti != tj {
			return ti
		}
		return len(entries[i].k)+len(entries[i].v) < len(entries[j].k)+len(entries[j].v)
	})
	_, headers := carrier.(opentracing.HTTPHeadersCarrier)
	var h http.Header
	var tm opentracing.TextMapCarrier
	if headers {
		h = make(http.Header)
	} else {
		tm = make(opentracing.TextMapCarrier)
	}
	total, kept := 0, 0
	for _, e := range entries {
		size := len(e.k) + len(e.v)
		if kept >= MaxCarrierEntries || total+size > MaxCarrierBytes {
			break
		}
		total += size
		kept++
		if headers {
			h.Add(e.k, e.v) // the keys came from a header map: already canonical
		} else {
			tm[e.k] = e.v
		}
	}
	dropped = m.oversize + m.n - kept
	if headers {
		return opentracing.HTTPHeadersCarrier(h), dropped, nil
	}
	return tm, dropped, nil
}

// Extract reads a remote span context through tr, within the carrier bounds.
// It returns (nil, nil) when the carrier holds no context, and (nil, err) when
// it holds one that is corrupt or a tracer failed on it; it never panics.
func Extract(tr opentracing.Tracer, format any, carrier opentracing.TextMapReader) (sc opentracing.SpanContext, err error) {
	if carrier == nil {
		return nil, nil
	}
	defer func() {
		if r := recover(); r != nil {
			sc, err = nil, fmt.Errorf("tracer panicked extracting the trace context: %v", r)
		}
	}()
	bounded, dropped, err := bound(carrier)
	if err != nil {
		return nil, fmt.Errorf("reading the trace carrier: %w", err)
	}
	sc, err = tr.Extract(format, bounded)
	if err != nil {
		// Tracers return a non-nil empty context along with the error
		// (mocktracer does): it must not become a parent.
		sc = nil
	}
	if errors.Is(err, opentracing.ErrSpanContextNotFound) {
		err = nil
	}
	if dropped > 0 && err == nil && sc == nil {
		err = fmt.Errorf("trace carrier over limits: %d entries dropped", dropped)
	}
	return sc, err
}

// LogExtractProblem records on span that the caller's trace context could not
// be used and this span is a new root. The call itself is not an error.
func LogExtractProblem(span opentracing.Span, err error) {
	if span == nil || err == nil {
		return
	}
	msg, _ := Truncate(err.Error(), maxProblemLen)
	span.SetTag("tracewrap.context.invalid", true)
	span.LogFields(log.String("event", "invalid trace context"), log.String("message", msg))
}

// Inject writes span's context into carrier; a tracer's failure is logged on
// the span rather than failing the call.
func Inject(span opentracing.Span, format any, carrier any) {
	if span == nil {
		return
	}
	if err := span.Tracer().Inject(span.Context(), format, carrier); err != nil {
		msg, _ := Truncate(err.Error(), maxProblemLen)
		span.LogFields(log.String("event", "trace context not injected"), log.String("message", msg))
	}
}
