package grpctrace

import (
	"context"
	"net"
	"testing"

	"google.golang.org/grpc"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"

	"github.com/tracewrap/tracewrap/internal/tracetest"
)

// Per-call overhead of the interceptors against calling the invoker or
// handler directly (no network: the difference is the wrapper's own cost),
// and a whole unary call over loopback.

const benchMethod = "/grpc.testing.TestService/EmptyCall"

func BenchmarkUnaryClient(b *testing.B) {
	invoker := func(context.Context, string, any, any, *grpc.ClientConn, ...grpc.CallOption) error { return nil }
	ctx := context.Background()
	run := func(b *testing.B, ic grpc.UnaryClientInterceptor, bt tracetest.BenchTracer) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if ic == nil {
				invoker(ctx, benchMethod, nil, nil, nil)
			} else {
				ic(ctx, benchMethod, nil, nil, nil, invoker)
			}
			bt.Trim(i)
		}
	}
	b.Run("bare", func(b *testing.B) { run(b, nil, tracetest.Bare) })
	for _, bt := range tracetest.BenchTracers() {
		b.Run(bt.Name, func(b *testing.B) { run(b, UnaryClientInterceptor(WithTracer(bt.Tracer(b))), bt) })
	}
}

func BenchmarkUnaryServer(b *testing.B) {
	handler := func(ctx context.Context, req any) (any, error) { return nil, nil }
	ctx := metadata.NewIncomingContext(context.Background(), metadata.MD{"content-type": {"application/grpc"}, "user-agent": {"grpc-go"}})
	ctx = peer.NewContext(ctx, &peer.Peer{Addr: &net.TCPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 5555}})
	info := &grpc.UnaryServerInfo{FullMethod: benchMethod}
	run := func(b *testing.B, si grpc.UnaryServerInterceptor, bt tracetest.BenchTracer) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if si == nil {
				handler(ctx, nil)
			} else {
				si(ctx, nil, info, handler)
			}
			bt.Trim(i)
		}
	}
	b.Run("bare", func(b *testing.B) { run(b, nil, tracetest.Bare) })
	for _, bt := range tracetest.BenchTracers() {
		b.Run(bt.Name, func(b *testing.B) { run(b, UnaryServerInterceptor(WithTracer(bt.Tracer(b))), bt) })
	}
}

// BenchmarkLoopback is a whole unary call to a real server on 127.0.0.1,
// traced on both sides.
func BenchmarkLoopback(b *testing.B) {
	run := func(b *testing.B, serverOpts, clientOpts []Option, bt tracetest.BenchTracer) {
		lis, _ := net.Listen("tcp", "127.0.0.1:0")
		var srv *grpc.Server
		var dial []grpc.DialOption
		if bt.Name == tracetest.Bare.Name {
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
			bt.Trim(i)
		}
	}
	b.Run("bare", func(b *testing.B) { run(b, nil, nil, tracetest.Bare) })
	for _, bt := range tracetest.BenchTracers() {
		b.Run(bt.Name, func(b *testing.B) {
			o := []Option{WithTracer(bt.Tracer(b))}
			run(b, o, o, bt)
		})
	}
}
