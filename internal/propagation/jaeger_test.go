package propagation

import (
	"fmt"
	"strings"
	"testing"
)

func TestParseUberTraceID(t *testing.T) {
	valid := map[string]SpanContext{
		"4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7:0000000000000000:1": {TraceID: TraceID{0x4bf92f3577b34da6, 0xa3ce929d0e0e4736}, SpanID: 0xf067aa0ba902b7, Sampled: true},
		"abc:def:1:0":              {TraceID: TraceID{0, 0xabc}, SpanID: 0xdef, ParentID: 1},
		"ABC:DEF:0:3":              {TraceID: TraceID{0, 0xabc}, SpanID: 0xdef, Sampled: true, Debug: true},
		"1abc:def:0:2":             {TraceID: TraceID{0, 0x1abc}, SpanID: 0xdef, Sampled: true, Debug: true},
		"11234567890abcdef:1:0:1":  {TraceID: TraceID{1, 0x1234567890abcdef}, SpanID: 1, Sampled: true},
		" 0000000000000001:1:0:9 ": {TraceID: TraceID{0, 1}, SpanID: 1, Sampled: true},
	}
	for in, want := range valid {
		if got, err := ParseUberTraceID(in); err != nil || got != want {
			t.Errorf("ParseUberTraceID(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{
		"", "1:2:3", "1:2:3:4:5", "0:1:0:1", "1:0:0:1", "x:1:0:1", "1:1:0:", "1:1:0:100", "1:1::1",
		strings.Repeat("1", 33) + ":1:0:1", "1:" + strings.Repeat("1", 17) + ":0:1", "1%3A1%3A0%3A1",
	} {
		if sc, err := ParseUberTraceID(in); err == nil {
			t.Errorf("ParseUberTraceID(%q) = %+v, want an error", in, sc)
		}
	}
}

func TestFormatUberTraceID(t *testing.T) {
	for _, tc := range []struct {
		sc   SpanContext
		want string
	}{
		{SpanContext{TraceID: TraceID{0, 0xabc}, SpanID: 0xdef, Sampled: true}, "0000000000000abc:0000000000000def:0000000000000000:1"},
		{SpanContext{TraceID: TraceID{1, 2}, SpanID: 3, ParentID: 4, Debug: true}, "00000000000000010000000000000002:0000000000000003:0000000000000004:3"},
		{SpanContext{TraceID: TraceID{0, 2}, SpanID: 3}, "0000000000000002:0000000000000003:0000000000000000:0"},
	} {
		if got := FormatUberTraceID(tc.sc); got != tc.want {
			t.Errorf("FormatUberTraceID(%+v) = %q, want %q", tc.sc, got, tc.want)
		}
		back, err := ParseUberTraceID(tc.want)
		want := tc.sc
		want.Sampled = want.Sampled || want.Debug
		if err != nil || back != want {
			t.Errorf("parse back %q = %+v, %v", tc.want, back, err)
		}
	}
}

func TestJaegerBaggageEncodings(t *testing.T) {
	sc := SpanContext{TraceID: TraceID{0, 1}, SpanID: 2, Sampled: true}
	bag := []Member{{Key: "plain", Value: "v"}, {Key: "esc", Value: "a b&c=d%e/€"}, {Key: "ctl", Value: "line\nbreak"}}
	p := New(Jaeger)

	h := newCarrier()
	if pr := p.Inject(sc, bag, HTTPHeaders, h); pr != 0 {
		t.Errorf("HTTP inject: %v", pr)
	}
	if got := h.get("uberctx-esc"); got != "a%20b%26c%3Dd%25e%2F%E2%82%AC" {
		t.Errorf("HTTP form: uberctx-esc = %q, want url.QueryEscape's with a space as %%20", got)
	}
	res, _ := p.Extract(h, HTTPHeaders)
	if m := bagMap(res.Baggage); len(m) != 3 || m["esc"] != bag[1].Value || m["ctl"] != bag[2].Value {
		t.Errorf("HTTP round trip: %v", m)
	}

	tm := newCarrier()
	if pr := p.Inject(sc, bag, TextMap, tm); pr != BaggageUnsafe {
		t.Errorf("TextMap inject of a value with a newline: %v, want BaggageUnsafe", pr)
	}
	if got := tm.get("uberctx-esc"); got != bag[1].Value {
		t.Errorf("TextMap form: uberctx-esc = %q, want it raw", got)
	}
	if tm.get("uberctx-ctl") != "" {
		t.Errorf("TextMap form wrote a value with a control character")
	}
	res, _ = p.Extract(tm, TextMap)
	if m := bagMap(res.Baggage); len(m) != 2 || m["esc"] != bag[1].Value {
		t.Errorf("TextMap round trip: %v", m)
	}

	// jaeger-client-go reads '+' in a TextMap value as itself, in headers as a space.
	c := newCarrier("uber-trace-id", "1:2:0:1", "uberctx-k", "a+b")
	if res, _ := p.Extract(c, TextMap); bagMap(res.Baggage)["k"] != "a+b" {
		t.Errorf("TextMap: %v", res.Baggage)
	}
	if res, _ := p.Extract(c, HTTPHeaders); bagMap(res.Baggage)["k"] != "a b" {
		t.Errorf("HTTP: %v", res.Baggage)
	}
	// URL-encoded uber-trace-id in headers.
	if res, _ := p.Extract(newCarrier("Uber-Trace-Id", "1%3A2%3A0%3A1"), HTTPHeaders); !res.Context.IsValid() {
		t.Errorf("escaped uber-trace-id not read: %+v", res)
	}
}

func TestJaegerBaggageHeader(t *testing.T) {
	p := New(Jaeger)
	res, _ := p.Extract(newCarrier("jaeger-baggage", "k1=v1, k2 = v2 ,bad,a=b=c", "jaeger-debug-id", "dbg-1"), HTTPHeaders)
	if m := bagMap(res.Baggage); len(m) != 2 || m["k1"] != "v1" || m["k2"] != " v2" {
		t.Errorf("jaeger-baggage: %q", m)
	}
	if res.Problems != JaegerBaggageInvalid || res.Context.DebugID != "dbg-1" || res.Context.IsValid() {
		t.Errorf("result %+v", res)
	}

	// 4000 commas: one problem, not one per entry.
	res, _ = p.Extract(newCarrier("jaeger-baggage", strings.Repeat(",", 4000)), HTTPHeaders)
	if res.Problems != JaegerBaggageInvalid || len(res.Baggage) != 0 {
		t.Errorf("commas: %+v", res)
	}

	// A flood of entries is bounded.
	var b strings.Builder
	for i := 0; i < 3000; i++ {
		fmt.Fprintf(&b, "k%d=v,", i)
	}
	res, _ = p.Extract(newCarrier("jaeger-baggage", b.String()), HTTPHeaders)
	if len(res.Baggage) != MaxBaggageMembers || res.Problems&BaggageOverLimit == 0 {
		t.Errorf("flood: %d members, %v", len(res.Baggage), res.Problems)
	}

	res, _ = p.Extract(newCarrier("jaeger-debug-id", "a\x00b"), HTTPHeaders)
	if res.Context.DebugID != "" || res.Problems != DebugIDInvalid || !res.Found {
		t.Errorf("bad debug id: %+v", res)
	}
}

func TestJaegerCustomHeaders(t *testing.T) {
	p := New(Jaeger).WithJaegerHeaders(JaegerHeaders{TraceContext: "X-Trace", BaggagePrefix: "ctx-", DebugID: "x-debug"})
	c := newCarrier()
	sc := SpanContext{TraceID: TraceID{0, 1}, SpanID: 2, Sampled: true}
	p.Inject(sc, []Member{{Key: "k", Value: "v"}}, TextMap, c)
	if c.get("x-trace") == "" || c.get("ctx-k") != "v" || c.get("uber-trace-id") != "" {
		t.Fatalf("custom names not used: %v", c.vals)
	}
	c.add("X-Debug", "dbg")
	res, _ := p.Extract(c, TextMap)
	if res.Context.SpanID != 2 || bagMap(res.Baggage)["k"] != "v" || res.Context.DebugID != "dbg" {
		t.Errorf("custom names: %+v", res)
	}
	if res, _ := New(Jaeger).Extract(c, TextMap); res.Found {
		t.Errorf("default names read custom keys: %+v", res)
	}
	// Baggage-only contexts still send their baggage.
	c = newCarrier()
	New(Jaeger).Inject(SpanContext{}, []Member{{Key: "k", Value: "v"}}, TextMap, c)
	if len(c.keys) != 1 || c.get("uberctx-k") != "v" {
		t.Errorf("baggage-only inject: %v", c.vals)
	}
}
