package mqtrace

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/opentracing/opentracing-go"

	"github.com/tracewrap/tracewrap/internal/core"
)

// NewProducer is rocketmq.NewProducer with every send traced (default
// options, global tracer). Use New(opts...).NewProducer for options.
func NewProducer(opts ...producer.Option) (rocketmq.Producer, error) {
	return std.NewProducer(opts...)
}

// NewProducer is rocketmq.NewProducer with every send traced by t.
func (t *Tracing) NewProducer(opts ...producer.Option) (rocketmq.Producer, error) {
	p, err := rocketmq.NewProducer(opts...)
	if err != nil {
		return nil, err
	}
	return t.WrapProducer(p), nil
}

// WrapProducer traces the sends of an existing producer: each SendSync,
// SendAsync, SendOneWay, Request and RequestAsync becomes a "send <topic>"
// span, ChildOf the span in ctx, whose context is written into the properties
// of every message (batches included) before the client encodes them.
func WrapProducer(p rocketmq.Producer, opts ...Option) rocketmq.Producer {
	return New(opts...).WrapProducer(p)
}

// WrapProducer is the package-level WrapProducer with t's options. A nil p
// gives nil; a producer that is already traced is returned as it is.
func (t *Tracing) WrapProducer(p rocketmq.Producer) rocketmq.Producer {
	if p == nil {
		return nil
	}
	if _, traced := p.(interface{ traced() }); traced {
		return p
	}
	// RequestAsync's callback type lives in the client's internal package, so
	// it cannot be written here; the method expression hands it over as a
	// type parameter instead.
	return wrapProducer(t, p, rocketmq.Producer.RequestAsync)
}

// requestCallback is the shape of the client's request callback type.
type requestCallback interface {
	~func(ctx context.Context, msg *primitive.Message, err error)
}

func wrapProducer[CB requestCallback](t *Tracing, p rocketmq.Producer,
	requestAsync func(rocketmq.Producer, context.Context, time.Duration, CB, *primitive.Message) error) rocketmq.Producer {
	// The compiler checks the method set only once CB is known, hence the
	// assertion; CB is the client's own type, so it always holds.
	if tp, ok := any(&tracedProducer[CB]{p: p, t: t, requestAsync: requestAsync}).(rocketmq.Producer); ok {
		return tp
	}
	return p
}

type tracedProducer[CB requestCallback] struct {
	p            rocketmq.Producer
	t            *Tracing
	requestAsync func(rocketmq.Producer, context.Context, time.Duration, CB, *primitive.Message) error
}

func (p *tracedProducer[CB]) traced() {}

// Unwrap returns the client this producer wraps.
func (p *tracedProducer[CB]) Unwrap() rocketmq.Producer { return p.p }

func (p *tracedProducer[CB]) Start() error    { return p.p.Start() }
func (p *tracedProducer[CB]) Shutdown() error { return p.p.Shutdown() }

func (p *tracedProducer[CB]) SendSync(ctx context.Context, msgs ...*primitive.Message) (*primitive.SendResult, error) {
	span, ctx, c := p.t.startSend(ctx, MethodSync, msgs)
	res, err := p.p.SendSync(ctx, msgs...)
	p.t.finishSend(span, c, res, err)
	return res, err
}

func (p *tracedProducer[CB]) SendOneWay(ctx context.Context, msgs ...*primitive.Message) error {
	span, ctx, c := p.t.startSend(ctx, MethodOneWay, msgs)
	err := p.p.SendOneWay(ctx, msgs...)
	p.t.finishSend(span, c, nil, err)
	return err
}

// SendAsync's span ends when the client reports the outcome: in the callback
// (which v2.1.2 may call with a nil result, or twice on a network error), or
// on return when the send failed before it left. Whichever comes first
// finishes the span; the user's callback always runs as the client calls it.
func (p *tracedProducer[CB]) SendAsync(ctx context.Context, f func(context.Context, *primitive.SendResult, error), msgs ...*primitive.Message) error {
	span, ctx, c := p.t.startSend(ctx, MethodAsync, msgs)
	if span == nil {
		return p.p.SendAsync(ctx, f, msgs...)
	}
	done := &finishOnce{t: p.t, span: span, call: c}
	err := p.p.SendAsync(ctx, func(ctx context.Context, res *primitive.SendResult, err error) {
		done.finish(res, err)
		if f != nil {
			f(ctx, res, err)
		}
	}, msgs...)
	if err != nil {
		done.finish(nil, err)
	}
	return err
}

