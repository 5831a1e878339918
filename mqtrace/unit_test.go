package mqtrace

import (
	"bytes"
	"context"
	"errors"
	"runtime"
	"testing"
	"unicode/utf8"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/mocktracer"

	"github.com/tracewrap/tracewrap/internal/core"
)

// twiceAsync imitates v2.1.2 on a network error: the callback runs with a nil
// result and an error, and then once more.
type twiceAsync struct{ stubProducer }

func (twiceAsync) SendAsync(ctx context.Context, f func(context.Context, *primitive.SendResult, error), _ ...*primitive.Message) error {
	f(ctx, nil, errors.New("connection reset"))
	f(ctx, nil, errors.New("connection reset"))
	return nil
}

func TestSendAsyncSpanEndsOnceWithNilResult(t *testing.T) {
	trc, tr := mockTracing()
	p := trc.WrapProducer(twiceAsync{})
	calls := 0
	err := p.SendAsync(context.Background(), func(context.Context, *primitive.SendResult, error) { calls++ },
		primitive.NewMessage("t", nil))
	if err != nil || calls != 2 {
		t.Fatalf("err %v, user callback ran %d times (the client's count is 2)", err, calls)
	}
	if spans := tr.FinishedSpans(); len(spans) != 1 || spans[0].Tag("error") != true {
		t.Fatalf("%d spans", len(spans))
	}
	if trc.WrapProducer(p) != p {
		t.Fatal("wrapped twice")
	}
}

func TestChildSpansOnlyAndFilter(t *testing.T) {
	trc, tr := mockTracing(WithChildSpansOnly(), WithSpanFilter(func(c *Call) bool { return c.Topic != "skip" }))
	p := trc.WrapProducer(stubProducer{})
	m := primitive.NewMessage("t", nil)
	_, _ = p.SendSync(context.Background(), m)
	ctx := opentracing.ContextWithSpan(context.Background(), tr.StartSpan("parent"))
	skipped := primitive.NewMessage("skip", nil)
	_, _ = p.SendSync(ctx, skipped)
	if len(tr.FinishedSpans()) != 0 || len(m.GetProperties()) != 0 || len(skipped.GetProperties()) != 0 {
		t.Fatal("untraced sends made spans or injected a context")
	}
	_, _ = p.SendSync(ctx, m)
	if len(tr.FinishedSpans()) != 1 || len(m.GetProperties()) == 0 {
		t.Fatal("child send not traced")
	}
	// No context in the message: no consume span under ChildSpansOnly.
	ran := false
	_, _ = trc.runConsume(context.Background(), []*primitive.MessageExt{{}}, func(ctx context.Context, _ ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		ran = opentracing.SpanFromContext(ctx) == nil
		return consumer.ConsumeSuccess, nil
	})
	if !ran || len(tr.FinishedSpans()) != 1 {
		t.Fatal("consume of a message without context was traced")
	}
}

func TestPayloadCaptureAndObserver(t *testing.T) {
	var observed []string
	trc, tr := mockTracing(WithPayloadCapture(), WithMaxStatementSize(8),
		WithSpanObserver(SpanObserver{OnFinish: func(s opentracing.Span, c *Call, _ error) {
			observed = append(observed, c.Operation)
		}}))
	_, _ = trc.WrapProducer(stubProducer{}).SendSync(context.Background(), primitive.NewMessage("t", []byte("a long secret body")))
	s := tr.FinishedSpans()[0]
	if v := s.Tag(TagPayload).(string); len(v) > 8 {
		t.Fatalf("payload %q not capped", v)
	}
	if len(observed) != 1 || observed[0] != OpSend {
		t.Fatalf("observer saw %v", observed)
	}
	_, tr2 := mockTracing()
	_, _ = New(WithTracer(tr2)).WrapProducer(stubProducer{}).SendSync(context.Background(), primitive.NewMessage("t", []byte("body")))
	if tr2.FinishedSpans()[0].Tag(TagPayload) != nil {
		t.Fatal("payload recorded without opt-in")
	}
}

func TestConsumePanicFinishesSpan(t *testing.T) {
	trc, tr := mockTracing()
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("panic swallowed")
			}
		}()
		_, _ = trc.runConsume(context.Background(), []*primitive.MessageExt{{}}, func(context.Context, ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
			panic("boom")
		})
	}()
	if s := tr.FinishedSpans(); len(s) != 1 || s[0].Tag("error") != true {
		t.Fatal("panicking consumer left its span open")
	} else if r := s[0].Tag(TagConsumeResult); r != "PANIC" {
		t.Fatalf("a panicked consumption tagged %v: the client does not retry it", r)
	}
}

func TestStartConsumeSpanBatchAndUntraced(t *testing.T) {
	trc, tr := mockTracing()
	a, b := tr.StartSpan("a"), tr.StartSpan("b")
	ma, mb := &primitive.MessageExt{}, &primitive.MessageExt{}
	inject(a, &ma.Message)
	inject(b, &mb.Message)
	ctx, finish := trc.StartConsumeSpan(context.Background(), ma, mb)
	if opentracing.SpanFromContext(ctx) == nil {
		t.Fatal("no span in ctx")
	}
	finish(consumer.ConsumeRetryLater, nil)
	finish(consumer.ConsumeSuccess, nil) // second call is a no-op
	s := tr.FinishedSpans()
	if len(s) != 1 || s[0].Tag(TagBatchSize) != 2 || s[0].Tag("error") != true ||
		s[0].SpanContext.TraceID != a.(*mocktracer.MockSpan).SpanContext.TraceID {
		t.Fatalf("batch span %v", s)
	}
	_, finish = New(WithTracer(opentracing.NoopTracer{})).StartConsumeSpan(context.Background(), ma)
	finish(consumer.ConsumeSuccess, nil)
}

