package propagation

import (
	"strings"
	"testing"
)

func TestParseTraceparent(t *testing.T) {
	const tid, sid = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	valid := map[string]SpanContext{
		"00-" + tid + "-" + sid + "-01":                      {TraceID: TraceID{0x4bf92f3577b34da6, 0xa3ce929d0e0e4736}, SpanID: 0x00f067aa0ba902b7, Sampled: true},
		"00-" + tid + "-" + sid + "-00":                      {TraceID: TraceID{0x4bf92f3577b34da6, 0xa3ce929d0e0e4736}, SpanID: 0x00f067aa0ba902b7},
		" 00-" + tid + "-" + sid + "-03\t":                   {TraceID: TraceID{0x4bf92f3577b34da6, 0xa3ce929d0e0e4736}, SpanID: 0x00f067aa0ba902b7, Sampled: true},
		"01-" + tid + "-" + sid + "-01":                      {TraceID: TraceID{0x4bf92f3577b34da6, 0xa3ce929d0e0e4736}, SpanID: 0x00f067aa0ba902b7, Sampled: true},
		"cc-" + tid + "-" + sid + "-01-what-?":               {TraceID: TraceID{0x4bf92f3577b34da6, 0xa3ce929d0e0e4736}, SpanID: 0x00f067aa0ba902b7, Sampled: true},
		"00-00000000000000000000000000000001-" + sid + "-00": {TraceID: TraceID{0, 1}, SpanID: 0x00f067aa0ba902b7},
	}
	for in, want := range valid {
		got, err := ParseTraceparent(in)
		if err != nil || got != want {
			t.Errorf("ParseTraceparent(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	invalid := []string{
		"",
		"ff-" + tid + "-" + sid + "-01",       // version ff is never valid
		"00-" + tid + "-" + sid + "-01-extra", // version 00 has nothing after the flags
		"01-" + tid + "-" + sid + "-01extra",  // a future version goes on only after '-'
		"00-" + strings.ToUpper(tid) + "-" + sid + "-01",     // upper-case hex
		"00-" + tid + "-00F067AA0BA902B7-01",                 // upper-case hex
		"00-00000000000000000000000000000000-" + sid + "-01", // zero trace id
		"00-" + tid + "-0000000000000000-01",                 // zero span id
		"00-" + tid + "-" + sid + "-0g",                      // bad flags
		"00-" + tid + "-" + sid + "-1",                       // short flags
		"0-" + tid + "-" + sid + "-01",                       // short version
		"00_" + tid + "-" + sid + "-01",                      // separator
		"00-" + tid[:31] + "-" + sid + "-01",                 // short trace id
		"00-" + tid + "-" + sid + "--1",
		"0G-" + tid + "-" + sid + "-01",
		"00-" + tid + "-" + sid + "-0A",
	}
	for _, in := range invalid {
		if sc, err := ParseTraceparent(in); err == nil {
			t.Errorf("ParseTraceparent(%q) = %+v, want an error", in, sc)
		}
	}
}

func TestTraceparentRoundTrip(t *testing.T) {
	for _, sc := range []SpanContext{
		{TraceID: TraceID{0x0102030405060708, 0x090a0b0c0d0e0f10}, SpanID: 0xff, Sampled: true},
		{TraceID: TraceID{0, 0xabcdef}, SpanID: 1},                      // 64-bit: zero-padded, comes back 64-bit
		{TraceID: TraceID{0, 1}, SpanID: 2, Debug: true, Sampled: true}, // debug is not in W3C: sampled crosses
	} {
		v := FormatTraceparent(sc)
		if len(v) != traceparentLen {
			t.Fatalf("FormatTraceparent(%+v) = %q", sc, v)
		}
		got, err := ParseTraceparent(v)
		want := SpanContext{TraceID: sc.TraceID, SpanID: sc.SpanID, Sampled: sc.Sampled || sc.Debug}
		if err != nil || got != want {
			t.Errorf("round trip of %+v via %q = %+v, %v", sc, v, got, err)
		}
	}
	if v := FormatTraceparent(SpanContext{TraceID: TraceID{0, 0xabc}, SpanID: 0x10}); v != "00-00000000000000000000000000000abc-0000000000000010-00" {
		t.Errorf("64-bit id written as %q, want zero-padded", v)
	}
}

func TestParseTracestate(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		p        Problem
	}{
		{"congo=t61rcWkgMzE", "congo=t61rcWkgMzE", 0},
		{" rojo=00f067aa0ba902b7 ,, congo=t61rcWkgMzE ", "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE", 0},
		{"tenant1@vendor=x,a/b*c_d-e=1", "tenant1@vendor=x,a/b*c_d-e=1", 0},
		{"Upper=1", "", TracestateInvalid},
		{"a=1,a=2", "", TracestateInvalid},
		{"a=", "", TracestateInvalid},
		{"a=b,c", "", TracestateInvalid},
		{"a=b c ", "a=b c", 0}, // the trailing space is OWS around the member
		{"a= b", "a= b", 0},
		{"a=b=c", "", TracestateInvalid},
		{"a=\x01", "", TracestateInvalid},
		{"1a=b", "", TracestateInvalid},
		{"@vendor=b", "", TracestateInvalid},
		{"t@toolongsystemname=b", "", TracestateInvalid},
	} {
		got, p := ParseTracestate(tc.in)
		if got != tc.want || p != tc.p {
			t.Errorf("ParseTracestate(%q) = %q, %v; want %q, %v", tc.in, got, p, tc.want, tc.p)
		}
	}

	var m []string
	for i := 0; i < 32; i++ {
		m = append(m, "k"+strings.Repeat("x", i%3)+string(rune('a'+i%26))+string(rune('a'+i/26))+"=v")
	}
	if got, p := ParseTracestate(strings.Join(m, ",")); p != 0 || got != strings.Join(m, ",") {
		t.Errorf("32 members: %q, %v", got, p)
	}
	if got, p := ParseTracestate(strings.Join(append(m, "zz=1"), ",")); p != TracestateInvalid || got != "" {
		t.Errorf("33 members: %q, %v; want dropped", got, p)
	}

	// Over 512 characters: the members over 128 characters go first, then
	// members from the end.
	long := "long=" + strings.Repeat("l", 200)
	var parts []string
	for i := 0; i < 10; i++ {
		parts = append(parts, string(rune('a'+i))+"="+strings.Repeat("v", 60))
	}
	in := strings.Join(append([]string{parts[0], long}, parts[1:]...), ",")
	got, p := ParseTracestate(in)
	if p != TracestateTruncated || strings.Contains(got, "long=") || len(got) > MaxTraceStateLen {
		t.Fatalf("truncated to %q (%d), %v", got, len(got), p)
	}
	if want := strings.Join(parts[:8], ","); got != want {
		t.Errorf("truncated to %q, want the first eight short members %q", got, want)
	}
}
