package sqltrace

import (
	"context"
	"testing"

	"github.com/opentracing/opentracing-go"
	"github.com/uber/jaeger-client-go"
)

// Under a parent whose trace is not sampled a statement's span would never
// be recorded, and no trace comment is written for unsampled spans: no span
// is made and the driver's values are handed back unwrapped, as with a
// NoopTracer.
func TestUnsampledParentMakesNoSpan(t *testing.T) {
	tr, closer := jaeger.NewTracer("t", jaeger.NewConstSampler(false), jaeger.NewNullReporter())
	defer closer.Close()
	parent := tr.StartSpan("parent")
	defer parent.Finish()
	ctx := opentracing.ContextWithSpan(context.Background(), parent)

	d := &db{cfg: newConfig([]Option{WithTracer(tr)})}
	if _, ok := d.parent(ctx); ok {
		t.Fatal("a call under an unsampled parent would be traced")
	}
	d = &db{cfg: newConfig([]Option{WithTracer(tr), WithSpanObserver(SpanObserver{OnStart: func(opentracing.Span, *Call) {}})})}
	if _, ok := d.parent(ctx); !ok {
		t.Fatal("with an observer the call must still be traced")
	}
}
