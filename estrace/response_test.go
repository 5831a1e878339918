package estrace

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestStatusErrorFromSnippet(t *testing.T) {
	for _, tc := range []struct {
		body         string
		kind, reason string
	}{
		{`{"error":{"root_cause":[{"type":"parsing_exception","reason":"unknown query [mach]","line":1}],"type":"x_exception","reason":"outer"},"status":400}`,
			"parsing_exception", "unknown query [mach]"},
		{`{"error" : { "root_cause" : [ { "type" : "a\"b", "reason" : "line\nnext \u00e9" } ] } }`, `a"b`, "line\nnext é"},
		{`{"error":{"root_cause":[{"type":"t","reason":"cut here and the snippet en`, "t", "cut here and the snippet en…"},
		{`{"error":"no handler found for uri [/x] and method [GET]"}`, "HTTP 400", "no handler found for uri [/x] and method [GET]"},
		{`{"_index":"x","_type":"_doc","found":false}`, "HTTP 400", ""},
		{`<html>bad gateway</html>`, "HTTP 400", ""},
		{`{"error":{"reason":"type first? no: \"type\": in a value","type":"real"}}`, "real", `type first? no: "type": in a value`},
		{``, "HTTP 400", ""},
	} {
		e := statusError(400, []byte(tc.body), nil)
		if e.ErrorKind() != tc.kind || e.Reason != tc.reason {
			t.Errorf("%.50s: kind %q reason %q", tc.body, e.ErrorKind(), e.Reason)
		}
	}
	e := &StatusError{StatusCode: 503, Type: "unavailable", Reason: "shards", Err: io.EOF}
	if e.Error() != "elasticsearch: 503 Service Unavailable: unavailable: shards" || !errors.Is(e, io.EOF) {
		t.Fatal(e.Error())
	}
}

func TestPeekResponseKeepsBody(t *testing.T) {
	big := `{"error":{"root_cause":[{"type":"big","reason":"` + strings.Repeat("r", 10000) + `"}]}}`
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(big))
	zw.Close()
	for name, res := range map[string]*http.Response{
		"plain":   {Body: io.NopCloser(strings.NewReader(big)), ContentLength: -1, Header: http.Header{}},
		"gzipped": {Body: io.NopCloser(bytes.NewReader(gz.Bytes())), ContentLength: int64(gz.Len()), Header: http.Header{"Content-Encoding": {"gzip"}}},
	} {
		raw := map[string][]byte{"plain": []byte(big), "gzipped": gz.Bytes()}[name]
		snip := peekResponse(res)
		if len(snip) > errorSnippetSize || !bytes.HasPrefix(snip, []byte(`{"error":{"root_cause":[{"type":"big"`)) {
			t.Fatalf("%s: snippet %.60q", name, snip)
		}
		all, _ := io.ReadAll(res.Body)
		if !bytes.Equal(all, raw) {
			t.Fatalf("%s: body changed", name)
		}
		if e := statusError(500, snip, nil); e.Type != "big" || len(e.Reason) > maxReasonSize {
			t.Fatalf("%s: %q %d", name, e.Type, len(e.Reason))
		}
	}
	if peekResponse(&http.Response{Body: http.NoBody}) != nil || peekResponse(nil) != nil {
		t.Fatal("no body")
	}
}

func TestDefaultErrorPolicy(t *testing.T) {
	for _, tc := range []struct {
		method string
		code   int
		want   bool
	}{
		{"GET", 404, false}, {"HEAD", 404, false}, {"POST", 404, true}, {"DELETE", 404, true},
		{"PUT", 409, false}, {"POST", 400, true}, {"GET", 429, true}, {"GET", 500, true}, {"GET", 503, true},
	} {
		if got := defaultIsError(&Request{Method: tc.method}, &StatusError{StatusCode: tc.code}); got != tc.want {
			t.Errorf("%s %d: %v", tc.method, tc.code, got)
		}
	}
	if !defaultIsError(nil, io.ErrUnexpectedEOF) {
		t.Fatal("transport errors are errors")
	}
}

func FuzzJSONString(f *testing.F) {
	f.Add([]byte(`{"error":{"type":"a\"b\\","reason":"\u00e9`), `"type"`)
	f.Fuzz(func(t *testing.T, b []byte, key string) {
		_ = jsonString(b, key)
		_ = statusError(500, b, nil)
	})
}
