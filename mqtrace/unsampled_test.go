package mqtrace

import (
	"context"
	"testing"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/opentracing/opentracing-go"
	"github.com/uber/jaeger-client-go"

	"github.com/tracewrap/tracewrap/internal/tracetest"
)

// A message sent in a trace its producer does not sample is consumed in
// another process (its own jaeger tracer, willing to sample), whose callback
// sets baggage and sends on to a third: every hop is in the producer's trace,
// unsampled, with the baggage, and no span is reported. Sampled, the same
// chain reports a span per send and per consume.
func TestUnsampledTraceThroughMessages(t *testing.T) {
	for _, sampled := range []bool{false, true} {
		front, frontRep := tracetest.Jaeger(t, "front", sampled)
		mid, midRep := tracetest.Jaeger(t, "mid", true)

		root := front.StartSpan("root")
		root.SetBaggageItem("user", "alice")
		first := primitive.NewMessage("orders", []byte("1"))
		ctx := opentracing.ContextWithSpan(context.Background(), root)
		if _, err := New(WithTracer(front)).WrapProducer(stubProducer{}).SendSync(ctx, first); err != nil {
			t.Fatal(err)
		}
		root.Finish()

		next := primitive.NewMessage("shipments", []byte("2"))
		midTracing := New(WithTracer(mid))
		consume := func(ctx context.Context, _, reply any) error {
			span := opentracing.SpanFromContext(ctx)
			if _, real := span.(*jaeger.Span); real != sampled {
				t.Errorf("sampled=%v: consume span %T", sampled, span)
			}
			if span.BaggageItem("user") != "alice" {
				t.Error("producer's baggage not readable")
			}
			span.SetBaggageItem("tenant", "t1")
			_, err := midTracing.WrapProducer(stubProducer{}).SendSync(ctx, next)
			reply.(*consumer.ConsumeResultHolder).ConsumeResult = consumer.ConsumeSuccess
			return err
		}
		received := []*primitive.MessageExt{{MsgId: "m1"}}
		received[0].Topic, received[0].Body = first.Topic, first.Body
		received[0].WithProperties(first.GetProperties())
		if err := midTracing.ConsumerInterceptor()(context.Background(), received, &consumer.ConsumeResultHolder{}, consume); err != nil {
			t.Fatal(err)
		}

		sc, err := mid.Extract(opentracing.TextMap, (*propertyReader)(next))
		if err != nil {
			t.Fatal(err)
		}
		got, want := sc.(jaeger.SpanContext), root.Context().(jaeger.SpanContext)
		baggage := map[string]string{}
		got.ForeachBaggageItem(func(k, v string) bool { baggage[k] = v; return true })
		if got.TraceID() != want.TraceID() || got.IsSampled() != sampled || baggage["user"] != "alice" || baggage["tenant"] != "t1" {
			t.Fatalf("sampled=%v: second message carries %v %v", sampled, got, baggage)
		}
		n := len(frontRep.GetSpans()) + len(midRep.GetSpans())
		if want := map[bool]int{false: 0, true: 4}[sampled]; n != want { // root, send, consume, send
			t.Fatalf("sampled=%v: %d spans reported, want %d", sampled, n, want)
		}
	}
}
