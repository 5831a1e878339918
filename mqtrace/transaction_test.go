package mqtrace

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"github.com/opentracing/opentracing-go/mocktracer"
	"github.com/uber/jaeger-client-go"

	"github.com/tracewrap/tracewrap/internal/tracetest"
)

// listener decides by message key and records a child span of the ctx it
// gets, as the user's SQL would.
type listener struct {
	tr      opentracing.Tracer
	execute map[string]primitive.LocalTransactionState
	check   primitive.LocalTransactionState

	mu     sync.Mutex
	checks []*primitive.MessageExt
}

func (l *listener) ExecuteLocalTransaction(ctx context.Context, msg *primitive.Message) primitive.LocalTransactionState {
	sql, _ := opentracing.StartSpanFromContextWithTracer(ctx, l.tr, "sql.exec")
	sql.Finish()
	return l.execute[msg.GetKeys()]
}

func (l *listener) CheckLocalTransaction(ctx context.Context, msg *primitive.MessageExt) primitive.LocalTransactionState {
	sql, _ := opentracing.StartSpanFromContextWithTracer(ctx, l.tr, "sql.query")
	sql.Finish()
	l.mu.Lock()
	l.checks = append(l.checks, msg)
	l.mu.Unlock()
	return l.check
}

func startTxProducer(t testing.TB, trc *Tracing, l TransactionListener, group string) rocketmq.TransactionProducer {
	t.Helper()
	p, err := trc.NewTransactionProducer(l,
		producer.WithNameServer(nameServer(t)),
		producer.WithGroupName(group),
		// Its own client instance: v2.1.2 hands broker checks to the first
		// producer that created the process's shared client.
		producer.WithInstanceName(uniq(t, "txi")),
		producer.WithRetry(2))
	return tracetest.Started(t, p, err)
}

func byID(spans []*mocktracer.MockSpan) map[int]*mocktracer.MockSpan {
	m := map[int]*mocktracer.MockSpan{}
	for _, s := range spans {
		m[s.SpanContext.SpanID] = s
	}
	return m
}

func TestTransactionCommitAndRollback(t *testing.T) {
	trc, tr := mockTracing()
	topic := uniq(t, "t")
	l := &listener{tr: tr, execute: map[string]primitive.LocalTransactionState{
		"commit": primitive.CommitMessageState, "rollback": primitive.RollbackMessageState,
	}}
	p := startTxProducer(t, trc, l, uniq(t, "txg"))
	ctx, root := parentCtx(tr)
	for _, key := range []string{"rollback", "commit"} {
		res, err := p.SendMessageInTransaction(ctx, primitive.NewMessage(topic, []byte(key)).WithKeys([]string{key}))
		if err != nil || res.State != l.execute[key] {
			t.Fatalf("%s: %v %v", key, res, err)
		}
	}
	root.Finish()

	var got received
	startConsumer(t, trc, topic, got.consume)
	cons := waitSpans(t, tr, "consume "+topic, 1)
	time.Sleep(500 * time.Millisecond) // a rolled-back message would show up next to the committed one
	if got.count() != 1 || got.msgs[0].GetKeys() != "commit" {
		t.Fatalf("consumed %d messages, first %q", got.count(), got.msgs[0].GetKeys())
	}

	txs := finished(tr, "transaction "+topic)
	sends := byID(finished(tr, "send "+topic))
	locals := byID(finished(tr, "local-transaction "+topic))
	sqls := finished(tr, "sql.exec")
	if len(txs) != 2 || len(sends) != 2 || len(locals) != 2 || len(sqls) != 2 {
		t.Fatalf("spans: %d transaction, %d send, %d local, %d sql", len(txs), len(sends), len(locals), len(sqls))
	}
	rootID := root.(*mocktracer.MockSpan).SpanContext.SpanID
	for _, tx := range txs {
		if tx.ParentID != rootID || tx.Tag(TagTxState) == nil {
			t.Fatalf("transaction span %v", tx.Tags())
		}
	}
	for _, s := range sends {
		if s.Tag(TagTxHalf) != true || s.Tag(TagMessageID) == nil || s.Tag("span.kind") != ext.SpanKindProducerEnum {
			t.Fatalf("half send tags %v", s.Tags())
		}
	}
	states := map[string]bool{}
	for _, tx := range txs {
		states[tx.Tag(TagTxState).(string)] = true
		var half, local *mocktracer.MockSpan
		for _, s := range sends {
			if s.ParentID == tx.SpanContext.SpanID {
				half = s
			}
		}
		for _, s := range locals {
			if s.ParentID == tx.SpanContext.SpanID {
				local = s
			}
		}
		if half == nil || local == nil || local.Tag(TagTxState) != tx.Tag(TagTxState) {
			t.Fatalf("transaction %v lacks its half send or local span", tx.Tags())
		}
	}
	if !states["COMMIT"] || !states["ROLLBACK"] {
		t.Fatalf("states %v", states)
	}
	for _, sql := range sqls {
		if locals[sql.ParentID] == nil {
			t.Fatal("the listener's work is not a child of the local-transaction span")
		}
	}
	half := sends[cons[0].ParentID]
	if half == nil {
		t.Fatal("consumer is not a child of the half-message send")
	}
	assertConsumedFrom(t, cons[0], half)
}

