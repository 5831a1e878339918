package mqtrace

import (
	"context"
	"fmt"
	"time"

	"github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/opentracing/opentracing-go"

	"github.com/tracewrap/tracewrap/internal/core"
)

// ConsumeFunc is the callback of PushConsumer.Subscribe.
type ConsumeFunc = func(context.Context, ...*primitive.MessageExt) (consumer.ConsumeResult, error)

// NewPushConsumer is rocketmq.NewPushConsumer whose Subscribe callbacks run
// with a "consume <topic>" span in their ctx (default options, global
// tracer). Use New(opts...).NewPushConsumer for options.
func NewPushConsumer(opts ...consumer.Option) (rocketmq.PushConsumer, error) {
	return std.NewPushConsumer(opts...)
}

// NewPushConsumer is rocketmq.NewPushConsumer traced by t.
func (t *Tracing) NewPushConsumer(opts ...consumer.Option) (rocketmq.PushConsumer, error) {
	c, err := rocketmq.NewPushConsumer(opts...)
	if err != nil {
		return nil, err
	}
	return t.WrapPushConsumer(c), nil
}

// WrapPushConsumer traces the callbacks that are subscribed through the
// returned consumer; the other methods pass through.
func WrapPushConsumer(c rocketmq.PushConsumer, opts ...Option) rocketmq.PushConsumer {
	return New(opts...).WrapPushConsumer(c)
}

// WrapPushConsumer is the package-level WrapPushConsumer with t's options.
func (t *Tracing) WrapPushConsumer(c rocketmq.PushConsumer) rocketmq.PushConsumer {
	if c == nil {
		return nil
	}
	if _, traced := c.(*tracedPushConsumer); traced {
		return c
	}
	return &tracedPushConsumer{PushConsumer: c, t: t}
}

type tracedPushConsumer struct {
	rocketmq.PushConsumer
	t *Tracing
}

// Unwrap returns the client this consumer wraps.
func (c *tracedPushConsumer) Unwrap() rocketmq.PushConsumer { return c.PushConsumer }

func (c *tracedPushConsumer) Subscribe(topic string, selector consumer.MessageSelector, f ConsumeFunc) error {
	if f == nil {
		return c.PushConsumer.Subscribe(topic, selector, f)
	}
	return c.PushConsumer.Subscribe(topic, selector, func(ctx context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		return c.t.runConsume(ctx, msgs, f)
	})
}

// consume runs f for msgs inside a consume span.
func (t *Tracing) runConsume(ctx context.Context, msgs []*primitive.MessageExt, f ConsumeFunc) (result consumer.ConsumeResult, err error) {
	cs, ctx := t.startConsume(ctx, msgs)
	if cs == nil {
		return f(ctx, msgs...)
	}
	defer cs.finishOnPanic()
	result, err = f(ctx, msgs...)
	cs.finish(result, err)
	return result, err
}

// StartConsumeSpan starts the consume span of messages a pull consumer (or
// any other code) received: ChildOf the producer's context for one message;
// for a batch, ChildOf the first message's context and FollowsFrom every
// other message's. It returns ctx carrying
// the span and a func that records the outcome and finishes the span(s); the
// func is never nil and is safe to call once.
func StartConsumeSpan(ctx context.Context, msgs ...*primitive.MessageExt) (context.Context, func(consumer.ConsumeResult, error)) {
	return std.StartConsumeSpan(ctx, msgs...)
}

// StartConsumeSpan is the package-level StartConsumeSpan with t's options.
func (t *Tracing) StartConsumeSpan(ctx context.Context, msgs ...*primitive.MessageExt) (context.Context, func(consumer.ConsumeResult, error)) {
	cs, ctx := t.startConsume(ctx, msgs)
	if cs == nil {
		return ctx, func(consumer.ConsumeResult, error) {}
	}
	return ctx, cs.finish
}

// consumeSpans is one traced consumption: the span in the callback's ctx and,
// with WithMessageSpans, one span per message of a batch.
type consumeSpans struct {
	t        *Tracing
	span     opentracing.Span
	call     *Call
	perMsg   []opentracing.Span
	perCalls []*Call
	done     bool
}

