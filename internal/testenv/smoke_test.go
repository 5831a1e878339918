package testenv

// Smoke tests of the service stack (scripts/services or docker-compose.yml):
// each talks to one real server with the same client library and settings the
// wrappers' tests use. They skip when a service is not reachable, or fail with
// TRACEWRAP_REQUIRE_SERVICES=1.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-redis/redis/v8"
	"github.com/go-sql-driver/mysql"
	"github.com/opentracing/opentracing-go"
	"github.com/uber/jaeger-client-go"
	"github.com/uber/jaeger-client-go/transport"

	"github.com/tracewrap/tracewrap/internal/jaegerquery"
)

func ctxT(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// unique returns a name no other test run uses at the same time.
func unique(prefix string) string {
	return fmt.Sprintf("%s_%d", prefix, time.Now().UnixNano())
}

func TestSmokeMySQL(t *testing.T) {
	dsn := MySQLDSN(t)
	ctx := ctxT(t, 30*time.Second)
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() }) // after the cleanups registered below

	var one int
	if err := db.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("SELECT 1 = %d, %v", one, err)
	}
	var user, database string
	if err := db.QueryRowContext(ctx, "SELECT CURRENT_USER(), DATABASE()").Scan(&user, &database); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(user, MySQLUser+"@") || database != MySQLDatabase {
		t.Errorf("connected as %q to %q, want %s@... to %s", user, database, MySQLUser, MySQLDatabase)
	}

	table := unique("smoke")
	if _, err := db.ExecContext(ctx, "CREATE TABLE "+table+
		" (id BIGINT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(64) NOT NULL, at DATETIME(6) NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := db.Exec("DROP TABLE IF EXISTS " + table); err != nil {
			t.Error(err)
		}
	})
	now := time.Now().UTC().Truncate(time.Microsecond)
	res, err := db.ExecContext(ctx, "INSERT INTO "+table+" (name, at) VALUES (?, ?), (?, ?)", "ünïcode ✓", now, "second", now)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 2 {
		t.Fatalf("RowsAffected = %d, %v", n, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		t.Fatal(err)
	}
	var name string
	var at time.Time
	if err := db.QueryRowContext(ctx, "SELECT name, at FROM "+table+" WHERE id = ?", id).Scan(&name, &at); err != nil {
		t.Fatal(err)
	}
	if name != "ünïcode ✓" || !at.Equal(now) {
		t.Errorf("read back (%q, %v), want (%q, %v)", name, at, "ünïcode ✓", now)
	}

	// Tests cancel queries by killing them from a second connection.
	victim, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer victim.Close()
	var connID int64
	if err := victim.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&connID); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		var r int
		done <- victim.QueryRowContext(ctx, "SELECT SLEEP(20)").Scan(&r)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int
		if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = ? AND INFO LIKE 'SELECT SLEEP%'", connID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the sleeping query never showed in the process list")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := db.ExecContext(ctx, fmt.Sprintf("KILL QUERY %d", connID)); err != nil {
		t.Fatalf("KILL QUERY of our own connection: %v", err)
	}
	select {
	case err := <-done:
		var me *mysql.MySQLError
		if err != nil && !(errors.As(err, &me) && me.Number == 1317) { // ER_QUERY_INTERRUPTED
			t.Errorf("killed query: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("KILL QUERY did not interrupt SELECT SLEEP(20)")
	}
}

func TestSmokeRedis(t *testing.T) {
	addr := RedisAddr(t)
	ctx := ctxT(t, 30*time.Second)

	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	key := unique("smoke:redis")
	if err := c.Set(ctx, key, "value ✓", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Del(context.Background(), key) })
	if v, err := c.Get(ctx, key).Result(); err != nil || v != "value ✓" {
		t.Fatalf("GET = %q, %v", v, err)
	}
	if err := c.Get(ctx, key+":missing").Err(); err != redis.Nil {
		t.Fatalf("GET of a missing key: %v, want redis.Nil", err)
	}

	t.Run("ACL user", func(t *testing.T) {
		acl := redis.NewClient(&redis.Options{Addr: addr, Username: RedisACLUser, Password: RedisACLPassword})
		defer acl.Close()
		who, err := acl.Do(ctx, "ACL", "WHOAMI").Text()
		if err != nil || who != RedisACLUser {
			t.Fatalf("ACL WHOAMI = %q, %v", who, err)
		}
		if v, err := acl.Get(ctx, key).Result(); err != nil || v != "value ✓" {
			t.Fatalf("GET as %s = %q, %v", RedisACLUser, v, err)
		}

		bad := redis.NewClient(&redis.Options{Addr: addr, Username: RedisACLUser, Password: "wrong", MaxRetries: -1})
		defer bad.Close()
		if err := bad.Ping(ctx).Err(); err == nil || !strings.Contains(err.Error(), "WRONGPASS") {
			t.Fatalf("PING with a wrong password: %v, want WRONGPASS", err)
		}
	})
}

