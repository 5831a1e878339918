package core

import (
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/opentracing/opentracing-go/mocktracer"
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
