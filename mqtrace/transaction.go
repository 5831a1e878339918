package mqtrace

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/opentracing/opentracing-go"

	"github.com/tracewrap/tracewrap/internal/core"
)

// TransactionListener is primitive.TransactionListener with a ctx. The ctx of
// ExecuteLocalTransaction is the one given to SendMessageInTransaction, with
// the "local-transaction <topic>" span in it, so the work done with it (SQL,
// HTTP, ...) joins the trace. The ctx of CheckLocalTransaction carries a
// "check-transaction <topic>" span, ChildOf the context the message was
// produced in, wherever and whenever the broker's check arrives.
type TransactionListener interface {
	ExecuteLocalTransaction(ctx context.Context, msg *primitive.Message) primitive.LocalTransactionState
	CheckLocalTransaction(ctx context.Context, msg *primitive.MessageExt) primitive.LocalTransactionState
}

// NewTransactionProducer is rocketmq.NewTransactionProducer with a
// ctx-aware listener and traced transactions (default options, global
// tracer). Use New(opts...).NewTransactionProducer for options.
func NewTransactionProducer(l TransactionListener, opts ...producer.Option) (rocketmq.TransactionProducer, error) {
	return std.NewTransactionProducer(l, opts...)
}

// NewTransactionProducer is the package-level NewTransactionProducer traced
// by t. SendMessageInTransaction becomes a "transaction <topic>" span with
// two children: the half-message "send <topic>" (whose context the message
// carries) and "local-transaction <topic>".
func (t *Tracing) NewTransactionProducer(l TransactionListener, opts ...producer.Option) (rocketmq.TransactionProducer, error) {
	if l == nil {
		return nil, fmt.Errorf("mqtrace: nil TransactionListener")
	}
	tp := &txProducer{t: t, l: l}
	// The half message is sent with SendSync inside the client, where only an
	// interceptor can reach it; SendSync is the one path interceptors handle
	// correctly in v2.1.2.
	all := make([]producer.Option, 0, len(opts)+1)
	all = append(all, opts...)
	all = append(all, producer.WithInterceptor(t.ProducerInterceptor()))
	inner, err := rocketmq.NewTransactionProducer(listenerAdapter{tp}, all...)
	if err != nil {
		return nil, err
	}
	tp.inner = inner
	return tp, nil
}

type txProducer struct {
	t     *Tracing
	l     TransactionListener
	inner rocketmq.TransactionProducer
	// pending hands each SendMessageInTransaction's ctx to the listener,
	// which the client calls with the same *Message on the same goroutine.
	// Entries live only for the duration of the call.
	pending sync.Map // *primitive.Message -> context.Context
}

func (p *txProducer) Start() error    { return p.inner.Start() }
func (p *txProducer) Shutdown() error { return p.inner.Shutdown() }

// Unwrap returns the client this producer wraps.
func (p *txProducer) Unwrap() rocketmq.TransactionProducer { return p.inner }

func (p *txProducer) SendMessageInTransaction(ctx context.Context, msg *primitive.Message) (*primitive.TransactionSendResult, error) {
	if msg == nil {
		return p.inner.SendMessageInTransaction(ctx, msg)
	}
	var span opentracing.Span
	var c *Call
	if !off(p.t.callback) {
		c = newCall(OpTransaction, msg.Topic)
		c.Messages = []*primitive.Message{msg}
		span, ctx = p.t.callback.StartFromContext(ctx, c, p.t.names.get(OpTransaction, c.Topic), time.Time{})
		if isSampled(span) {
			setDestination(span, c)
			tagTagsAndKeys(span, msg)
		}
	}
	p.pending.Store(msg, ctx)
	defer p.pending.Delete(msg)
	finished := false
	if span != nil {
		// A listener that panics unwinds through here; the span still ends,
		// or the local-transaction and half-send spans are orphans.
		defer func() {
			if finished {
				return
			}
			var err error
			r := recover()
			if r != nil {
				err = fmt.Errorf("transaction panicked: %v", r)
			}
			p.t.callback.Finish(span, c, err, time.Time{})
			if r != nil {
				panic(r)
			}
		}()
	}
	res, err := p.inner.SendMessageInTransaction(ctx, msg)
	finished = true
	if span != nil {
		c.learnNamespace(span, msg.Topic)
		if res != nil {
			c.State = res.State
			if isSampled(span) {
				span.SetTag(TagTxState, txState(res.State))
				tagSendResult(span, res.SendResult)
				// The id the listener and the broker's checks see: the
				// client sets it from the message's unique id.
				if msg.TransactionId != "" {
					span.SetTag(TagTxID, msg.TransactionId)
				}
			}
		}
		p.t.callback.Finish(span, c, err, time.Time{})
	}
	return res, err
}

