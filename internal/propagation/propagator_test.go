package propagation

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
)

var defaultFormats = []Format{Jaeger, TraceContext, Baggage}

func TestRoundTripEveryFormat(t *testing.T) {
	contexts := []SpanContext{
		{TraceID: TraceID{0x1122334455667788, 0x99aabbccddeeff00}, SpanID: 0x1234, ParentID: 0x77, Sampled: true},
		{TraceID: TraceID{0, 0xdeadbeef}, SpanID: 0x42}, // 64-bit, unsampled
		{TraceID: TraceID{5, 6}, SpanID: 7, Sampled: true, Debug: true},
	}
	bag := []Member{{Key: "tenant", Value: "acme corp/€,;=%"}, {Key: "k", Value: "v"}}
	for _, f := range []Format{TraceContext, B3, B3Multi, Jaeger} {
		for _, enc := range []Encoding{HTTPHeaders, TextMap} {
			for _, sc := range contexts {
				p := New(f, Baggage)
				c := newCarrier()
				p.Inject(sc, bag, enc, c)
				res, err := p.Extract(c, enc)
				if err != nil || res.From != f || res.Problems != 0 {
					t.Fatalf("%v/%d: %+v, %v", f, enc, res, err)
				}
				want := sc
				switch f {
				case TraceContext: // carries neither parent nor debug
					want.ParentID, want.Debug, want.Sampled = 0, false, sc.Sampled || sc.Debug
				}
				if res.Context != want {
					t.Errorf("%v/%d: context %+v, want %+v (carrier %v)", f, enc, res.Context, want, c.vals)
				}
				if m := bagMap(res.Baggage); len(m) != 2 || m["tenant"] != bag[0].Value {
					t.Errorf("%v/%d: baggage %v", f, enc, m)
				}
			}
		}
	}
}

