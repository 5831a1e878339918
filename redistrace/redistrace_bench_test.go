package redistrace_test

import (
	"context"
	"testing"
	"time"

	"github.com/go-redis/redis/v8"
	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/mocktracer"
	"github.com/uber/jaeger-client-go"

	"github.com/tracewrap/tracewrap/internal/testenv"
	"github.com/tracewrap/tracewrap/redistrace"
)

// benchTracers are the tracers every benchmark compares; nil means the bare
// client with no hook at all.
func benchTracers(b *testing.B) []struct {
	name string
	tr   opentracing.Tracer
} {
	sampled, c1 := jaeger.NewTracer("bench", jaeger.NewConstSampler(true), jaeger.NewNullReporter())
	unsampled, c2 := jaeger.NewTracer("bench", jaeger.NewConstSampler(false), jaeger.NewNullReporter())
	b.Cleanup(func() { c1.Close(); c2.Close() })
	return []struct {
		name string
		tr   opentracing.Tracer
	}{
		{"bare", nil},
		{"noop", opentracing.NoopTracer{}},
		{"mock", mocktracer.New()},
		{"jaeger-sampled", sampled},
		{"jaeger-unsampled", unsampled},
	}
}

// resetMock keeps mocktracer's list of finished spans from growing without
// bound during a long run.
func resetMock(tr opentracing.Tracer, i int) {
	if m, ok := tr.(*mocktracer.MockTracer); ok && i%4096 == 0 {
		m.Reset()
	}
}

// benchCtx holds a parent span of tr, as a traced request's ctx would.
func benchCtx(tr opentracing.Tracer) context.Context {
	if tr == nil {
		return context.Background()
	}
	return opentracing.ContextWithSpan(context.Background(), tr.StartSpan("parent"))
}

// BenchmarkGet is one GET round trip to the real Redis.
func BenchmarkGet(b *testing.B) {
	addr := testenv.RedisAddr(b)
	for _, bt := range benchTracers(b) {
		b.Run(bt.name, func(b *testing.B) {
			var c *redis.Client
			if bt.tr == nil {
				c = redis.NewClient(&redis.Options{Addr: addr})
			} else {
				c = redistrace.NewClient(&redis.Options{Addr: addr}, redistrace.WithTracer(bt.tr))
			}
			defer c.Close()
			ctx := benchCtx(bt.tr)
			k := uniqueKey(b, "k")
			c.Set(context.Background(), k, "value", time.Minute)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				resetMock(bt.tr, i)
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
	for _, bt := range benchTracers(b) {
		b.Run(bt.name, func(b *testing.B) {
			var c *redis.Client
			if bt.tr == nil {
				c = redis.NewClient(&redis.Options{Addr: addr})
			} else {
				c = redistrace.NewClient(&redis.Options{Addr: addr}, redistrace.WithTracer(bt.tr))
			}
			defer c.Close()
			ctx := benchCtx(bt.tr)
			k := uniqueKey(b, "k")
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				resetMock(bt.tr, i)
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
	for _, bt := range benchTracers(b) {
		if bt.tr == nil {
			continue
		}
		b.Run(bt.name, func(b *testing.B) {
			h := redistrace.NewHook(redistrace.WithTracer(bt.tr))
			ctx := benchCtx(bt.tr)
			cmd := redis.NewStringCmd(ctx, "get", "user:1")
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				resetMock(bt.tr, i)
				c, _ := h.BeforeProcess(ctx, cmd)
				_ = h.AfterProcess(c, cmd)
			}
		})
	}
}
