package core

import (
	"net/url"
	"testing"
)

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://u:secret@es:9200/idx/_search?q=alice&size=10#frag": "http://es:9200/idx/_search?q=REDACTED&size=REDACTED",
		"http://es:9200/":                     "http://es:9200/",
		"http://es:9200/a%2Fb/_doc/1?refresh": "http://es:9200/a%2Fb/_doc/1?refresh",
		"http://es:9200/x?a=1&&b=&c":          "http://es:9200/x?a=REDACTED&b=REDACTED&c",
		"/relative?token=t":                   "/relative?token=REDACTED",
	} {
		u, err := url.Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := RedactURL(u); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
	if RedactURL(nil) != "" {
		t.Fatal("nil URL")
	}
}

func FuzzRedactURL(f *testing.F) {
	f.Add("http://h/p?a=secret&b=c")
	f.Fuzz(func(t *testing.T, s string) {
		u, err := url.Parse(s)
		if err != nil {
			return
		}
		_ = RedactURL(u)
	})
}
