package redistrace_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/go-redis/redis/v8"
	"github.com/opentracing/opentracing-go/mocktracer"

	"github.com/tracewrap/tracewrap/internal/testenv"
	"github.com/tracewrap/tracewrap/internal/tracetest"
	"github.com/tracewrap/tracewrap/redistrace"
)

// The server goes away mid-test: calls fail with tagged spans and no panic,
// and the same client recovers once it is back.
func TestServerStoppedAndRestarted(t *testing.T) {
	srv := newRedisServer(t)
	tr := mocktracer.New()
	c := redistrace.NewClient(&redis.Options{Addr: srv.addr(), MaxRetries: -1, DialTimeout: time.Second},
		redistrace.WithTracer(tr))
	defer c.Close()
	ctx, _ := withParent(tr)
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}

	srv.stop()
	if err := c.Get(ctx, "k").Err(); err == nil {
		t.Fatal("get succeeded with the server down")
	}
	if _, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.Get(ctx, "k")
		p.Incr(ctx, "n")
		return nil
	}); err == nil {
		t.Fatal("pipeline succeeded with the server down")
	}
	spans := redisSpans(tr)
	for _, s := range spans[1:] {
		if s.Tag("error") != true || tracetest.ErrorLog(s) == nil {
			t.Errorf("%s with the server down not an error: %v", s.OperationName, s.Tags())
		}
	}

	srv.start()
	deadline := time.Now().Add(10 * time.Second)
	for c.Ping(ctx).Err() != nil {
		if time.Now().After(deadline) {
			t.Fatal("client did not recover after the restart")
		}
		time.Sleep(50 * time.Millisecond)
	}
	tr.Reset()
	if err := c.Set(ctx, "k", "again", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if s := tr.FinishedSpans()[0]; s.Tag("error") != nil || s.Tag("peer.address") != srv.addr() {
		t.Errorf("after restart: %v", s.Tags())
	}
}

// The commands that carry credentials, run for real on a private server so
// the shared one keeps its configuration.
func TestCredentialCommandsOnRealServer(t *testing.T) {
	srv := newRedisServer(t)
	tr := mocktracer.New()
	c := redistrace.NewClient(&redis.Options{Addr: srv.addr()}, redistrace.WithTracer(tr))
	defer c.Close()
	ctx, _ := withParent(tr)
	const (
		requirepass = "Req-pw-7f3a"
		masterauth  = "Master-pw-91c2"
		userpass    = "User-pw-5d0e"
	)
	must := func(cmd *redis.Cmd) {
		t.Helper()
		if err := cmd.Err(); err != nil && err != redis.Nil {
			t.Fatalf("%v: %v", cmd.Args()[:2], err)
		}
	}
	must(c.Do(ctx, "CONFIG", "SET", "masterauth", masterauth, "maxmemory-policy", "noeviction"))
	must(c.Do(ctx, "ACL", "SETUSER", "app", "on", ">"+userpass, "~*", "+@all"))
	must(c.Do(ctx, "AUTH", "app", userpass))
	must(c.Do(ctx, "HELLO", "2", "AUTH", "app", userpass, "SETNAME", "redistrace-test"))
	if err := c.Do(ctx, "MIGRATE", "127.0.0.1", srv.port, "", 0, 100, "AUTH2", "app", userpass, "KEYS", "nokey").Err(); err != nil && !strings.Contains(err.Error(), "NOKEY") {
		t.Fatalf("migrate: %v", err)
	}
	if _, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.ConfigSet(ctx, "requirepass", requirepass)
		p.Auth(ctx, requirepass)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	spans := redisSpans(tr)
	if len(spans) != 6 {
		t.Fatalf("%d spans", len(spans))
	}
	for i, want := range []string{
		"CONFIG SET masterauth ? maxmemory-policy noeviction",
		"ACL SETUSER app on ? ~* +@all",
		"AUTH app ?",
		"HELLO 2 AUTH app ? SETNAME redistrace-test",
	} {
		if got := spans[i].Tag("db.statement"); got != want {
			t.Errorf("statement %v, want %s", got, want)
		}
	}
	if got := spans[5].Tag("db.statement"); got != "config set requirepass ?\nauth ?" {
		t.Errorf("pipeline statement %q", got)
	}
	tracetest.AssertNoSecret(t, spans, requirepass, masterauth, userpass)
}

