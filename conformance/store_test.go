package conformance_test

import (
	"context"
	"strings"
	"testing"

	"github.com/go-redis/redis/v8"
	_ "github.com/go-sql-driver/mysql"
	"github.com/opentracing/opentracing-go"

	"github.com/tracewrap/tracewrap/internal/core"
	"github.com/tracewrap/tracewrap/internal/testenv"
	"github.com/tracewrap/tracewrap/redistrace"
	"github.com/tracewrap/tracewrap/sqltrace"
)

// SQL on MySQL: a query and a failing one, children of the caller's span.
func TestSQL(t *testing.T) {
	dsn := testenv.MySQLDSN(t)
	forEach(t, func(t *testing.T, b *backend) {
		db, err := sqltrace.Open("mysql", dsn, sqltrace.WithTracer(b.client))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		root := b.client.StartSpan("root")
		ctx := opentracing.ContextWithSpan(context.Background(), root)
		var one int
		if err := db.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, "UPDATE tracewrap_no_such_table SET x = 1"); err == nil {
			t.Fatal("want an error")
		}
		root.Finish()

		r := find(t, b, "root", 1)[0]
		q := find(t, b, "sql.query", 1)[0]
		e := find(t, b, "sql.exec", 1)[0]
		for _, s := range []span{q, e} {
			expectKind(t, s, "client")
			expectChild(t, s, r)
		}
		expectOK(t, q)
		expectFailed(t, e, "Error 1146") // the quoted table name is masked

		addr := core.ParsePeer(testenv.MySQLAddr(t))
		if b.otel {
			expectAttrs(t, q, map[string]string{
				"db.system.name": "mysql", "db.query.text": "SELECT 1", "db.operation.name": "SELECT",
				"db.namespace": "*", "server.address": addr.Host, "component": "*",
			})
			expectAttrs(t, e, map[string]string{"db.operation.name": "UPDATE", "error.type": "*"})
			absent(t, q, "db.type", "db.statement", "db.instance", "peer.address")
		} else {
			expectAttrs(t, q, map[string]string{"db.type": "sql", "db.statement": "SELECT 1", "db.instance": "*", "peer.address": "*"})
			absent(t, q, "db.system.name", "db.query.text", "db.operation.name", "server.address")
		}
	})
}

// Redis, a single server and a cluster: commands, a failing one (INCR on a
// string), children of the caller's span.
func TestRedis(t *testing.T) {
	t.Run("single", func(t *testing.T) {
		addr := testenv.RedisAddr(t)
		forEach(t, func(t *testing.T, b *backend) {
			rdb := redistrace.NewClient(&redis.Options{Addr: addr}, redistrace.WithTracer(b.client))
			defer rdb.Close()
			redisScenario(t, b, rdb, core.ParsePeer(addr))
		})
	})
	t.Run("cluster", func(t *testing.T) {
		addrs := testenv.RedisClusterAddrs(t)
		forEach(t, func(t *testing.T, b *backend) {
			rdb := redistrace.NewClusterClient(&redis.ClusterOptions{Addrs: addrs}, redistrace.WithTracer(b.client))
			defer rdb.Close()
			redisScenario(t, b, rdb, core.Peer{})
		})
	})
}

func redisScenario(t *testing.T, b *backend, rdb redis.UniversalClient, peer core.Peer) {
	key := "tracewrap:conformance:" + strings.ReplaceAll(t.Name(), "/", ":")
	root := b.client.StartSpan("root")
	ctx := opentracing.ContextWithSpan(context.Background(), root)
	if err := rdb.Set(ctx, key, "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.Incr(ctx, key).Err(); err == nil {
		t.Fatal("INCR of a string must fail")
	}
	if _, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.Get(ctx, key)
		p.Del(ctx, key)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	root.Finish()

	r := find(t, b, "root", 1)[0]
	set := find(t, b, "set", 1)[0]
	incr := find(t, b, "incr", 1)[0]
	pipe := find(t, b, "pipeline", 1)[0]
	for _, s := range []span{set, incr, pipe} {
		expectKind(t, s, "client")
		expectChild(t, s, r)
	}
	expectOK(t, set)
	expectOK(t, pipe)
	expectFailed(t, incr, "not an integer")

	if b.otel {
		expectAttrs(t, set, map[string]string{"db.system.name": "redis", "db.operation.name": "set", "db.query.text": "*", "server.address": "*", "server.port": "*"})
		expectAttrs(t, pipe, map[string]string{"db.operation.name": "pipeline", "db.redis.pipeline_length": "2"})
		if peer.Host != "" {
			expectAttrs(t, set, map[string]string{"server.address": peer.Host, "db.namespace": "0"})
		}
		absent(t, set, "db.type", "db.statement", "peer.address")
	} else {
		expectAttrs(t, set, map[string]string{"db.type": "redis", "db.statement": "*", "peer.address": "*", "peer.port": "*"})
		expectAttrs(t, pipe, map[string]string{"db.redis.pipeline_length": "2"})
		absent(t, set, "db.system.name", "db.query.text", "db.operation.name")
	}
}
