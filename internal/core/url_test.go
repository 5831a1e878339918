package core

import (
	"net/url"
	"testing"
)

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://u:secret@es:9200/idx/_search?q=alice&size=10#frag": "http://es:9200/idx/_search?q=REDACTED&size=REDACTED",
		"http://es:9200/":                     "http://es:9200/",
		"http://es:9200/a%2Fb/_doc/1?refresh": "http://es:9200/a%2Fb/_doc/1?REDACTED", // a bare item may be a token
		"http://es:9200/x?a=1&&b=&c":          "http://es:9200/x?a=REDACTED&&b=REDACTED&REDACTED",
		"/relative?token=t":                   "/relative?token=REDACTED",
		"//host/p?":                           "//host/p?",
	} {
		u, err := url.Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := RedactURL(u, false); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
	if RedactURL(nil, false) != "" {
		t.Fatal("nil URL")
	}
	u, _ := url.Parse("http://u:p@h/p?q=keep#f")
	if got := RedactURL(u, true); got != "http://h/p?q=keep" {
		t.Fatalf("keepQuery: %q", got)
	}
}

func FuzzRedactURL(f *testing.F) {
	f.Add("http://h/p?a=secret&b=c")
	f.Fuzz(func(t *testing.T, s string) {
		u, err := url.Parse(s)
		if err != nil {
			return
		}
		_ = RedactURL(u, false)
	})
}
