package mqtrace

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/apache/rocketmq-client-go/v2/rlog"
	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/mocktracer"
	"go.uber.org/goleak"

	"github.com/tracewrap/tracewrap/internal/testenv"
	"github.com/tracewrap/tracewrap/internal/tracetest"
)

func TestMain(m *testing.M) {
	rlog.SetLogLevel("fatal") // the client logs every heartbeat and rebalance
	goleak.VerifyTestMain(m, clientLeftovers()...)
}

// clientLeftovers are goroutines rocketmq-client-go v2.1.2 leaves behind
// after every client was shut down. None of them is started by mqtrace.
func clientLeftovers() []goleak.Option {
	const pkg = "github.com/apache/rocketmq-client-go/v2/"
	return []goleak.Option{
		// The package-level reply table of Request (internal.RequestResponseFutureMap)
		// starts a go-cache janitor when the client package is initialised.
		goleak.IgnoreTopFunction("github.com/patrickmn/go-cache.(*janitor).Run"),
		// The transaction producer's check loop ranges over a channel that
		// Shutdown never closes.
		goleak.IgnoreAnyFunction(pkg + "producer.(*transactionProducer).checkTransactionState"),
		// Every client opens its own name-server connection (internal.NewNamesrv
		// builds a private remoting client) that Shutdown never closes; its
		// reader waits until the name server drops the idle connection.
		goleak.IgnoreAnyFunction(pkg + "internal/remote.(*remotingClient).receiveResponse"),
		// A long-polling pull in flight at Shutdown waits out its timeout.
		goleak.IgnoreAnyFunction(pkg + "consumer.(*pushConsumer).pullMessage"),
		// The client's schedulers sleep before they first look at the done
		// channel Shutdown closed: name-server address refresh (10 s),
		// heartbeat (1 s) and offset persistence (10 s).
		goleak.IgnoreAnyFunction(pkg + "internal.(*rmqClient).Start.func1.1"),
		goleak.IgnoreAnyFunction(pkg + "internal.(*rmqClient).Start.func1.3"),
		goleak.IgnoreAnyFunction(pkg + "internal.(*rmqClient).Start.func1.4"),
		// Consumer statistics sleep until the next minute, hour and month
		// before they look at their closed channel.
		goleak.IgnoreAnyFunction(pkg + "consumer.(*statsItemSet).init.func4"),
		goleak.IgnoreAnyFunction(pkg + "consumer.(*statsItemSet).init.func5"),
		goleak.IgnoreAnyFunction(pkg + "consumer.(*statsItemSet).init.func6"),
		// The push consumer's expired-message cleaner sleeps ConsumeTimeout
		// (15 min by default) before its first look at done.
		goleak.IgnoreAnyFunction(pkg + "consumer.(*pushConsumer).Start.func1.2"),
	}
}

var seq atomic.Int64

// uniq is a fresh topic/group/instance name: auto-created topics and groups
// keep tests from seeing each other's messages.
func uniq(t testing.TB, what string) string {
	name := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
	if len(name) > 60 {
		name = name[:60]
	}
	return fmt.Sprintf("tw_%s_%s_%d_%d", what, name, time.Now().UnixNano()%1e9, seq.Add(1))
}

func nameServer(t testing.TB) primitive.NamesrvAddr {
	return primitive.NamesrvAddr{testenv.RocketMQNameServer(t)}
}

// startProducer starts a traced producer on its own client instance.
func startProducer(t testing.TB, tr *Tracing, opts ...producer.Option) rocketmq.Producer {
	t.Helper()
	all := append([]producer.Option{
		producer.WithNameServer(nameServer(t)),
		producer.WithGroupName(uniq(t, "pg")),
		producer.WithInstanceName(uniq(t, "pi")),
		producer.WithRetry(2),
	}, opts...)
	p, err := tr.NewProducer(all...)
	return tracetest.Started(t, p, err)
}

// startConsumer subscribes f to topic with a traced push consumer that reads
// the topic from its first message. The topic must exist (send first); the
// start is retried while the name server has no route for it yet.
func startConsumer(t testing.TB, tr *Tracing, topic string, f ConsumeFunc, opts ...consumer.Option) rocketmq.PushConsumer {
	t.Helper()
	group := uniq(t, "cg") // consumer.WithGroupName in opts overrides it
	deadline := time.Now().Add(30 * time.Second)
	for {
		all := append([]consumer.Option{
			consumer.WithNameServer(nameServer(t)),
			consumer.WithGroupName(group),
			consumer.WithInstance(uniq(t, "ci")),
			consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
		}, opts...)
		c, err := tr.NewPushConsumer(all...)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Subscribe(topic, consumer.MessageSelector{}, f); err != nil {
			t.Fatal(err)
		}
		err = c.Start()
		if err == nil {
			t.Cleanup(func() { _ = c.Shutdown() })
			return c
		}
		_ = c.Shutdown()
		if !strings.Contains(err.Error(), "route info not found") || time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitFor polls cond until it holds or d passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// received collects what a consumer callback saw.
type received struct {
	mu    sync.Mutex
	msgs  []*primitive.MessageExt
	spans []opentracing.Span
	sizes []int
}

func (r *received) consume(ctx context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, msgs...)
	r.spans = append(r.spans, opentracing.SpanFromContext(ctx))
	r.sizes = append(r.sizes, len(msgs))
	return consumer.ConsumeSuccess, nil
}

func (r *received) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.msgs)
}

// finished returns the finished spans named op.
func finished(tr *mocktracer.MockTracer, op string) []*mocktracer.MockSpan {
	var out []*mocktracer.MockSpan
	for _, s := range tr.FinishedSpans() {
		if s.OperationName == op {
			out = append(out, s)
		}
	}
	return out
}

func mockTracing(opts ...Option) (*Tracing, *mocktracer.MockTracer) {
	tr := mocktracer.New()
	return New(append([]Option{WithTracer(tr)}, opts...)...), tr
}

func waitSpans(t testing.TB, tr *mocktracer.MockTracer, op string, n int) []*mocktracer.MockSpan {
	t.Helper()
	waitFor(t, 30*time.Second, fmt.Sprintf("%d %q spans", n, op), func() bool { return len(finished(tr, op)) >= n })
	return finished(tr, op)
}