func TestTransactionUnknownThenCheck(t *testing.T) {
	trc, tr := mockTracing()
	topic := uniq(t, "t")
	l := &listener{tr: tr, execute: map[string]primitive.LocalTransactionState{"later": primitive.UnknowState},
		check: primitive.CommitMessageState}
	// Send right after Start: the client's first heartbeat (1 s after Start)
	// must know the broker, or the broker has nobody to ask for 30 s.
	p := startTxProducer(t, trc, l, uniq(t, "txg"))
	ctx, root := parentCtx(tr)
	res, err := p.SendMessageInTransaction(ctx, primitive.NewMessage(topic, []byte("later")).WithKeys([]string{"later"}))
	if err != nil || res.State != primitive.UnknowState {
		t.Fatalf("%v %v", res, err)
	}
	root.Finish()

	checks := waitSpans(t, tr, "check-transaction "+topic, 1)
	half := finished(tr, "send "+topic)[0]
	c := checks[0]
	if c.SpanContext.TraceID != half.SpanContext.TraceID || c.ParentID != half.SpanContext.SpanID {
		t.Fatal("check span is not a child of the half-message send")
	}
	if c.Tag(TagTxState) != "COMMIT" || c.Tag(TagTxCheckTimes) == nil || c.Tag(TagMessageID) == nil {
		t.Fatalf("check tags %v", c.Tags())
	}
	if c.BaggageItem("tenant") != "acme" {
		t.Fatal("baggage lost in the check")
	}
	if sql := finished(tr, "sql.query"); len(sql) == 0 || sql[0].ParentID != c.SpanContext.SpanID {
		t.Fatal("the check's work is not a child of the check span")
	}
	var got received
	startConsumer(t, trc, topic, got.consume)
	cons := waitSpans(t, tr, "consume "+topic, 1)
	assertConsumedFrom(t, cons[0], half)
}

