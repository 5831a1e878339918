package core

import (
	"testing"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/mocktracer"
	"github.com/uber/jaeger-client-go"
)

func jaegerSampler(t *testing.T, sampled bool) opentracing.Tracer {
	tr, closer := jaeger.NewTracer("test", jaeger.NewConstSampler(sampled), jaeger.NewNullReporter())
	t.Cleanup(func() { closer.Close() })
	return tr
}

func TestSampledContextAndInjectContext(t *testing.T) {
	if sc, ok := SampledContext(nil); sc != nil || ok {
		t.Fatal("nil span")
	}
	for _, sampled := range []bool{true, false} {
		tr := jaegerSampler(t, sampled)
		span := tr.StartSpan("op")
		sc, ok := SampledContext(span)
		if ok != sampled || sc == nil {
			t.Fatalf("sampled=%v: got %v", sampled, ok)
		}
		h := opentracing.HTTPHeadersCarrier{}
		InjectContext(span, sc, opentracing.HTTPHeaders, h)
		if len(h) == 0 {
			t.Fatal("nothing injected")
		}
	}
	mock := mocktracer.New()
	span := mock.StartSpan("op")
	if _, ok := SampledContext(span); !ok {
		t.Fatal("a tracer that does not say must be taken as sampled")
	}
	InjectContext(span, span.Context(), "no such format", opentracing.TextMapCarrier{})
	if logs := span.(*mocktracer.MockSpan).Logs(); len(logs) != 1 {
		t.Fatalf("an injection failure was not logged: %v", logs)
	}
	InjectContext(nil, nil, opentracing.TextMap, opentracing.TextMapCarrier{}) // no panic
}
