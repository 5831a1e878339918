package redistrace_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-redis/redis/v8"
	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"github.com/opentracing/opentracing-go/mocktracer"
	"github.com/uber/jaeger-client-go"

	"github.com/tracewrap/tracewrap/internal/testenv"
	"github.com/tracewrap/tracewrap/internal/tracetest"
	"github.com/tracewrap/tracewrap/redistrace"
)

// newClient returns a traced client of the shared Redis and its tracer.
func newClient(t *testing.T, opts ...redistrace.Option) (*redis.Client, *mocktracer.MockTracer) {
	t.Helper()
	tr := mocktracer.New()
	c := redistrace.NewClient(&redis.Options{Addr: testenv.RedisAddr(t)},
		append([]redistrace.Option{redistrace.WithTracer(tr)}, opts...)...)
	t.Cleanup(func() { c.Close() })
	return c, tr
}

func TestCommandsAreChildSpans(t *testing.T) {
	c, tr := newClient(t)
	ctx, parent := withParent(tr)
	k := uniqueKey(t, "k")
	if err := c.Set(ctx, k, "hello world", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if v, err := c.Get(ctx, k).Result(); err != nil || v != "hello world" {
		t.Fatalf("get: %q %v", v, err)
	}
	if err := c.Del(ctx, k).Err(); err != nil {
		t.Fatal(err)
	}
	parent.Finish()

	spans := redisSpans(tr)
	want := []string{"set", "get", "del"}
	if len(spans) != len(want) {
		t.Fatalf("%d spans, want %d", len(spans), len(want))
	}
	pid := parent.(*mocktracer.MockSpan).SpanContext.SpanID
	for i, s := range spans {
		if s.OperationName != want[i] || s.ParentID != pid {
			t.Errorf("span %d: %s parent %d", i, s.OperationName, s.ParentID)
		}
		for tag, v := range map[string]any{
			"component": "go-redis", "span.kind": ext.SpanKindRPCClientEnum, "db.type": "redis", "db.instance": "0",
			"peer.address": testenv.RedisAddr(t), "peer.ipv4": "127.0.0.1",
		} {
			if got := s.Tag(tag); got != v {
				t.Errorf("%s: %s = %v, want %v", s.OperationName, tag, got, v)
			}
		}
		if s.Tag("error") != nil {
			t.Errorf("%s tagged as error", s.OperationName)
		}
	}
	if got := spans[0].Tag("db.statement"); got != `set `+k+` "hello world" ex 60` {
		t.Errorf("statement %v", got)
	}
	if got := spans[1].Tag("db.statement"); got != "get "+k {
		t.Errorf("statement %v", got)
	}
}

func TestNilIsNotAnError(t *testing.T) {
	c, tr := newClient(t)
	ctx, _ := withParent(tr)
	if err := c.Get(ctx, uniqueKey(t, "missing")).Err(); !errors.Is(err, redis.Nil) {
		t.Fatalf("err %v", err)
	}
	s := redisSpans(tr)[0]
	if s.Tag("error") != nil || tracetest.ErrorLog(s) != nil {
		t.Fatalf("redis.Nil marked as error: %v", s.Tags())
	}
}

func TestFailedCommandIsTagged(t *testing.T) {
	c, tr := newClient(t)
	ctx, _ := withParent(tr)
	k := uniqueKey(t, "str")
	c.Set(ctx, k, "not a number", time.Minute)
	err := c.Incr(ctx, k).Err()
	if err == nil {
		t.Fatal("incr of a string succeeded")
	}
	s := redisSpans(tr)[1]
	f := tracetest.ErrorLog(s)
	if s.Tag("error") != true || f == nil || f["error.kind"] != "proto.RedisError" || f["message"] != err.Error() {
		t.Fatalf("error not recorded: %v %v", s.Tags(), f)
	}
}

func TestPipelines(t *testing.T) {
	c, tr := newClient(t)
	ctx, parent := withParent(tr)
	str, missing, n := uniqueKey(t, "str"), uniqueKey(t, "missing"), uniqueKey(t, "n")
	defer c.Del(context.Background(), str, n)

	cmds, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, str, "x", time.Minute)
		p.Incr(ctx, str) // fails: not an integer
		p.Get(ctx, missing)
		p.Set(ctx, n, 1, time.Minute)
		return nil
	})
	if err == nil || len(cmds) != 4 {
		t.Fatalf("pipeline: %d cmds, err %v", len(cmds), err)
	}
	// Only Nil: not an error.
	if _, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.Get(ctx, missing)
		p.Incr(ctx, n)
		return nil
	}); !errors.Is(err, redis.Nil) {
		t.Fatalf("nil pipeline: %v", err)
	}
	// A transaction with one failing command.
	if _, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Incr(ctx, n)
		p.Incr(ctx, str)
		return nil
	}); err == nil {
		t.Fatal("tx with a failing command succeeded")
	}
	parent.Finish()

	spans := redisSpans(tr)
	if len(spans) != 3 {
		t.Fatalf("%d spans, want one per pipeline", len(spans))
	}
	failed, nilOnly, tx := spans[0], spans[1], spans[2]
	for _, s := range spans {
		if s.OperationName != "pipeline" || s.ParentID != parent.(*mocktracer.MockSpan).SpanContext.SpanID {
			t.Errorf("span %s parent %d", s.OperationName, s.ParentID)
		}
	}
	if failed.Tag("error") != true || failed.Tag("db.redis.pipeline_length") != 4 ||
		failed.Tag("db.redis.commands") != "set,incr,get" || failed.Tag("db.redis.failed_command") != "incr" {
		t.Errorf("failed pipeline: %v", failed.Tags())
	}
	wantStmt := "set " + str + " x ex 60\nincr " + str + "\nget " + missing + "\nset " + n + " 1 ex 60"
	if failed.Tag("db.statement") != wantStmt {
		t.Errorf("statement %q", failed.Tag("db.statement"))
	}
	if nilOnly.Tag("error") != nil || nilOnly.Tag("db.redis.failed_command") != nil {
		t.Errorf("nil-only pipeline is an error: %v", nilOnly.Tags())
	}
	if tx.Tag("db.redis.tx") != true || tx.Tag("db.redis.pipeline_length") != 2 || tx.Tag("error") != true ||
		tx.Tag("db.statement") != "incr "+n+"\nincr "+str {
		t.Errorf("tx pipeline: %v", tx.Tags())
	}
}

