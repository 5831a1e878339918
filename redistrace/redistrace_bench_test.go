package redistrace_test

import (
	"context"
	"testing"
	"time"

	"github.com/go-redis/redis/v8"
	"github.com/opentracing/opentracing-go"

	"github.com/tracewrap/tracewrap/internal/testenv"
	"github.com/tracewrap/tracewrap/redistrace"

	"github.com/tracewrap/tracewrap/internal/tracetest"
)

// benchTracers are the tracers every benchmark compares, after the bare
// client with no hook at all.
func benchTracers() []tracetest.BenchTracer {
	return append([]tracetest.BenchTracer{tracetest.Bare}, tracetest.BenchTracers()...)
}

// benchClient is a client of addr traced by tr, or the bare client when tr
// is nil; it is closed when b ends.
func benchClient(b *testing.B, addr string, tr opentracing.Tracer) *redis.Client {
	var c *redis.Client
	if tr == nil {
		c = redis.NewClient(&redis.Options{Addr: addr})
	} else {
		c = redistrace.NewClient(&redis.Options{Addr: addr}, redistrace.WithTracer(tr))
	}
	b.Cleanup(func() { c.Close() })
	return c
}

// BenchmarkGet is one GET round trip to the real Redis.
func BenchmarkGet(b *testing.B) {
	addr := testenv.RedisAddr(b)
	for _, bt := range benchTracers() {
		b.Run(bt.Name, func(b *testing.B) {
			tr := bt.Tracer(b)
			c := benchClient(b, addr, tr)
			ctx := tracetest.ParentContext(tr)
			k := uniqueKey(b, "k")
			c.Set(context.Background(), k, "value", time.Minute)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				bt.Trim(i)
				if err := c.Get(ctx, k).Err(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPipeline is a pipeline of ten commands to the real Redis.
func BenchmarkPipeline(b *testing.B) {
	addr := testenv.RedisAddr(b)
	for _, bt := range benchTracers() {
		b.Run(bt.Name, func(b *testing.B) {
			tr := bt.Tracer(b)
			c := benchClient(b, addr, tr)
			ctx := tracetest.ParentContext(tr)
			k := uniqueKey(b, "k")
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				bt.Trim(i)
				if _, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
					for j := 0; j < 10; j++ {
						p.Get(ctx, k)
					}
					return nil
				}); err != nil && err != redis.Nil {
					b.Fatal(err)
				}
			}
		})
	}
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
