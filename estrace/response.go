package estrace

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/tracewrap/tracewrap/internal/core"
)

// errorSnippetSize bounds how much of an error response is read for its
// error.type and reason. Elasticsearch writes the root cause first, so this is
// enough for it; the caller still reads the whole body.
const errorSnippetSize = 2048

// maxReasonSize caps the reason logged from an error response.
const maxReasonSize = 512

// peekResponse reads up to errorSnippetSize bytes of res's body and puts them
// back in front of it, so the caller reads the full, unchanged body. It only
// waits for bytes the server has already decided to send (an error answer is
// written at once), and a read error stays for the caller to see.
func peekResponse(res *http.Response) []byte {
	if res == nil || res.Body == nil || res.Body == http.NoBody {
		return nil
	}
	size := errorSnippetSize
	if res.ContentLength >= 0 && res.ContentLength < int64(size) {
		size = int(res.ContentLength)
	}
	if size == 0 {
		return nil
	}
	buf := make([]byte, size)
	n, _ := io.ReadFull(res.Body, buf)
	buf = buf[:n]
	res.Body = &prefixedBody{prefix: buf, rest: res.Body}
	if isGzip(res.Header) {
		out, _ := gunzipPrefix(bytes.NewReader(buf), errorSnippetSize)
		return out
	}
	return buf
}

// statusError builds the span's error for a 4xx/5xx answer from its snippet:
// {"error":{"root_cause":[{"type":"...","reason":"..."}], ...}, "status":400}.
func statusError(code int, snippet []byte, clientErr error) *StatusError {
	e := &StatusError{StatusCode: code, Err: clientErr}
	if bytes.Contains(snippet, []byte(`"error"`)) {
		e.Type = jsonString(snippet, `"type"`)
		e.Reason, _ = core.Truncate(jsonString(snippet, `"reason"`), maxReasonSize)
		if e.Type == "" {
			// {"error":"no handler found for uri ..."} (older or plain errors)
			e.Reason, _ = core.Truncate(jsonString(snippet, `"error"`), maxReasonSize)
		}
		// A mapping error quotes the document's value; documents never
		// reach a span.
		if i := strings.Index(e.Reason, valuePreview); i >= 0 {
			e.Reason = e.Reason[:i+len(valuePreview)] + " " + core.RedactedValue
		}
	}
	return e
}

// valuePreview introduces the document value Elasticsearch quotes in a
// mapper_parsing_exception reason.
const valuePreview = "Preview of field's value:"

// jsonString returns the string value of the first occurrence of key ("\"name\"")
// in the possibly cut JSON b, unescaped; "" when there is none or the value is
// not a string. A value cut by the snippet's end is returned as far as it goes.
func jsonString(b []byte, key string) string {
	if key == "" {
		return ""
	}
	for {
		i := bytes.Index(b, []byte(key))
		if i < 0 {
			return ""
		}
		b = b[i+len(key):]
		v := bytes.TrimLeft(b, " \t\r\n")
		if len(v) == 0 || v[0] != ':' {
			continue // the key text appeared inside a value
		}
		v = bytes.TrimLeft(v[1:], " \t\r\n")
		if len(v) == 0 || v[0] != '"' {
			return ""
		}
		end := 1
		for end < len(v) && v[end] != '"' {
			if v[end] == '\\' {
				end++
			}
			end++
		}
		if end >= len(v) { // cut: close the string ourselves
			raw := bytes.TrimSuffix(v, []byte(`\`))
			var s string
			if json.Unmarshal(append(raw[:len(raw):len(raw)], '"'), &s) == nil {
				return s + core.TruncationMarker
			}
			return ""
		}
		var s string
		if json.Unmarshal(v[:end+1], &s) != nil {
			return ""
		}
		return s
	}
}
