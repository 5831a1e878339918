package mqtrace

import (
	"bytes"
	"context"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/mocktracer"
	"github.com/uber/jaeger-client-go"

	"github.com/tracewrap/tracewrap/internal/tracetest"
)

func TestInjectAddsPropertiesWithoutReplacing(t *testing.T) {
	tr := mocktracer.New()
	span := tr.StartSpan("p")
	span.SetBaggageItem("tenant", "acme")
	msg := primitive.NewMessage("t", nil).WithTag("tag").WithKeys([]string{"k"})
	msg.WithProperty("mine", "1")
	Inject(opentracing.ContextWithSpan(context.Background(), span), msg)
	props := msg.GetProperties()
	if props["mine"] != "1" || props[primitive.PropertyTags] != "tag" || props[primitive.PropertyKeys] != "k" {
		t.Fatalf("user properties lost: %v", props)
	}
	sc, err := New(WithTracer(tr)).Extract(&primitive.MessageExt{Message: *copyMessage(msg)})
	if err != nil || sc == nil || sc.(mocktracer.MockSpanContext).SpanID != span.(*mocktracer.MockSpan).SpanContext.SpanID {
		t.Fatalf("round trip: %v %v", sc, err)
	}
	Inject(context.Background(), msg) // no span: nothing happens
}

// copyMessage copies the exported fields and properties (Message holds a
// mutex and must not be copied by value).
func copyMessage(m *primitive.Message) *primitive.Message {
	c := primitive.NewMessage(m.Topic, m.Body)
	for k, v := range m.GetProperties() {
		c.WithProperty(k, v)
	}
	return c
}

func TestInjectSkipsPropertySeparators(t *testing.T) {
	tr := tracetest.JaegerNull(t, true)
	span := tr.StartSpan("p")
	span.SetBaggageItem("ok", "fine")
	span.SetBaggageItem("bad", "a\x01b")
	span.SetBaggageItem("bad\x02key", "v")
	msg := primitive.NewMessage("t", nil)
	Inject(opentracing.ContextWithSpan(context.Background(), span), msg)
	for k, v := range msg.GetProperties() {
		if strings.ContainsAny(k+v, separators) {
			t.Fatalf("separator written: %q=%q", k, v)
		}
	}
	if msg.GetProperty("uberctx-ok") != "fine" || msg.GetProperty("uber-trace-id") == "" {
		t.Fatalf("good entries missing: %v", msg.GetProperties())
	}
	var counts []any
	for _, l := range span.(*jaeger.Span).Logs() {
		if l.Fields[0].Value() == "trace context entries dropped" {
			for _, f := range l.Fields {
				if f.Key() == "count" {
					counts = append(counts, f.Value())
				}
			}
		}
	}
	if len(counts) != 1 || counts[0] != 2 {
		t.Fatalf("drop logs with counts %v, want one with 2", counts)
	}
}

func TestExtractCorruptAndMissing(t *testing.T) {
	tr := tracetest.JaegerNull(t, true)
	trc := New(WithTracer(tr))
	for _, v := range []string{"garbage", "0:0:0:0", strings.Repeat("f", 1<<20), "\xff\xfe:1:0:1"} {
		m := &primitive.MessageExt{}
		m.WithProperty("uber-trace-id", v)
		sc, _ := trc.Extract(m)
		if sc != nil && sc.(jaeger.SpanContext).IsValid() {
			t.Fatalf("corrupt %.20q gave a valid parent", v)
		}
	}
	if sc, err := trc.Extract(&primitive.MessageExt{}); sc != nil || err != nil {
		t.Fatalf("missing context: %v %v", sc, err)
	}
	if sc, err := trc.Extract(nil); sc != nil || err != nil {
		t.Fatal("nil message")
	}
}

