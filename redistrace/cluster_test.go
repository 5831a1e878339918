package redistrace_test

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-redis/redis/v8"
	"github.com/opentracing/opentracing-go/mocktracer"

	"github.com/tracewrap/tracewrap/internal/testenv"
	"github.com/tracewrap/tracewrap/internal/tracetest"
	"github.com/tracewrap/tracewrap/redistrace"
)

func newClusterClient(t *testing.T, opt *redis.ClusterOptions, opts ...redistrace.Option) (*redis.ClusterClient, *mocktracer.MockTracer) {
	t.Helper()
	tr := mocktracer.New()
	opt.Addrs = testenv.RedisClusterAddrs(t)
	c := redistrace.NewClusterClient(opt, append([]redistrace.Option{redistrace.WithTracer(tr)}, opts...)...)
	t.Cleanup(func() { c.Close() })
	return c, tr
}

// keyPerNode returns one key for each master, keyed by the master's address.
func keyPerNode(t *testing.T, c *redis.ClusterClient) map[string]string {
	t.Helper()
	keys := map[string]string{}
	for i := 0; len(keys) < 3 && i < 1000; i++ {
		k := uniqueKey(t, "k")
		node, err := c.MasterForKey(context.Background(), k)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := keys[node.Options().Addr]; !ok {
			keys[node.Options().Addr] = k
		}
	}
	if len(keys) != 3 {
		t.Fatalf("keys for %d masters, want 3", len(keys))
	}
	return keys
}

func TestClusterOneSpanPerCommandWithServingNode(t *testing.T) {
	c, tr := newClusterClient(t, &redis.ClusterOptions{
		Username: testenv.RedisACLUser, Password: testenv.RedisACLPassword,
	})
	keys := keyPerNode(t, c)
	if n := len(tr.FinishedSpans()); n != 0 {
		t.Fatalf("cluster bookkeeping made %d spans", n)
	}
	var nodes []string
	for a := range keys {
		nodes = append(nodes, a)
	}
	sort.Strings(nodes)
	ctx, parent := withParent(tr)
	for _, addr := range nodes {
		k := keys[addr]
		if err := c.Set(ctx, k, "v", time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
		if err := c.Get(ctx, k).Err(); err != nil {
			t.Fatal(err)
		}
	}
	// A pipeline across the three masters, and one within one slot.
	if _, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, k := range keys {
			p.Get(ctx, k)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	tag := "{" + uniqueKey(t, "tag") + "}"
	if _, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, tag+"a", 1, time.Minute)
		p.Incr(ctx, tag+"a")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	tagNode, _ := c.MasterForKey(context.Background(), tag)
	for _, k := range keys {
		c.Del(context.Background(), k)
	}
	c.Del(context.Background(), tag+"a")
	parent.Finish()

	pid := parent.(*mocktracer.MockSpan).SpanContext.SpanID
	spans := redisSpans(tr)
	if len(spans) != 3*2+2+3+1 {
		t.Fatalf("%d spans, want one per command, pipeline and delete", len(spans))
	}
	i := 0
	for _, addr := range nodes {
		k := keys[addr]
		for _, op := range []string{"set", "get"} {
			s := spans[i]
			i++
			if s.OperationName != op || s.ParentID != pid || s.Tag("db.statement") == nil ||
				!strings.Contains(s.Tag("db.statement").(string), k) {
				t.Errorf("span %s (parent %d) %v", s.OperationName, s.ParentID, s.Tags())
			}
			if s.Tag("peer.address") != addr || s.Tag("db.user") != testenv.RedisACLUser || s.Tag("db.redis.attempts") != nil {
				t.Errorf("%s %s: served by %v, want %s", op, k, s.Tag("peer.address"), addr)
			}
		}
	}
	multi := spans[i]
	got := strings.Split(multi.Tag("db.redis.nodes").(string), ",")
	sort.Strings(got)
	if multi.OperationName != "pipeline" || strings.Join(got, ",") != strings.Join(nodes, ",") || multi.Tag("peer.address") != nil {
		t.Errorf("cross-node pipeline: %v", multi.Tags())
	}
	tx := spans[i+1]
	if tx.Tag("db.redis.tx") != true || tx.Tag("peer.address") != tagNode.Options().Addr || tx.Tag("db.redis.pipeline_length") != 2 {
		t.Errorf("tx pipeline: %v", tx.Tags())
	}
	tracetest.AssertNoSecret(t, spans, testenv.RedisACLPassword)
}

// Commands sent straight to a node client (a Watch transaction, a
// ForEachMaster callback) are traced by the node's hook, once, with a parent.
func TestClusterDirectNodeCommands(t *testing.T) {
	c, tr := newClusterClient(t, &redis.ClusterOptions{})
	keys := keyPerNode(t, c)
	ctx, parent := withParent(tr)
	var k, addr string
	for addr, k = range keys {
		break
	}
	err := c.Watch(ctx, func(tx *redis.Tx) error {
		n, err := tx.Get(ctx, k).Int()
		if err != nil && err != redis.Nil {
			return err
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, k, n+1, time.Minute)
			return nil
		})
		return err
	}, k)
	if err != nil {
		t.Fatal(err)
	}
	parent.Finish()
	spans := redisSpans(tr)
	c.Del(context.Background(), k)

	pid := parent.(*mocktracer.MockSpan).SpanContext.SpanID
	var ops []string
	for _, s := range spans {
		ops = append(ops, s.OperationName)
		if s.ParentID != pid || s.Tag("peer.address") != addr {
			t.Errorf("%s: parent %d peer %v, want %s", s.OperationName, s.ParentID, s.Tag("peer.address"), addr)
		}
	}
	if strings.Join(ops, ",") != "watch,get,pipeline,unwatch" {
		t.Errorf("ops %v", ops)
	}

	// Without a parent, node traffic is go-redis's own bookkeeping: untraced.
	tr.Reset()
	if err := c.ForEachMaster(context.Background(), func(ctx context.Context, m *redis.Client) error {
		return m.Ping(ctx).Err()
	}); err != nil {
		t.Fatal(err)
	}
	if n := len(tr.FinishedSpans()); n != 0 {
		t.Errorf("%d spans from unparented node traffic", n)
	}
}