func TestDefaultInjectsJaegerAndW3CWithOneID(t *testing.T) {
	sc := SpanContext{TraceID: TraceID{0xabc, 0xdef}, SpanID: 0x10, Sampled: true, TraceState: "congo=t61rcWkgMzE"}
	c := newCarrier()
	if pr := New(defaultFormats...).Inject(sc, []Member{{Key: "k", Value: "v 1"}}, HTTPHeaders, c); pr != 0 {
		t.Fatal(pr)
	}
	want := map[string]string{
		"uber-trace-id": "0000000000000abc0000000000000def:0000000000000010:0000000000000000:1",
		"uberctx-k":     "v%201",
		"traceparent":   "00-0000000000000abc0000000000000def-0000000000000010-01",
		"tracestate":    "congo=t61rcWkgMzE",
		"baggage":       "k=v%201",
	}
	if len(c.keys) != len(want) {
		t.Errorf("injected %v", c.vals)
	}
	for k, v := range want {
		if got := c.get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
}

func TestExtractPreference(t *testing.T) {
	const (
		jaegerTP = "0000000000000001:0000000000000002:0:1"
		w3cTP    = "00-000000000000000000000000000000aa-00000000000000bb-00"
	)
	jaegerSC := SpanContext{TraceID: TraceID{0, 1}, SpanID: 2, Sampled: true}
	w3cSC := SpanContext{TraceID: TraceID{0, 0xaa}, SpanID: 0xbb}

	both := newCarrier("Uber-Trace-Id", jaegerTP, "Traceparent", w3cTP, "Tracestate", "a=1")
	res, _ := New(Jaeger, TraceContext).Extract(both, HTTPHeaders)
	if res.Context != jaegerSC || res.From != Jaeger || res.Problems != Conflict {
		t.Errorf("jaeger first: %+v", res)
	}
	res, _ = New(TraceContext, Jaeger).Extract(both, HTTPHeaders)
	w := w3cSC
	w.TraceState = "a=1"
	if res.Context != w || res.From != TraceContext || res.Problems != Conflict {
		t.Errorf("tracecontext first: %+v", res)
	}

	// A broken preferred format falls back to the next one.
	broken := newCarrier("uber-trace-id", "garbage", "traceparent", w3cTP)
	res, _ = New(Jaeger, TraceContext).Extract(broken, HTTPHeaders)
	if res.Context != w3cSC || res.Problems != JaegerInvalid {
		t.Errorf("fallback: %+v", res)
	}

	// Same trace in both: no conflict; tracestate goes with the context.
	same := newCarrier("uber-trace-id", "aa:cc:0:1", "traceparent", w3cTP, "tracestate", "a=1", "tracestate", "b=2")
	res, _ = New(Jaeger, TraceContext).Extract(same, HTTPHeaders)
	if res.Problems != 0 || res.Context.SpanID != 0xcc || res.Context.TraceState != "a=1,b=2" {
		t.Errorf("same trace: %+v", res)
	}

	// A format not configured is not read at all.
	res, _ = New(Jaeger).Extract(newCarrier("traceparent", w3cTP, "baggage", "k=v"), HTTPHeaders)
	if res.Found || res.Context.IsValid() || len(res.Baggage) != 0 {
		t.Errorf("unconfigured formats read: %+v", res)
	}
	res, _ = New().Extract(both, HTTPHeaders)
	if res.Found {
		t.Errorf("no formats: %+v", res)
	}
}

func TestExtractDuplicateTraceparent(t *testing.T) {
	c := newCarrier("traceparent", "00-000000000000000000000000000000aa-00000000000000bb-01",
		"traceparent", "00-000000000000000000000000000000cc-00000000000000dd-01")
	res, _ := New(TraceContext).Extract(c, HTTPHeaders)
	if res.Context.IsValid() || res.Problems != TraceparentDuplicate || !res.Found {
		t.Errorf("two traceparents: %+v", res)
	}
	// The same value twice (a proxy that appends) is one traceparent.
	c = newCarrier("traceparent", "00-000000000000000000000000000000aa-00000000000000bb-01",
		"Traceparent", "00-000000000000000000000000000000aa-00000000000000bb-01")
	if res, _ := New(TraceContext).Extract(c, HTTPHeaders); !res.Context.IsValid() || res.Problems != 0 {
		t.Errorf("repeated traceparent: %+v", res)
	}
}

func TestExtractBaggagePrecedence(t *testing.T) {
	c := newCarrier("uberctx-user", "from-jaeger", "baggage", "user=from-w3c,other=w3c", "jaeger-baggage", "user=from-jb,third=jb")
	res, _ := New(Jaeger, TraceContext, Baggage).Extract(c, HTTPHeaders)
	if m := bagMap(res.Baggage); m["user"] != "from-jaeger" || m["other"] != "w3c" || m["third"] != "jb" || len(m) != 3 {
		t.Errorf("jaeger first: %v", m)
	}
	res, _ = New(Baggage, Jaeger).Extract(c, HTTPHeaders)
	if m := bagMap(res.Baggage); m["user"] != "from-w3c" {
		t.Errorf("baggage first: %v", m)
	}
	if res.Context.IsValid() || !res.Found {
		t.Errorf("baggage only: %+v", res)
	}
}

func TestExtractHostile(t *testing.T) {
	p := New(Jaeger, TraceContext, Baggage, B3)
	const tp = "00-000000000000000000000000000000aa-00000000000000bb-01"

	// Unsafe uberctx keys (a TextMap carrier can hold anything) are dropped,
	// the trace survives.
	c := newCarrier("traceparent", tp, "uberctx-bad key", "v", "uberctx-a,b", "v", "uberctx-ok", "v", "uberctx-\x01", "v")
	res, _ := p.Extract(c, TextMap)
	if !res.Context.IsValid() || res.Problems != BaggageUnsafe || len(res.Baggage) != 1 {
		t.Errorf("unsafe keys: %+v", res)
	}

	// Thousands of uberctx headers: bounded, the trace survives.
	c = newCarrier("traceparent", tp)
	for i := 0; i < 5000; i++ {
		c.add(fmt.Sprintf("uberctx-k%d", i), "v")
	}
	res, _ = p.Extract(c, HTTPHeaders)
	if !res.Context.IsValid() || len(res.Baggage) != MaxBaggageMembers || res.Problems != BaggageOverLimit {
		t.Errorf("uberctx flood: %d members, %+v", len(res.Baggage), res.Problems)
	}

	// A huge header is not read; the others are.
	c = newCarrier("traceparent", tp, "baggage", strings.Repeat("k=v,", 20000), "tracestate", strings.Repeat("a", 40000))
	res, _ = p.Extract(c, HTTPHeaders)
	if !res.Context.IsValid() || res.Problems != HeaderTooLong || len(res.Baggage) != 0 || res.Context.TraceState != "" {
		t.Errorf("huge headers: %+v", res)
	}

	// tracestate over its limits is dropped, the trace kept.
	c = newCarrier("traceparent", tp, "tracestate", strings.Repeat("a=1,", 33)+"b=2")
	res, _ = p.Extract(c, HTTPHeaders)
	if !res.Context.IsValid() || res.Problems != TracestateInvalid {
		t.Errorf("tracestate: %+v", res)
	}

	// Every trace header broken: Found, no context, each problem named.
	c = newCarrier("traceparent", "00-xyz", "uber-trace-id", "1:2", "b3", "nope")
	res, _ = p.Extract(c, HTTPHeaders)
	if !res.Found || res.Context.IsValid() || res.Problems != TraceparentInvalid|JaegerInvalid|B3Invalid {
		t.Errorf("broken: %+v (%v)", res, res.Problems)
	}

	if _, err := p.Extract(failingReader{}, HTTPHeaders); !errors.Is(err, errReader) {
		t.Errorf("reader error: %v", err)
	}
}

func TestProblemString(t *testing.T) {
	if s := (TraceparentInvalid | Conflict).String(); s != "traceparent invalid, formats name different traces" {
		t.Errorf("String = %q", s)
	}
	if k := (BaggageUnsafe | HeaderTooLong).Kinds(); len(k) != 2 || k[0] != BaggageUnsafe || k[1] != HeaderTooLong {
		t.Errorf("Kinds = %v", k)
	}
	for f := TraceContext; f <= Jaeger; f++ {
		if g, ok := ParseFormat(" " + strings.ToUpper(f.String())); !ok || g != f {
			t.Errorf("ParseFormat(%v) = %v, %v", f, g, ok)
		}
	}
	if _, ok := ParseFormat("xray"); ok {
		t.Error("xray parsed")
	}
}

func TestExtractBaggageKeyCase(t *testing.T) {
	// A W3C key with upper case crosses a tracewrap hop as uberctx-UserId
	// (read back lower-cased, as every jaeger client does) and baggage
	// UserId: one item, spelled as W3C spells it.
	p := New(defaultFormats...)
	c := newCarrier()
	p.Inject(SpanContext{TraceID: TraceID{0, 1}, SpanID: 2}, []Member{{Key: "UserId", Value: "7"}}, HTTPHeaders, c)
	res, _ := p.Extract(c, HTTPHeaders)
	if len(res.Baggage) != 1 || res.Baggage[0] != (Member{Key: "UserId", Value: "7"}) {
		t.Errorf("baggage %+v from %v", res.Baggage, c.vals)
	}
	// W3C keys differing in case stay distinct.
	res, _ = p.Extract(newCarrier("baggage", "a=1,A=2"), HTTPHeaders)
	if len(res.Baggage) != 2 {
		t.Errorf("case-sensitive W3C keys merged: %+v", res.Baggage)
	}
}

func TestExtractRepeatedHeaders(t *testing.T) {
	c := newCarrier("traceparent", "00-000000000000000000000000000000aa-00000000000000bb-01")
	for i := 0; i < 10000; i++ {
		c.add("jaeger-baggage", fmt.Sprintf("k%d=v", i))
		c.add("baggage", fmt.Sprintf("w%d=v", i))
	}
	res, _ := New(defaultFormats...).Extract(c, HTTPHeaders)
	if !res.Context.IsValid() || res.Problems != HeaderTooLong || len(res.Baggage) != 2*maxRepeats {
		t.Errorf("%d baggage members, %v", len(res.Baggage), res.Problems)
	}
}

// Extract recycles its per-call state: concurrent and successive calls never
// see each other's headers.
func TestExtractConcurrent(t *testing.T) {
	p := New(defaultFormats...)
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 1; i <= 300; i++ {
				c := newCarrier()
				if i%2 == 0 {
					c.add("uber-trace-id", fmt.Sprintf("%x:%x:0:1", g+1, i))
					c.add("uberctx-g", fmt.Sprint(g))
				} else {
					c.add("traceparent", fmt.Sprintf("00-%032x-%016x-01", g+1, i))
					c.add("baggage", fmt.Sprintf("g=%d,i=%d", g, i))
					c.add("tracestate", fmt.Sprintf("g=%d", g))
				}
				res, _ := p.Extract(c, HTTPHeaders)
				m := bagMap(res.Baggage)
				ok := res.Context.TraceID == TraceID{0, uint64(g + 1)} && res.Context.SpanID == uint64(i) && m["g"] == fmt.Sprint(g)
				if i%2 == 0 {
					ok = ok && len(m) == 1 && res.Context.TraceState == ""
				} else {
					ok = ok && len(m) == 2 && res.Context.TraceState == fmt.Sprintf("g=%d", g)
				}
				if !ok {
					errs <- fmt.Sprintf("goroutine %d call %d: %+v", g, i, res)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestFields(t *testing.T) {
	p := New(defaultFormats...)
	want := map[string]bool{"uber-trace-id": true, "traceparent": true, "tracestate": true, "baggage": true}
	got := p.Fields()
	if len(got) != len(want) {
		t.Fatalf("Fields = %v", got)
	}
	for _, f := range got {
		if !want[f] {
			t.Errorf("Fields has %q", f)
		}
	}
	// Every key Inject writes (but uberctx-*) is listed.
	all := New(TraceContext, Baggage, B3, B3Multi, Jaeger)
	c := newCarrier()
	all.Inject(SpanContext{TraceID: TraceID{1, 2}, SpanID: 3, ParentID: 4, Debug: true, TraceState: "a=1"}, []Member{{Key: "k", Value: "v"}}, HTTPHeaders, c)
	listed := map[string]bool{}
	for _, f := range all.Fields() {
		listed[f] = true
	}
	for _, k := range c.keys {
		if !listed[k] && !strings.HasPrefix(k, "uberctx-") {
			t.Errorf("Inject wrote %q, not in Fields", k)
		}
	}
}

// Either B3 name reads both B3 forms (the README's "Both B3 names read both
// B3 forms"): a service configured for b3 continues a X-B3-* caller, and the
// other way round.
func TestB3NamesReadBothForms(t *testing.T) {
	sc := SpanContext{TraceID: TraceID{0x1122, 0x3344}, SpanID: 0x55, Sampled: true}
	for _, pair := range [][2]Format{{B3, B3Multi}, {B3Multi, B3}} {
		c := newCarrier()
		New(pair[1]).Inject(sc, nil, HTTPHeaders, c)
		res, err := New(pair[0]).Extract(c, HTTPHeaders)
		if err != nil || res.Context != sc || res.Problems != 0 {
			t.Errorf("%v reading what %v wrote (%v): %+v, %v", pair[0], pair[1], c.vals, res, err)
		}
	}
}
