package nethttp

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/tracewrap/tracewrap/internal/core"
)

// StatusError is the error an observer or error policy sees for a response
// with a 4xx or 5xx status code.
type StatusError struct {
	Code int
}

func (e *StatusError) Error() string {
	if t := http.StatusText(e.Code); t != "" {
		return strconv.Itoa(e.Code) + " " + t
	}
	return "HTTP status " + strconv.Itoa(e.Code)
}

// ErrorKind is the error.kind of the span's error log, e.g. "HTTP 503".
func (e *StatusError) ErrorKind() string { return "HTTP " + strconv.Itoa(e.Code) }

// PanicError is the error an observer or error policy sees when a handler
// panicked. The panic continues after the span is finished.
type PanicError struct {
	Value any
}

func (e *PanicError) Error() string {
	s, _ := core.Truncate(fmt.Sprint("panic: ", e.Value), maxPanicMessage)
	return s
}

// maxPanicMessage bounds the message of a PanicError: a panic value can be
// anything, including a whole request body.
const maxPanicMessage = 1024

// ErrorKind is the error.kind of the span's error log.
func (e *PanicError) ErrorKind() string { return "panic" }

// statusErr returns the error that stands for code, nil below 400.
func statusErr(code int) error {
	if code < 400 {
		return nil
	}
	return &StatusError{Code: code}
}

// defaultIsError: 5xx, panics and transport errors are failures; 4xx are the
// caller's problem, not this span's.
func defaultIsError(_ *http.Request, err error) bool {
	if se, ok := err.(*StatusError); ok {
		return se.Code >= 500
	}
	return true
}
