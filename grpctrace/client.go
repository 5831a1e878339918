package grpctrace

import (
	"context"
	"io"
	"sync/atomic"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/tracewrap/tracewrap/internal/core"
)

var clientDefaults = core.Defaults[Call]{
	Component: "gRPC",
	Kind:      ext.SpanKindRPCClientEnum,
	IsError:   clientIsError,
}

// DialOptions returns the client interceptors, unary and stream, as dial
// options. They chain after interceptors given earlier, so they compose with
// yours:
//
//	conn, err := grpc.NewClient(addr, append(grpctrace.DialOptions(), creds)...)
func DialOptions(opts ...Option) []grpc.DialOption {
	c := &client{s: newSettings(clientDefaults, opts)}
	return []grpc.DialOption{
		grpc.WithChainUnaryInterceptor(c.unary),
		grpc.WithChainStreamInterceptor(c.stream),
	}
}

// UnaryClientInterceptor makes a client span of every unary call, a child of
// the span in the call's context, and sends its context in the metadata.
func UnaryClientInterceptor(opts ...Option) grpc.UnaryClientInterceptor {
	return (&client{s: newSettings(clientDefaults, opts)}).unary
}

// StreamClientInterceptor makes a client span of every streaming call. The
// span finishes exactly once: when RecvMsg returns io.EOF (OK) or an error;
// after the first RecvMsg of a method whose server does not stream; when
// SendMsg fails other than with io.EOF; or when the call's context is done.
// CloseSend does not finish it.
func StreamClientInterceptor(opts ...Option) grpc.StreamClientInterceptor {
	return (&client{s: newSettings(clientDefaults, opts)}).stream
}

type client struct{ s *settings }

// start begins the span of call, tags it and returns the context to call
// with. span is nil when the call is not traced, or when its trace is not
// sampled, for good: then the context to call with carries the caller's
// trace context on as it is (same trace, decision and baggage).
func (c *client) start(ctx context.Context, call Call, cc *grpc.ClientConn) (opentracing.Span, context.Context, bool) {
	if !c.s.traced(call) {
		return nil, ctx, false
	}
	ps := core.SpanFromContext(ctx)
	var parent opentracing.SpanContext
	switch {
	case ps == nil:
	case c.s.decorator != nil: // handed every span, as an observer is: no fast path
		parent = ps.Context()
	default:
		var unsampled bool
		if parent, unsampled = c.s.Parent(ps); unsampled {
			return nil, inject(ctx, ps, parent), false
		}
	}
	span := c.s.Start(call, parent, call.Method, time.Time{})
	if span == nil {
		return nil, ctx, false
	}
	sctx := opentracing.ContextWithSpan(ctx, span)
	sc, sampled := core.SampledContext(span) // once: some tracers box a copy per call
	if sampled {
		v := core.VocabOf(span)
		tagMethod(span, v, call.Method)
		if cc != nil {
			tagTarget(span, v, cc.Target())
		}
		if c.s.mdTags {
			md, _ := metadata.FromOutgoingContext(ctx)
			c.s.tagMetadata(span, md)
		}
	}
	return span, inject(sctx, span, sc), sampled
}

func (c *client) finish(ctx context.Context, span opentracing.Span, call Call, req, resp any, err error) {
	call.Code = codeOf(err)
	tagCode(span, core.VocabOf(span), call.Code)
	if c.s.decorator != nil {
		c.s.decorator(ctx, span, call.Method, req, resp, err)
	}
	if err != nil {
		err = &rpcError{err: err, code: call.Code}
	}
	c.s.Finish(span, call, err, time.Time{})
}

func (c *client) unary(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	call := Call{Method: method}
	span, sctx, sampled := c.start(ctx, call, cc)
	if span == nil {
		return invoker(sctx, method, req, reply, cc, opts...)
	}
	if sampled && c.s.payloads {
		c.s.logPayload(span, "request", req)
	}
	err := invoker(sctx, method, req, reply, cc, opts...)
	if sampled && c.s.payloads && err == nil {
		c.s.logPayload(span, "response", reply)
	}
	c.finish(sctx, span, call, req, replyIfOK(reply, err), err)
	return err
}

func replyIfOK(reply any, err error) any {
	if err != nil {
		return nil
	}
	return reply
}

func (c *client) stream(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	call := Call{Method: method, ClientStream: desc.ClientStreams, ServerStream: desc.ServerStreams}
	span, sctx, sampled := c.start(ctx, call, cc)
	if span == nil {
		return streamer(sctx, desc, cc, method, opts...)
	}
	cs, err := streamer(sctx, desc, cc, method, opts...)
	if err != nil {
		c.finish(sctx, span, call, nil, nil, err)
		return nil, err
	}
	s := &clientStream{ClientStream: cs, c: c, span: span, call: call, ctx: sctx, payloads: sampled && c.s.payloads}
	if ctx.Done() != nil {
		s.stop = context.AfterFunc(ctx, s.contextDone)
	}
	return s, nil
}

// clientStream finishes the span of a streaming call exactly once.
type clientStream struct {
	grpc.ClientStream
	c        *client
	span     opentracing.Span
	call     Call
	ctx      context.Context
	payloads bool
	logged   atomic.Int32
	stop     func() bool
	done     atomic.Bool
}

func (s *clientStream) SendMsg(m any) error {
	err := s.ClientStream.SendMsg(m)
	if err == nil && s.payloads && s.logged.Add(1) <= maxStreamPayloads {
		s.c.s.logStreamPayload(s.span, "message sent", m)
	}
	// io.EOF means the stream ended; its status comes from RecvMsg.
	if err != nil && err != io.EOF {
		s.finish(err)
	}
	return err
}

func (s *clientStream) RecvMsg(m any) error {
	err := s.ClientStream.RecvMsg(m)
	switch {
	case err == io.EOF:
		s.finish(nil)
	case err != nil:
		s.finish(err)
	default:
		if s.payloads && s.logged.Add(1) <= maxStreamPayloads {
			s.c.s.logStreamPayload(s.span, "message received", m)
		}
		if !s.call.ServerStream {
			s.finish(nil) // the one response of a unary or client-streaming method
		}
	}
	return err
}

// contextDone runs in its own goroutine when the caller's context ends before
// the stream did (an abandoned stream). It must not touch s.stop, which the
// interceptor may not have stored yet.
func (s *clientStream) contextDone() {
	s.end(status.FromContextError(s.ctx.Err()).Err())
}

func (s *clientStream) finish(err error) {
	if s.end(err) && s.stop != nil {
		s.stop()
	}
}

func (s *clientStream) end(err error) bool {
	if !s.done.CompareAndSwap(false, true) {
		return false
	}
	s.c.finish(s.ctx, s.span, s.call, nil, nil, err)
	return true
}
