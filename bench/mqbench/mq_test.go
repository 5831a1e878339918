// Package mqbench compares mqtrace with the bare rocketmq-client-go v2
// producer and push consumer; no peer instruments this client.
package mqbench

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/apache/rocketmq-client-go/v2/rlog"
	"github.com/opentracing/opentracing-go"

	"github.com/tracewrap/tracewrap/bench/internal/tracers"
	"github.com/tracewrap/tracewrap/internal/testenv"
	"github.com/tracewrap/tracewrap/mqtrace"
)

func TestMain(m *testing.M) {
	rlog.SetLogLevel("fatal") // the client logs every heartbeat, which would split benchmark lines
	os.Exit(m.Run())
}

const topic = "tw_bench_orders"

// newMessage is what an application builds for every send.
func newMessage() *primitive.Message {
	return primitive.NewMessage(topic, []byte(`{"order":42}`)).WithTag("created").WithKeys([]string{"order-42"})
}

// stubProducer answers SendSync at once. The embedded nil interface provides
// the methods the benchmarks never call.
type stubProducer struct{ rocketmq.Producer }

var okResult = &primitive.SendResult{Status: primitive.SendOK, MsgID: "7F00000100002A9F0000000000000001",
	MessageQueue: &primitive.MessageQueue{Topic: topic, BrokerName: "broker-a", QueueId: 1}}

func (stubProducer) SendSync(context.Context, ...*primitive.Message) (*primitive.SendResult, error) {
	return okResult, nil
}

func runSend(b *testing.B, st *tracers.Stack, p rocketmq.Producer) {
	ctx := context.Background()
	if st != nil {
		ctx = st.Parent(b)
	}
	if _, err := p.SendSync(ctx, newMessage()); err != nil { // route lookup outside the timing
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.SendSync(ctx, newMessage()); err != nil {
			b.Fatal(err)
		}
		if st != nil {
			st.Tick()
		}
	}
}

func benchSend(b *testing.B, base func(b *testing.B) rocketmq.Producer) {
	b.Run("tracer=none/impl=bare", func(b *testing.B) { runSend(b, nil, base(b)) })
	for _, st := range tracers.All(b) {
		b.Run("tracer="+st.Name+"/impl=tracewrap", func(b *testing.B) {
			runSend(b, st, mqtrace.WrapProducer(base(b), mqtrace.WithTracer(st.OT)))
		})
	}
}

// BenchmarkMQSend is the producer wrapper alone, in process: SendSync of a
// new message to a producer that answers at once.
func BenchmarkMQSend(b *testing.B) {
	benchSend(b, func(*testing.B) rocketmq.Producer { return stubProducer{} })
}

var (
	brokerOnce     sync.Once
	brokerProducer rocketmq.Producer
	brokerErr      error
)

// sharedProducer starts one producer for every broker benchmark; each
// implementation wraps it. It lives until the test binary exits.
func sharedProducer(b *testing.B) rocketmq.Producer {
	ns := testenv.RocketMQNameServer(b)
	brokerOnce.Do(func() {
		p, err := rocketmq.NewProducer(
			producer.WithNameServer(primitive.NamesrvAddr{ns}),
			producer.WithGroupName(fmt.Sprintf("tw_bench_pg_%d", time.Now().UnixNano())),
			producer.WithRetry(2),
		)
		if err == nil {
			err = p.Start()
		}
		brokerProducer, brokerErr = p, err
	})
	if brokerErr != nil {
		b.Fatal(brokerErr)
	}
	return brokerProducer
}

// BenchmarkMQBrokerSend is a SendSync to the real broker.
func BenchmarkMQBrokerSend(b *testing.B) { benchSend(b, sharedProducer) }

// stubConsumer keeps the callback given to Subscribe so the benchmark can
// call it as the client would on delivery.
type stubConsumer struct {
	rocketmq.PushConsumer
	f func(context.Context, ...*primitive.MessageExt) (consumer.ConsumeResult, error)
}

func (c *stubConsumer) Subscribe(_ string, _ consumer.MessageSelector, f func(context.Context, ...*primitive.MessageExt) (consumer.ConsumeResult, error)) error {
	c.f = f
	return nil
}

// delivered is a message as the push consumer hands it over, carrying the
// producer's trace context when traced.
func delivered(st *tracers.Stack) []*primitive.MessageExt {
	m := &primitive.MessageExt{Message: *newMessage(), MsgId: "7F00000100002A9F0000000000000001", StoreTimestamp: time.Now().UnixMilli(),
		BornHost: "10.0.0.1:5555"}
	m.Queue = &primitive.MessageQueue{Topic: topic, BrokerName: "broker-a", QueueId: 1}
	if st != nil {
		parent := st.OT.StartSpan("send")
		defer parent.Finish()
		tm := opentracing.TextMapCarrier{}
		st.OT.Inject(parent.Context(), opentracing.TextMap, tm)
		for k, v := range tm {
			m.WithProperty(k, v)
		}
	}
	return []*primitive.MessageExt{m}
}

// BenchmarkMQConsume is the push consumer's callback wrapper alone, in
// process: one delivered message handed to a callback that returns at once.
func BenchmarkMQConsume(b *testing.B) {
	handler := func(context.Context, ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		return consumer.ConsumeSuccess, nil
	}
	run := func(b *testing.B, st *tracers.Stack, c rocketmq.PushConsumer, stub *stubConsumer) {
		c.Subscribe(topic, consumer.MessageSelector{}, handler)
		msgs := delivered(st)
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			stub.f(ctx, msgs...)
			if st != nil {
				st.Tick()
			}
		}
	}
	b.Run("tracer=none/impl=bare", func(b *testing.B) {
		stub := &stubConsumer{}
		run(b, nil, stub, stub)
	})
	for _, st := range tracers.All(b) {
		b.Run("tracer="+st.Name+"/impl=tracewrap", func(b *testing.B) {
			stub := &stubConsumer{}
			run(b, st, mqtrace.WrapPushConsumer(stub, mqtrace.WithTracer(st.OT)), stub)
		})
	}
}
