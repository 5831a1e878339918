package core

import (
	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"github.com/opentracing/opentracing-go/log"
)

// RecordError marks span as failed: ext.Error=true plus one log with event,
// error.kind (see ErrorKind: the error's own kind or its Go type) and message.
// A nil span or err is a no-op.
func RecordError(span opentracing.Span, err error) {
	if span == nil || err == nil {
		return
	}
	RecordErrorKind(span, ErrorKind(err), err.Error())
}

// RecordErrorKind is RecordError for failures that are not Go errors (an HTTP
// 500, a gRPC status, a consumer's retry-later): kind names the class of
// failure, message says what happened.
func RecordErrorKind(span opentracing.Span, kind, message string) {
	if span == nil {
		return
	}
	ext.Error.Set(span, true)
	span.LogFields(
		log.String("event", "error"),
		log.String("error.kind", kind),
		log.String("message", message),
	)
}