func TestRingAndPlainWrap(t *testing.T) {
	addr := testenv.RedisAddr(t)
	tr := mocktracer.New()
	ring := redistrace.NewRing(&redis.RingOptions{Addrs: map[string]string{"one": addr}}, redistrace.WithTracer(tr))
	defer ring.Close()
	ctx, parent := withParent(tr)
	k := uniqueKey(t, "k")
	ring.Get(ctx, k)
	ring.Pipelined(ctx, func(p redis.Pipeliner) error { p.Get(ctx, k); p.Get(ctx, k+"2"); return nil })
	parent.Finish()
	spans := redisSpans(tr)
	if len(spans) != 2 {
		t.Fatalf("ring: %d spans", len(spans))
	}
	for _, s := range spans {
		if s.Tag("peer.address") != addr || s.Tag("db.instance") != "0" {
			t.Errorf("ring %s: %v", s.OperationName, s.Tags())
		}
	}

	tr2 := mocktracer.New()
	plain := redis.NewClient(&redis.Options{Addr: addr, DB: 2})
	c := redistrace.WrapClient(plain, redistrace.WithTracer(tr2))
	defer c.Close()
	c.Ping(context.Background())
	if s := tr2.FinishedSpans(); len(s) != 1 || s[0].Tag("db.instance") != "2" || s[0].Tag("peer.address") != addr {
		t.Fatalf("wrapped client spans: %v", s)
	}
	if redistrace.WrapClient(nil) != nil {
		t.Fatal("WrapClient(nil) not nil")
	}

	tr3 := mocktracer.New()
	u := redistrace.NewUniversalClient(&redis.UniversalOptions{Addrs: []string{addr}}, redistrace.WithTracer(tr3))
	defer u.Close()
	if _, ok := u.(*redis.Client); !ok {
		t.Fatalf("universal client with one address is a %T", u)
	}
	u.Ping(context.Background())
	if len(tr3.FinishedSpans()) != 1 {
		t.Fatal("universal client not traced")
	}
}

// No sentinel runs in the test stack: the failover client's calls fail, but
// they are traced with the master's name and without a made-up peer.
func TestFailoverClientWithoutSentinel(t *testing.T) {
	tr := mocktracer.New()
	c := redistrace.NewFailoverClient(&redis.FailoverOptions{
		MasterName: "mymaster", SentinelAddrs: []string{"127.0.0.1:1"}, MaxRetries: -1, DB: 1,
	}, redistrace.WithTracer(tr))
	defer c.Close()
	if err := c.Get(context.Background(), "k").Err(); err == nil {
		t.Fatal("get without a sentinel succeeded")
	}
	s := tr.FinishedSpans()[0]
	if s.Tag("peer.service") != "mymaster" || s.Tag("peer.address") != nil || s.Tag("db.instance") != "1" || s.Tag("error") != true {
		t.Fatalf("failover span: %v", s.Tags())
	}
}

// Redis echoes a failed command's first arguments in some errors: an unknown
// (disabled or renamed) CONFIG or SENTINEL, a malformed ACL SETUSER rule.
// The error log of the span must not carry the credential the statement
// hides.
func TestCredentialsEchoedInServerErrorsAreRedacted(t *testing.T) {
	// Hardened servers and managed services disable CONFIG.
	srv := newRedisServer(t, "--rename-command", "CONFIG", "")
	tr := mocktracer.New()
	c := redistrace.NewClient(&redis.Options{Addr: srv.addr()}, redistrace.WithTracer(tr))
	defer c.Close()
	ctx, _ := withParent(tr)
	const secret = "Echoed-pw-3b7d"
	shouldFail := func(err error) {
		t.Helper()
		if err == nil {
			t.Fatal("command succeeded")
		}
		if !strings.Contains(err.Error(), secret) {
			t.Fatalf("the server no longer echoes the argument (%v): the test proves nothing", err)
		}
	}
	shouldFail(c.ConfigSet(ctx, "requirepass", secret).Err())
	shouldFail(c.Do(ctx, "sentinel", "set", "mymaster", "auth-pass", secret).Err())
	shouldFail(c.Do(ctx, "ACL", "SETUSER", "app", "on", "#"+secret).Err())
	shouldFail(c.Do(ctx, "acl", "setuser", "app", "on", "(>"+secret).Err())
	_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.Ping(ctx)
		p.ConfigSet(ctx, "masterauth", secret)
		return nil
	})
	shouldFail(err)

	spans := redisSpans(tr)
	if len(spans) != 5 {
		t.Fatalf("%d spans", len(spans))
	}
	for _, s := range spans {
		if s.Tag("error") != true || tracetest.ErrorLog(s) == nil {
			t.Errorf("%s: the failure is not recorded: %v", s.OperationName, s.Tags())
		}
	}
	if l := tracetest.ErrorLog(spans[0]); !strings.Contains(l["message"], "unknown command") || l["error.kind"] != "proto.RedisError" {
		t.Errorf("redacted error log lost what happened: %v", l)
	}
	tracetest.AssertNoSecret(t, spans, secret)
}
