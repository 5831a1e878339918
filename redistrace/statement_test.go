package redistrace

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-redis/redis/v8"
	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/mocktracer"

	"github.com/tracewrap/tracewrap/internal/tracetest"
)

var ctx = context.Background()

func stmt(c *config, args ...any) string { return c.statement(redis.NewCmd(ctx, args...)) }

func TestStatementFormatting(t *testing.T) {
	c := newConfig(nil)
	for _, tc := range []struct {
		args []any
		want string
	}{
		{[]any{"set", "k", "v"}, "set k v"},
		{[]any{"set", "k", "hello world"}, `set k "hello world"`},
		{[]any{"set", "k", []byte{0, 0xff, '\n', 'a'}}, `set k "\x00\xff\na"`},
		{[]any{"set", "k", "héllo"}, `set k "héllo"`},
		{[]any{"set", "k", ""}, `set k ""`},
		{[]any{"set", "k", nil}, `set k ""`},
		{[]any{"set", "k", `a"b\c`}, `set k "a\"b\\c"`},
		{[]any{"expire", "k", 10, int64(-1), uint8(3), 1.5, true, false}, "expire k 10 -1 3 1.5 1 0"},
		{[]any{"set", "k", 2 * time.Second}, "set k 2000000000"},
		{[]any{"set", "k", time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)}, "set k 2024-01-02T03:04:05Z"},
		{[]any{"set", "k", struct{}{}}, "set k <struct {}>"},
		{[]any{"SET", "K", "V"}, "SET K V"},
	} {
		if got := stmt(c, tc.args...); got != tc.want {
			t.Errorf("%v: got %s want %s", tc.args, got, tc.want)
		}
	}
}

func TestStatementCaps(t *testing.T) {
	c := newConfig([]Option{WithMaxArgs(4), WithMaxArgLength(8)})
	if got := stmt(c, "rpush", "l", "a", "b", "c", "d", "e"); got != "rpush l a b …(+3 args)" {
		t.Fatalf("arg cap: %s", got)
	}
	if got := stmt(c, "set", "k", strings.Repeat("x", 100)); got != "set k xxxxxxxx…(100 bytes)" {
		t.Fatalf("length cap: %s", got)
	}
	// A cut never splits a rune: "ééé" + "é" would split the fifth at byte 8.
	if got := stmt(c, "set", "k", strings.Repeat("é", 10)); got != `set k "éééé"…(20 bytes)` {
		t.Fatalf("rune cut: %s", got)
	}
	big := make([]byte, 10<<20)
	got := stmt(newConfig(nil), "set", "k", big)
	if len(got) > 1024 || !strings.HasSuffix(got, "…(10485760 bytes)") {
		t.Fatalf("10 MB value: %d bytes, ends %q", len(got), got[len(got)-30:])
	}
}

// Every credential of every command that carries one, in several spellings.
var secretCommands = []struct {
	args []any
	want string
}{
	{[]any{"auth", "pw-1"}, "auth ?"},
	{[]any{"AUTH", "alice", "pw-1"}, "AUTH alice ?"},
	{[]any{[]byte("Auth"), []byte("alice"), []byte("pw-1")}, "Auth alice ?"},
	{[]any{"auth", "a", "b", "pw-1"}, "auth ? ? ?"},
	{[]any{"hello", "2", "AUTH", "alice", "pw-1", "SETNAME", "app"}, "hello 2 AUTH alice ? SETNAME app"},
	{[]any{"config", "set", "requirepass", "pw-1"}, "config set requirepass ?"},
	{[]any{"CONFIG", "SET", "maxmemory", "10mb", "MasterAuth", "pw-1", "tls-key-file-pass", "pw-1"}, "CONFIG SET maxmemory 10mb MasterAuth ? tls-key-file-pass ?"},
	{[]any{"acl", "setuser", "bob", "on", ">pw-1", "~*", "+@all", "#5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8", "<pw-1"}, "acl setuser bob on ? ~* +@all ? ?"},
	{[]any{"ACL", "SETUSER", "bob", "(~k* >pw-1)"}, "ACL SETUSER bob ?"},
	{[]any{"migrate", "10.0.0.1", "6379", "", "0", "5000", "COPY", "AUTH", "pw-1", "KEYS", "a", "b"}, `migrate 10.0.0.1 6379 "" 0 5000 COPY AUTH ? KEYS a b`},
	{[]any{"migrate", "10.0.0.1", "6379", "k", "0", "5000", "AUTH2", "alice", "pw-1"}, "migrate 10.0.0.1 6379 k 0 5000 AUTH2 alice ?"},
	{[]any{"sentinel", "set", "mymaster", "auth-pass", "pw-1"}, "sentinel set mymaster auth-pass ?"},
	{[]any{"sentinel", "config", "set", "sentinel-pass", "pw-1"}, "sentinel config set sentinel-pass ?"},
}

