package grpctrace

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"

	"github.com/tracewrap/tracewrap/internal/core"
)

var serverDefaults = core.Defaults[Call]{
	Component: "gRPC",
	Kind:      ext.SpanKindRPCServerEnum,
	IsError:   serverIsError,
}

// ServerOptions returns the server interceptors, unary and stream, as server
// options. They chain after interceptors given earlier:
//
//	srv := grpc.NewServer(grpctrace.ServerOptions()...)
func ServerOptions(opts ...Option) []grpc.ServerOption {
	s := &server{s: newSettings(serverDefaults, opts)}
	return []grpc.ServerOption{
		grpc.ChainUnaryInterceptor(s.unary),
		grpc.ChainStreamInterceptor(s.stream),
	}
}

// UnaryServerInterceptor makes a server span of every unary call, a child of
// the caller's span when the metadata carries one (a corrupt context starts a
// new trace), and puts it in the handler's context.
func UnaryServerInterceptor(opts ...Option) grpc.UnaryServerInterceptor {
	return (&server{s: newSettings(serverDefaults, opts)}).unary
}

// StreamServerInterceptor is UnaryServerInterceptor for streaming calls: the
// handler's stream.Context() holds the span, which finishes when the handler
// returns.
func StreamServerInterceptor(opts ...Option) grpc.StreamServerInterceptor {
	return (&server{s: newSettings(serverDefaults, opts)}).stream
}

type server struct{ s *settings }

func (s *server) start(ctx context.Context, call Call) (opentracing.Span, bool) {
	if !s.s.traced(call) {
		return nil, false
	}
	md, _ := metadata.FromIncomingContext(ctx)
	span := s.s.StartRemote(call, carrierFormat, mdReader(md), call.Method)
	if span == nil {
		return nil, false
	}
	sampled := core.IsSampled(span)
	if sampled {
		v := core.VocabOf(span)
		tagMethod(span, v, call.Method)
		if p, ok := peer.FromContext(ctx); ok {
			tagAddr(span, v, p.Addr)
		}
		s.s.tagMetadata(span, md)
	}
	return span, sampled
}

func (s *server) finish(ctx context.Context, span opentracing.Span, call Call, req, resp any, err error) {
	call.Code = codeOf(err)
	tagCode(span, core.VocabOf(span), call.Code)
	if s.s.decorator != nil {
		s.s.decorator(ctx, span, call.Method, req, resp, err)
	}
	if err != nil {
		err = &rpcError{err: err, code: call.Code}
	}
	s.s.Finish(span, call, err, time.Time{})
}

// finishPanic records a handler's panic as an Internal error; the panic then
// continues.
func (s *server) finishPanic(ctx context.Context, span opentracing.Span, call Call, p any) {
	msg, _ := core.Truncate(fmt.Sprint("panic: ", p), s.s.MaxStatementSize)
	call.Code = codes.Internal
	tagCode(span, core.VocabOf(span), call.Code)
	core.RecordErrorKind(span, "panic", msg)
	s.s.Finish(span, call, nil, time.Time{})
}

func (s *server) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
	call := Call{Method: info.FullMethod}
	span, sampled := s.start(ctx, call)
	if span == nil {
		return handler(ctx, req)
	}
	ctx = opentracing.ContextWithSpan(ctx, span)
	if sampled && s.s.payloads {
		s.s.logPayload(span, "request", req)
	}
	defer func() {
		if p := recover(); p != nil {
			s.finishPanic(ctx, span, call, p)
			panic(p)
		}
	}()
	resp, err = handler(ctx, req)
	if sampled && s.s.payloads && err == nil {
		s.s.logPayload(span, "response", resp)
	}
	s.finish(ctx, span, call, req, replyIfOK(resp, err), err)
	return resp, err
}

func (s *server) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
	call := Call{Method: info.FullMethod, ClientStream: info.IsClientStream, ServerStream: info.IsServerStream}
	span, sampled := s.start(ss.Context(), call)
	if span == nil {
		return handler(srv, ss)
	}
	ws := &serverStream{ServerStream: ss, ctx: opentracing.ContextWithSpan(ss.Context(), span), s: s.s, span: span,
		payloads: sampled && s.s.payloads}
	defer func() {
		if p := recover(); p != nil {
			s.finishPanic(ws.ctx, span, call, p)
			panic(p)
		}
	}()
	err = handler(srv, ws)
	s.finish(ws.ctx, span, call, nil, nil, err)
	return err
}

// serverStream hands the handler a context that holds the span.
type serverStream struct {
	grpc.ServerStream
	ctx      context.Context
	s        *settings
	span     opentracing.Span
	payloads bool
	logged   atomic.Int32
}

func (w *serverStream) Context() context.Context { return w.ctx }

func (w *serverStream) SendMsg(m any) error {
	err := w.ServerStream.SendMsg(m)
	if err == nil && w.payloads && w.logged.Add(1) <= maxStreamPayloads {
		w.s.logStreamPayload(w.span, "message sent", m)
	}
	return err
}

func (w *serverStream) RecvMsg(m any) error {
	err := w.ServerStream.RecvMsg(m)
	if err == nil && w.payloads && w.logged.Add(1) <= maxStreamPayloads {
		w.s.logStreamPayload(w.span, "message received", m)
	}
	return err
}
