package mqtrace

import (
	"context"
	"testing"

	"github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/mocktracer"

	"github.com/tracewrap/tracewrap/internal/tracetest"
)

// stubProducer answers SendSync at once, so the benchmarks measure the
// per-message cost of mqtrace rather than the network. The embedded nil
// interface provides the methods the benchmarks never call.
type stubProducer struct{ rocketmq.Producer }

var okResult = &primitive.SendResult{Status: primitive.SendOK, MsgID: "C0A8000100002A9F0000000000000001",
	MessageQueue: &primitive.MessageQueue{Topic: "orders", BrokerName: "broker-a", QueueId: 1}}

func (stubProducer) SendSync(context.Context, ...*primitive.Message) (*primitive.SendResult, error) {
	return okResult, nil
}

func BenchmarkSendSync(b *testing.B) {
	ctx := context.Background()
	msg := primitive.NewMessage("orders", []byte("payload")).WithTag("created").WithKeys([]string{"order-42"})
	b.Run("bare", func(b *testing.B) {
		var p rocketmq.Producer = stubProducer{}
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			_, _ = p.SendSync(ctx, msg)
		}
	})
	for _, bt := range tracetest.BenchTracers() {
		b.Run(bt.Name, func(b *testing.B) {
			tr := bt.Tracer(b)
			p := New(WithTracer(tr)).WrapProducer(stubProducer{})
			ctx := tracetest.ParentContext(tr)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				_, _ = p.SendSync(ctx, msg)
				bt.Trim(i)
			}
		})
	}
}

func BenchmarkConsume(b *testing.B) {
	handler := func(context.Context, ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		return consumer.ConsumeSuccess, nil
	}
	newMsg := func(tr opentracing.Tracer) []*primitive.MessageExt {
		m := &primitive.MessageExt{MsgId: "C0A8000100002A9F0000000000000001", StoreTimestamp: 1, Message: primitive.Message{Topic: "orders"}}
		m.Queue = &primitive.MessageQueue{Topic: "orders", BrokerName: "broker-a"}
		m.WithTag("created")
		span := tr.StartSpan("send")
		inject(span, &m.Message)
		return []*primitive.MessageExt{m}
	}
	ctx := context.Background()
	b.Run("bare", func(b *testing.B) {
		msgs := newMsg(mocktracer.New())
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			_, _ = handler(ctx, msgs...)
		}
	})
	for _, bt := range tracetest.BenchTracers() {
		b.Run(bt.Name, func(b *testing.B) {
			tr := bt.Tracer(b)
			trc := New(WithTracer(tr))
			src := tr
			if _, noop := tr.(opentracing.NoopTracer); noop {
				src = mocktracer.New()
			}
			msgs := newMsg(src)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				_, _ = trc.runConsume(ctx, msgs, handler)
				bt.Trim(i)
			}
		})
	}
}

// BenchmarkBrokerSendSync is the end-to-end view: a real send to the broker,
// bare and traced (jaeger, sampled). It skips without a broker.
func BenchmarkBrokerSendSync(b *testing.B) {
	tr := tracetest.JaegerNull(b, true)
	topic := uniq(b, "bench")
	for _, c := range []struct {
		name string
		trc  *Tracing
	}{{"bare", New(WithTracer(opentracing.NoopTracer{}))}, {"jaeger-sampled", New(WithTracer(tr))}} {
		b.Run(c.name, func(b *testing.B) {
			p := startProducer(b, c.trc)
			ctx := tracetest.ParentContext(tr)
			if _, err := p.SendSync(ctx, primitive.NewMessage(topic, []byte("warm-up"))); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := p.SendSync(ctx, primitive.NewMessage(topic, []byte("payload"))); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
