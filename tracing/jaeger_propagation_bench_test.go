package tracing

import (
	"net/http"
	"testing"

	"github.com/opentracing/opentracing-go"
	"github.com/uber/jaeger-client-go"
)

// Inject and extract over HTTP headers with two baggage items:
// jaeger-client-go's own propagator, this package's codecs for Jaeger only,
// and the default set (jaeger, tracecontext, baggage).
func benchTracers(b *testing.B) map[string]opentracing.Tracer {
	b.Setenv("OTEL_PROPAGATORS", "")
	own, ownCloser := jaeger.NewTracer("bench", jaeger.NewConstSampler(true), jaeger.NewNullReporter(), jaeger.TracerOptions.Gen128Bit(true))
	b.Cleanup(func() { ownCloser.Close() })
	out := map[string]opentracing.Tracer{"jaeger-client-go": own}
	for name, props := range map[string][]string{"jaeger-only": {"jaeger"}, "default": nil} {
		opts := []Option{WithReporter(jaeger.NewNullReporter()), WithoutGlobal()}
		if props != nil {
			opts = append(opts, WithPropagators(props...))
		}
		tr, c, err := Init("bench", opts...)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { c.Close() })
		out[name] = tr
	}
	return out
}

func BenchmarkInjectHTTPHeaders(b *testing.B) {
	for _, name := range []string{"jaeger-client-go", "jaeger-only", "default"} {
		tr := benchTracers(b)[name]
		span := tr.StartSpan("x")
		span.SetBaggageItem("tenant", "acme corp")
		span.SetBaggageItem("user", "42")
		sc := span.Context()
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				h := make(http.Header, 8)
				if err := tr.Inject(sc, opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h)); err != nil {
					b.Fatal(err)
				}
			}
		})
		span.Finish()
	}
}

func BenchmarkExtractHTTPHeaders(b *testing.B) {
	for _, name := range []string{"jaeger-client-go", "jaeger-only", "default"} {
		tr := benchTracers(b)[name]
		span := tr.StartSpan("x")
		span.SetBaggageItem("tenant", "acme corp")
		span.SetBaggageItem("user", "42")
		h := http.Header{"User-Agent": {"Go-http-client/1.1"}, "Accept-Encoding": {"gzip"}, "Content-Type": {"application/json"}}
		if err := tr.Inject(span.Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h)); err != nil {
			b.Fatal(err)
		}
		span.Finish()
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := tr.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
