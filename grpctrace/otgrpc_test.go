package grpctrace

import (
	"context"
	"net"
	"testing"

	"github.com/opentracing-contrib/go-grpc"
	"github.com/opentracing/opentracing-go"
	"github.com/uber/jaeger-client-go"
	"google.golang.org/grpc"
	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/tracewrap/tracewrap/internal/tracetest"
)

// interopBaggage are values that differ between an escaped and a plain
// encoding: spaces, percent signs, pluses, unicode, separators of jaeger's
// own baggage header.
var interopBaggage = map[string]string{
	"space":   "a b",
	"percent": "50% off",
	"escape":  "%zz %41",
	"plus":    "a+b",
	"unicode": "Zürich ✓ 東京",
	"list":    "k=v, k2=v2;p",
}

// otgrpcServer serves testService over 127.0.0.1 with otgrpc's interceptors.
func otgrpcServer(t *testing.T, tr opentracing.Tracer) (*testService, string) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	svc := &testService{spans: make(chan opentracing.Span, 1)}
	srv := grpc.NewServer(grpc.UnaryInterceptor(otgrpc.OpenTracingServerInterceptor(tr)),
		grpc.StreamInterceptor(otgrpc.OpenTracingStreamServerInterceptor(tr)))
	testpb.RegisterTestServiceServer(srv, svc)
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)
	return svc, lis.Addr().String()
}

// assertInterop checks that server, the span a handler saw, is a child of
// client in the same trace and holds every baggage value unchanged.
func assertInterop(t *testing.T, client, server opentracing.Span) {
	t.Helper()
	if server == nil {
		t.Fatal("handler saw no span")
	}
	cc, sc := client.Context().(jaeger.SpanContext), server.Context().(jaeger.SpanContext)
	if sc.TraceID() != cc.TraceID() {
		t.Errorf("server trace %v, client trace %v", sc.TraceID(), cc.TraceID())
	}
	for k, v := range interopBaggage {
		if got := server.BaggageItem(k); got != v {
			t.Errorf("baggage %q: sent %q, handler got %q", k, v, got)
		}
	}
}

func rootWithBaggage(tr opentracing.Tracer) (context.Context, opentracing.Span) {
	ctx, root := rootCtx(tr)
	for k, v := range interopBaggage {
		root.SetBaggageItem(k, v)
	}
	return ctx, root
}

// An otgrpc client calls a grpctrace server, unary and streaming.
func TestInteropOtgrpcClientToGrpctraceServer(t *testing.T) {
	trC, _ := tracetest.Jaeger(t, "otgrpc-client", true)
	trS, _ := tracetest.Jaeger(t, "grpctrace-server", true)
	e := startEnv(t, nil, "", []Option{WithTracer(trS)}, nil)
	conn, err := grpc.NewClient(e.addr, insecureOpt(),
		grpc.WithUnaryInterceptor(otgrpc.OpenTracingClientInterceptor(trC)),
		grpc.WithStreamInterceptor(otgrpc.OpenTracingStreamClientInterceptor(trC)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	callBothWays(t, testpb.NewTestServiceClient(conn), trC, e.svc.spans)
}

// A grpctrace client calls an otgrpc server, unary and streaming.
func TestInteropGrpctraceClientToOtgrpcServer(t *testing.T) {
	trC, _ := tracetest.Jaeger(t, "grpctrace-client", true)
	trS, _ := tracetest.Jaeger(t, "otgrpc-server", true)
	svc, addr := otgrpcServer(t, trS)
	conn, err := grpc.NewClient(addr, append(DialOptions(WithTracer(trC)), insecureOpt())...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	callBothWays(t, testpb.NewTestServiceClient(conn), trC, svc.spans)
}

// callBothWays makes a unary and a streaming call through client, each under
// a root span of tr carrying baggage, and checks the server span of each
// (read from spans) joined the caller's trace (assertInterop).
func callBothWays(t *testing.T, client testpb.TestServiceClient, tr opentracing.Tracer, spans <-chan opentracing.Span) {
	t.Helper()
	ctx, root := rootWithBaggage(tr)
	if _, err := client.UnaryCall(ctx, &testpb.SimpleRequest{}); err != nil {
		t.Fatal(err)
	}
	assertInterop(t, root, <-spans)

	stream, err := client.StreamingOutputCall(ctx, &testpb.StreamingOutputCallRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err == nil {
		t.Fatal("want EOF")
	}
	assertInterop(t, root, <-spans)
}