// listenerAdapter is the primitive.TransactionListener the client calls.
type listenerAdapter struct{ p *txProducer }

func (a listenerAdapter) ExecuteLocalTransaction(msg *primitive.Message) primitive.LocalTransactionState {
	t := a.p.t
	ctx := context.Background()
	var parent opentracing.SpanContext
	if v, ok := a.p.pending.Load(msg); ok {
		ctx = v.(context.Context)
		if s := core.SpanFromContext(ctx); s != nil {
			parent = s.Context()
		}
	} else if !off(t.callback) {
		// Not sent through this wrapper: the half message's own context.
		parent, _ = core.Extract(t.callback.Tracer(), opentracing.TextMap, (*propertyReader)(msg))
	}
	if off(t.callback) {
		return a.p.l.ExecuteLocalTransaction(ctx, msg)
	}
	c := newCall(OpLocalTransaction, msg.Topic)
	c.Messages = []*primitive.Message{msg}
	span := t.callback.Start(c, parent, t.names.get(OpLocalTransaction, c.Topic), time.Time{})
	if span == nil {
		return a.p.l.ExecuteLocalTransaction(ctx, msg)
	}
	if isSampled(span) {
		setDestination(span, c)
		tagTagsAndKeys(span, msg)
		if id := msg.GetProperty(primitive.PropertyUniqueClientMessageIdKeyIndex); id != "" {
			core.VocabOf(span).Set(span, core.KeyMessagingMessageID, id)
		}
		if msg.TransactionId != "" {
			span.SetTag(TagTxID, msg.TransactionId)
		}
	}
	ctx = opentracing.ContextWithSpan(ctx, span)
	return t.runCallback(t.callback, span, c, func() primitive.LocalTransactionState {
		return a.p.l.ExecuteLocalTransaction(ctx, msg)
	})
}

func (a listenerAdapter) CheckLocalTransaction(msg *primitive.MessageExt) primitive.LocalTransactionState {
	t := a.p.t
	ctx := context.Background()
	// The broker delivers the check to this process like a message: a
	// consumer span.
	cfg := t.consume
	if msg == nil || off(cfg) {
		return a.p.l.CheckLocalTransaction(ctx, msg)
	}
	c := newCall(OpCheckTransaction, msg.Topic)
	c.Received = []*primitive.MessageExt{msg}
	sc, xerr := core.Extract(cfg.Tracer(), opentracing.TextMap, (*propertyReader)(&msg.Message))
	var span opentracing.Span
	name := t.names.get(OpCheckTransaction, c.Topic)
	// ChildOf the half message's context (nil: a new root): the check
	// belongs to the producer's trace on every backend (the OpenTelemetry
	// bridge makes a FollowsFrom-only span a new root).
	span = cfg.Start(c, sc, name, time.Time{})
	if span == nil {
		return a.p.l.CheckLocalTransaction(ctx, msg)
	}
	core.LogExtractProblem(span, xerr)
	if isSampled(span) {
		setDestination(span, c)
		tagTagsAndKeys(span, &msg.Message)
		core.VocabOf(span).Set(span, core.KeyMessagingMessageID, msg.MsgId)
		if msg.TransactionId != "" {
			span.SetTag(TagTxID, msg.TransactionId)
		}
		if n, err := strconv.Atoi(msg.GetProperty(primitive.PropertyTranscationCheckTimes)); err == nil {
			span.SetTag(TagTxCheckTimes, n)
		}
	}
	ctx = opentracing.ContextWithSpan(ctx, span)
	return t.runCallback(cfg, span, c, func() primitive.LocalTransactionState {
		return a.p.l.CheckLocalTransaction(ctx, msg)
	})
}

// runCallback runs a listener method inside span and finishes it with the
// returned state; a listener that panics still gets its span finished.
func (t *Tracing) runCallback(cfg *core.Config[*Call], span opentracing.Span, c *Call, run func() primitive.LocalTransactionState) primitive.LocalTransactionState {
	finished := false
	defer func() {
		if finished {
			return
		}
		r := recover()
		if r == nil { // runtime.Goexit, not a panic
			cfg.Finish(span, c, nil, time.Time{})
			return
		}
		cfg.Finish(span, c, fmt.Errorf("transaction listener panicked: %v", r), time.Time{})
		panic(r)
	}()
	c.State = run()
	finished = true
	if isSampled(span) {
		span.SetTag(TagTxState, txState(c.State))
	}
	cfg.Finish(span, c, nil, time.Time{})
	return c.State
}