func TestBlockingCommandsAndTimeouts(t *testing.T) {
	c, tr := newClient(t)
	ctx, _ := withParent(tr)
	q := uniqueKey(t, "queue")
	// The server's own timeout: an empty answer, redis.Nil, not an error.
	if err := c.BLPop(ctx, time.Second, q).Err(); !errors.Is(err, redis.Nil) {
		t.Fatalf("blpop: %v", err)
	}
	// The caller's deadline runs out first.
	dctx, cancel := context.WithTimeout(ctx, 150*time.Millisecond)
	defer cancel()
	err := c.BLPop(dctx, 0, q).Err()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("blpop with deadline: %v", err)
	}
	// A cancelled ctx.
	cctx, cancel2 := context.WithCancel(ctx)
	cancel2()
	if err := c.Get(cctx, q).Err(); !errors.Is(err, context.Canceled) {
		t.Fatalf("get with cancelled ctx: %v", err)
	}
	spans := redisSpans(tr)
	if len(spans) != 3 {
		t.Fatalf("%d spans", len(spans))
	}
	if spans[0].Tag("error") != nil || spans[0].Tag("db.statement") != "blpop "+q+" 1" {
		t.Errorf("blpop: %v", spans[0].Tags())
	}
	if f := tracetest.ErrorLog(spans[1]); spans[1].Tag("error") != true || f["message"] != context.DeadlineExceeded.Error() {
		t.Errorf("deadline not recorded: %v %v", spans[1].Tags(), f)
	}
	if f := tracetest.ErrorLog(spans[2]); spans[2].Tag("error") != true || f["message"] != context.Canceled.Error() {
		t.Errorf("cancel not recorded: %v %v", spans[2].Tags(), f)
	}
	// The client still works after a connection was dropped mid-command.
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
}

