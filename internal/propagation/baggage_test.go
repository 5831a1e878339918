package propagation

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestParseBaggage(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []Member
		p    Problem
	}{
		{"userId=alice,serverNode=DF%2028,isProduction=false", []Member{{Key: "userId", Value: "alice"}, {Key: "serverNode", Value: "DF 28"}, {Key: "isProduction", Value: "false"}}, 0},
		{" k = v ; prop1 ; p2=x , ,j=", []Member{{Key: "k", Value: "v", Properties: "prop1 ; p2=x"}, {Key: "j", Value: ""}}, 0},
		{"k=%E2%82%AC%2C%3B%25", []Member{{Key: "k", Value: "€,;%"}}, 0},
		{"k=%zz,ok=1", []Member{{Key: "ok", Value: "1"}}, BaggageInvalid},
		{"k=%4,ok=1", []Member{{Key: "ok", Value: "1"}}, BaggageInvalid},
		{"noequals,ok=1", []Member{{Key: "ok", Value: "1"}}, BaggageInvalid},
		{"bad key=1,ok=1", []Member{{Key: "ok", Value: "1"}}, BaggageInvalid},
		{"k=a\"b,ok=1", []Member{{Key: "ok", Value: "1"}}, BaggageInvalid},
		{"k=a b,ok=1", []Member{{Key: "ok", Value: "1"}}, BaggageInvalid},
		{"k=1,k=2", []Member{{Key: "k", Value: "1"}}, 0},
		{"k=" + strings.Repeat("v", MaxBaggageMemberLen), nil, BaggageOverLimit},
	} {
		got, p := ParseBaggage(tc.in)
		if !reflect.DeepEqual(got, tc.want) || p != tc.p {
			t.Errorf("ParseBaggage(%q) = %+v, %v; want %+v, %v", tc.in, got, p, tc.want, tc.p)
		}
	}
}

func TestParseBaggageLimits(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 5000; i++ {
		fmt.Fprintf(&b, "k%d=v,", i)
	}
	got, p := ParseBaggage(b.String())
	if len(got) != MaxBaggageMembers || p != BaggageOverLimit || got[0].Key != "k0" || got[179].Key != "k179" {
		t.Errorf("5000 members: kept %d (%v), want the first %d", len(got), p, MaxBaggageMembers)
	}

	// Bytes: 3 members of 3000 bytes make 9000 > 8192: the third is dropped.
	v := strings.Repeat("x", 2999)
	got, p = ParseBaggage("a=" + v + ",b=" + v + ",c=" + v)
	if len(got) != 2 || p != BaggageOverLimit {
		t.Errorf("9000 bytes: kept %d, %v", len(got), p)
	}

	// Thousands of commas alone: nothing, no problem, no work per comma beyond a scan.
	got, p = ParseBaggage(strings.Repeat(",", 4000))
	if len(got) != 0 || p != 0 {
		t.Errorf("commas: %v, %v", got, p)
	}
}

func TestFormatBaggage(t *testing.T) {
	in := []Member{
		{Key: "plain", Value: "v"},
		{Key: "needs", Value: "a b,c;d=e%f\"g\\h€\n"},
		{Key: "with-props", Value: "1", Properties: "p=1;q"},
		{Key: "bad key", Value: "x"},
		{Key: "emptyval", Value: ""},
	}
	v, p := FormatBaggage(in)
	if p != BaggageUnsafe {
		t.Errorf("problem %v, want BaggageUnsafe for the key with a space", p)
	}
	if strings.ContainsAny(v, " \"\\\n") {
		t.Errorf("FormatBaggage wrote unescaped characters: %q", v)
	}
	got, p := ParseBaggage(v)
	want := []Member{in[0], in[1], in[2], in[4]}
	if p != 0 || !reflect.DeepEqual(got, want) {
		t.Errorf("round trip via %q = %+v, %v; want %+v", v, got, p, want)
	}

	var many []Member
	for i := 0; i < 300; i++ {
		many = append(many, Member{Key: fmt.Sprintf("key%03d", i), Value: strings.Repeat("v", 40)})
	}
	v, p = FormatBaggage(many)
	got, _ = ParseBaggage(v)
	if p != BaggageOverLimit || len(v) > MaxBaggageBytes || len(got) == 0 || len(got) > MaxBaggageMembers {
		t.Errorf("300 members: header of %d bytes with %d members, %v", len(v), len(got), p)
	}
}

func TestIsToken(t *testing.T) {
	for s, want := range map[string]bool{
		"abc": true, "A-b_c.d~!#$%&'*+^`|": true, "": false, "a b": false, "a,b": false,
		"a=b": false, "a;b": false, "a\x00": false, "é": false, "a:b": false, "a/b": false,
	} {
		if IsToken(s) != want {
			t.Errorf("IsToken(%q) = %v", s, !want)
		}
	}
}

// '+' is legal in a W3C baggage value, but OpenTelemetry Python reads it as
// a space (unquote_plus): it is sent escaped, and read back unchanged.
func TestBaggagePlusIsEscaped(t *testing.T) {
	v, p := FormatBaggage([]Member{{Key: "lang", Value: "c++ a"}})
	if p != 0 || v != "lang=c%2B%2B%20a" {
		t.Fatalf("formatted %q (%v)", v, p)
	}
	got, _ := ParseBaggage(v)
	if len(got) != 1 || got[0].Value != "c++ a" {
		t.Fatalf("read back %v", got)
	}
}