func (p *tracedProducer[CB]) Request(ctx context.Context, ttl time.Duration, msg *primitive.Message) (*primitive.Message, error) {
	span, ctx, c := p.t.startSend(ctx, MethodRequest, []*primitive.Message{msg})
	reply, err := p.p.Request(ctx, ttl, msg)
	p.t.finishSend(span, c, nil, err)
	return reply, err
}

func (p *tracedProducer[CB]) RequestAsync(ctx context.Context, ttl time.Duration, cb CB, msg *primitive.Message) error {
	span, ctx, c := p.t.startSend(ctx, MethodRequestAsync, []*primitive.Message{msg})
	if span == nil {
		return p.requestAsync(p.p, ctx, ttl, cb, msg)
	}
	done := &finishOnce{t: p.t, span: span, call: c}
	// When the send fails, v2.1.2 drops the request from its reply table,
	// which runs the callback with neither a reply nor an error before
	// RequestAsync returns the send's error: that error finishes the span.
	var returned atomic.Bool
	err := p.requestAsync(p.p, ctx, ttl, CB(func(ctx context.Context, reply *primitive.Message, err error) {
		switch {
		case reply != nil || err != nil:
			done.finish(nil, err)
		case returned.Load():
			done.finish(nil, errNoReply)
		}
		if cb != nil {
			cb(ctx, reply, err)
		}
	}), msg)
	returned.Store(true)
	if err != nil {
		done.finish(nil, err)
	}
	return err
}

// errNoReply is a request's outcome when the client reports neither a reply
// nor an error.
var errNoReply = errors.New("mqtrace: request ended without a reply")

// finishOnce finishes an asynchronous send's span exactly once.
type finishOnce struct {
	done atomic.Bool
	t    *Tracing
	span opentracing.Span
	call *Call
}

func (f *finishOnce) finish(res *primitive.SendResult, err error) {
	if f.done.CompareAndSwap(false, true) {
		f.t.finishSend(f.span, f.call, res, err)
	}
}

// startSend starts the span of one send and injects its context into every
// message. It returns a nil span (and makes no Call) when the send is not
// traced, including the sends the client will reject (no or nil messages).
func (t *Tracing) startSend(ctx context.Context, method string, msgs []*primitive.Message) (opentracing.Span, context.Context, *Call) {
	if len(msgs) == 0 || off(t.produce) {
		return nil, ctx, nil
	}
	for _, m := range msgs {
		if m == nil {
			return nil, ctx, nil
		}
	}
	c := newCall(OpSend, msgs[0].Topic)
	c.Method, c.Messages = method, msgs
	if ctx == nil {
		ctx = context.Background()
	}
	var parent opentracing.SpanContext
	var unsampled bool
	ps := core.SpanFromContext(ctx)
	switch {
	case ps == nil:
	case msgs[0].Batch:
		// Encoded by the client already (ProducerInterceptor): the context
		// goes into the body through a span (injectBatch).
		parent = ps.Context()
	default:
		parent, unsampled = t.produce.Parent(ps)
	}
	if unsampled {
		// The trace is not sampled, for good: no span, the caller's context
		// goes on in the messages as it is (same trace, decision, baggage).
		if t.produce.Traced(c) {
			injectContext(ps, parent, msgs)
		}
		return nil, ctx, nil
	}
	span := t.produce.Start(c, parent, t.names.get(OpSend, c.Topic), time.Time{})
	if span == nil {
		return nil, ctx, nil
	}
	ctx = opentracing.ContextWithSpan(ctx, span)
	sc, sampled := core.SampledContext(span) // once: some tracers box a copy per call
	if sampled {
		t.tagSend(span, c)
	}
	injectContext(span, sc, msgs)
	return span, ctx, c
}

// tagSend sets the start tags of a sampled send.
func (t *Tracing) tagSend(span opentracing.Span, c *Call) {
	setDestination(span, c)
	span.SetTag(TagMethod, c.Method)
	if len(c.Messages) == 1 {
		t.tagMessage(span, c.Messages[0], t.produce.MaxStatementSize)
	} else {
		core.VocabOf(span).Set(span, core.KeyMessagingBatchSize, len(c.Messages))
	}
	if c.Messages[0].GetProperty(primitive.PropertyTransactionPrepared) == "true" {
		span.SetTag(TagTxHalf, true)
	}
}

func (t *Tracing) finishSend(span opentracing.Span, c *Call, res *primitive.SendResult, err error) {
	if span == nil {
		return
	}
	c.learnNamespace(span, c.Messages[0].Topic)
	if err == nil && res != nil {
		c.Result = res
		if isSampled(span) {
			tagSendResult(span, res)
		}
	}
	t.produce.Finish(span, c, err, time.Time{})
}
