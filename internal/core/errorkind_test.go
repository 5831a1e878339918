package core

import (
	"errors"
	"fmt"
	"github.com/tracewrap/tracewrap/internal/tracetest"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/opentracing/opentracing-go/mocktracer"
	"github.com/uber/jaeger-client-go"
)

type kindErr struct{ kind string }

func (e kindErr) Error() string     { return "failed" }
func (e kindErr) ErrorKind() string { return e.kind }

func TestErrorKind(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nil, ""},
		{errors.New("x"), "*errors.errorString"},
		{kindErr{"HTTP 503"}, "HTTP 503"},
		{fmt.Errorf("wrapped: %w", kindErr{"Unavailable"}), "Unavailable"},
		{kindErr{""}, "core.kindErr"}, // an empty kind falls back to the type
	} {
		if got := ErrorKind(tc.err); got != tc.want {
			t.Errorf("ErrorKind(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
	span := mocktracer.New().StartSpan("x")
	RecordError(span, kindErr{"Unavailable"})
	f := span.(*mocktracer.MockSpan).Logs()[0].Fields
	if f[1].Key != "error.kind" || f[1].ValueString != "Unavailable" {
		t.Fatalf("log %v", f)
	}
}

func TestIsSensitiveKey(t *testing.T) {
	for _, k := range []string{"Authorization", "cookie", "Set-Cookie", "Proxy-Authorization", "x-api-key",
		"X-Auth-Token", "x-csrf-token", "session-id", "client_secret", "db-password", "X-Amz-Security-Token", "jwt"} {
		if !IsSensitiveKey(k) {
			t.Errorf("%s not sensitive", k)
		}
	}
	for _, k := range []string{"x-request-id", "user-agent", "content-type", "x-tenant", "accept-language"} {
		if IsSensitiveKey(k) {
			t.Errorf("%s sensitive", k)
		}
	}
}

func TestWithRedactedMessage(t *testing.T) {
	base := fmt.Errorf("wrapped: %w", io.ErrUnexpectedEOF)
	if WithRedactedMessage(base, base.Error()) != base || WithRedactedMessage(nil, "x") != nil {
		t.Fatal("unchanged message must return the error itself")
	}
	red := WithRedactedMessage(base, "wrapped: ?")
	if red.Error() != "wrapped: ?" || !errors.Is(red, io.ErrUnexpectedEOF) || ErrorKind(red) != ErrorKind(base) {
		t.Fatalf("redacted error lost its identity: %v %q", red, ErrorKind(red))
	}
}

// An error's message can be anything a remote peer sent (a gRPC status
// message, a server's error body). Logged whole, a large one makes the span
// bigger than the agent's UDP packet, and jaeger-client-go drops the whole
// span; it must be capped like every other value.
func TestRecordErrorCapsMessage(t *testing.T) {
	huge := strings.Repeat("é", 100_000) // 200 kB
	span := mocktracer.New().StartSpan("x")
	RecordError(span, errors.New(huge))
	msg := span.(*mocktracer.MockSpan).Logs()[0].Fields[2]
	if msg.Key != "message" || len(msg.ValueString) > MaxErrorMessage || !strings.HasSuffix(msg.ValueString, TruncationMarker) ||
		!utf8.ValidString(msg.ValueString) {
		t.Fatalf("message %s of %d bytes", msg.Key, len(msg.ValueString))
	}

	tr, closer := jaeger.NewTracer("t", jaeger.NewConstSampler(true), jaeger.NewNullReporter())
	defer closer.Close()
	js := tr.StartSpan("call")
	RecordErrorKind(js, "Internal", huge)
	js.Finish()
	tracetest.AssertFitsAgentPacket(t, js.(*jaeger.Span))
}
