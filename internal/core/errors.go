package core

import (
	"sync/atomic"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"github.com/opentracing/opentracing-go/log"
)

// RecordError marks span as failed: ext.Error=true plus one log with event,
// error.kind (ErrorKind: the error's own kind, else its Go type) and message.
// A nil span or err is a no-op.
func RecordError(span opentracing.Span, err error) {
	if span == nil || err == nil {
		return
	}
	RecordErrorKind(span, ErrorKind(err), err.Error())
}

// MaxErrorMessage caps the message of an error log, in bytes. Messages often
// come from the remote side (a gRPC status, a server's error text); a large
// one would make the span exceed the agent's UDP packet, and jaeger drops such
// a span whole.
const MaxErrorMessage = 4096

// RecordErrorKind is RecordError for failures that are not Go errors (an HTTP
// 500, a gRPC status, a consumer's retry-later): kind names the class of
// failure, message says what happened. On the OpenTelemetry vocabulary the
// span also gets error.type=kind and, through the registered
// ErrorStatusSetter, the status Error with message as its description (the
// bridge's error tag alone sets an empty one).
func RecordErrorKind(span opentracing.Span, kind, message string) {
	if span == nil {
		return
	}
	v := VocabOf(span)
	ext.Error.Set(span, true)
	message, _ = Truncate(message, MaxErrorMessage)
	span.LogFields(
		log.String("event", "error"),
		log.String("error.kind", kind),
		log.String("message", message),
	)
	if !v.otel {
		return
	}
	v.Set(span, KeyErrorType, kind)
	if f := errorStatus.Load(); f != nil {
		if u, ok := span.(*unsampledSpan); ok {
			if span = u.get(); span == nil {
				return // nothing recorded: no real span was started
			}
		}
		(*f)(span, message)
	}
}

// ErrorStatusSetter gives a failed span the status Error with description,
// for tracers whose OpenTracing API cannot say it: the OpenTelemetry bridge
// turns the error tag into the status Error with an empty description. It
// runs after the error tag is set, and returns whether it could reach the
// span's status.
type ErrorStatusSetter func(span opentracing.Span, description string) bool

var errorStatus atomic.Pointer[ErrorStatusSetter]

// RegisterErrorStatus installs f for the spans of tracers with the
// OpenTelemetry vocabulary; nil removes it. The tracing package installs
// the one for the OpenTelemetry bridge: core does not import OpenTelemetry.
func RegisterErrorStatus(f ErrorStatusSetter) {
	if f == nil {
		errorStatus.Store(nil)
		return
	}
	errorStatus.Store(&f)
}

// WithRedactedMessage returns err with msg as the message span logs show,
// for errors whose text echoes secrets or user data (a server repeating a
// password, a database quoting the duplicate value). errors.Is/As and
// ErrorKind still see err. It returns err itself when msg is its message.
func WithRedactedMessage(err error, msg string) error {
	if err == nil || msg == err.Error() {
		return err
	}
	return &redactedError{err: err, msg: msg}
}

type redactedError struct {
	err error
	msg string
}

func (e *redactedError) Error() string     { return e.msg }
func (e *redactedError) Unwrap() error     { return e.err }
func (e *redactedError) ErrorKind() string { return ErrorKind(e.err) }
