package propagation

import "testing"

func TestParseB3(t *testing.T) {
	const tid, sid, pid = "80f198ee56343ba864fe8b2a57d3eff7", "e457b5a2e4d86bd1", "05e3ac9a4f6e3b90"
	full := TraceID{0x80f198ee56343ba8, 0x64fe8b2a57d3eff7}
	valid := map[string]SpanContext{
		tid + "-" + sid + "-1-" + pid:    {TraceID: full, SpanID: 0xe457b5a2e4d86bd1, ParentID: 0x05e3ac9a4f6e3b90, Sampled: true},
		tid + "-" + sid + "-d":           {TraceID: full, SpanID: 0xe457b5a2e4d86bd1, Sampled: true, Debug: true},
		tid + "-" + sid + "-0":           {TraceID: full, SpanID: 0xe457b5a2e4d86bd1},
		tid + "-" + sid:                  {TraceID: full, SpanID: 0xe457b5a2e4d86bd1},
		"64fe8b2a57d3eff7-" + sid + "-1": {TraceID: TraceID{0, 0x64fe8b2a57d3eff7}, SpanID: 0xe457b5a2e4d86bd1, Sampled: true},
		"0":                              {},
		"d":                              {},
	}
	for in, want := range valid {
		if got, err := ParseB3(in); err != nil || got != want {
			t.Errorf("ParseB3(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{
		"", "x", tid, tid + "-" + sid + "-2", tid + "-" + sid + "-1-" + pid + "-x",
		"80F198EE56343BA864FE8B2A57D3EFF7-" + sid + "-1", tid[:20] + "-" + sid,
		"00000000000000000000000000000000-" + sid, tid + "-0000000000000000", tid + "-" + sid + "-1-0000000000000000",
	} {
		if sc, err := ParseB3(in); err == nil {
			t.Errorf("ParseB3(%q) = %+v, want an error", in, sc)
		}
	}
}

func TestB3RoundTrip(t *testing.T) {
	for _, sc := range []SpanContext{
		{TraceID: TraceID{1, 2}, SpanID: 3, ParentID: 4, Sampled: true},
		{TraceID: TraceID{0, 2}, SpanID: 3},
		{TraceID: TraceID{0, 2}, SpanID: 3, Sampled: true, Debug: true},
	} {
		got, err := ParseB3(FormatB3(sc))
		if err != nil || got != sc {
			t.Errorf("single: %+v -> %q -> %+v, %v", sc, FormatB3(sc), got, err)
		}
		c := newCarrier()
		injectB3Multi(sc, c)
		got, err = ParseB3Multi(c.get(headerB3TraceID), c.get(headerB3SpanID), c.get(headerB3ParentSpan), c.get(headerB3Sampled), c.get(headerB3Flags))
		if err != nil || got != sc {
			t.Errorf("multi: %+v -> %v -> %+v, %v", sc, c.vals, got, err)
		}
		if sc.Debug && c.get(headerB3Sampled) != "" {
			t.Errorf("multi: debug sent X-B3-Sampled too")
		}
	}
	if v := FormatB3(SpanContext{TraceID: TraceID{0, 0xa}, SpanID: 0xb}); v != "000000000000000a-000000000000000b-0" {
		t.Errorf("64-bit b3 = %q", v)
	}
}

func TestParseB3Multi(t *testing.T) {
	const tid, sid = "463ac35c9f6413ad48485a3953bb6124", "a2fb4a1d1a96d312"
	for _, tc := range []struct {
		t, s, p, sampled, flags string
		ok                      bool
		want                    SpanContext
	}{
		{tid, sid, "", "1", "", true, SpanContext{TraceID: TraceID{0x463ac35c9f6413ad, 0x48485a3953bb6124}, SpanID: 0xa2fb4a1d1a96d312, Sampled: true}},
		{tid, sid, "", "true", "", true, SpanContext{TraceID: TraceID{0x463ac35c9f6413ad, 0x48485a3953bb6124}, SpanID: 0xa2fb4a1d1a96d312, Sampled: true}},
		{tid, sid, "", "", "1", true, SpanContext{TraceID: TraceID{0x463ac35c9f6413ad, 0x48485a3953bb6124}, SpanID: 0xa2fb4a1d1a96d312, Sampled: true, Debug: true}},
		{tid, sid, "", "", "", true, SpanContext{TraceID: TraceID{0x463ac35c9f6413ad, 0x48485a3953bb6124}, SpanID: 0xa2fb4a1d1a96d312}},
		{"", "", "", "1", "", true, SpanContext{}},
		{tid, "", "", "1", "", false, SpanContext{}},
		{tid, sid, "", "yes", "", false, SpanContext{}},
		{tid, sid, "", "1", "2", false, SpanContext{}},
		{tid, sid, "zz", "1", "", false, SpanContext{}},
	} {
		got, err := ParseB3Multi(tc.t, tc.s, tc.p, tc.sampled, tc.flags)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseB3Multi(%q,%q,%q,%q,%q) = %+v, %v", tc.t, tc.s, tc.p, tc.sampled, tc.flags, got, err)
		}
	}
}
