package core

import (
	"errors"
	"reflect"
)

// ErrorKinder is implemented by errors that know a better class name for the
// error.kind log field than their Go type: an HTTP status ("HTTP 503"), a
// gRPC code ("Unavailable"), a recovered panic.
type ErrorKinder interface {
	error
	ErrorKind() string
}

// ErrorKind names the class of err: the ErrorKind of the first error in its
// chain that has one, else err's Go type. A nil err has no kind.
func ErrorKind(err error) string {
	if err == nil {
		return ""
	}
	var k ErrorKinder
	if errors.As(err, &k) {
		if s := k.ErrorKind(); s != "" {
			return s
		}
	}
	return reflect.TypeOf(err).String()
}
