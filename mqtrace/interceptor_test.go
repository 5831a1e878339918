package mqtrace

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/mocktracer"
)

// Clients the user builds, with the interceptor forms: sync, async, one-way
// and a batch all reach the consumer in the producer's trace.
func TestInterceptorForms(t *testing.T) {
	trc, tr := mockTracing()
	topic := uniq(t, "t")
	bare := New(WithTracer(opentracing.NoopTracer{})) // no wrapper: only the interceptors trace
	p := startProducer(t, bare, producer.WithInterceptor(trc.ProducerInterceptor()))
	ctx, root := parentCtx(tr)
	if _, err := p.SendSync(ctx, primitive.NewMessage(topic, []byte("sync")).WithTag("sync")); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	if err := p.SendAsync(ctx, func(context.Context, *primitive.SendResult, error) { close(done) },
		primitive.NewMessage(topic, []byte("async")).WithTag("async")); err != nil {
		t.Fatal(err)
	}
	<-done
	if err := p.SendOneWay(ctx, primitive.NewMessage(topic, []byte("oneway")).WithTag("oneway")); err != nil {
		t.Fatal(err)
	}
	if _, err := p.SendSync(ctx, primitive.NewMessage(topic, []byte("b1")).WithTag("batch"),
		primitive.NewMessage(topic, []byte("b2")).WithTag("batch")); err != nil {
		t.Fatal(err)
	}
	root.Finish()

	var got received
	startConsumer(t, bare, topic, got.consume, consumer.WithInterceptor(trc.ConsumerInterceptor()))
	cons := waitSpans(t, tr, "consume "+topic, 5)
	sends := byID(finished(tr, "send "+topic))
	if len(sends) != 4 {
		t.Fatalf("%d send spans", len(sends))
	}
	for _, c := range cons {
		send := sends[c.ParentID]
		if send == nil {
			t.Fatalf("consume span of %v has no send parent", c.Tag(TagTags))
		}
		assertConsumedFrom(t, c, send)
	}
	got.mu.Lock()
	defer got.mu.Unlock()
	for _, s := range got.spans {
		if s == nil {
			t.Fatal("interceptor did not put the span into the callback's ctx")
		}
	}
}

// Many goroutines share one producer and one consumer; every message is
// consumed in the trace of the goroutine that sent it.
func TestConcurrentProducers(t *testing.T) {
	trc, tr := mockTracing()
	topic := uniq(t, "t")
	p := startProducer(t, trc)
	const workers, each = 8, 5
	var wg sync.WaitGroup
	traces := make(chan int, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			root := tr.StartSpan("worker")
			traces <- root.(*mocktracer.MockSpan).SpanContext.TraceID
			ctx := opentracing.ContextWithSpan(context.Background(), root)
			var async sync.WaitGroup
			for i := 0; i < each; i++ {
				m := primitive.NewMessage(topic, []byte("x"))
				if i%2 == 0 {
					if _, err := p.SendSync(ctx, m); err != nil {
						t.Error(err)
					}
					continue
				}
				async.Add(1)
				if err := p.SendAsync(ctx, func(context.Context, *primitive.SendResult, error) { async.Done() }, m); err != nil {
					t.Error(err)
					async.Done()
				}
			}
			async.Wait()
			root.Finish()
		}()
	}
	wg.Wait()
	close(traces)
	ok := map[int]bool{}
	for id := range traces {
		ok[id] = true
	}
	var got received
	startConsumer(t, trc, topic, got.consume, consumer.WithConsumeGoroutineNums(4))
	cons := waitSpans(t, tr, "consume "+topic, workers*each)
	sends := byID(finished(tr, "send "+topic))
	for _, c := range cons {
		if s := sends[c.ParentID]; s == nil || !ok[c.SpanContext.TraceID] || s.SpanContext.TraceID != c.SpanContext.TraceID {
			t.Fatal("message consumed outside its sender's trace")
		}
	}
}

// Request, which waits for a reply nobody sends here, ends its span with the
// timeout; RequestAsync's span ends exactly once, here on a rejected request.
// (Without a reply, v2.1.2 calls the RequestAsync callback only when its
// reply table evicts the request, up to 10 minutes later.)
func TestRequestSpansEnd(t *testing.T) {
	trc, tr := mockTracing()
	topic := uniq(t, "t")
	p := startProducer(t, trc)
	if _, err := p.SendSync(context.Background(), primitive.NewMessage(topic, []byte("route"))); err != nil {
		t.Fatal(err)
	}
	ctx, root := parentCtx(tr)
	if _, err := p.Request(ctx, time.Second, primitive.NewMessage(topic, []byte("req"))); err == nil {
		t.Fatal("a request without a replier succeeded")
	}
	called := false
	err := p.RequestAsync(ctx, time.Second, func(context.Context, *primitive.Message, error) { called = true },
		primitive.NewMessage("", []byte("no topic")))
	if err == nil || called {
		t.Fatalf("RequestAsync without a topic: %v, callback %v", err, called)
	}
	root.Finish()
	methods := map[string]int{}
	for _, s := range tr.FinishedSpans() {
		if m, ok := s.Tag(TagMethod).(string); ok && (m == MethodRequest || m == MethodRequestAsync) {
			methods[m]++
			if s.Tag("error") != true || s.ParentID != root.(*mocktracer.MockSpan).SpanContext.SpanID {
				t.Fatalf("%v span: %v", m, s.Tags())
			}
		}
	}
	if methods[MethodRequest] != 1 || methods[MethodRequestAsync] != 1 {
		t.Fatalf("request spans %v", methods)
	}
}
