package conformance_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/opentracing/opentracing-go"

	"github.com/tracewrap/tracewrap/internal/testenv"
	"github.com/tracewrap/tracewrap/internal/tracetest"
	"github.com/tracewrap/tracewrap/mqtrace"
)

var mqSeq atomic.Int64

func mqName(what string) string {
	return fmt.Sprintf("tw_conf_%s_%d_%d", what, time.Now().UnixNano()%1e9, mqSeq.Add(1))
}

// txListener leaves the local transaction open, so the broker asks back, and
// commits on the check.
type txListener struct{}

func (txListener) ExecuteLocalTransaction(context.Context, *primitive.Message) primitive.LocalTransactionState {
	return primitive.UnknowState
}

func (txListener) CheckLocalTransaction(context.Context, *primitive.MessageExt) primitive.LocalTransactionState {
	return primitive.CommitMessageState
}

// waitSpans polls until b has n spans named name.
func waitSpans(t *testing.T, b *backend, name string, n int) {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for {
		got := 0
		for _, s := range b.spans() {
			if s.Name == name {
				got++
			}
		}
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %d %q spans (have %d)", n, name, got)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// RocketMQ on the real broker: a transactional send whose local transaction
// stays open, the broker's check (in the producer's trace, its parent the
// half-message send), and the committed message consumed by another
// "process" (its parent the send). A consumer that asks to retry later fails
// its span.
func TestRocketMQTransaction(t *testing.T) {
	ns := testenv.RocketMQNameServer(t)
	forEach(t, func(t *testing.T, b *backend) {
		topic := mqName("t")
		prod := mqtrace.New(mqtrace.WithTracer(b.client))
		p, err := prod.NewTransactionProducer(txListener{},
			producer.WithNameServer(primitive.NamesrvAddr{ns}),
			producer.WithGroupName(mqName("txg")),
			producer.WithInstanceName(mqName("txi")),
			producer.WithRetry(2))
		p = tracetest.Started(t, p, err)

		root := b.client.StartSpan("root")
		ctx := opentracing.ContextWithSpan(context.Background(), root)
		res, err := p.SendMessageInTransaction(ctx, primitive.NewMessage(topic, []byte("order")).WithKeys([]string{"o-1"}).WithTag("created"))
		if err != nil || res.State != primitive.UnknowState {
			t.Fatalf("%v %v", res, err)
		}
		root.Finish()

		cons := mqtrace.New(mqtrace.WithTracer(b.server))
		var calls atomic.Int32
		c, err := cons.NewPushConsumer(
			consumer.WithNameServer(primitive.NamesrvAddr{ns}),
			consumer.WithGroupName(mqName("cg")),
			consumer.WithInstance(mqName("ci")),
			consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset))
		if err != nil {
			t.Fatal(err)
		}
		// The first delivery asks to retry later (a failed span), the
		// redelivery succeeds.
		if err := c.Subscribe(topic, consumer.MessageSelector{}, func(ctx context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
			if calls.Add(1) == 1 {
				return consumer.ConsumeRetryLater, nil
			}
			return consumer.ConsumeSuccess, nil
		}); err != nil {
			t.Fatal(err)
		}
		startConsumer(t, c)

		waitSpans(t, b, "check-transaction "+topic, 1)
		waitSpans(t, b, "consume "+topic, 1)

		r := find(t, b, "root", 1)[0]
		tx := find(t, b, "transaction "+topic, 1)[0]
		send := find(t, b, "send "+topic, 1)[0]
		check := find(t, b, "check-transaction "+topic, 1)[0]
		consumes := find(t, b, "consume "+topic, 1)
		first := consumes[0]

		expectChild(t, tx, r)
		expectChild(t, send, tx)
		expectKind(t, send, "producer")
		expectChild(t, check, send) // in the producer's trace on every backend
		expectKind(t, check, "consumer")
		expectChild(t, first, send)
		expectKind(t, first, "consumer")
		expectFailed(t, first, "retry later")
		expectOK(t, send)
		expectOK(t, check)

		if b.otel {
			expectAttrs(t, send, map[string]string{
				"messaging.system": "rocketmq", "messaging.destination.name": topic, "messaging.operation.type": "send",
				"messaging.message.id": "*", "messaging.rocketmq.message.keys": "o-1", "messaging.rocketmq.message.tag": "created",
			})
			expectAttrs(t, first, map[string]string{
				"messaging.system": "rocketmq", "messaging.destination.name": topic, "messaging.operation.type": "process",
				"messaging.message.id": "*", "messaging.consumer.group.name": "*", "error.type": "*",
			})
			expectAttrs(t, check, map[string]string{"messaging.destination.name": topic, "messaging.message.id": "*"})
			absent(t, send, "message_bus.destination", "rocketmq.message_id")
		} else {
			expectAttrs(t, send, map[string]string{"message_bus.destination": topic, "rocketmq.message_id": "*", "rocketmq.keys": "o-1", "rocketmq.tags": "created"})
			expectAttrs(t, first, map[string]string{"message_bus.destination": topic, "rocketmq.consumer_group": "*"})
			absent(t, send, "messaging.system", "messaging.destination.name")
		}
	})
}

func startConsumer(t *testing.T, c interface {
	Start() error
	Shutdown() error
}) {
	t.Helper()
	// A topic first written by a transactional half message reaches the
	// name server with the broker's next registration; under a loaded
	// machine (make test runs every package at once) that took over 30 s.
	deadline := time.Now().Add(90 * time.Second)
	for {
		err := c.Start()
		if err == nil {
			t.Cleanup(func() { _ = c.Shutdown() })
			return
		}
		if !strings.Contains(err.Error(), "route info not found") || time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// A consumed batch of messages from two traces: the batch span is in the
// first message's trace (its parent: the span that sent it, on every
// backend) and keeps a reference (OpenTelemetry: a link) to the other.
func TestRocketMQBatchConsume(t *testing.T) {
	forEach(t, func(t *testing.T, b *backend) {
		topic := mqName("t")
		var msgs []*primitive.MessageExt
		var roots []opentracing.Span
		for i := 0; i < 2; i++ {
			root := b.client.StartSpan(fmt.Sprintf("producer-%d", i))
			m := primitive.NewMessage(topic, []byte("x"))
			mqtrace.Inject(opentracing.ContextWithSpan(context.Background(), root), m)
			root.Finish()
			roots = append(roots, root)
			me := &primitive.MessageExt{MsgId: fmt.Sprintf("id-%d", i)}
			me.Topic, me.Body = topic, m.Body
			me.WithProperties(m.GetProperties())
			msgs = append(msgs, me)
		}
		_, done := mqtrace.New(mqtrace.WithTracer(b.server)).StartConsumeSpan(context.Background(), msgs...)
		done(consumer.ConsumeSuccess, nil)

		p0 := find(t, b, "producer-0", 1)[0]
		p1 := find(t, b, "producer-1", 1)[0]
		batch := find(t, b, "consume "+topic, 1)[0]
		expectKind(t, batch, "consumer")
		expectChild(t, batch, p0)
		if b.name != "mocktracer" { // mocktracer keeps no references beyond the parent
			if len(batch.Links) != 1 || batch.Links[0] != p1.SpanID {
				t.Errorf("batch links %v, want the second message's span %s", batch.Links, p1.SpanID)
			}
		}
		if b.otel {
			expectAttrs(t, batch, map[string]string{"messaging.batch.message_count": "2", "messaging.operation.type": "process"})
		} else {
			expectAttrs(t, batch, map[string]string{"rocketmq.batch_size": "2"})
		}
	})
}
