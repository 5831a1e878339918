package mqtrace

import (
	"context"
	"encoding/binary"
	"strings"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/opentracing/opentracing-go"

	"github.com/tracewrap/tracewrap/internal/core"
)

// ProducerInterceptor traces sends of a producer built with
// producer.WithInterceptor, for users who assemble their own clients. Prefer
// NewProducer/WrapProducer: in client v2.1.2 installing any producer
// interceptor (this one or the built-in WithTrace) makes Request return
// without waiting for the reply and RequestAsync send twice, and an
// interceptor never sees an asynchronous send's result, so its span ends when
// the message is handed to the network. Batches are injected per message.
func ProducerInterceptor(opts ...Option) primitive.Interceptor {
	return New(opts...).ProducerInterceptor()
}

// ProducerInterceptor is the package-level ProducerInterceptor with t's options.
func (t *Tracing) ProducerInterceptor() primitive.Interceptor {
	return func(ctx context.Context, req, reply interface{}, next primitive.Invoker) error {
		msg, ok := req.(*primitive.Message)
		if !ok || msg == nil {
			return next(ctx, req, reply)
		}
		method := MethodSync
		switch primitive.GetMethod(ctx) {
		case primitive.SendAsync:
			method = MethodAsync
		case primitive.SendOneway:
			method = MethodOneWay
		}
		span, ctx, c := t.startSend(ctx, method, []*primitive.Message{msg})
		if span == nil {
			return next(ctx, req, reply)
		}
		if msg.Batch {
			// The client has already encoded the batch into the body: the
			// context goes into each encoded message's properties.
			injectBatch(span, msg)
		}
		err := next(ctx, req, reply)
		res, _ := reply.(*primitive.SendResult)
		t.finishSend(span, c, res, err)
		return err
	}
}

// ConsumerInterceptor traces a push consumer built with
// consumer.WithInterceptor, exactly like NewPushConsumer: the callback's ctx
// carries the consume span.
func ConsumerInterceptor(opts ...Option) primitive.Interceptor {
	return New(opts...).ConsumerInterceptor()
}

// ConsumerInterceptor is the package-level ConsumerInterceptor with t's options.
func (t *Tracing) ConsumerInterceptor() primitive.Interceptor {
	return func(ctx context.Context, req, reply interface{}, next primitive.Invoker) (err error) {
		msgs, ok := req.([]*primitive.MessageExt)
		if !ok {
			return next(ctx, req, reply)
		}
		cs, ctx := t.startConsume(ctx, msgs)
		if cs == nil {
			return next(ctx, req, reply)
		}
		defer cs.finishOnPanic()
		err = next(ctx, req, reply)
		result := consumer.ConsumeRetryLater
		if h, ok := reply.(*consumer.ConsumeResultHolder); ok && h != nil {
			result = h.ConsumeResult
		}
		cs.finish(result, err)
		return err
	}
}

// injectBatch appends span's context to the properties of every message
// encoded in a batch body. The broker keeps the last value of a repeated
// property, so an older context in the same message is overridden. Entries
// it cannot read are left as they are.
func injectBatch(span opentracing.Span, msg *primitive.Message) {
	l := &propertyList{filter: core.NewInjectFilter(validProperty)}
	core.Inject(span, opentracing.TextMap, l)
	l.filter.Report(span)
	if len(l.kv) == 0 {
		return
	}
	var b strings.Builder
	for _, kv := range l.kv {
		b.WriteString(kv[0])
		b.WriteByte(1)
		b.WriteString(kv[1])
		b.WriteByte(2)
	}
	if body, n, ok := appendBatchProperties(msg.Body, b.String()); ok {
		msg.Body = body
		core.VocabOf(span).Set(span, core.KeyMessagingBatchSize, n)
	}
}

// appendBatchProperties rewrites a batch body (each entry: total size,
// magic, body CRC, flag, body size, body, properties size, properties) with
// extra appended to every entry's properties. It reports false, and the body
// is to be kept, when an entry is malformed or would overflow.
func appendBatchProperties(body []byte, extra string) ([]byte, int, bool) {
	const head = 4 + 4 + 4 + 4 + 4
	out := make([]byte, 0, len(body)+8*len(extra))
	n := 0
	for pos := 0; pos < len(body); n++ {
		if len(body)-pos < head {
			return nil, 0, false
		}
		total := int(binary.BigEndian.Uint32(body[pos:]))
		bodyLen := int(binary.BigEndian.Uint32(body[pos+16:]))
		propAt := pos + head + bodyLen
		if total < head+2 || pos+total > len(body) || bodyLen < 0 || propAt+2 > pos+total {
			return nil, 0, false
		}
		propLen := int(binary.BigEndian.Uint16(body[propAt:]))
		if propAt+2+propLen != pos+total || propLen+len(extra) > 0xFFFF {
			return nil, 0, false
		}
		start := len(out)
		out = append(out, body[pos:propAt]...)
		out = binary.BigEndian.AppendUint16(out, uint16(propLen+len(extra)))
		out = append(out, body[propAt+2:pos+total]...)
		out = append(out, extra...)
		binary.BigEndian.PutUint32(out[start:], uint32(total+len(extra)))
		pos += total
	}
	return out, n, true
}
