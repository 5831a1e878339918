package core

import (
	"errors"
	"fmt"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/log"
)

// Bounds of what is handed to a tracer from a remote carrier. Remote input is
// hostile until proven otherwise: a flood of baggage entries or a megabyte
// header must not become a megabyte of span state.
const (
	MaxCarrierEntries = 256  // entries after this many are not read
	MaxCarrierValue   = 4096 // keys or values longer than this are dropped
	maxProblemLen     = 256  // how much of an extract error is logged
)

type boundedReader struct {
	r       opentracing.TextMapReader
	seen    int // a field, not a captured local, which would be a second allocation
	dropped int
}

func (b *boundedReader) ForeachKey(handler func(key, val string) error) error {
	b.seen = 0
	return b.r.ForeachKey(func(k, v string) error {
		b.seen++
		if b.seen > MaxCarrierEntries || len(k) > MaxCarrierValue || len(v) > MaxCarrierValue {
			b.dropped++
			return nil
		}
		return handler(k, v)
	})
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
