package propagation

import (
	"strings"
	"testing"
)

// FuzzTraceparent: parsing never panics; what parses writes back to a
// traceparent that parses to the same context; a version 00 value that
// parses is written back byte for byte (except flag bits other than sampled).
func FuzzTraceparent(f *testing.F) {
	for _, s := range []string{
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		"01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-xyz",
		"ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
		"00-00000000000000000000000000000000-00f067aa0ba902b7-01", "",
	} {
		f.Add(s, "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7")
	}
	f.Fuzz(func(t *testing.T, tp, ts string) {
		sc, err := ParseTraceparent(tp)
		if err != nil {
			if sc != (SpanContext{}) {
				t.Fatalf("error with a context: %+v", sc)
			}
		} else {
			if !sc.IsValid() {
				t.Fatalf("%q parsed to an invalid context", tp)
			}
			out := FormatTraceparent(sc)
			back, err := ParseTraceparent(out)
			if err != nil || back != sc {
				t.Fatalf("%q -> %+v -> %q -> %+v, %v", tp, sc, out, back, err)
			}
			if in := trimOWS(tp); in[:2] == "00" && in[:53] != out[:53] {
				t.Fatalf("%q written back as %q", tp, out)
			}
		}
		state, p := ParseTracestate(ts)
		if len(state) > MaxTraceStateLen || p&^(TracestateInvalid|TracestateTruncated) != 0 {
			t.Fatalf("tracestate %q -> %q, %v", ts, state, p)
		}
		if again, p2 := ParseTracestate(state); again != state || p2 != 0 {
			t.Fatalf("tracestate not stable: %q -> %q -> %q, %v", ts, state, again, p2)
		}
	})
}

// FuzzBaggage: parsing never panics and stays within the limits; what is
// kept writes back to a header that parses to the same members.
func FuzzBaggage(f *testing.F) {
	for _, s := range []string{
		"userId=alice,serverNode=DF%2028,isProduction=false",
		"k=v;prop=1;flag, j = %E2%82%AC", "k=%zz", ",,,,", "a=1,a=2", "bad key=1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		ms, _ := ParseBaggage(in)
		total := 0
		for _, m := range ms {
			if !IsToken(m.Key) {
				t.Fatalf("kept key %q", m.Key)
			}
			total += len(m.Key) + len(m.Value)
		}
		if len(ms) > MaxBaggageMembers || total > MaxBaggageBytes {
			t.Fatalf("over limits: %d members, %d bytes", len(ms), total)
		}
		out, p := FormatBaggage(ms)
		if p&^BaggageOverLimit != 0 || len(out) > MaxBaggageBytes {
			t.Fatalf("format %v: %q", p, out)
		}
		back, p2 := ParseBaggage(out)
		if p == 0 && (p2 != 0 || len(back) != len(ms)) {
			t.Fatalf("%q -> %+v -> %q -> %+v, %v", in, ms, out, back, p2)
		}
		for i := range back {
			if back[i] != ms[i] {
				t.Fatalf("member %d: %+v became %+v", i, ms[i], back[i])
			}
		}
	})
}

// FuzzB3: the single header and X-B3-* never panic, and a parsed context
// writes back to the same.
func FuzzB3(f *testing.F) {
	f.Add("80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90", "463ac35c9f6413ad", "a2fb4a1d1a96d312", "", "1", "")
	f.Add("d", "", "", "", "", "1")
	f.Fuzz(func(t *testing.T, single, tid, sid, pid, sampled, flags string) {
		if sc, err := ParseB3(single); err == nil && sc.IsValid() {
			if back, err := ParseB3(FormatB3(sc)); err != nil || back != sc {
				t.Fatalf("%q -> %+v -> %+v, %v", single, sc, back, err)
			}
		}
		if sc, err := ParseB3Multi(tid, sid, pid, sampled, flags); err == nil && sc.IsValid() {
			c := newCarrier()
			injectB3Multi(sc, c)
			back, err := ParseB3Multi(c.get(headerB3TraceID), c.get(headerB3SpanID), c.get(headerB3ParentSpan), c.get(headerB3Sampled), c.get(headerB3Flags))
			if err != nil || back != sc {
				t.Fatalf("%+v -> %+v, %v", sc, back, err)
			}
		}
	})
}

// FuzzJaeger drives the whole default Propagator with hostile Jaeger and W3C
// headers in both encodings: never a panic, always within the limits, and
// what is extracted injects and extracts again to the same context and
// baggage.
func FuzzJaeger(f *testing.F) {
	f.Add("1:2:0:1", "k1=v1, k2=v2", "uberctx-k", "a%20b", "dbg", "00-000000000000000000000000000000aa-00000000000000bb-01", "k=v")
	f.Add("abc%3Adef%3A0%3A3", strings.Repeat(",", 100), "uberctx-bad key", "x", "", "", "")
	f.Fuzz(func(t *testing.T, uber, jb, key, val, debug, tp, bag string) {
		p := New(Jaeger, TraceContext, Baggage, B3)
		for _, enc := range []Encoding{HTTPHeaders, TextMap} {
			c := newCarrier("uber-trace-id", uber, "jaeger-baggage", jb, key, val, "jaeger-debug-id", debug, "traceparent", tp, "baggage", bag)
			res, err := p.Extract(c, enc)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Baggage) > MaxBaggageMembers || len(res.Context.DebugID) > maxDebugIDLen {
				t.Fatalf("over limits: %+v", res)
			}
			if res.Context.IsValid() != (res.From != 0) {
				t.Fatalf("From %v with context %+v", res.From, res.Context)
			}
			if !res.Context.IsValid() {
				continue
			}
			out := newCarrier()
			if pr := p.Inject(res.Context, res.Baggage, enc, out); pr&^BaggageUnsafe != 0 {
				t.Fatalf("inject: %v", pr)
			}
			again, _ := p.Extract(out, enc)
			want := res.Context
			want.DebugID = "" // a request for a new trace: not sent on with one
			if res.From == TraceContext {
				want.ParentID = 0
			}
			if again.Context != want {
				t.Fatalf("%+v injected as %v extracted as %+v", res.Context, out.vals, again.Context)
			}
			if enc == HTTPHeaders && len(again.Baggage) != len(res.Baggage) {
				t.Fatalf("baggage %+v came back as %+v via %v", res.Baggage, again.Baggage, out.vals)
			}
		}
	})
}
