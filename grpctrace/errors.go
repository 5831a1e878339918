package grpctrace

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// codeOf is the status code an error stands for, the way gRPC itself maps a
// handler's error: status errors keep theirs, context errors become Canceled
// or DeadlineExceeded, anything else is Unknown.
func codeOf(err error) codes.Code {
	if err == nil {
		return codes.OK
	}
	if s, ok := status.FromError(err); ok {
		return s.Code()
	}
	if errors.Is(err, context.Canceled) {
		return codes.Canceled
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return codes.DeadlineExceeded
	}
	return codes.Unknown
}

// rpcError hands a failed RPC's error to the span with its code as the
// error.kind ("Unavailable" rather than "*status.Error"). It unwraps to the
// original, so status.Code and errors.Is/As see through it.
type rpcError struct {
	err  error
	code codes.Code
}

func (e *rpcError) Error() string     { return e.err.Error() }
func (e *rpcError) Unwrap() error     { return e.err }
func (e *rpcError) ErrorKind() string { return e.code.String() }

func clientIsError(c Call, err error) bool {
	return c.Code != codes.OK && c.Code != codes.Canceled
}

func serverIsError(c Call, err error) bool {
	switch c.Code {
	case codes.Unknown, codes.DeadlineExceeded, codes.Unimplemented, codes.Internal, codes.Unavailable, codes.DataLoss:
		return true
	}
	return false
}