func TestCredentialsRedacted(t *testing.T) {
	for _, mode := range []StatementMode{StatementFull, StatementKeysOnly} {
		c := newConfig([]Option{WithStatementMode(mode)})
		for _, tc := range secretCommands {
			got := stmt(c, tc.args...)
			if strings.Contains(got, "pw-1") || strings.Contains(got, "5e8848") {
				t.Errorf("mode %d: secret in %s", mode, got)
			}
			if mode == StatementFull && got != tc.want {
				t.Errorf("got %s want %s", got, tc.want)
			}
		}
	}
}

func TestKeysOnly(t *testing.T) {
	c := newConfig([]Option{WithStatementMode(StatementKeysOnly)})
	for _, tc := range []struct {
		args []any
		want string
	}{
		{[]any{"set", "user:1", "secret value", "EX", 10}, "set user:1 ? ? ?"},
		{[]any{"get", "user:1"}, "get user:1"},
		{[]any{"mset", "a", "1", "b", "2"}, "mset a ? b ?"},
		{[]any{"del", "a", "b", "c"}, "del a b c"},
		{[]any{"blpop", "q1", "q2", 5}, "blpop q1 q2 ?"},
		{[]any{"eval", "return 1", "2", "k1", "k2", "arg"}, "eval ? ? k1 k2 ?"},
		{[]any{"evalsha", "abc", 1, "k1", "arg"}, "evalsha ? ? k1 ?"},
		{[]any{"zunionstore", "dst", "2", "a", "b", "WEIGHTS", "1", "2"}, "zunionstore dst ? a b ? ? ?"},
		{[]any{"xread", "COUNT", "2", "STREAMS", "s1", "s2", "0", "0"}, "xread ? ? ? s1 s2 ? ?"},
		{[]any{"object", "encoding", "k"}, "object encoding k"},
		{[]any{"config", "get", "maxmemory"}, "config get ?"},
		{[]any{"ping", "hello"}, "ping ?"},
		{[]any{"migrate", "h", "1", "", "0", "9", "KEYS", "a", "b"}, `migrate ? ? "" ? ? ? a b`},
		{[]any{"bitop", "and", "dst", "a"}, "bitop ? dst a"},
		{[]any{"mymodule.cmd", "k", "v"}, "mymodule.cmd k ?"},
	} {
		if got := stmt(c, tc.args...); got != tc.want {
			t.Errorf("%v: got %s want %s", tc.args, got, tc.want)
		}
	}
}

func TestPipelineStatement(t *testing.T) {
	c := newConfig([]Option{WithMaxPipelineCommands(2), WithCommandFilter(func(cmd redis.Cmder) bool { return cmd.Name() != "ping" })})
	cmds := []redis.Cmder{
		redis.NewStatusCmd(ctx, "multi"),
		redis.NewCmd(ctx, "set", "a", "1"),
		redis.NewCmd(ctx, "ping"),
		redis.NewCmd(ctx, "get", "a"),
		redis.NewCmd(ctx, "set", "b", "2"),
		redis.NewCmd(ctx, "get", "b"),
		redis.NewSliceCmd(ctx, "exec"),
	}
	if got := c.pipelineStatement(cmds); got != "set a 1\nget a\n…(+2 commands)" {
		t.Fatalf("statement %q", got)
	}
	if got := c.commandNames(userCommands(cmds)); got != "set,get" {
		t.Fatalf("names %q", got)
	}
}

func TestCommandName(t *testing.T) {
	for _, tc := range []struct {
		args []any
		want string
	}{
		{[]any{"GET", "k"}, "get"},
		{[]any{[]byte("HGetAll")}, "hgetall"},
		{[]any{42}, "unknown"},
		{[]any{"bad name"}, "unknown"},
		{[]any{strings.Repeat("x", 1000)}, strings.Repeat("x", maxNameLen)},
		{nil, "unknown"},
	} {
		if got := commandName(redis.NewCmd(ctx, tc.args...)); got != tc.want {
			t.Errorf("%v: %q", tc.args, got)
		}
	}
}

// countingCmd counts how often the hook reads the command's arguments.
type countingCmd struct {
	*redis.Cmd
	reads int
}

func (c *countingCmd) Args() []any { c.reads++; return c.Cmd.Args() }

func TestUnsampledSpansAreNotFormatted(t *testing.T) {
	reads := func(sampled bool) int {
		tr := tracetest.JaegerNull(t, sampled)
		h := NewHook(WithTracer(tr))
		cmd := &countingCmd{Cmd: redis.NewCmd(ctx, "set", "k", "v")}
		c, _ := h.BeforeProcess(ctx, cmd)
		if c == ctx {
			t.Fatal("no span started")
		}
		_ = h.AfterProcess(c, cmd)
		return cmd.reads
	}
	if s, u := reads(true), reads(false); u >= s || u > 1 {
		t.Fatalf("unsampled span read the args %d times, sampled %d", u, s)
	}
}

