package sqltrace

import (
	"strings"
	"testing"
)

func TestMaskQuoted(t *testing.T) {
	for in, want := range map[string]string{
		"Error 1062 (23000): Duplicate entry 'alice@example.com' for key 'email'": "Error 1062 (23000): Duplicate entry '?' for key '?'",
		"Incorrect integer value: 'abc' for column 'n' at row 1":                  "Incorrect integer value: '?' for column '?' at row 1",
		"value 'it's secret' rejected":                                            "value '?' rejected",
		"no quotes at all":                                                        "no quotes at all",
		"dangling 'secret":                                                        "dangling '?'",
		"end 'x'":                                                                 "end '?'",
		"''":                                                                      "'?'",
	} {
		if got := maskQuoted(in); got != want {
			t.Errorf("maskQuoted(%q) = %q, want %q", in, got, want)
		}
	}
}

// Any value without a quote of its own is masked whole, whatever it holds.
func FuzzMaskQuoted(f *testing.F) {
	f.Add("secret-value")
	f.Fuzz(func(t *testing.T, secret string) {
		if strings.Contains(secret, "'") {
			return
		}
		got := maskQuoted("Duplicate entry '" + secret + "' for key 'k'")
		if got != "Duplicate entry '?' for key '?'" {
			t.Fatalf("%q", got)
		}
	})
}
