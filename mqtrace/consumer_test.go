package mqtrace

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/mocktracer"
	"github.com/uber/jaeger-client-go"

	"github.com/tracewrap/tracewrap/internal/tracetest"
)

// firstQueue sends every message to the same queue, so a consumer pulls them
// together and consumes them as one batch.
type firstQueue struct{}

func (firstQueue) Select(_ *primitive.Message, qs []*primitive.MessageQueue, _ string) *primitive.MessageQueue {
	return qs[0]
}

func jaegerSpans(rep *jaeger.InMemoryReporter, op string) []*jaeger.Span {
	var out []*jaeger.Span
	for _, s := range rep.GetSpans() {
		if js := s.(*jaeger.Span); js.OperationName() == op {
			out = append(out, js)
		}
	}
	return out
}

func waitJaeger(t testing.TB, rep *jaeger.InMemoryReporter, op string, n int) []*jaeger.Span {
	t.Helper()
	waitFor(t, 30*time.Second, op, func() bool { return len(jaegerSpans(rep, op)) >= n })
	return jaegerSpans(rep, op)
}

func TestBatchSendEachMessageCarriesContext(t *testing.T) {
	trc, tr := mockTracing()
	topic := uniq(t, "t")
	p := startProducer(t, trc)
	ctx, root := parentCtx(tr)
	msgs := []*primitive.Message{
		primitive.NewMessage(topic, []byte("1")), primitive.NewMessage(topic, []byte("2")), primitive.NewMessage(topic, []byte("3")),
	}
	msgs[1].WithProperty("mine", "kept")
	if _, err := p.SendSync(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
	root.Finish()
	var got received
	startConsumer(t, trc, topic, got.consume)
	cons := waitSpans(t, tr, "consume "+topic, 3)
	send := finished(tr, "send "+topic)[0]
	if send.Tag(TagBatchSize) != 3 {
		t.Fatalf("send tags %v", send.Tags())
	}
	for _, c := range cons {
		assertConsumedFrom(t, c, send)
	}
	kept := 0
	for _, m := range got.msgs {
		if m.GetProperty("mine") == "kept" {
			kept++
		}
	}
	if kept != 1 {
		t.Fatal("user property of a batched message lost")
	}
}

func TestBatchConsumeChildOfFirstFollowsFromOthers(t *testing.T) {
	tr, rep := tracetest.Jaeger(t, "batch", true)
	trc := New(WithTracer(tr), WithMessageSpans())
	topic := uniq(t, "t")
	p := startProducer(t, trc, producer.WithQueueSelector(firstQueue{}))

	roots := map[uint64]bool{}
	for i := 0; i < 3; i++ {
		root := tr.StartSpan("handler")
		roots[root.Context().(jaeger.SpanContext).TraceID().Low] = true
		if _, err := p.SendSync(opentracing.ContextWithSpan(context.Background(), root), primitive.NewMessage(topic, []byte{'0' + byte(i)})); err != nil {
			t.Fatal(err)
		}
		root.Finish()
	}
	var got received
	startConsumer(t, trc, topic, got.consume, consumer.WithConsumeMessageBatchMaxSize(10))
	waitFor(t, 30*time.Second, "3 messages", func() bool { return got.count() >= 3 })
	sends := jaegerSpans(rep, "send "+topic)
	sendByID := map[jaeger.SpanID]*jaeger.Span{}
	for _, s := range sends {
		sendByID[s.SpanContext().SpanID()] = s
	}

	got.mu.Lock()
	sizes, cbSpans := got.sizes, got.spans
	got.mu.Unlock()
	if len(sizes) != 1 || sizes[0] != 3 {
		t.Fatalf("messages were not consumed as one batch: %v", sizes)
	}
	all := waitJaeger(t, rep, "consume "+topic, 4) // the batch span and one per message
	batchID := cbSpans[0].Context().(jaeger.SpanContext).SpanID()
	var batch *jaeger.Span
	var perMsg []*jaeger.Span
	for _, s := range all {
		if s.SpanContext().SpanID() == batchID {
			batch = s
		} else {
			perMsg = append(perMsg, s)
		}
	}
	if batch == nil || len(perMsg) != 3 {
		t.Fatalf("batch %v, %d message spans", batch, len(perMsg))
	}
	// ChildOf the first message's send (the batch is in its trace, on
	// jaeger and on the OpenTelemetry bridge alike), FollowsFrom the others.
	refs := batch.References()
	if len(refs) != 3 {
		t.Fatalf("batch span has %d references", len(refs))
	}
	seen := map[jaeger.SpanID]bool{}
	for i, r := range refs {
		want := opentracing.FollowsFromRef
		if i == 0 {
			want = opentracing.ChildOfRef
		}
		id := r.ReferencedContext.(jaeger.SpanContext).SpanID()
		if r.Type != want || sendByID[id] == nil || seen[id] {
			t.Fatalf("reference %d %v is not %v a send span", i, r, want)
		}
		seen[id] = true
	}
	first := sendByID[refs[0].ReferencedContext.(jaeger.SpanContext).SpanID()]
	if batch.SpanContext().ParentID() != first.SpanContext().SpanID() || batch.SpanContext().TraceID() != first.SpanContext().TraceID() {
		t.Fatal("the batch span is not in its first message's trace")
	}
	if batch.Tags()[TagBatchSize] != 3 {
		t.Fatalf("batch tags %v", batch.Tags())
	}
	for _, s := range perMsg {
		send := sendByID[s.SpanContext().ParentID()]
		if send == nil || s.SpanContext().TraceID() != send.SpanContext().TraceID() {
			t.Fatalf("message span %v is not a child of its send span", s.SpanContext())
		}
		if rs := s.References(); len(rs) != 2 || rs[1].Type != opentracing.FollowsFromRef || rs[1].ReferencedContext.(jaeger.SpanContext).SpanID() != batchID {
			t.Fatalf("message span does not follow the batch: %v", rs)
		}
		if !roots[s.SpanContext().TraceID().Low] {
			t.Fatal("message span in a foreign trace")
		}
	}
}

func TestRetryLaterIsAnErrorSpanAndRetryJoinsTrace(t *testing.T) {
	trc, tr := mockTracing()
	topic := uniq(t, "t")
	group := uniq(t, "cg")
	p := startProducer(t, trc)

	// The broker creates the group's retry topic on the group's first
	// heartbeat, after a consumer has looked up its routes; a consumer that
	// started first would see its retries only at its next route refresh
	// (30 s). A warm-up consumer of the same group creates the topic.
	if _, err := p.SendSync(context.Background(), primitive.NewMessage(topic, []byte("warm-up"))); err != nil {
		t.Fatal(err)
	}
	var warm received
	wc := startConsumer(t, New(WithTracer(opentracing.NoopTracer{})), topic, warm.consume, consumer.WithGroupName(group))
	waitFor(t, 30*time.Second, "warm-up message", func() bool { return warm.count() > 0 })
	_ = wc.Shutdown()

	ctx, root := parentCtx(tr)
	if _, err := p.SendSync(ctx, primitive.NewMessage(topic, []byte("again")).WithKeys([]string{"again"})); err != nil {
		t.Fatal(err)
	}
	root.Finish()
	var calls atomic.Int32
	startConsumer(t, trc, topic, func(ctx context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		if msgs[0].GetKeys() != "again" {
			return consumer.ConsumeSuccess, nil
		}
		if calls.Add(1) == 1 {
			// Retry after 1 s instead of the default 10 s.
			if cc, ok := primitive.GetConcurrentlyCtx(ctx); ok {
				cc.DelayLevelWhenNextConsume = 1
			}
			return consumer.ConsumeRetryLater, nil
		}
		return consumer.ConsumeSuccess, nil
	}, consumer.WithGroupName(group))
	var cons []*mocktracer.MockSpan
	waitFor(t, 40*time.Second, "the retried message", func() bool {
		cons = cons[:0]
		for _, s := range finished(tr, "consume "+topic) {
			if s.Tag(TagKeys) == "again" {
				cons = append(cons, s)
			}
		}
		return len(cons) >= 2
	})
	send := finished(tr, "send "+topic)[1]
	first, second := cons[0], cons[1]
	if first.Tag("error") != true || first.Tag(TagConsumeResult) != "RETRY_LATER" {
		t.Fatalf("retry-later span: %v", first.Tags())
	}
	if second.Tag("error") != nil || second.Tag(TagConsumeResult) != "SUCCESS" || second.Tag(TagReconsumeTimes) != int32(1) {
		t.Fatalf("retried span: %v", second.Tags())
	}
	for _, c := range cons {
		assertConsumedFrom(t, c, send)
	}
}

func TestCorruptOrMissingContextStartsRoot(t *testing.T) {
	tr, rep := tracetest.Jaeger(t, "corrupt", true)
	trc := New(WithTracer(tr))
	topic := uniq(t, "t")
	bare := startProducer(t, New(WithTracer(opentracing.NoopTracer{})))
	for _, v := range []string{"garbage", "ffffffffffffffffffffffffffffffffffff:1:0:1", "0:0:0:0", ""} {
		m := primitive.NewMessage(topic, []byte(v))
		m.WithProperty("uber-trace-id", v)
		m.WithProperty("uberctx-"+v, "x")
		if _, err := bare.SendSync(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	var got received
	startConsumer(t, trc, topic, got.consume)
	cons := waitJaeger(t, rep, "consume "+topic, 4)
	invalid := 0
	for _, s := range cons {
		if s.SpanContext().ParentID() != 0 || len(s.References()) != 0 {
			t.Fatalf("corrupt context became a parent: %v", s.SpanContext())
		}
		if s.Tags()["tracewrap.context.invalid"] == true {
			invalid++
		}
		if s.Tags()[TagConsumeResult] != "SUCCESS" {
			t.Fatal("consumption failed")
		}
	}
	if invalid < 2 { // "garbage" and the overlong id; a zero or missing id is simply absent
		t.Fatalf("%d spans flagged invalid", invalid)
	}
}

func TestNoopTracerInjectsNothing(t *testing.T) {
	topic := uniq(t, "t")
	p := startProducer(t, New(WithTracer(opentracing.NoopTracer{})))
	m := primitive.NewMessage(topic, []byte("x"))
	ctx := opentracing.ContextWithSpan(context.Background(), mocktracer.New().StartSpan("foreign"))
	if _, err := p.SendSync(ctx, m); err != nil {
		t.Fatal(err)
	}
	for k := range m.GetProperties() {
		if len(k) > 7 && k[:7] == "mockpfx" {
			t.Fatalf("noop tracer injected %q", k)
		}
	}
}

// A callback that panics: client v2.1.2 recovers it (concurrent consumption)
// and leaves the messages in its process queue, neither acknowledged nor sent
// back for a retry, unlike a RetryLater that is back within a second here.
// The span says PANIC, not a retry that never happens.
func TestConsumePanicIsNotARetry(t *testing.T) {
	trc, tr := mockTracing()
	topic := uniq(t, "t")
	group := uniq(t, "cg")
	p := startProducer(t, trc)
	// Create the group's retry topic first, as in
	// TestRetryLaterIsAnErrorSpanAndRetryJoinsTrace.
	if _, err := p.SendSync(context.Background(), primitive.NewMessage(topic, []byte("warm-up"))); err != nil {
		t.Fatal(err)
	}
	var warm received
	wc := startConsumer(t, New(WithTracer(opentracing.NoopTracer{})), topic, warm.consume, consumer.WithGroupName(group))
	waitFor(t, 30*time.Second, "warm-up message", func() bool { return warm.count() > 0 })
	_ = wc.Shutdown()

	for _, key := range []string{"panic", "retry"} {
		if _, err := p.SendSync(context.Background(), primitive.NewMessage(topic, []byte(key)).WithKeys([]string{key})); err != nil {
			t.Fatal(err)
		}
	}
	var panics, retries atomic.Int32
	startConsumer(t, trc, topic, func(ctx context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		if cc, ok := primitive.GetConcurrentlyCtx(ctx); ok {
			cc.DelayLevelWhenNextConsume = 1 // a retry, if any, after 1 s
		}
		switch msgs[0].GetKeys() {
		case "panic":
			panics.Add(1)
			panic("consumer bug")
		case "retry":
			if retries.Add(1) == 1 {
				return consumer.ConsumeRetryLater, nil
			}
		}
		return consumer.ConsumeSuccess, nil
	}, consumer.WithGroupName(group))
	waitFor(t, 40*time.Second, "the retried control message", func() bool { return retries.Load() >= 2 })
	time.Sleep(2 * time.Second) // a retried panic would be back by now
	if n := panics.Load(); n != 1 {
		t.Fatalf("the panicking callback ran %d times: the client retries after a panic after all", n)
	}
	var panicked []*mocktracer.MockSpan
	for _, s := range finished(tr, "consume "+topic) {
		if s.Tag(TagKeys) == "panic" {
			panicked = append(panicked, s)
		}
	}
	if len(panicked) != 1 || panicked[0].Tag(TagConsumeResult) != "PANIC" || panicked[0].Tag("error") != true {
		t.Fatalf("panicked consume spans: %d, first %v", len(panicked), panicked[0].Tags())
	}
}
