package sqltrace

import (
	"github.com/tracewrap/tracewrap/internal/tracetest"
	"testing"

	"github.com/opentracing/opentracing-go"
)

// Under a parent whose trace is not sampled a statement's span would never
// be recorded, and no trace comment is written for unsampled spans: no span
// is made and the driver's values are handed back unwrapped, as with a
// NoopTracer.
func TestUnsampledParentMakesNoSpan(t *testing.T) {
	tr, ctx := tracetest.UnsampledParent(t)

	d := &db{cfg: newConfig([]Option{WithTracer(tr)})}
	if _, ok := d.parent(ctx); ok {
		t.Fatal("a call under an unsampled parent would be traced")
	}
	d = &db{cfg: newConfig([]Option{WithTracer(tr), WithSpanObserver(SpanObserver{OnStart: func(opentracing.Span, *Call) {}})})}
	if _, ok := d.parent(ctx); !ok {
		t.Fatal("with an observer the call must still be traced")
	}
}
