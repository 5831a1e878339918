package mqtrace

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"github.com/opentracing/opentracing-go/mocktracer"
)

// parentCtx starts a root span with baggage and returns ctx holding it.
func parentCtx(tr opentracing.Tracer) (context.Context, opentracing.Span) {
	root := tr.StartSpan("handler")
	root.SetBaggageItem("tenant", "acme")
	return opentracing.ContextWithSpan(context.Background(), root), root
}

// assertConsumedFrom checks that the consume span is ChildOf send, in the
// same trace, with the baggage and the message tags.
func assertConsumedFrom(t *testing.T, consume, send *mocktracer.MockSpan) {
	t.Helper()
	if consume.SpanContext.TraceID != send.SpanContext.TraceID || consume.ParentID != send.SpanContext.SpanID {
		t.Fatalf("consume span (trace %d parent %d) is not a child of send (trace %d span %d)",
			consume.SpanContext.TraceID, consume.ParentID, send.SpanContext.TraceID, send.SpanContext.SpanID)
	}
	if consume.BaggageItem("tenant") != "acme" {
		t.Fatalf("baggage lost: %v", consume.SpanContext.Baggage)
	}
	if consume.Tag("span.kind") != ext.SpanKindConsumerEnum || consume.Tag(TagConsumerGroup) == nil || consume.Tag(TagMessageID) == nil {
		t.Fatalf("consume tags %v", consume.Tags())
	}
}

func TestSendSyncConsumedInSameTrace(t *testing.T) {
	trc, tr := mockTracing()
	topic := uniq(t, "t")
	p := startProducer(t, trc)
	ctx, root := parentCtx(tr)

	msg := primitive.NewMessage(topic, []byte("hello")).WithTag("created").WithKeys([]string{"order-42"})
	msg.WithProperty("user-prop", "kept")
	res, err := p.SendSync(ctx, msg)
	if err != nil {
		t.Fatal(err)
	}
	root.Finish()

	var got received
	startConsumer(t, trc, topic, got.consume)
	cons := waitSpans(t, tr, "consume "+topic, 1)

	send := finished(tr, "send "+topic)[0]
	if send.ParentID != root.(*mocktracer.MockSpan).SpanContext.SpanID {
		t.Fatal("send span is not a child of the span in ctx")
	}
	if send.Tag(TagMessageID) != res.MsgID || send.Tag(TagSendStatus) != "SEND_OK" || send.Tag(TagBroker) == nil ||
		send.Tag(TagQueueID) == nil || send.Tag("message_bus.destination") != topic || send.Tag(TagMethod) != MethodSync ||
		send.Tag(TagTags) != "created" || send.Tag(TagKeys) != "order-42" || send.Tag("span.kind") != ext.SpanKindProducerEnum {
		t.Fatalf("send tags %v", send.Tags())
	}
	assertConsumedFrom(t, cons[0], send)
	if m := got.msgs[0]; m.GetProperty("user-prop") != "kept" || m.GetTags() != "created" || m.MsgId != res.MsgID {
		t.Fatalf("message changed on the way: %v", m)
	}
	if cons[0].Tag(TagMessageID) != res.MsgID || cons[0].Tag(TagStoreLatency) == nil || cons[0].Tag(TagConsumeResult) != "SUCCESS" {
		t.Fatalf("consume tags %v", cons[0].Tags())
	}
	if got.spans[0] == nil || got.spans[0].(*mocktracer.MockSpan).SpanContext.SpanID != cons[0].SpanContext.SpanID {
		t.Fatal("callback ctx does not carry the consume span")
	}
}

func TestSendAsyncAndOneWayConsumedInSameTrace(t *testing.T) {
	trc, tr := mockTracing()
	topic := uniq(t, "t")
	p := startProducer(t, trc)
	ctx, root := parentCtx(tr)

	var calls atomic.Int32
	done := make(chan *primitive.SendResult, 1)
	err := p.SendAsync(ctx, func(ctx context.Context, r *primitive.SendResult, err error) {
		calls.Add(1)
		if err != nil {
			t.Error(err)
		}
		done <- r
	}, primitive.NewMessage(topic, []byte("async")).WithTag("async"))
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("async callback never ran")
	}
	if err := p.SendOneWay(ctx, primitive.NewMessage(topic, []byte("oneway")).WithTag("oneway")); err != nil {
		t.Fatal(err)
	}
	root.Finish()

	var got received
	startConsumer(t, trc, topic, got.consume)
	cons := waitSpans(t, tr, "consume "+topic, 2)
	sends := finished(tr, "send "+topic)
	if len(sends) != 2 || calls.Load() != 1 {
		t.Fatalf("%d send spans, %d callbacks", len(sends), calls.Load())
	}
	byMethod := map[string]*mocktracer.MockSpan{}
	for _, s := range sends {
		byMethod[s.Tag(TagMethod).(string)] = s
		if s.ParentID != root.(*mocktracer.MockSpan).SpanContext.SpanID {
			t.Fatalf("%v not a child of the root", s.Tag(TagMethod))
		}
	}
	if byMethod[MethodAsync].Tag(TagMessageID) == nil {
		t.Fatalf("async send result not tagged: %v", byMethod[MethodAsync].Tags())
	}
	for _, c := range cons {
		want := byMethod[MethodAsync]
		if c.Tag(TagTags) == "oneway" {
			want = byMethod[MethodOneWay]
		}
		assertConsumedFrom(t, c, want)
	}
}

// When RequestAsync fails to send, v2.1.2 drops the request from its reply
// table, which runs the callback at once with no reply and no error, before
// RequestAsync returns the error. The span must record the failure.
func TestRequestAsyncSendFailureIsAnError(t *testing.T) {
	trc, tr := mockTracing()
	// A name server nobody listens on: no route, so the send fails.
	p, err := trc.NewProducer(producer.WithNameServer(primitive.NamesrvAddr{"127.0.0.1:1"}),
		producer.WithGroupName(uniq(t, "pg")), producer.WithInstanceName(uniq(t, "pi")))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	defer p.Shutdown()
	ctx, root := parentCtx(tr)
	called := make(chan error, 2)
	err = p.RequestAsync(ctx, time.Second, func(_ context.Context, _ *primitive.Message, err error) { called <- err },
		primitive.NewMessage(uniq(t, "t"), []byte("req")))
	if err == nil || !strings.Contains(err.Error(), "route") {
		t.Fatalf("RequestAsync without a route: %v", err)
	}
	root.Finish()
	var spans []*mocktracer.MockSpan
	for _, s := range tr.FinishedSpans() {
		if s.Tag(TagMethod) == MethodRequestAsync {
			spans = append(spans, s)
		}
	}
	if len(spans) != 1 || spans[0].Tag("error") != true {
		t.Fatalf("%d request-async spans, want 1 error span: %v", len(spans), spans)
	}
}
