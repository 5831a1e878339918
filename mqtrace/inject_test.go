package mqtrace

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/opentracing/opentracing-go"
	"github.com/uber/jaeger-client-go"

	"github.com/tracewrap/tracewrap/internal/tracetest"
	"github.com/tracewrap/tracewrap/nethttp"
)

func dropCounts(span opentracing.Span) []any {
	var counts []any
	for _, l := range span.(*jaeger.Span).Logs() {
		if l.Fields[0].Value() != "trace context entries dropped" {
			continue
		}
		for _, f := range l.Fields {
			if f.Key() == "count" {
				counts = append(counts, f.Value())
			}
		}
	}
	return counts
}

// A consumed message whose properties hold baggage no HTTP header can carry
// (a key with a space or parentheses) or more than servers take: the
// callback's onward HTTP call succeeds and carries the trace, sampled or not,
// and so does an onward send's injection.
func TestConsumedPropertiesDoNotFailOnwardCalls(t *testing.T) {
	back := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Uber-Trace-Id") == "" {
			http.Error(w, "no trace context", http.StatusBadRequest)
		}
	}))
	back.Config.MaxHeaderBytes = 12 << 10 // with net/http's 4 KiB slack: 16 KiB, as Node.js
	back.Start()
	t.Cleanup(back.Close)
	for _, sampled := range []bool{true, false} {
		tr := tracetest.JaegerNull(t, sampled)
		trc := New(WithTracer(tr))
		hc := &http.Client{Transport: nethttp.NewTransport(&http.Transport{}, nethttp.WithTracer(tr))}
		t.Cleanup(hc.CloseIdleConnections)
		flags := map[bool]string{true: "1", false: "0"}[sampled]
		for name, props := range map[string]map[string]string{
			"space in key":     {"uberctx-bad key": "1"},
			"jaeger-baggage":   {"jaeger-baggage": "k(1)=v, a/b=2"},
			"18 KB of baggage": bigBaggage(),
		} {
			msg := &primitive.MessageExt{Message: primitive.Message{Topic: "t"}}
			msg.WithProperty("uber-trace-id", "1a2b3c:4d5e6f:0:"+flags)
			for k, v := range props {
				msg.WithProperty(k, v)
			}
			ctx, finish := trc.StartConsumeSpan(context.Background(), msg)
			req, _ := http.NewRequestWithContext(ctx, "GET", back.URL, nil)
			resp, err := hc.Do(req)
			if err != nil || resp.StatusCode != 200 {
				t.Errorf("sampled %v, %s: onward call %v %v", sampled, name, err, resp)
			}
			if resp != nil {
				resp.Body.Close()
			}
			out := primitive.NewMessage("next", nil)
			Inject(ctx, out)
			size := 0
			for k, v := range out.GetProperties() {
				size += len(k) + len(v) + 2
			}
			if out.GetProperty("uber-trace-id") == "" || size > maxInjectedProperties {
				t.Errorf("sampled %v, %s: onward message properties: %d bytes, context %q", sampled, name, size, out.GetProperty("uber-trace-id"))
			}
			finish(consumer.ConsumeSuccess, nil)
		}
	}
}

// maxInjectedProperties: the injected properties stay well within the
// broker's 32 KiB of properties per message.
const maxInjectedProperties = 9 << 10

func bigBaggage() map[string]string {
	m := map[string]string{}
	for i := range 6 {
		m[fmt.Sprintf("uberctx-k%d", i)] = strings.Repeat("v", 3000)
	}
	return m
}

