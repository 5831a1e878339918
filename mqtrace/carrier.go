package mqtrace

import (
	"context"
	"strings"

	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/log"

	"github.com/tracewrap/tracewrap/internal/core"
)

// separators are RocketMQ's property delimiters on the wire (name 0x01 value
// 0x02). A key or value holding one would corrupt every property of the
// message, so such entries are never written.
const separators = "\x01\x02"

// propertyWriter is the TextMap carrier that injects into a message's
// properties one by one (WithProperty), leaving the user's properties alone.
// It is a pointer-shaped conversion of the message, so handing it to a tracer
// allocates nothing.
type propertyWriter primitive.Message

func (w *propertyWriter) Set(key, val string) {
	if strings.ContainsAny(key, separators) || strings.ContainsAny(val, separators) {
		return
	}
	(*primitive.Message)(w).WithProperty(key, val)
}

// propertyReader is the TextMap carrier that reads a message's properties.
type propertyReader primitive.Message

func (r *propertyReader) ForeachKey(handler func(key, val string) error) error {
	for k, v := range (*primitive.Message)(r).GetProperties() {
		if err := handler(k, v); err != nil {
			return err
		}
	}
	return nil
}

// inject writes span's context into m.
func inject(span opentracing.Span, m *primitive.Message) {
	if m != nil {
		core.Inject(span, opentracing.TextMap, (*propertyWriter)(m))
	}
}

// injectContext writes span's context sc, already in hand, into m.
func injectContext(span opentracing.Span, sc opentracing.SpanContext, m *primitive.Message) {
	if m != nil {
		core.InjectContext(span, sc, opentracing.TextMap, (*propertyWriter)(m))
	}
}

// logUnsafeBaggage notes on span, whose context is sc, that baggage holding
// RocketMQ's property separators was left out of the messages.
func logUnsafeBaggage(span opentracing.Span, sc opentracing.SpanContext) {
	bad := false
	sc.ForeachBaggageItem(func(k, v string) bool {
		bad = strings.ContainsAny(k, separators) || strings.ContainsAny(v, separators)
		return !bad
	})
	if bad {
		span.LogFields(log.String("event", "baggage not propagated"),
			log.String("message", "baggage key or value holds a RocketMQ property separator (0x01/0x02)"))
	}
}

// Inject writes the trace context of the span in ctx into msg's properties,
// for messages sent with a client mqtrace does not wrap. It adds properties
// and never replaces the others. Without a span in ctx it does nothing.
func Inject(ctx context.Context, msg *primitive.Message) {
	if span := opentracing.SpanFromContext(ctx); span != nil {
		inject(span, msg)
	}
}

// Extract reads the producer's span context from msg with the global tracer.
// It returns (nil, nil) when msg carries none, and an error when the carried
// context is corrupt; it never panics.
func Extract(msg *primitive.MessageExt) (opentracing.SpanContext, error) { return std.Extract(msg) }

// Extract reads the producer's span context from msg with t's tracer; see the
// package-level Extract.
func (t *Tracing) Extract(msg *primitive.MessageExt) (opentracing.SpanContext, error) {
	if msg == nil {
		return nil, nil
	}
	return core.Extract(t.consume.Tracer(), opentracing.TextMap, (*propertyReader)(&msg.Message))
}
