package grpctrace

import (
	"context"
	"io"
	"testing"

	"github.com/opentracing/opentracing-go"
	"github.com/uber/jaeger-client-go"
	"google.golang.org/grpc"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"

	"github.com/tracewrap/tracewrap/internal/tracetest"
)

// A call whose trace the caller does not sample crosses three processes, each
// with its own jaeger tracer (the servers' samplers willing to sample): the
// front's client interceptor, the middle's server interceptor (whose handler
// sets baggage and calls on, unary and streaming) and the back end, a real
// gRPC server. Every hop stays in the caller's trace, unsampled, the baggage
// arrives, and nobody reports a span; sampled, the same chain reports every
// span.
func TestUnsampledTraceAcrossProcesses(t *testing.T) {
	for _, sampled := range []bool{false, true} {
		front, frontRep := tracetest.Jaeger(t, "front", sampled)
		mid, midRep := tracetest.Jaeger(t, "mid", true)
		back, backRep := tracetest.Jaeger(t, "back", true)
		e := startEnv(t, nil, "", []Option{WithTracer(back)}, []Option{WithTracer(mid)})

		// front: the client interceptor writes the outgoing metadata.
		root := front.StartSpan("root")
		root.SetBaggageItem("user", "alice")
		var md metadata.MD
		capture := func(ctx context.Context, _ string, _, _ any, _ *grpc.ClientConn, _ ...grpc.CallOption) error {
			md, _ = metadata.FromOutgoingContext(ctx)
			return nil
		}
		ctx := opentracing.ContextWithSpan(context.Background(), root)
		if err := UnaryClientInterceptor(WithTracer(front))(ctx, "/svc/Front", nil, nil, nil, capture); err != nil {
			t.Fatal(err)
		}

		// middle: receives that metadata, calls the back end.
		handler := func(ctx context.Context, _ any) (any, error) {
			span := opentracing.SpanFromContext(ctx)
			if _, real := span.(*jaeger.Span); real != sampled {
				t.Errorf("sampled=%v: server span %T", sampled, span)
			}
			if span.BaggageItem("user") != "alice" {
				t.Error("caller's baggage not readable")
			}
			resp, err := e.client.UnaryCall(ctx, &testpb.SimpleRequest{})
			if err != nil || resp.Username != "" {
				t.Errorf("before baggage: %v %q", err, resp.GetUsername())
			}
			span.SetBaggageItem("tenant", "t1")
			resp, err = e.client.UnaryCall(ctx, &testpb.SimpleRequest{})
			if err != nil || resp.Username != "t1" {
				t.Errorf("baggage did not reach the back end: %v %q", err, resp.GetUsername())
			}
			stream, err := e.client.StreamingOutputCall(ctx, &testpb.StreamingOutputCallRequest{
				ResponseParameters: []*testpb.ResponseParameters{{Size: 1}}})
			if err != nil {
				return nil, err
			}
			for {
				if _, err := stream.Recv(); err == io.EOF {
					break
				} else if err != nil {
					return nil, err
				}
			}
			return "ok", nil
		}
		inCtx := metadata.NewIncomingContext(context.Background(), md)
		if _, err := UnaryServerInterceptor(WithTracer(mid))(inCtx, nil, &grpc.UnaryServerInfo{FullMethod: "/svc/Mid"}, handler); err != nil {
			t.Fatal(err)
		}
		root.Finish()

		want := root.Context().(jaeger.SpanContext)
		span := <-e.svc.spans // the back end's span of the first call
		sc := span.Context().(jaeger.SpanContext)
		if sc.TraceID() != want.TraceID() || sc.IsSampled() != sampled || span.BaggageItem("user") != "alice" {
			t.Fatalf("sampled=%v: back end span %v", sampled, sc)
		}
		n := len(frontRep.GetSpans()) + len(midRep.GetSpans())
		n += len(backRep.GetSpans())
		// sampled: root, front client, mid server, 3 mid clients, 3 back servers
		if want := map[bool]int{false: 0, true: 9}[sampled]; n != want {
			t.Fatalf("sampled=%v: %d spans reported, want %d", sampled, n, want)
		}
	}
}
