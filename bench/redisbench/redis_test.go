// Package redisbench compares redistrace with the bare go-redis v8 client and
// with go-redis's own OpenTelemetry hook, redisotel v8 ("redisotel"), which
// runs on the same OpenTelemetry SDK as ours does through the OpenTracing
// bridge (tracer=otel-*). globocom/go-redis-opentracing cannot be had from
// the module proxy (see RESULTS.md).
package redisbench

import (
	"context"
	"testing"
	"time"

	"github.com/go-redis/redis/extra/redisotel/v8"
	"github.com/go-redis/redis/v8"

	"github.com/tracewrap/tracewrap/bench/internal/tracers"
	"github.com/tracewrap/tracewrap/internal/testenv"
	"github.com/tracewrap/tracewrap/redistrace"
)

// hookImpl is one implementation's hook, for the in-process benchmarks.
type hookImpl struct {
	name string
	hook redis.Hook
}

func hooks(b *testing.B, st *tracers.Stack) []hookImpl {
	out := []hookImpl{{"tracewrap", redistrace.NewHook(redistrace.WithTracer(st.OT))}}
	if st.IsOTel() {
		out = append(out, hookImpl{"redisotel", redisotel.NewTracingHook(redisotel.WithTracerProvider(st.OTel))})
	}
	return out
}

// BenchmarkRedisHookGet is the hook alone, in process, around a GET: the
// command is built as the client would, then the hook's BeforeProcess and
// AfterProcess run. The bare case only builds the command.
func BenchmarkRedisHookGet(b *testing.B) {
	run := func(b *testing.B, st *tracers.Stack, h redis.Hook) {
		ctx := context.Background()
		if st != nil {
			ctx = st.Parent(b)
		}
		b.ReportAllocs()
		for b.Loop() {
			cmd := redis.NewStringCmd(ctx, "get", "user:1")
			if h == nil {
				continue
			}
			c, _ := h.BeforeProcess(ctx, cmd)
			cmd.SetVal("value")
			_ = h.AfterProcess(c, cmd)
			st.Tick()
		}
	}
	b.Run("tracer=none/impl=bare", func(b *testing.B) { run(b, nil, nil) })
	for _, st := range tracers.All(b) {
		for _, im := range hooks(b, st) {
			b.Run("tracer="+st.Name+"/impl="+im.name, func(b *testing.B) { run(b, st, im.hook) })
		}
	}
}

// BenchmarkRedisHookPipeline is the hook alone around a pipeline of ten GETs.
func BenchmarkRedisHookPipeline(b *testing.B) {
	run := func(b *testing.B, st *tracers.Stack, h redis.Hook) {
		ctx := context.Background()
		if st != nil {
			ctx = st.Parent(b)
		}
		cmds := make([]redis.Cmder, 10)
		b.ReportAllocs()
		for b.Loop() {
			for i := range cmds {
				cmds[i] = redis.NewStringCmd(ctx, "get", "user:1")
			}
			if h == nil {
				continue
			}
			c, _ := h.BeforeProcessPipeline(ctx, cmds)
			_ = h.AfterProcessPipeline(c, cmds)
			st.Tick()
		}
	}
	b.Run("tracer=none/impl=bare", func(b *testing.B) { run(b, nil, nil) })
	for _, st := range tracers.All(b) {
		for _, im := range hooks(b, st) {
			b.Run("tracer="+st.Name+"/impl="+im.name, func(b *testing.B) { run(b, st, im.hook) })
		}
	}
}

// clientImpl builds one implementation's client of the real Redis.
type clientImpl struct {
	name string
	new  func(o *redis.Options) *redis.Client
}

func clients(st *tracers.Stack) []clientImpl {
	out := []clientImpl{{"tracewrap", func(o *redis.Options) *redis.Client {
		return redistrace.NewClient(o, redistrace.WithTracer(st.OT))
	}}}
	if st.IsOTel() {
		out = append(out, clientImpl{"redisotel", func(o *redis.Options) *redis.Client {
			c := redis.NewClient(o)
			c.AddHook(redisotel.NewTracingHook(redisotel.WithTracerProvider(st.OTel)))
			return c
		}})
	}
	return out
}

func runReal(b *testing.B, st *tracers.Stack, newClient func(*redis.Options) *redis.Client, op func(ctx context.Context, c *redis.Client, key string) error) {
	c := newClient(&redis.Options{Addr: testenv.RedisAddr(b)})
	defer c.Close()
	key := "tw:bench:" + b.Name()
	if err := c.Set(context.Background(), key, "value", 10*time.Minute).Err(); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if st != nil {
		ctx = st.Parent(b)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := op(ctx, c, key); err != nil {
			b.Fatal(err)
		}
		if st != nil {
			st.Tick()
		}
	}
}

func benchReal(b *testing.B, op func(ctx context.Context, c *redis.Client, key string) error) {
	b.Run("tracer=none/impl=bare", func(b *testing.B) { runReal(b, nil, redis.NewClient, op) })
	for _, st := range tracers.All(b) {
		for _, im := range clients(st) {
			b.Run("tracer="+st.Name+"/impl="+im.name, func(b *testing.B) { runReal(b, st, im.new, op) })
		}
	}
}

// BenchmarkRedisGet is one GET round trip to the real Redis.
func BenchmarkRedisGet(b *testing.B) {
	benchReal(b, func(ctx context.Context, c *redis.Client, key string) error { return c.Get(ctx, key).Err() })
}

// BenchmarkRedisPipeline is a pipeline of ten GETs to the real Redis.
func BenchmarkRedisPipeline(b *testing.B) {
	benchReal(b, func(ctx context.Context, c *redis.Client, key string) error {
		_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
			for range 10 {
				p.Get(ctx, key)
			}
			return nil
		})
		return err
	})
}