func (t *Tracing) startConsume(ctx context.Context, msgs []*primitive.MessageExt) (*consumeSpans, context.Context) {
	if len(msgs) == 0 || off(t.consume) {
		return nil, ctx
	}
	for _, m := range msgs {
		if m == nil {
			return nil, ctx
		}
	}
	c := newCall(OpConsume, msgs[0].Topic)
	c.Received = msgs
	if mc, ok := primitive.GetConsumerCtx(ctx); ok && mc != nil {
		c.ConsumerGroup = mc.ConsumerGroup
	}
	name := t.names.get(OpConsume, c.Topic)
	now := time.Now()

	cs := &consumeSpans{t: t, call: c}
	if len(msgs) == 1 {
		cs.span = t.consume.StartRemote(c, opentracing.TextMap, (*propertyReader)(&msgs[0].Message), name)
		if cs.span == nil {
			return nil, ctx
		}
		if isSampled(cs.span) {
			t.tagConsume(cs.span, c)
			t.tagReceived(cs.span, msgs[0], now, t.consume.MaxStatementSize)
		}
		return cs, opentracing.ContextWithSpan(ctx, cs.span)
	}

	// A batch has many parents: the span is ChildOf the first message that
	// carries a context and FollowsFrom every other one. Every backend then
	// puts it in the first message's trace (jaeger would take the last
	// FollowsFrom as the parent, the OpenTelemetry bridge none: a new root)
	// and keeps the others as references (the bridge: links).
	parents := make([]opentracing.SpanContext, len(msgs))
	refs := make([]opentracing.SpanReference, 0, len(msgs)-1)
	var first opentracing.SpanContext
	var invalid int
	var firstErr error
	tr := t.consume.Tracer()
	for i, m := range msgs {
		sc, err := core.Extract(tr, opentracing.TextMap, (*propertyReader)(&m.Message))
		if err != nil {
			invalid++
			if firstErr == nil {
				firstErr = err
			}
		}
		if sc != nil {
			parents[i] = sc
			if first == nil {
				first = sc
			} else {
				refs = append(refs, opentracing.FollowsFrom(sc))
			}
		}
	}
	cs.span = t.consume.Start(c, first, name, time.Time{}, refs...)
	if cs.span == nil {
		return nil, ctx
	}
	if invalid > 0 {
		core.LogExtractProblem(cs.span, fmt.Errorf("%d of %d messages carry an invalid trace context, first: %w", invalid, len(msgs), firstErr))
	}
	if isSampled(cs.span) {
		t.tagConsume(cs.span, c)
		v := core.VocabOf(cs.span)
		v.Set(cs.span, core.KeyMessagingBatchSize, len(msgs))
		oldest := msgs[0]
		for _, m := range msgs[1:] {
			if m.StoreTimestamp > 0 && m.StoreTimestamp < oldest.StoreTimestamp {
				oldest = m
			}
		}
		if oldest.Queue != nil {
			v.Set(cs.span, core.KeyMessagingPartition, oldest.Queue.QueueId)
		}
		if oldest.StoreTimestamp > 0 {
			cs.span.SetTag(TagStoreLatency, now.Sub(time.UnixMilli(oldest.StoreTimestamp)).Milliseconds())
		}
	}
	if t.messageSpans {
		batch := opentracing.FollowsFrom(cs.span.Context())
		for i, m := range msgs {
			mc := &Call{Operation: OpConsume, Topic: c.Topic, Namespace: c.Namespace, Received: msgs[i : i+1], ConsumerGroup: c.ConsumerGroup}
			s := t.consume.Start(mc, parents[i], name, time.Time{}, batch)
			if s == nil {
				continue
			}
			if isSampled(s) {
				t.tagConsume(s, mc)
				t.tagReceived(s, m, now, t.consume.MaxStatementSize)
			}
			cs.perMsg = append(cs.perMsg, s)
			cs.perCalls = append(cs.perCalls, mc)
		}
	}
	return cs, opentracing.ContextWithSpan(ctx, cs.span)
}

func (t *Tracing) tagConsume(span opentracing.Span, c *Call) {
	setDestination(span, c)
	if c.ConsumerGroup != "" {
		core.VocabOf(span).Set(span, core.KeyMessagingConsumerGroup, c.ConsumerGroup)
	}
}

func (cs *consumeSpans) finish(result consumer.ConsumeResult, err error) {
	if cs.done {
		return
	}
	cs.done = true
	ferr := consumeError(result, err)
	for i, s := range cs.perMsg {
		cs.perCalls[i].ConsumeResult = result
		cs.t.finishConsumeSpan(s, cs.perCalls[i], result, ferr)
	}
	cs.call.ConsumeResult = result
	cs.t.finishConsumeSpan(cs.span, cs.call, result, ferr)
}

// finishOnPanic finishes the spans of a callback that panicked with
// ConsumePanicked, then lets the panic go on. Client v2.1.2 recovers a
// concurrent consumer's panic and logs it, but neither acknowledges the
// messages nor sends them back for a retry: they stay in its process queue,
// holding back the queue's committed offset, until its expired-message
// cleaner sends them back after ConsumeTimeout (15 min by default) or a
// rebalance or restart delivers them again. An orderly consumer's panic is
// recovered only when primitive.PanicHandler is set.
func (cs *consumeSpans) finishOnPanic() {
	if cs.done {
		return
	}
	if r := recover(); r != nil {
		cs.finish(ConsumePanicked, fmt.Errorf("consume callback panicked: %v", r))
		panic(r)
	}
}

func (t *Tracing) finishConsumeSpan(span opentracing.Span, c *Call, result consumer.ConsumeResult, err error) {
	if isSampled(span) {
		span.SetTag(TagConsumeResult, consumeResult(result))
	}
	t.consume.Finish(span, c, err, time.Time{})
}
