package redistrace_test

import (
	"context"
	"testing"
	"time"

	"github.com/go-redis/redis/v8"

	"github.com/tracewrap/tracewrap/internal/testenv"
	"github.com/tracewrap/tracewrap/internal/tracetest"
	"github.com/tracewrap/tracewrap/redistrace"
)

// benchTracers are the tracers every benchmark compares, after the bare
// client with no hook at all.
func benchTracers() []tracetest.BenchTracer {
	return append([]tracetest.BenchTracer{tracetest.Bare}, tracetest.BenchTracers()...)
}

// benchRedis runs do once per iteration against the real Redis, with the
// bare client and with one traced client per tracer. k is a key of its own,
// first set to "value" when set is true.
func benchRedis(b *testing.B, set bool, do func(ctx context.Context, c *redis.Client, k string) error) {
	addr := testenv.RedisAddr(b)
	for _, bt := range benchTracers() {
		b.Run(bt.Name, func(b *testing.B) {
			tr := bt.Tracer(b)
			var c *redis.Client
			if tr == nil {
				c = redis.NewClient(&redis.Options{Addr: addr})
			} else {
				c = redistrace.NewClient(&redis.Options{Addr: addr}, redistrace.WithTracer(tr))
			}
			defer c.Close()
			ctx := tracetest.ParentContext(tr)
			k := uniqueKey(b, "k")
			if set {
				c.Set(context.Background(), k, "value", time.Minute)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				bt.Trim(i)
				if err := do(ctx, c, k); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkGet is one GET round trip to the real Redis.
func BenchmarkGet(b *testing.B) {
	benchRedis(b, true, func(ctx context.Context, c *redis.Client, k string) error {
		return c.Get(ctx, k).Err()
	})
}

// BenchmarkPipeline is a pipeline of ten GETs of a missing key to the real
// Redis.
func BenchmarkPipeline(b *testing.B) {
	benchRedis(b, false, func(ctx context.Context, c *redis.Client, k string) error {
		_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
			for j := 0; j < 10; j++ {
				p.Get(ctx, k)
			}
			return nil
		})
		if err == redis.Nil {
			return nil
		}
		return err
	})
}

// BenchmarkHook is the hook alone, without the network: what tracing adds to
// every command.
func BenchmarkHook(b *testing.B) {
	for _, bt := range tracetest.BenchTracers() {
		b.Run(bt.Name, func(b *testing.B) {
			tr := bt.Tracer(b)
			h := redistrace.NewHook(redistrace.WithTracer(tr))
			ctx := tracetest.ParentContext(tr)
			cmd := redis.NewStringCmd(ctx, "get", "user:1")
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				bt.Trim(i)
				c, _ := h.BeforeProcess(ctx, cmd)
				_ = h.AfterProcess(c, cmd)
			}
		})
	}
}