func TestClusterWrapClientAndUniversal(t *testing.T) {
	addrs := testenv.RedisClusterAddrs(t)
	tr := mocktracer.New()
	plain := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs})
	defer plain.Close()
	c := redistrace.WrapClient(plain, redistrace.WithTracer(tr))
	ctx, _ := withParent(tr)
	k := uniqueKey(t, "k")
	c.Get(ctx, k)
	spans := redisSpans(tr)
	if len(spans) != 1 || spans[0].OperationName != "get" || spans[0].Tag("error") != nil {
		t.Fatalf("wrapped cluster: %d spans", len(spans))
	}

	tr2 := mocktracer.New()
	u := redistrace.NewUniversalClient(&redis.UniversalOptions{Addrs: addrs}, redistrace.WithTracer(tr2))
	defer u.Close()
	if _, ok := u.(*redis.ClusterClient); !ok {
		t.Fatalf("universal client with several addresses is a %T", u)
	}
	ctx2, _ := withParent(tr2)
	u.Get(ctx2, k)
	if s := redisSpans(tr2); len(s) != 1 || s[0].Tag("peer.address") == nil {
		t.Fatalf("universal cluster spans: %v", s)
	}
}

// A stale slot map sends commands to the wrong master; the span is still one,
// tagged with the node that finally served it and the attempts it took.
func TestClusterRedirectTagsFinalNode(t *testing.T) {
	addrs := testenv.RedisClusterAddrs(t)
	probe, _ := newClusterClient(t, &redis.ClusterOptions{})
	keys := keyPerNode(t, probe)
	c, tr := newClusterClient(t, &redis.ClusterOptions{
		// Every slot "belongs" to the first seed node: a wrong map.
		ClusterSlots: func(context.Context) ([]redis.ClusterSlot, error) {
			return []redis.ClusterSlot{{Start: 0, End: 16383, Nodes: []redis.ClusterNode{{Addr: addrs[0]}}}}, nil
		},
	})
	ctx, _ := withParent(tr)
	for addr, k := range keys {
		tr.Reset()
		if err := c.Get(ctx, k).Err(); err != redis.Nil {
			t.Fatalf("get via a stale map: %v", err)
		}
		spans := tr.FinishedSpans()
		if len(spans) != 1 {
			t.Fatalf("%d spans for one redirected command", len(spans))
		}
		s := spans[0]
		wantAttempts := any(2)
		if addr == addrs[0] {
			wantAttempts = nil
		}
		if s.Tag("peer.address") != addr || s.Tag("db.redis.attempts") != wantAttempts || s.Tag("error") != nil {
			t.Errorf("key on %s: %v", addr, s.Tags())
		}
	}
}
