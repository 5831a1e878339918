package core

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/log"
)

// Bounds of what is handed to a tracer from a remote carrier. Remote input is
// hostile until proven otherwise: a flood of baggage entries or a megabyte
// header must not become a megabyte of span state, which the baggage would
// then carry on to every downstream call.
const (
	MaxCarrierEntries = 256      // entries handed over at most
	MaxCarrierValue   = 4096     // keys or values longer than this are dropped
	MaxCarrierBytes   = 32 << 10 // keys and values handed over, in all
	maxProblemLen     = 256      // how much of an extract error is logged
)

type boundedReader struct {
	r       opentracing.TextMapReader
	dropped int

	// state of one ForeachKey, kept here so its callback is a method value
	// rather than a closure over escaping locals
	n, total  int
	measuring bool
	handler   func(key, val string) error
}

type carrierEntry struct{ k, v string }

// traceKeys are the span-context keys (not baggage) of Jaeger, W3C Trace
// Context, B3, the OpenTracing basic tracer and mocktracer, lower-cased.
var traceKeys = map[string]bool{
	"uber-trace-id": true, "jaeger-debug-id": true, "traceparent": true, "tracestate": true,
	"b3": true, "x-b3-traceid": true, "x-b3-spanid": true, "x-b3-parentspanid": true, "x-b3-sampled": true, "x-b3-flags": true,
	"ot-tracer-traceid": true, "ot-tracer-spanid": true, "ot-tracer-sampled": true,
	"mockpfx-ids-traceid": true, "mockpfx-ids-spanid": true, "mockpfx-ids-sampled": true,
}

func isTraceKey(k string) bool { return len(k) <= 20 && traceKeys[strings.ToLower(k)] }

func oversize(k, v string) bool { return len(k) > MaxCarrierValue || len(v) > MaxCarrierValue }

// visit measures an entry on the first pass over the carrier and hands it
// over on the second: one method value serves both, and each method value
// handed to the carrier is an allocation.
func (b *boundedReader) visit(k, v string) error {
	if b.measuring {
		if !oversize(k, v) {
			b.n++
			b.total += len(k) + len(v)
		}
		return nil
	}
	if oversize(k, v) {
		b.dropped++
		return nil
	}
	return b.handler(k, v)
}

// ForeachKey measures the carrier first: when it is within bounds (the normal
// case) every entry is handed over as it comes. Over a bound, the trace
// context keys of the common propagation formats go first, then the smallest
// entries until the bounds are reached, so the caller's trace survives a flood
// of baggage or headers and what is kept of the rest is as much as fits.
func (b *boundedReader) ForeachKey(handler func(key, val string) error) error {
	b.n, b.total, b.handler, b.measuring = 0, 0, handler, true
	visit := b.visit
	err := b.r.ForeachKey(visit)
	b.measuring = false
	if err != nil {
		return err
	}
	if b.n <= MaxCarrierEntries && b.total <= MaxCarrierBytes {
		return b.r.ForeachKey(visit)
	}
	n := b.n
	entries := make([]carrierEntry, 0, n)
	_ = b.r.ForeachKey(func(k, v string) error {
		if oversize(k, v) {
			b.dropped++
		} else {
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
	total := 0
	for i, e := range entries {
		size := len(e.k) + len(e.v)
		if i >= MaxCarrierEntries || total+size > MaxCarrierBytes {
			b.dropped += len(entries) - i
			break
		}
		total += size
		if err := handler(e.k, e.v); err != nil {
			return err
		}
	}
	return nil
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
	b := &boundedReader{r: carrier}
	sc, err = tr.Extract(format, b)
	if err != nil {
		// Tracers return a non-nil empty context along with the error
		// (mocktracer does): it must not become a parent.
		sc = nil
	}
	if errors.Is(err, opentracing.ErrSpanContextNotFound) {
		err = nil
	}
	if b.dropped > 0 && err == nil && sc == nil {
		err = fmt.Errorf("trace carrier over limits: %d entries dropped", b.dropped)
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
