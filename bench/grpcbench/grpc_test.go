// Package grpcbench compares grpctrace with bare gRPC and with two
// OpenTracing peers: grpc-ecosystem/grpc-opentracing's otgrpc ("otgrpc") and
// go-grpc-middleware v1's tracing/opentracing ("grpcmw").
package grpcbench

import (
	"context"
	"net"
	"strings"
	"testing"

	grpcmw "github.com/grpc-ecosystem/go-grpc-middleware/tracing/opentracing"
	"github.com/grpc-ecosystem/grpc-opentracing/go/otgrpc"
	"github.com/opentracing/opentracing-go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"

	"github.com/tracewrap/tracewrap/bench/internal/tracers"
	"github.com/tracewrap/tracewrap/grpctrace"
)

const method = "/grpc.testing.TestService/EmptyCall"

// impl is one implementation's pair of unary interceptors.
type impl struct {
	name   string
	client grpc.UnaryClientInterceptor
	server grpc.UnaryServerInterceptor
}

func impls(st *tracers.Stack) []impl {
	return []impl{
		{"tracewrap", grpctrace.UnaryClientInterceptor(grpctrace.WithTracer(st.OT)), grpctrace.UnaryServerInterceptor(grpctrace.WithTracer(st.OT))},
		{"otgrpc", otgrpc.OpenTracingClientInterceptor(st.OT), otgrpc.OpenTracingServerInterceptor(st.OT)},
		{"grpcmw", grpcmw.UnaryClientInterceptor(grpcmw.WithTracer(st.OT)), grpcmw.UnaryServerInterceptor(grpcmw.WithTracer(st.OT))},
	}
}

// BenchmarkGRPCUnaryClient is the client interceptor alone, in process, in
// front of an invoker that returns at once.
func BenchmarkGRPCUnaryClient(b *testing.B) {
	invoker := func(context.Context, string, any, any, *grpc.ClientConn, ...grpc.CallOption) error { return nil }
	req, reply := &testpb.Empty{}, &testpb.Empty{}
	run := func(b *testing.B, st *tracers.Stack, ic grpc.UnaryClientInterceptor) {
		ctx := context.Background()
		if st != nil {
			ctx = st.Parent(b)
		}
		b.ReportAllocs()
		for b.Loop() {
			if ic == nil {
				invoker(ctx, method, req, reply, nil)
				continue
			}
			ic(ctx, method, req, reply, nil, invoker)
			st.Tick()
		}
	}
	b.Run("tracer=none/impl=bare", func(b *testing.B) { run(b, nil, nil) })
	for _, st := range tracers.All(b) {
		for _, im := range impls(st) {
			b.Run("tracer="+st.Name+"/impl="+im.name, func(b *testing.B) { run(b, st, im.client) })
		}
	}
}

// incoming is a server ctx as grpc-go builds it: the metadata, with the
// caller's trace context when traced, and the peer.
func incoming(st *tracers.Stack) context.Context {
	md := metadata.MD{":authority": {"127.0.0.1:50051"}, "content-type": {"application/grpc"}, "user-agent": {"grpc-go/1.85.0"}}
	if st != nil {
		parent := st.OT.StartSpan("caller")
		defer parent.Finish()
		tm := opentracing.TextMapCarrier{}
		st.OT.Inject(parent.Context(), opentracing.TextMap, tm)
		for k, v := range tm {
			md[strings.ToLower(k)] = []string{v}
		}
	}
	ctx := metadata.NewIncomingContext(context.Background(), md)
	return peer.NewContext(ctx, &peer.Peer{Addr: &net.TCPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 5555}})
}

// BenchmarkGRPCUnaryServer is the server interceptor alone, in process, in
// front of a handler that returns at once; the metadata carries the
// caller's trace context.
func BenchmarkGRPCUnaryServer(b *testing.B) {
	handler := func(ctx context.Context, req any) (any, error) { return req, nil }
	info := &grpc.UnaryServerInfo{FullMethod: method}
	req := &testpb.Empty{}
	run := func(b *testing.B, st *tracers.Stack, si grpc.UnaryServerInterceptor) {
		ctx := incoming(st)
		b.ReportAllocs()
		for b.Loop() {
			if si == nil {
				handler(ctx, req)
				continue
			}
			si(ctx, req, info, handler)
			st.Tick()
		}
	}
	b.Run("tracer=none/impl=bare", func(b *testing.B) { run(b, nil, nil) })
	for _, st := range tracers.All(b) {
		for _, im := range impls(st) {
			b.Run("tracer="+st.Name+"/impl="+im.name, func(b *testing.B) { run(b, st, im.server) })
		}
	}
}

type testService struct {
	testpb.UnimplementedTestServiceServer
}

func (testService) EmptyCall(context.Context, *testpb.Empty) (*testpb.Empty, error) {
	return &testpb.Empty{}, nil
}

// BenchmarkGRPCLoopback is a whole unary call to grpc-go's interop
// TestService on 127.0.0.1, traced on both sides by the same
// implementation.
func BenchmarkGRPCLoopback(b *testing.B) {
	run := func(b *testing.B, st *tracers.Stack, im *impl) {
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		var sopts []grpc.ServerOption
		dopts := []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
		if im != nil {
			sopts = append(sopts, grpc.ChainUnaryInterceptor(im.server))
			dopts = append(dopts, grpc.WithChainUnaryInterceptor(im.client))
		}
		srv := grpc.NewServer(sopts...)
		testpb.RegisterTestServiceServer(srv, testService{})
		go srv.Serve(lis)
		defer srv.Stop()
		conn, err := grpc.NewClient(lis.Addr().String(), dopts...)
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close()
		client := testpb.NewTestServiceClient(conn)
		ctx := context.Background()
		if st != nil {
			ctx = st.Parent(b)
		}
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		if _, err := client.EmptyCall(ctx, &testpb.Empty{}); err != nil { // connect outside the timing
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := client.EmptyCall(ctx, &testpb.Empty{}); err != nil {
				b.Fatal(err)
			}
			if st != nil {
				st.Tick()
			}
		}
	}
	b.Run("tracer=none/impl=bare", func(b *testing.B) { run(b, nil, nil) })
	for _, st := range tracers.All(b) {
		for _, im := range impls(st) {
			b.Run("tracer="+st.Name+"/impl="+im.name, func(b *testing.B) { run(b, st, &im) })
		}
	}
}