// decodeBatch reads back the batch encoding of producer.MarshalMessageBatch.
func decodeBatch(t *testing.T, body []byte) []map[string]string {
	t.Helper()
	var out []map[string]string
	for pos := 0; pos < len(body); {
		total := int(binary.BigEndian.Uint32(body[pos:]))
		bodyLen := int(binary.BigEndian.Uint32(body[pos+16:]))
		propAt := pos + 20 + bodyLen
		propLen := int(binary.BigEndian.Uint16(body[propAt:]))
		if propAt+2+propLen != pos+total {
			t.Fatalf("entry at %d: sizes disagree", pos)
		}
		m := &primitive.Message{}
		m.UnmarshalProperties(body[propAt+2 : propAt+2+propLen])
		props := m.GetProperties()
		props["body"] = string(body[pos+20 : propAt])
		out = append(out, props)
		pos += total
	}
	return out
}

func TestInjectBatchBody(t *testing.T) {
	tr := mocktracer.New()
	span := tr.StartSpan("send")
	span.SetBaggageItem("tenant", "acme")
	a := primitive.NewMessage("t", []byte("first")).WithTag("a")
	b := primitive.NewMessage("t", []byte("second"))
	batch := &primitive.Message{Topic: "t", Batch: true, Body: producer.MarshalMessageBatch(a, b)}
	injectBatch(span, batch)
	entries := decodeBatch(t, batch.Body)
	if len(entries) != 2 || entries[0]["body"] != "first" || entries[1]["body"] != "second" || entries[0][primitive.PropertyTags] != "a" {
		t.Fatalf("entries %v", entries)
	}
	want := span.(*mocktracer.MockSpan).SpanContext
	for _, e := range entries {
		sc, err := tr.Extract(opentracing.TextMap, opentracing.TextMapCarrier(e))
		if err != nil || sc.(mocktracer.MockSpanContext).SpanID != want.SpanID || e["mockpfx-baggage-tenant"] != "acme" {
			t.Fatalf("entry %v: %v", e, err)
		}
	}
	if span.(*mocktracer.MockSpan).Tag(TagBatchSize) != 2 {
		t.Fatal("batch size not tagged")
	}
}

func TestAppendBatchPropertiesRejectsMalformed(t *testing.T) {
	good := producer.MarshalMessageBatch(primitive.NewMessage("t", []byte("x")))
	for name, body := range map[string][]byte{
		"short":     good[:10],
		"truncated": good[:len(good)-1],
		"huge body": func() []byte { b := bytes.Clone(good); binary.BigEndian.PutUint32(b[16:], 1<<30); return b }(),
		"bad total": func() []byte { b := bytes.Clone(good); binary.BigEndian.PutUint32(b, 3); return b }(),
	} {
		if _, _, ok := appendBatchProperties(body, "k\x01v\x02"); ok {
			t.Errorf("%s: accepted", name)
		}
	}
	big := primitive.NewMessage("t", nil)
	big.WithProperty("big", strings.Repeat("x", 0xFFF0))
	if _, _, ok := appendBatchProperties(producer.MarshalMessageBatch(big), strings.Repeat("y", 100)); ok {
		t.Error("property size overflow accepted")
	}
}

func FuzzAppendBatchProperties(f *testing.F) {
	f.Add(producer.MarshalMessageBatch(primitive.NewMessage("t", []byte("x")), primitive.NewMessage("t", nil)), "k\x01v\x02")
	f.Add([]byte{0, 0, 0, 1}, "")
	f.Fuzz(func(t *testing.T, body []byte, extra string) {
		out, n, ok := appendBatchProperties(body, extra)
		if ok && len(out) != len(body)+n*len(extra) {
			t.Fatalf("size %d, want %d", len(out), len(body)+n*len(extra))
		}
	})
}

func TestOpNamesBounded(t *testing.T) {
	var o opNames
	for i := 0; i < maxCachedTopics+10; i++ {
		o.get(OpSend, strings.Repeat("t", i%50)+string(rune('a'+i%26))+string(rune(i)))
	}
	if len(o.m[OpSend]) > maxCachedTopics {
		t.Fatalf("cache grew to %d", len(o.m[OpSend]))
	}
	if o.get(OpConsume, "x") != "consume x" {
		t.Fatal("name")
	}
}