func TestBinaryAndHugeValues(t *testing.T) {
	c, tr := newClient(t)
	ctx, _ := withParent(tr)
	bin, big := uniqueKey(t, "bin"), uniqueKey(t, "big")
	defer c.Del(context.Background(), bin, big)
	val := []byte{0, 0xff, '\n', 'a', 0xc3}
	if err := c.Set(ctx, bin, val, time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Get(ctx, bin).Bytes(); err != nil || string(got) != string(val) {
		t.Fatalf("binary round trip: %q %v", got, err)
	}
	huge := strings.Repeat("v", 10<<20)
	if err := c.Set(ctx, big, huge, time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	spans := redisSpans(tr)
	if got := spans[0].Tag("db.statement"); got != `set `+bin+` "\x00\xff\na\xc3" ex 60` {
		t.Errorf("binary statement %v", got)
	}
	st := spans[2].Tag("db.statement").(string)
	if len(st) > 1024 || !strings.Contains(st, "…(10485760 bytes)") {
		t.Errorf("10 MB statement not capped: %d bytes", len(st))
	}
}

func TestStatementOptions(t *testing.T) {
	k := uniqueKey(t, "k")
	for _, tc := range []struct {
		opt  redistrace.Option
		want any
	}{
		{redistrace.WithStatementMode(redistrace.StatementKeysOnly), "set " + k + " ? ? ?"},
		{redistrace.WithStatementMode(redistrace.StatementOmitted), nil},
		{redistrace.WithMaxStatementSize(10), "set red…"},
	} {
		c, tr := newClient(t, tc.opt)
		ctx, _ := withParent(tr)
		c.Set(ctx, k, "private value", time.Minute)
		if got := redisSpans(tr)[0].Tag("db.statement"); got != tc.want {
			t.Errorf("statement %v, want %v", got, tc.want)
		}
	}
}

// Redis echoes the first arguments of an unknown command in its error. With
// StatementKeysOnly or StatementOmitted the values the statement hides must
// not reach the span through the error log either.
func TestEchoedArgsHiddenWhenStatementHidesValues(t *testing.T) {
	const private = "private-value-8c1e"
	for _, mode := range []redistrace.StatementMode{redistrace.StatementKeysOnly, redistrace.StatementOmitted} {
		c, tr := newClient(t, redistrace.WithStatementMode(mode))
		ctx, _ := withParent(tr)
		err := c.Do(ctx, "nosuchcmd", uniqueKey(t, "k"), private).Err()
		if err == nil || !strings.Contains(err.Error(), private) {
			t.Fatalf("the server no longer echoes the arguments (%v): the test proves nothing", err)
		}
		_, err = c.Pipelined(ctx, func(p redis.Pipeliner) error {
			p.Ping(ctx)
			p.Do(ctx, "nosuchcmd", "k", private)
			return nil
		})
		if err == nil {
			t.Fatal("pipeline succeeded")
		}
		spans := redisSpans(tr)
		if len(spans) != 2 {
			t.Fatalf("mode %v: %d spans", mode, len(spans))
		}
		for _, s := range spans {
			if l := tracetest.ErrorLog(s); !strings.Contains(l["message"], "unknown command") || l["error.kind"] != "proto.RedisError" {
				t.Errorf("mode %v: %s: error log lost what happened: %v", mode, s.OperationName, l)
			}
		}
		tracetest.AssertNoSecret(t, spans, private)
	}
}

func TestFiltersAndNames(t *testing.T) {
	noPing := redistrace.WithCommandFilter(func(cmd redis.Cmder) bool { return cmd.Name() != "ping" })
	c, tr := newClient(t, noPing,
		redistrace.WithOperationNameFunc(func(call *redistrace.Call) string {
			if call.Pipeline() {
				return ""
			}
			return "redis." + call.Cmd.Name()
		}),
		redistrace.WithSpanObserver(redistrace.SpanObserver{
			OnFinish: func(span opentracing.Span, call *redistrace.Call, err error) { span.SetTag("app.db", call.DB) },
		}))
	ctx, _ := withParent(tr)
	k := uniqueKey(t, "k")
	c.Ping(ctx)
	c.Get(ctx, k)
	c.Pipelined(ctx, func(p redis.Pipeliner) error { p.Ping(ctx); return nil })
	c.Pipelined(ctx, func(p redis.Pipeliner) error { p.Ping(ctx); p.Get(ctx, k); return nil })
	spans := redisSpans(tr)
	if len(spans) != 2 {
		t.Fatalf("%d spans, want get and the mixed pipeline", len(spans))
	}
	if spans[0].OperationName != "redis.get" || spans[0].Tag("app.db") != 0 {
		t.Errorf("name func / observer: %s %v", spans[0].OperationName, spans[0].Tags())
	}
	if p := spans[1]; p.OperationName != "pipeline" || p.Tag("db.redis.commands") != "get" ||
		p.Tag("db.statement") != "get "+k || p.Tag("db.redis.pipeline_length") != 2 {
		t.Errorf("filtered pipeline: %s %v", p.OperationName, p.Tags())
	}

	// WithChildSpansOnly: nothing without a parent.
	c2, tr2 := newClient(t, redistrace.WithChildSpansOnly())
	c2.Get(context.Background(), k)
	if n := len(tr2.FinishedSpans()); n != 0 {
		t.Fatalf("%d root spans under WithChildSpansOnly", n)
	}
	ctx2, _ := withParent(tr2)
	c2.Get(ctx2, k)
	if n := len(redisSpans(tr2)); n != 1 {
		t.Fatalf("%d child spans", n)
	}

	// WithSpanFilter and the NoopTracer: no spans, calls still work.
	c3, tr3 := newClient(t, redistrace.WithSpanFilter(func(*redistrace.Call) bool { return false }))
	if err := c3.Ping(ctx).Err(); err != nil || len(tr3.FinishedSpans()) != 0 {
		t.Fatalf("filtered: %v, %d spans", err, len(tr3.FinishedSpans()))
	}
	c4 := redistrace.NewClient(&redis.Options{Addr: testenv.RedisAddr(t)}, redistrace.WithTracer(opentracing.NoopTracer{}))
	defer c4.Close()
	if err := c4.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
}

func TestACLUserPasswordNeverInSpans(t *testing.T) {
	tr := mocktracer.New()
	c := redistrace.NewClient(&redis.Options{
		Addr: testenv.RedisAddr(t), Username: testenv.RedisACLUser, Password: testenv.RedisACLPassword, DB: 0,
	}, redistrace.WithTracer(tr))
	defer c.Close()
	ctx, _ := withParent(tr)
	k := uniqueKey(t, "k")
	if err := c.Set(ctx, k, "v", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if who, err := c.Do(ctx, "ACL", "WHOAMI").Text(); err != nil || who != testenv.RedisACLUser {
		t.Fatalf("whoami %q %v", who, err)
	}
	// Explicit authentication, right and wrong, in every shape.
	if err := c.Do(ctx, "AUTH", testenv.RedisACLUser, testenv.RedisACLPassword).Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.Do(ctx, "auth", testenv.RedisACLUser, testenv.RedisACLPassword+"-wrong").Err(); err == nil {
		t.Fatal("wrong password accepted")
	}
	if err := c.Do(ctx, "HELLO", 2, "AUTH", testenv.RedisACLUser, testenv.RedisACLPassword).Err(); err != nil {
		t.Fatal(err)
	}
	c.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.AuthACL(ctx, testenv.RedisACLUser, testenv.RedisACLPassword)
		p.Get(ctx, k)
		return nil
	})
	c.Del(ctx, k)
	spans := redisSpans(tr)
	if len(spans) != 7 {
		t.Fatalf("%d spans", len(spans))
	}
	if u := spans[0].Tag("db.user"); u != testenv.RedisACLUser {
		t.Errorf("db.user %v", u)
	}
	if st := spans[2].Tag("db.statement"); st != "AUTH "+testenv.RedisACLUser+" ?" {
		t.Errorf("auth statement %v", st)
	}
	tracetest.AssertNoSecret(t, spans, testenv.RedisACLPassword)
}

func TestJaegerSpansJoinTheTrace(t *testing.T) {
	addr := testenv.RedisAddr(t)
	for _, sampled := range []bool{true, false} {
		tr, rep := tracetest.Jaeger(t, "redistrace-test", sampled)
		c := redistrace.NewClient(&redis.Options{Addr: addr}, redistrace.WithTracer(tr))
		parent := tr.StartSpan("parent").SetBaggageItem("tenant", "acme")
		ctx := opentracing.ContextWithSpan(context.Background(), parent)
		var seen opentracing.Span
		c2 := redistrace.NewClient(&redis.Options{Addr: addr}, redistrace.WithTracer(tr),
			redistrace.WithSpanObserver(redistrace.SpanObserver{
				OnStart: func(s opentracing.Span, _ *redistrace.Call) { seen = s },
			}))
		c.Get(ctx, uniqueKey(t, "k"))
		c2.Ping(ctx)
		parent.Finish()
		c.Close()
		c2.Close()
		spans := rep.GetSpans()
		if seen == nil || seen.BaggageItem("tenant") != "acme" {
			t.Fatalf("baggage not inherited")
		}
		if !sampled {
			if len(spans) != 0 {
				t.Fatalf("unsampled trace reported %d spans", len(spans))
			}
			continue
		}
		if len(spans) != 3 {
			t.Fatalf("%d spans reported", len(spans))
		}
		get, pc := spans[0].(*jaeger.Span), parent.Context().(jaeger.SpanContext)
		if get.OperationName() != "get" || get.SpanContext().TraceID() != pc.TraceID() || get.SpanContext().ParentID() != pc.SpanID() {
			t.Fatalf("get span %s not a child of the parent", get.SpanContext())
		}
	}
}
