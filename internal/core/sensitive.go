package core

import "strings"

// sensitiveExact are header and metadata names that carry credentials.
var sensitiveExact = map[string]bool{
	"authorization":        true,
	"proxy-authorization":  true,
	"cookie":               true,
	"set-cookie":           true,
	"x-api-key":            true,
	"api-key":              true,
	"apikey":               true,
	"x-amz-security-token": true,
}

// sensitiveParts mark a name as credential-like wherever they appear in it:
// x-auth-token, x-csrf-token, session-id, client-secret, db-password, ...
var sensitiveParts = []string{"auth", "token", "secret", "passw", "passwd", "cookie", "session", "credential", "api-key", "apikey", "api_key", "private", "signature", "jwt"}

// IsSensitiveKey reports whether a header, metadata or property name looks
// like it carries a credential, case-insensitively. Wrappers that copy
// user-chosen headers or metadata into tags must skip such names even when
// the user lists them: a secret in a span is readable by everyone with
// access to the tracing UI.
func IsSensitiveKey(name string) bool {
	n := strings.ToLower(strings.TrimSpace(name))
	if sensitiveExact[n] {
		return true
	}
	for _, p := range sensitiveParts {
		if strings.Contains(n, p) {
			return true
		}
	}
	return false
}