// The hook never finishes, replaces or re-parents the caller's span, even
// when it makes none itself.
func TestHookLeavesCallersSpanAlone(t *testing.T) {
	tr := mocktracer.New()
	parent := tr.StartSpan("parent")
	pctx := opentracing.ContextWithSpan(ctx, parent)
	for _, h := range []redis.Hook{
		NewHook(WithTracer(tr)),
		NewHook(WithTracer(tr), WithSpanFilter(func(*Call) bool { return false })),
		NewHook(WithTracer(tr), WithCommandFilter(func(redis.Cmder) bool { return false })),
	} {
		cmd := redis.NewCmd(ctx, "get", "k")
		c, err := h.BeforeProcess(pctx, cmd)
		if err != nil || opentracing.SpanFromContext(c) != parent {
			t.Fatalf("ctx span changed: %v", err)
		}
		_ = h.AfterProcess(c, cmd)
		c, _ = h.BeforeProcessPipeline(pctx, []redis.Cmder{cmd})
		_ = h.AfterProcessPipeline(c, []redis.Cmder{cmd})
		// An After without a Before of ours is ignored.
		_ = h.AfterProcess(pctx, cmd)
		_ = h.AfterProcessPipeline(pctx, []redis.Cmder{cmd})
	}
	for _, s := range tr.FinishedSpans() {
		if s.OperationName == "parent" {
			t.Fatal("caller's span finished by the hook")
		}
	}
	if n := len(tr.FinishedSpans()); n != 2 {
		t.Fatalf("%d spans, want 2 (one command, one pipeline)", n)
	}
}

// Two hooks on one client each finish their own span, though go-redis hands
// both After sides the ctx of the last Before.
func TestStackedHooks(t *testing.T) {
	tr := mocktracer.New()
	a, b := NewHook(WithTracer(tr), WithOperationName("a")), NewHook(WithTracer(tr), WithOperationName("b"))
	cmd := redis.NewCmd(ctx, "get", "k")
	c1, _ := a.BeforeProcess(ctx, cmd)
	c2, _ := b.BeforeProcess(c1, cmd)
	_ = b.AfterProcess(c2, cmd)
	_ = a.AfterProcess(c2, cmd)
	if n := len(tr.FinishedSpans()); n != 2 {
		t.Fatalf("%d spans finished, want 2", n)
	}
}

func FuzzStatement(f *testing.F) {
	f.Add("auth", "user", "pw-1", "x", 3)
	f.Add("config", "set", "requirepass", "pw-1", 0)
	f.Add("hello", "2", "auth", "u", 1)
	f.Fuzz(func(t *testing.T, a, b, c, d string, mode int) {
		cfg := newConfig([]Option{WithStatementMode(StatementMode(mode % 3)), WithMaxArgLength(16)})
		for _, args := range [][]any{{a, b, c, d}, {[]byte(a), b, []byte(c), d, 7}} {
			s := cfg.statement(redis.NewCmd(ctx, args...))
			if len(s) > 600 {
				t.Fatalf("statement of %d bytes", len(s))
			}
		}
		if strings.Contains(a+b+c, "Zq9") {
			return
		}
		for _, args := range [][]any{
			{"auth", a, "Zq9-secret"}, {"AUTH", "Zq9-secret"}, {"config", "set", b, c, "requirepass", "Zq9-secret"},
			{"hello", b, "auth", a, "Zq9-secret"}, {"acl", "setuser", a, b, ">Zq9-secret"},
			{"migrate", a, b, c, 0, 1, "auth", "Zq9-secret"},
		} {
			if s := cfg.statement(redis.NewCmd(ctx, args...)); strings.Contains(s, "Zq9") {
				t.Fatalf("secret in %s", s)
			}
		}
	})
}

// A hook that fails its BeforeProcess with `return nil, err` makes go-redis
// call the After side of every hook before it with a nil ctx. Ours must not
// panic the user's call.
func TestAfterWithNilContextFromAFailingHook(t *testing.T) {
	tr := mocktracer.New()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer rdb.Close()
	rdb.AddHook(NewHook(WithTracer(tr)))
	rdb.AddHook(failingHook{})
	parent := tr.StartSpan("parent")
	pctx := opentracing.ContextWithSpan(ctx, parent)
	if err := rdb.Get(pctx, "k").Err(); err != errRefused {
		t.Fatalf("get: %v", err)
	}
	if _, err := rdb.Pipelined(pctx, func(p redis.Pipeliner) error {
		p.Get(pctx, "k")
		return nil
	}); err != errRefused {
		t.Fatalf("pipeline: %v", err)
	}
}

var errRefused = errors.New("refused by a hook")

// failingHook refuses every call the way many hooks are written.
type failingHook struct{}

func (failingHook) BeforeProcess(context.Context, redis.Cmder) (context.Context, error) {
	return nil, errRefused
}
func (failingHook) AfterProcess(context.Context, redis.Cmder) error { return nil }
func (failingHook) BeforeProcessPipeline(context.Context, []redis.Cmder) (context.Context, error) {
	return nil, errRefused
}
func (failingHook) AfterProcessPipeline(context.Context, []redis.Cmder) error { return nil }