// Payload capture shows at most WithMaxStatementSize bytes of a body; it must
// not copy a 4 MB body to get them, on every send and every consume.
func TestPayloadCaptureCopiesOnlyTheShownPart(t *testing.T) {
	trc, tr := mockTracing(WithPayloadCapture())
	p := trc.WrapProducer(stubProducer{})
	body := bytes.Repeat([]byte("é"), 2<<20) // 4 MB, cut inside a rune
	msg := primitive.NewMessage("t", body)
	ext := &primitive.MessageExt{Message: *primitive.NewMessage("t", body)}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, _ = p.SendSync(context.Background(), msg)
	_, finish := trc.StartConsumeSpan(context.Background(), ext)
	finish(consumer.ConsumeSuccess, nil)
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Fatalf("a send and a consume allocated %d bytes for a 4 MB body", n)
	}
	for _, s := range tr.FinishedSpans() {
		v, _ := s.Tag(TagPayload).(string)
		want, _ := core.Truncate(string(body), trc.produce.MaxStatementSize)
		if v != want {
			t.Fatalf("%s payload of %d bytes, want %d", s.OperationName, len(v), len(want))
		}
	}
}

// A captured body is shown as it is when it is text; anything else (a
// protobuf, a compressed or encrypted body) is quoted with Go escapes, so no
// raw binary byte reaches the span, and stays within WithMaxStatementSize.
func TestPayloadCaptureIsBinarySafe(t *testing.T) {
	for _, tc := range []struct {
		name string
		body []byte
		max  int
		want string
	}{
		{"json", []byte(`{"id":42,"name":"é"}`), 64, `{"id":42,"name":"é"}`},
		{"lines", []byte("a\tb\r\nc"), 64, "a\tb\r\nc"},
		{"text cut", []byte("0123456789"), 8, "01234" + core.TruncationMarker},
		{"text cut inside a rune", []byte("abcdeé"), 6, "abc" + core.TruncationMarker},
		{"binary", []byte{0x08, 0x96, 0x01, 'a'}, 64, `"\b\x96\x01a"`},
		{"control", []byte("ok\x00\x1b[2J"), 64, `"ok\x00\x1b[2J"`},
		{"invalid utf-8", []byte("caf\xe9"), 64, `"caf\xe9"`},
		{"looks quoted", []byte(`"\x00"`), 64, `"\"\\x00\""`},
		{"binary cut", bytes.Repeat([]byte{0xff}, 100), 16, `"\xff\xff"` + core.TruncationMarker},
		{"binary cut keeps escapes whole", append([]byte("abcdefgh"), 0, 0, 0, 0), 16, `"abcdefgh"` + core.TruncationMarker},
		{"printable runes kept", []byte("é\x00"), 64, `"é\x00"`},
		{"empty", nil, 64, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			trc, tr := mockTracing(WithPayloadCapture(), WithMaxStatementSize(tc.max))
			_, _ = trc.WrapProducer(stubProducer{}).SendSync(context.Background(), primitive.NewMessage("t", tc.body))
			_, finish := trc.StartConsumeSpan(context.Background(), &primitive.MessageExt{Message: *primitive.NewMessage("t", tc.body)})
			finish(consumer.ConsumeSuccess, nil)
			for _, s := range tr.FinishedSpans() {
				v, _ := s.Tag(TagPayload).(string)
				if v != tc.want {
					t.Errorf("%s: payload %q, want %q", s.OperationName, v, tc.want)
				}
				if len(v) > tc.max {
					t.Errorf("%s: payload of %d bytes, cap %d", s.OperationName, len(v), tc.max)
				}
			}
		})
	}
}

// Whatever the body and the cap, the payload stays within the cap and holds
// no raw control or invalid byte.
func TestPayloadNeverExceedsCapOrCarriesRawBytes(t *testing.T) {
	bodies := [][]byte{nil, []byte("plain"), []byte("é\x00é"), []byte{0xe2, 0x82}, bytes.Repeat([]byte{0, 'a', 0xc3, 0xa9, 0xff}, 50)}
	for _, body := range bodies {
		for max := 1; max < 40; max++ {
			v := payload(body, max)
			if len(v) > max || !utf8.ValidString(v) {
				t.Fatalf("payload(%q, %d) = %q", body, max, v)
			}
			for _, r := range v {
				if r < ' ' && r != '\t' && r != '\n' && r != '\r' || r == 0x7f {
					t.Fatalf("payload(%q, %d) = %q holds a raw control byte", body, max, v)
				}
			}
		}
		if v := payload(body, 0); len(body) > 0 && v == "" {
			t.Fatalf("uncapped payload of %q is empty", body)
		}
	}
}

func TestSplitTopic(t *testing.T) {
	for _, tc := range []struct{ in, topic, ns string }{
		{"orders", "orders", ""},
		{"prod%orders", "orders", "prod"},
		{"%RETRY%billing", "%RETRY%billing", ""},
		{"%RETRY%prod%billing", "%RETRY%billing", "prod"},
		{"%DLQ%prod%billing", "%DLQ%billing", "prod"},
		{"%odd", "%odd", ""},
		{"", "", ""},
	} {
		if topic, ns := splitTopic(tc.in); topic != tc.topic || ns != tc.ns {
			t.Errorf("splitTopic(%q) = %q, %q; want %q, %q", tc.in, topic, ns, tc.topic, tc.ns)
		}
	}
}
