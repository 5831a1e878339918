package redistrace

import (
	"github.com/tracewrap/tracewrap/internal/tracetest"
	"testing"

	"github.com/go-redis/redis/v8"
	"github.com/opentracing/opentracing-go"
)

// Under a parent whose trace is not sampled a command's span would be
// neither recorded nor passed on: the hook makes none, unless an observer
// wants to see every span.
func TestUnsampledParentMakesNoSpan(t *testing.T) {
	tr, pctx := tracetest.UnsampledParent(t)
	cmd := redis.NewCmd(pctx, "get", "k")

	h := NewHook(WithTracer(tr))
	if c, _ := h.BeforeProcess(pctx, cmd); c != pctx {
		t.Fatal("a span was started under an unsampled parent")
	}
	if c, _ := h.BeforeProcessPipeline(pctx, []redis.Cmder{cmd}); c != pctx {
		t.Fatal("a pipeline span was started under an unsampled parent")
	}

	var seen int
	h = NewHook(WithTracer(tr), WithSpanObserver(SpanObserver{OnStart: func(opentracing.Span, *Call) { seen++ }}))
	c, _ := h.BeforeProcess(pctx, cmd)
	_ = h.AfterProcess(c, cmd)
	if seen != 1 {
		t.Fatal("the observer did not see the span")
	}
}
