package core

import (
	"errors"
	"fmt"
	"testing"

	"github.com/opentracing/opentracing-go/mocktracer"
)

type kinded struct{ kind string }

func (k kinded) Error() string     { return "kinded" }
func (k kinded) ErrorKind() string { return k.kind }

func TestErrorKind(t *testing.T) {
	if k := ErrorKind(fmt.Errorf("wrapped: %w", kinded{"parsing_exception"})); k != "parsing_exception" {
		t.Fatal(k)
	}
	if k := ErrorKind(kinded{}); k != "core.kinded" {
		t.Fatal("empty kind must fall back to the type:", k)
	}
	if k := ErrorKind(errors.New("x")); k != "*errors.errorString" {
		t.Fatal(k)
	}
	if ErrorKind(nil) != "" {
		t.Fatal("nil")
	}
	span := mocktracer.New().StartSpan("x")
	RecordError(span, kinded{"version_conflict_engine_exception"})
	if f := span.(*mocktracer.MockSpan).Logs()[0].Fields[1]; f.ValueString != "version_conflict_engine_exception" {
		t.Fatal(f)
	}
}
