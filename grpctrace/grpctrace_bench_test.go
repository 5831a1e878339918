package grpctrace

import (
	"context"
	"net"
	"testing"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/mocktracer"
	"github.com/uber/jaeger-client-go"
	"google.golang.org/grpc"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
)

// Per-call overhead of the interceptors against calling the invoker or
// handler directly (no network: the difference is the wrapper's own cost),
// and a whole unary call over loopback.

type benchTracer struct {
	name  string
	tr    func(b *testing.B) opentracing.Tracer
	reset func()
}

func benchTracers() []benchTracer {
	mock := mocktracer.New()
	return []benchTracer{
		{name: "noop", tr: func(*testing.B) opentracing.Tracer { return opentracing.NoopTracer{} }},
		{name: "mock", tr: func(*testing.B) opentracing.Tracer { return mock }, reset: mock.Reset},
		{name: "jaeger-sampled", tr: func(b *testing.B) opentracing.Tracer { return benchJaeger(b, true) }},
		{name: "jaeger-unsampled", tr: func(b *testing.B) opentracing.Tracer { return benchJaeger(b, false) }},
	}
}

func benchJaeger(b *testing.B, sampled bool) opentracing.Tracer {
	tr, closer := jaeger.NewTracer("bench", jaeger.NewConstSampler(sampled), jaeger.NewNullReporter())
	b.Cleanup(func() { closer.Close() })
	return tr
}

const benchMethod = "/grpc.testing.TestService/EmptyCall"

func BenchmarkUnaryClient(b *testing.B) {
	invoker := func(context.Context, string, any, any, *grpc.ClientConn, ...grpc.CallOption) error { return nil }
	ctx := context.Background()
	run := func(b *testing.B, ic grpc.UnaryClientInterceptor, reset func()) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if ic == nil {
				invoker(ctx, benchMethod, nil, nil, nil)
			} else {
				ic(ctx, benchMethod, nil, nil, nil, invoker)
			}
			if reset != nil && i%1024 == 0 {
				reset()
			}
		}
	}
	b.Run("bare", func(b *testing.B) { run(b, nil, nil) })
	for _, bt := range benchTracers() {
		b.Run(bt.name, func(b *testing.B) { run(b, UnaryClientInterceptor(WithTracer(bt.tr(b))), bt.reset) })
	}
}

func BenchmarkUnaryServer(b *testing.B) {
	handler := func(ctx context.Context, req any) (any, error) { return nil, nil }
	ctx := metadata.NewIncomingContext(context.Background(), metadata.MD{"content-type": {"application/grpc"}, "user-agent": {"grpc-go"}})
	ctx = peer.NewContext(ctx, &peer.Peer{Addr: &net.TCPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 5555}})
	info := &grpc.UnaryServerInfo{FullMethod: benchMethod}
	run := func(b *testing.B, si grpc.UnaryServerInterceptor, reset func()) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if si == nil {
				handler(ctx, nil)
			} else {
				si(ctx, nil, info, handler)
			}
			if reset != nil && i%1024 == 0 {
				reset()
			}
		}
	}
	b.Run("bare", func(b *testing.B) { run(b, nil, nil) })
	for _, bt := range benchTracers() {
		b.Run(bt.name, func(b *testing.B) { run(b, UnaryServerInterceptor(WithTracer(bt.tr(b))), bt.reset) })
	}
}

// BenchmarkLoopback is a whole unary call to a real server on 127.0.0.1,
// traced on both sides.
func BenchmarkLoopback(b *testing.B) {
	run := func(b *testing.B, serverOpts, clientOpts []Option, reset func(), bare bool) {
		lis, _ := net.Listen("tcp", "127.0.0.1:0")
		var srv *grpc.Server
		var dial []grpc.DialOption
		if bare {
			srv = grpc.NewServer()
		} else {
			srv = grpc.NewServer(ServerOptions(serverOpts...)...)
			dial = DialOptions(clientOpts...)
		}
		testpb.RegisterTestServiceServer(srv, &testService{})
		go srv.Serve(lis)
		defer srv.Stop()
		conn, err := grpc.NewClient(lis.Addr().String(), append(dial, insecureOpt())...)
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close()
		client := testpb.NewTestServiceClient(conn)
		ctx := context.Background()
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, err := client.EmptyCall(ctx, &testpb.Empty{}); err != nil {
				b.Fatal(err)
			}
			if reset != nil && i%1024 == 0 {
				reset()
			}
		}
	}
	b.Run("bare", func(b *testing.B) { run(b, nil, nil, nil, true) })
	for _, bt := range benchTracers() {
		b.Run(bt.name, func(b *testing.B) {
			o := []Option{WithTracer(bt.tr(b))}
			run(b, o, o, bt.reset, false)
		})
	}
}
