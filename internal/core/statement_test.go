package core

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/opentracing/opentracing-go/mocktracer"
)

func TestTruncate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want string
		cut  bool
	}{
		{"SELECT 1", 0, "SELECT 1", false},
		{"SELECT 1", 8, "SELECT 1", false},
		{"SELECT 1", 7, "SELE…", true},
		{"héllo wörld", 6, "hé…", true}, // 'é' is 2 bytes: h,é = 3 bytes + 3 marker
		{"日本語テキスト", 8, "日…", true},      // never splits a 3-byte rune
		{"日本語", 2, "", true},            // smaller than the marker: no room for a rune
		{"a😀bc", 7, "a😀bc", false},      // exact fit
		{"a😀bcd", 7, "a…", true},        // 😀 is 4 bytes: a😀 plus the marker would be 8
	} {
		got, cut := Truncate(tc.in, tc.max)
		if got != tc.want || cut != tc.cut {
			t.Errorf("Truncate(%q,%d) = %q,%v want %q,%v", tc.in, tc.max, got, cut, tc.want, tc.cut)
		}
		if !utf8.ValidString(got) {
			t.Errorf("Truncate(%q,%d) produced invalid UTF-8 %q", tc.in, tc.max, got)
		}
		if tc.max > 0 && len(got) > tc.max {
			t.Errorf("Truncate(%q,%d) is %d bytes", tc.in, tc.max, len(got))
		}
	}
}

func TestTruncateHugeAndInvalid(t *testing.T) {
	huge := strings.Repeat("ü", 10<<20) // 20 MB
	got, cut := Truncate(huge, 4096)
	if !cut || len(got) > 4096 || !utf8.ValidString(got) {
		t.Fatalf("len %d cut %v", len(got), cut)
	}
	bad := strings.Repeat("\xff", 100)
	got, cut = Truncate(bad, 10)
	if !cut || len(got) > 10 {
		t.Fatalf("invalid input: %q", got)
	}
}

func TestSetStatement(t *testing.T) {
	tr := mocktracer.New()
	span := tr.StartSpan("q")
	SetStatement(span, OpenTracing, strings.Repeat("x", 100), 10)
	ms := span.(*mocktracer.MockSpan)
	if s := ms.Tag("db.statement").(string); len(s) > 10 || !strings.HasSuffix(s, TruncationMarker) {
		t.Fatalf("statement %q", s)
	}
	if ms.Tag("db.statement.length") != 100 {
		t.Fatalf("length tag %v", ms.Tag("db.statement.length"))
	}
	span = tr.StartSpan("q")
	SetStatement(span, OpenTracing, "short", 10)
	if span.(*mocktracer.MockSpan).Tag("db.statement.length") != nil {
		t.Fatal("length tag on uncut statement")
	}
}

func FuzzTruncate(f *testing.F) {
	f.Add("SELECT * FROM t WHERE name = 'ü'", 7)
	f.Add("\xff\xfe日本", 4)
	f.Fuzz(func(t *testing.T, s string, max int) {
		got, cut := Truncate(s, max)
		if max > 0 && len(got) > max {
			t.Fatalf("too long: %d > %d", len(got), max)
		}
		if !cut && got != s {
			t.Fatal("changed without saying so")
		}
		if utf8.ValidString(s) && !utf8.ValidString(got) {
			t.Fatalf("split a rune: %q", got)
		}
	})
}