// A tracer that writes baggage as it is cannot set the properties the client
// and broker act on (DELAY would delay the message, TAGS retag it), nor
// separators; what is left out is logged once per send, with the count.
func TestInjectLeavesSystemPropertiesAlone(t *testing.T) {
	tr := tracetest.RawBaggage(t, opentracing.TextMap)
	span := tr.StartSpan("send")
	span.SetBaggageItem("DELAY", "18")
	span.SetBaggageItem("TAGS", "evil")
	span.SetBaggageItem("k", "a\x01b")
	span.SetBaggageItem("", "empty key")
	span.SetBaggageItem("tenant", "acme")
	a := primitive.NewMessage("t", nil).WithTag("mine")
	b := primitive.NewMessage("t", nil)
	injectContext(span, span.Context(), []*primitive.Message{a, b})
	for _, m := range []*primitive.Message{a, b} {
		if m.GetProperty(primitive.PropertyDelayTimeLevel) != "" || m.GetProperty("k") != "" {
			t.Fatalf("unsafe property written: %v", m.GetProperties())
		}
		if m.GetProperty("tenant") != "acme" || m.GetProperty("x-b3-traceid") == "" {
			t.Fatalf("valid entries lost: %v", m.GetProperties())
		}
	}
	if a.GetTags() != "mine" || b.GetTags() != "" {
		t.Fatalf("tags changed: %q %q", a.GetTags(), b.GetTags())
	}
	if c := dropCounts(span); len(c) != 1 || c[0] != 8 { // 4 per message, one log
		t.Fatalf("drop logs %v", c)
	}
}

// On the real broker: a send whose tracer would write DELAY=18 (two hours)
// arrives at once.
func TestHostileBaggageDoesNotDelayMessage(t *testing.T) {
	trc := New(WithTracer(tracetest.RawBaggage(t, opentracing.TextMap)))
	topic := uniq(t, "t")
	p := startProducer(t, trc)
	root := tracetest.RawBaggage(t, opentracing.TextMap).StartSpan("root")
	root.SetBaggageItem(primitive.PropertyDelayTimeLevel, "18")
	ctx := opentracing.ContextWithSpan(context.Background(), root)
	if _, err := p.SendSync(ctx, primitive.NewMessage(topic, []byte("now"))); err != nil {
		t.Fatal(err)
	}
	var got received
	startConsumer(t, New(WithTracer(tracetest.JaegerNull(t, true))), topic, got.consume)
	waitFor(t, 30*time.Second, "the message", func() bool { return got.count() == 1 })
	if got.msgs[0].GetProperty(primitive.PropertyDelayTimeLevel) != "" {
		t.Fatal("DELAY property sent")
	}
}

// FuzzInjectProperties: whatever baggage a span holds and however its tracer
// writes it, the message's properties survive the wire encoding as they
// were set, hold no system property the tracer wrote, and keep the user's.
func FuzzInjectProperties(f *testing.F) {
	tr := tracetest.RawBaggage(f, opentracing.TextMap)
	f.Add("tenant", "acme")
	f.Add("DELAY", "3")
	f.Add("k\x01", "v")
	f.Add("k", "a\x02b")
	f.Add("", "v")
	f.Fuzz(func(t *testing.T, k, v string) {
		span := tr.StartSpan("send")
		span.SetBaggageItem(k, v)
		m := primitive.NewMessage("t", nil).WithTag("mine")
		m.WithProperty("user", "kept")
		inject(span, m)
		props := m.GetProperties()
		var back primitive.Message
		back.UnmarshalProperties([]byte(m.MarshallProperties()))
		if got := back.GetProperties(); len(got) != len(props) {
			t.Fatalf("properties changed on the wire: %q -> %q", props, got)
		}
		for pk, pv := range props {
			if back.GetProperty(pk) != pv || !validPropertyOrUser(pk, pv) {
				t.Fatalf("property %q=%q (wire %q)", pk, pv, back.GetProperty(pk))
			}
		}
		if k == "user" || strings.HasPrefix(k, "x-b3-") {
			return // a raw tracer's baggage may name any property, like jaeger's own prefix-less entries
		}
		if m.GetTags() != "mine" || m.GetProperty("user") != "kept" || m.GetProperty("x-b3-traceid") == "" {
			t.Fatalf("user's properties or the trace context lost: %q", props)
		}
	})
}

// validPropertyOrUser: what the test message may hold, its own TAGS included.
func validPropertyOrUser(k, v string) bool {
	return validProperty(k, v) || (k == primitive.PropertyTags && v == "mine")
}