// The broker's check reaches a new producer of the same group after the one
// that sent the half message is gone, as after a restart: the check still
// joins the original trace. Each producer has its own tracer, like two
// processes.
func TestTransactionCheckOnFreshProducerAfterRestart(t *testing.T) {
	tr1, rep1 := tracetest.Jaeger(t, "before-restart", true)
	tr2, rep2 := tracetest.Jaeger(t, "after-restart", true)
	topic := uniq(t, "t")
	group := uniq(t, "txg")

	first := &listener{tr: tr1, execute: map[string]primitive.LocalTransactionState{"orphan": primitive.UnknowState},
		check: primitive.UnknowState}
	p1 := startTxProducer(t, New(WithTracer(tr1)), first, group)
	root := tr1.StartSpan("checkout")
	root.SetBaggageItem("tenant", "acme")
	if _, err := p1.SendMessageInTransaction(opentracing.ContextWithSpan(context.Background(), root),
		primitive.NewMessage(topic, []byte("orphan")).WithKeys([]string{"orphan"})); err != nil {
		t.Fatal(err)
	}
	root.Finish()
	if err := p1.Shutdown(); err != nil {
		t.Fatal(err)
	}
	half := jaegerSpans(rep1, "send "+topic)[0]

	second := &listener{tr: tr2, execute: map[string]primitive.LocalTransactionState{"warm-up": primitive.CommitMessageState},
		check: primitive.CommitMessageState}
	trc2 := New(WithTracer(tr2))
	p2 := startTxProducer(t, trc2, second, group)
	// A restarted service sends again; that also teaches the new client the
	// broker's address before its first heartbeat.
	if _, err := p2.SendMessageInTransaction(context.Background(),
		primitive.NewMessage(topic, []byte("warm-up")).WithKeys([]string{"warm-up"})); err != nil {
		t.Fatal(err)
	}
	checks := waitJaeger(t, rep2, "check-transaction "+topic, 1)
	c := checks[0]
	if c.SpanContext().TraceID() != root.Context().(jaeger.SpanContext).TraceID() {
		t.Fatal("check on the fresh producer is not in the original trace")
	}
	refs := c.References()
	if len(refs) != 1 || refs[0].Type != opentracing.ChildOfRef ||
		refs[0].ReferencedContext.(jaeger.SpanContext).SpanID() != half.SpanContext().SpanID() {
		t.Fatalf("check references %v, want ChildOf the half send", refs)
	}
	if c.Tags()[TagTxState] != "COMMIT" || c.Tags()[TagTxCheckTimes] == nil || c.BaggageItem("tenant") != "acme" {
		t.Fatalf("check tags %v", c.Tags())
	}
	second.mu.Lock()
	if len(second.checks) == 0 || second.checks[0].GetKeys() != "orphan" {
		t.Fatal("the check was not for the orphaned message")
	}
	second.mu.Unlock()

	var got received
	startConsumer(t, trc2, topic, got.consume)
	waitFor(t, 30*time.Second, "both messages", func() bool { return got.count() >= 2 })
	for _, s := range waitJaeger(t, rep2, "consume "+topic, 2) {
		if s.Tags()[TagKeys] == "orphan" && (s.SpanContext().ParentID() != half.SpanContext().SpanID() ||
			s.SpanContext().TraceID() != half.SpanContext().TraceID()) {
			t.Fatal("the committed orphan is not consumed as a child of its half send")
		}
	}
}

// panickyListener panics in ExecuteLocalTransaction, as a bug in the user's
// local transaction would.
type panickyListener struct{}

func (panickyListener) ExecuteLocalTransaction(context.Context, *primitive.Message) primitive.LocalTransactionState {
	panic("local transaction bug")
}

func (panickyListener) CheckLocalTransaction(context.Context, *primitive.MessageExt) primitive.LocalTransactionState {
	return primitive.RollbackMessageState
}

// A listener that panics unwinds through SendMessageInTransaction; a caller
// that recovers (an HTTP server does) must still get the "transaction" span
// finished, or its children are orphans in the trace.
func TestTransactionSpanFinishedWhenListenerPanics(t *testing.T) {
	trc, tr := mockTracing()
	topic := uniq(t, "t")
	p := startTxProducer(t, trc, panickyListener{}, uniq(t, "txg"))
	ctx, root := parentCtx(tr)
	func() {
		defer func() {
			if r := recover(); r == nil {
				t.Fatal("the listener's panic did not reach the caller")
			}
		}()
		_, _ = p.SendMessageInTransaction(ctx, primitive.NewMessage(topic, []byte("x")))
	}()
	root.Finish()
	locals := finished(tr, "local-transaction "+topic)
	txs := finished(tr, "transaction "+topic)
	if len(locals) != 1 || len(txs) != 1 {
		t.Fatalf("%d local-transaction, %d transaction spans finished, want 1 and 1", len(locals), len(txs))
	}
	if txs[0].Tag("error") != true || txs[0].ParentID != root.(*mocktracer.MockSpan).SpanContext.SpanID {
		t.Fatalf("transaction span: %v", txs[0].Tags())
	}
}

