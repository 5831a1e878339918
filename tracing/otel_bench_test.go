package tracing

import (
	"context"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/tracewrap/tracewrap/internal/core"
)

type discardExporter struct{}

func (discardExporter) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discardExporter) Shutdown(context.Context) error                             { return nil }

// The per-call cost of a wrapper's span on the OpenTelemetry backend, and
// what the unsampled fast path saves there.
func BenchmarkOpenTelemetryBackend(b *testing.B) {
	for _, tc := range []struct {
		name, sampler string
		leaf, direct  bool
	}{
		// What the fast path saves: the bridge span an unsampled call
		// would otherwise start (non-recording, but allocated).
		{"unsampled/bridge-span", "parentbased_always_off", false, true},
		{"sampled/leaf", "parentbased_always_on", true, false},
		{"sampled/client", "parentbased_always_on", false, false},
		{"unsampled/leaf", "parentbased_always_off", true, false},
		{"unsampled/client", "parentbased_always_off", false, false},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.Setenv("OTEL_TRACES_SAMPLER", tc.sampler)
			b.Setenv("OTEL_TRACES_EXPORTER", "")
			tr, closer, err := Init("bench", WithoutGlobal(), WithSpanExporter(discardExporter{}), WithLogger(&recordingLogger{}))
			if err != nil {
				b.Fatal(err)
			}
			defer closer.Close()
			parent := tr.StartSpan("parent")
			defer parent.Finish()
			ctx := opentracing.ContextWithSpan(context.Background(), parent)
			cfg := core.New(core.Defaults[call]{Component: "bench", Kind: ext.SpanKindRPCClientEnum, Leaf: tc.leaf},
				core.WithTracer[call](tr))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if tc.direct {
					cfg.Finish(cfg.Start(call{}, parent.Context(), "op", time.Time{}), call{}, nil, time.Time{})
					continue
				}
				if tc.leaf {
					span, _ := cfg.StartFromContext(ctx, call{}, "op", time.Time{})
					cfg.Finish(span, call{}, nil, time.Time{})
					continue
				}
				// A propagating client: the fast path hands the parent's
				// context on instead of starting a span.
				sc, unsampled := cfg.Parent(parent)
				var span opentracing.Span
				if !unsampled {
					span = cfg.Start(call{}, sc, "op", time.Time{})
					sc = span.Context()
				}
				_ = sc
				cfg.Finish(span, call{}, nil, time.Time{})
			}
		})
	}
}
