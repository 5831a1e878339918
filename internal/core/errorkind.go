package core

import (
	"errors"
	"reflect"
)

// KindedError is an error that names its own class for the error.kind log
// field (an Elasticsearch "parsing_exception", an HTTP status class), where
// the Go type alone would say nothing useful.
type KindedError interface {
	error
	ErrorKind() string
}

// ErrorKind is the error.kind of err: the ErrorKind of the first KindedError
// in its chain, else its Go type. A nil err is "".
func ErrorKind(err error) string {
	if err == nil {
		return ""
	}
	var k KindedError
	if errors.As(err, &k) {
		if s := k.ErrorKind(); s != "" {
			return s
		}
	}
	return reflect.TypeOf(err).String()
}