// With a client namespace the client sends to "<namespace>%<topic>" and
// rewrites the message's topic in place, before the half send and the local
// transaction run; the broker's check and the consumer see it too. Every span
// is still named for, and tags as its destination, the topic the user
// passed; the namespace gets its own tag.
func TestNamespacedSpansUseThePlainTopic(t *testing.T) {
	trc, tr := mockTracing()
	topic := uniq(t, "t")
	const ns = "twns"
	l := &listener{tr: tr, execute: map[string]primitive.LocalTransactionState{"later": primitive.UnknowState},
		check: primitive.CommitMessageState}
	tp, err := trc.NewTransactionProducer(l,
		producer.WithNameServer(nameServer(t)),
		producer.WithGroupName(uniq(t, "txg")),
		producer.WithInstanceName(uniq(t, "txi")),
		producer.WithNamespace(ns),
		producer.WithRetry(2))
	tp = tracetest.Started(t, tp, err)
	p := startProducer(t, trc, producer.WithNamespace(ns))
	ctx, root := parentCtx(tr)
	if _, err := tp.SendMessageInTransaction(ctx, primitive.NewMessage(topic, []byte("later")).WithKeys([]string{"later"})); err != nil {
		t.Fatal(err)
	}
	if _, err := p.SendSync(ctx, primitive.NewMessage(topic, []byte("plain"))); err != nil {
		t.Fatal(err)
	}
	root.Finish()
	waitSpans(t, tr, "check-transaction "+topic, 1)
	var got received
	startConsumer(t, trc, topic, got.consume, consumer.WithNamespace(ns))
	waitSpans(t, tr, "consume "+topic, 2)

	counts := map[string]int{}
	for _, s := range tr.FinishedSpans() {
		if s.OperationName == "handler" || strings.HasPrefix(s.OperationName, "sql.") {
			continue
		}
		counts[s.OperationName]++
		if d := s.Tag("message_bus.destination"); d != topic || s.Tag(TagNamespace) != ns {
			t.Errorf("%s: destination %v, namespace %v", s.OperationName, d, s.Tag(TagNamespace))
		}
	}
	for _, op := range []string{OpTransaction, OpSend, OpLocalTransaction, OpCheckTransaction, OpConsume} {
		if counts[op+" "+topic] == 0 {
			t.Errorf("no %q span; spans: %v", op+" "+topic, counts)
		}
	}
}

// The transaction spans carry the tags of design.md §3 like send and consume
// spans do (destination, message id, tags, keys, state), the same message id
// and transaction id throughout, and a deliberate span.kind: none for the
// producer's internal steps (the half send is its producer span), consumer
// for the broker's check, which reaches the producer like a delivery.
func TestTransactionSpansTagsAndKinds(t *testing.T) {
	trc, tr := mockTracing()
	topic := uniq(t, "t")
	l := &listener{tr: tr, execute: map[string]primitive.LocalTransactionState{"k1 k2": primitive.UnknowState},
		check: primitive.CommitMessageState}
	p := startTxProducer(t, trc, l, uniq(t, "txg"))
	ctx, root := parentCtx(tr)
	msg := primitive.NewMessage(topic, []byte("x")).WithTag("created").WithKeys([]string{"k1", "k2"})
	if _, err := p.SendMessageInTransaction(ctx, msg); err != nil {
		t.Fatal(err)
	}
	root.Finish()
	check := waitSpans(t, tr, "check-transaction "+topic, 1)[0]
	half := finished(tr, "send "+topic)[0]
	tx := finished(tr, "transaction "+topic)[0]
	local := finished(tr, "local-transaction "+topic)[0]

	wantKind := map[*mocktracer.MockSpan]any{tx: nil, local: nil, check: ext.SpanKindConsumerEnum}
	for _, s := range []*mocktracer.MockSpan{tx, local, check} {
		if k := s.Tag("span.kind"); k != wantKind[s] {
			t.Errorf("%s: span.kind %v, want %v", s.OperationName, k, wantKind[s])
		}
		for _, tag := range []string{"message_bus.destination", TagTags, TagKeys, TagMessageID, TagTxID, TagTxState} {
			if s.Tag(tag) == nil {
				t.Errorf("%s: no %s in %v", s.OperationName, tag, s.Tags())
			}
		}
		if s.Tag(TagTags) != "created" || s.Tag(TagKeys) != "k1 k2" {
			t.Errorf("%s: tags %v, keys %v", s.OperationName, s.Tag(TagTags), s.Tag(TagKeys))
		}
		if s.Tag(TagMessageID) != half.Tag(TagMessageID) {
			t.Errorf("%s: message id %v, the half send's %v", s.OperationName, s.Tag(TagMessageID), half.Tag(TagMessageID))
		}
		if s.Tag(TagTxID) != tx.Tag(TagTxID) {
			t.Errorf("%s: transaction id %v, the transaction's %v", s.OperationName, s.Tag(TagTxID), tx.Tag(TagTxID))
		}
	}
	if tx.Tag(TagTxState) != "UNKNOWN" || local.Tag(TagTxState) != "UNKNOWN" || check.Tag(TagTxState) != "COMMIT" {
		t.Errorf("states: %v %v %v", tx.Tag(TagTxState), local.Tag(TagTxState), check.Tag(TagTxState))
	}
}
