package mqtrace

import (
	"context"
	"strings"
	"sync"

	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/opentracing/opentracing-go"

	"github.com/tracewrap/tracewrap/internal/core"
)

// separators are RocketMQ's property delimiters on the wire (name 0x01 value
// 0x02). A key or value holding one would corrupt every property of the
// message.
const separators = "\x01\x02"

// systemProperties are the property names the client and the broker act on
// (primitive.Property*): a tracer writing one would delay the message, make it
// a transaction half, change its keys or tags.
var systemProperties = map[string]bool{
	primitive.PropertyKeys: true, primitive.PropertyTags: true, primitive.PropertyWaitStoreMsgOk: true,
	primitive.PropertyDelayTimeLevel: true, primitive.PropertyRetryTopic: true, primitive.PropertyRealTopic: true,
	primitive.PropertyRealQueueId: true, primitive.PropertyTransactionPrepared: true, primitive.PropertyProducerGroup: true,
	primitive.PropertyMinOffset: true, primitive.PropertyMaxOffset: true, primitive.PropertyBuyerId: true,
	primitive.PropertyOriginMessageId: true, primitive.PropertyTransferFlag: true, primitive.PropertyCorrectionFlag: true,
	primitive.PropertyMQ2Flag: true, primitive.PropertyReconsumeTime: true, primitive.PropertyMsgRegion: true,
	primitive.PropertyTraceSwitch: true, primitive.PropertyUniqueClientMessageIdKeyIndex: true,
	primitive.PropertyMaxReconsumeTimes: true, primitive.PropertyConsumeStartTime: true,
	primitive.PropertyTranscationPreparedQueueOffset: true, primitive.PropertyTranscationCheckTimes: true,
	primitive.PropertyCheckImmunityTimeInSeconds: true, primitive.PropertyShardingKey: true,
	primitive.PropertyTransactionID: true, primitive.PropertyCorrelationID: true,
	primitive.PropertyMessageReplyToClient: true, primitive.PropertyMessageTTL: true,
	primitive.PropertyReplyMessageArriveTime: true, primitive.PropertyMsgType: true, primitive.PropertyCluster: true,
	"__STARTDELIVERTIME": true, "INSTANCE_ID": true,
}

// validProperty is the core.InjectRule of message properties: no separator,
// not a system property, and neither key nor value empty (Message.WithProperty
// drops those without a word).
func validProperty(key, val string) bool {
	return key != "" && val != "" && !strings.ContainsAny(key, separators) &&
		!strings.ContainsAny(val, separators) && !systemProperties[key]
}

// propertyWriter is the TextMap carrier that injects into a message's
// properties one by one (WithProperty), leaving the user's properties alone.
// One writer serves every message of a send (next), so the drops of a batch
// are logged once.
type propertyWriter struct {
	m      *primitive.Message
	filter core.InjectFilter
}

// propertyWriters are reused: a writer handed to a tracer escapes, and an
// unsampled send allocates little else.
var propertyWriters = sync.Pool{New: func() any {
	return &propertyWriter{filter: core.NewInjectFilter(validProperty)}
}}

// next points w at m, with a fresh size budget.
func (w *propertyWriter) next(m *primitive.Message) {
	w.m = m
	w.filter.NextCarrier()
}

func (w *propertyWriter) Set(key, val string) {
	if w.filter.Allow(key, val) {
		w.m.WithProperty(key, val)
	}
}

// propertyList collects what a tracer injects, filtered, in order of arrival
// (for batch bodies).
type propertyList struct {
	kv     [][2]string
	filter core.InjectFilter
}

func (l *propertyList) Set(key, val string) {
	if l.filter.Allow(key, val) {
		l.kv = append(l.kv, [2]string{key, val})
	}
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

// inject writes span's context into m, logging on span what was left out.
func inject(span opentracing.Span, m *primitive.Message) {
	if m != nil && span != nil {
		injectContext(span, span.Context(), []*primitive.Message{m})
	}
}

// injectContext writes span's context sc, already in hand, into every
// message of msgs, and logs on span, once, what was left out.
func injectContext(span opentracing.Span, sc opentracing.SpanContext, msgs []*primitive.Message) {
	w := propertyWriters.Get().(*propertyWriter)
	for _, m := range msgs {
		if m != nil {
			w.next(m)
			core.InjectContext(span, sc, opentracing.TextMap, w)
		}
	}
	w.filter.Report(span) // and resets the count
	w.m = nil
	propertyWriters.Put(w)
}

// Inject writes the trace context of the span in ctx into msg's properties,
// for messages sent with a client mqtrace does not wrap. It adds properties
// and never replaces the others. Without a span in ctx it does nothing.
func Inject(ctx context.Context, msg *primitive.Message) {
	if span := core.SpanFromContext(ctx); span != nil {
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