func TestSmokeRedisCluster(t *testing.T) {
	addrs := RedisClusterAddrs(t)
	ctx := ctxT(t, 30*time.Second)

	// Plain options on purpose: the cluster runs Redis 6.2 because go-redis v8
	// cannot read Redis 7's CLUSTER SLOTS and COMMAND replies (see
	// scripts/services.d/redis-cluster.sh).
	c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs})
	t.Cleanup(func() { c.Close() })
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	slots, err := c.ClusterSlots(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(slots) != 3 {
		t.Fatalf("CLUSTER SLOTS = %+v, want three ranges (one per master)", slots)
	}
	owner := func(slot int64) string {
		for _, s := range slots {
			if int64(s.Start) <= slot && slot <= int64(s.End) && len(s.Nodes) > 0 {
				return s.Nodes[0].Addr
			}
		}
		return ""
	}

	prefix := unique("smoke:cluster")
	masters := map[string]int{}
	var keys []string
	for i := 0; i < 60; i++ {
		key := fmt.Sprintf("%s:%d", prefix, i)
		keys = append(keys, key)
		if err := c.Set(ctx, key, i, time.Minute).Err(); err != nil {
			t.Fatalf("SET %s: %v", key, err)
		}
		slot, err := c.ClusterKeySlot(ctx, key).Result()
		if err != nil {
			t.Fatal(err)
		}
		masters[owner(slot)]++
	}
	t.Cleanup(func() {
		for _, k := range keys {
			c.Del(context.Background(), k)
		}
	})
	for i, key := range keys {
		if v, err := c.Get(ctx, key).Int(); err != nil || v != i {
			t.Fatalf("GET %s = %d, %v", key, v, err)
		}
	}
	delete(masters, "")
	if len(masters) != 3 {
		t.Errorf("keys landed on masters %v, want 3 masters", masters)
	}
}

// findSpan polls Jaeger v2's GET /api/v3/traces/{id} until the span shows up.
func findSpan(t *testing.T, queryURL, service string, sc jaeger.SpanContext, operation string) {
	t.Helper()
	q := &jaegerquery.Client{BaseURL: queryURL}
	ctx := ctxT(t, 10*time.Second)
	spanID := fmt.Sprintf("%016x", uint64(sc.SpanID()))
	tr, err := q.WaitUntil(ctx, sc.TraceID().String(), func(tr *jaegerquery.Trace) error {
		if s := tr.Span(spanID); s == nil || s.OperationName != operation || s.Service != service {
			return fmt.Errorf("no span %s %q of %s", spanID, operation, service)
		}
		return nil
	}, 0)
	if err != nil {
		last := ""
		if tr != nil {
			last = string(tr.Raw)
		}
		t.Fatalf("%v; last answer: %.2000s", err, last)
	}
}

func sendSpan(t *testing.T, service string, tr jaeger.Transport) jaeger.SpanContext {
	t.Helper()
	tracer, closer := jaeger.NewTracer(service, jaeger.NewConstSampler(true), jaeger.NewRemoteReporter(tr))
	span := tracer.StartSpan("smoke")
	span.SetTag("smoke", true)
	child := tracer.StartSpan("smoke-child", opentracing.ChildOf(span.Context()))
	child.Finish()
	span.Finish()
	if err := closer.Close(); err != nil { // flushes the reporter
		t.Fatal(err)
	}
	return span.Context().(jaeger.SpanContext)
}

func TestSmokeJaeger(t *testing.T) {
	t.Run("agent UDP", func(t *testing.T) {
		agent := JaegerAgentAddr(t)
		query := JaegerQueryURL(t)
		tr, err := jaeger.NewUDPTransport(agent, 0)
		if err != nil {
			t.Fatal(err)
		}
		service := unique("tracewrap-smoke-udp")
		findSpan(t, query, service, sendSpan(t, service, tr), "smoke")
	})
	t.Run("collector HTTP", func(t *testing.T) {
		collector := JaegerCollectorURL(t)
		query := JaegerQueryURL(t)
		service := unique("tracewrap-smoke-http")
		findSpan(t, query, service, sendSpan(t, service, transport.NewHTTPTransport(collector)), "smoke")
	})
}
