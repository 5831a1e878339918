package mqtrace_test

import (
	"context"
	"fmt"
	"log"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/mocktracer"

	"github.com/tracewrap/tracewrap/mqtrace"
)

// The one-line swap: mqtrace.NewProducer instead of rocketmq.NewProducer.
func ExampleNewProducer() {
	p, err := mqtrace.NewProducer(producer.WithNameServer(primitive.NamesrvAddr{"127.0.0.1:9876"}))
	if err != nil {
		log.Fatal(err)
	}
	_ = p.Start()
	defer p.Shutdown()
	// ctx holds the request's span; the send is its child and the message
	// carries the context to the consumer.
	ctx := context.Background()
	_, _ = p.SendSync(ctx, primitive.NewMessage("orders", []byte(`{"id":42}`)))
}

// The Subscribe callback's ctx carries the consume span: work done with it
// joins the producer's trace.
func ExampleNewPushConsumer() {
	c, err := mqtrace.NewPushConsumer(
		consumer.WithNameServer(primitive.NamesrvAddr{"127.0.0.1:9876"}),
		consumer.WithGroupName("billing"))
	if err != nil {
		log.Fatal(err)
	}
	_ = c.Subscribe("orders", consumer.MessageSelector{}, func(ctx context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		span := opentracing.SpanFromContext(ctx) // "consume orders"
		_ = span
		return consumer.ConsumeSuccess, nil
	})
	_ = c.Start()
	defer c.Shutdown()
}

type orders struct{}

func (orders) ExecuteLocalTransaction(ctx context.Context, msg *primitive.Message) primitive.LocalTransactionState {
	// db.ExecContext(ctx, ...) here becomes a child of "local-transaction orders".
	return primitive.CommitMessageState
}

func (orders) CheckLocalTransaction(ctx context.Context, msg *primitive.MessageExt) primitive.LocalTransactionState {
	// ctx's span follows from the producing trace, even after a restart.
	return primitive.CommitMessageState
}

// Transactions: the listener gets a ctx.
func ExampleNewTransactionProducer() {
	tp, err := mqtrace.NewTransactionProducer(orders{},
		producer.WithNameServer(primitive.NamesrvAddr{"127.0.0.1:9876"}),
		producer.WithGroupName("orders-tx"), producer.WithInstanceName("orders-tx"))
	if err != nil {
		log.Fatal(err)
	}
	_ = tp.Start()
	defer tp.Shutdown()
	_, _ = tp.SendMessageInTransaction(context.Background(), primitive.NewMessage("orders", []byte("paid")))
}

// Options go to New; its methods build the clients.
func ExampleNew() {
	tr := mocktracer.New()
	t := mqtrace.New(mqtrace.WithTracer(tr), mqtrace.WithMessageSpans())
	_, _ = t.NewProducer(producer.WithNameServer(primitive.NamesrvAddr{"127.0.0.1:9876"}))
}

// Messages sent by other means carry the context with Inject; a pull
// consumer starts its span with StartConsumeSpan.
func ExampleStartConsumeSpan() {
	tr := mocktracer.New()
	opentracing.SetGlobalTracer(tr)
	defer opentracing.SetGlobalTracer(opentracing.NoopTracer{})

	send := tr.StartSpan("send")
	msg := primitive.NewMessage("orders", nil)
	mqtrace.Inject(opentracing.ContextWithSpan(context.Background(), send), msg)
	send.Finish()

	received := &primitive.MessageExt{MsgId: "m1"}
	received.Topic = "orders"
	for k, v := range msg.GetProperties() {
		received.WithProperty(k, v)
	}
	_, finish := mqtrace.StartConsumeSpan(context.Background(), received)
	finish(consumer.ConsumeSuccess, nil)

	spans := tr.FinishedSpans()
	fmt.Println(spans[1].OperationName, spans[1].ParentID == spans[0].SpanContext.SpanID)
	// Output: consume orders true
}
