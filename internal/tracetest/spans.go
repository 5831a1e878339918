package tracetest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go/ext"
	"github.com/opentracing/opentracing-go/mocktracer"
)

// ByKind returns the finished spans of tr whose span.kind is kind.
func ByKind(tr *mocktracer.MockTracer, kind ext.SpanKindEnum) []*mocktracer.MockSpan {
	var out []*mocktracer.MockSpan
	for _, s := range tr.FinishedSpans() {
		if s.Tag(string(ext.SpanKind)) == kind {
			out = append(out, s)
		}
	}
	return out
}

// WaitOne returns the single finished span of kind, waiting up to five
// seconds for it: a server span finishes on the server's goroutine, which the
// client may outrun. It fails t as soon as there is more than one.
func WaitOne(t testing.TB, tr *mocktracer.MockTracer, kind ext.SpanKindEnum) *mocktracer.MockSpan {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		s := ByKind(tr, kind)
		if len(s) == 1 {
			return s[0]
		}
		if len(s) > 1 || time.Now().After(deadline) {
			t.Fatalf("want 1 %s span, got %d: %v", kind, len(s), tr.FinishedSpans())
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// LogFields returns the fields of each of the span's logs, in order, with
// their values as strings.
func LogFields(s *mocktracer.MockSpan) []map[string]string {
	var out []map[string]string
	for _, l := range s.Logs() {
		f := make(map[string]string, len(l.Fields))
		for _, kv := range l.Fields {
			f[kv.Key] = kv.ValueString
		}
		out = append(out, f)
	}
	return out
}

// EventLog returns the fields of the span's first log whose "event" field is
// event, or nil.
func EventLog(s *mocktracer.MockSpan, event string) map[string]string {
	for _, f := range LogFields(s) {
		if f["event"] == event {
			return f
		}
	}
	return nil
}

// ErrorLog returns the fields of the span's error log (event=error), or nil.
func ErrorLog(s *mocktracer.MockSpan) map[string]string { return EventLog(s, "error") }

// AssertNoSecret reports an error for every span whose operation name, tags,
// log keys or log values contain one of the secrets.
func AssertNoSecret(t testing.TB, spans []*mocktracer.MockSpan, secrets ...string) {
	t.Helper()
	for _, s := range spans {
		text := s.OperationName + fmt.Sprint(s.Tags())
		for _, l := range s.Logs() {
			for _, kv := range l.Fields {
				text += " " + kv.Key + "=" + kv.ValueString
			}
		}
		for _, secret := range secrets {
			if strings.Contains(text, secret) {
				t.Errorf("span %s leaks %q: %s", s.OperationName, secret, text)
			}
		}
	}
}
