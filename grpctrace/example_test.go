package grpctrace_test

import (
	"context"
	"fmt"
	"net"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/mocktracer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/tracewrap/tracewrap/grpctrace"
)

type emptyService struct {
	testpb.UnimplementedTestServiceServer
}

func (emptyService) EmptyCall(ctx context.Context, _ *testpb.Empty) (*testpb.Empty, error) {
	return &testpb.Empty{}, nil
}

// The swap on both sides: server options for grpc.NewServer, dial options
// for grpc.NewClient. The server span is the client span's child.
func Example() {
	tracer := mocktracer.New() // in a service: tr, closer, _ := tracing.Init("order-srv")

	lis, _ := net.Listen("tcp", "127.0.0.1:0")
	srv := grpc.NewServer(grpctrace.ServerOptions(grpctrace.WithTracer(tracer))...) // was: grpc.NewServer()
	testpb.RegisterTestServiceServer(srv, emptyService{})
	go srv.Serve(lis)
	defer srv.Stop()

	conn, err := grpc.NewClient(lis.Addr().String(), append(grpctrace.DialOptions(grpctrace.WithTracer(tracer)), // added
		grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer conn.Close()

	root := tracer.StartSpan("checkout")
	ctx := opentracing.ContextWithSpan(context.Background(), root)
	if _, err := testpb.NewTestServiceClient(conn).EmptyCall(ctx, &testpb.Empty{}); err != nil {
		fmt.Println(err)
		return
	}
	root.Finish()

	for _, s := range tracer.FinishedSpans() {
		fmt.Println(s.OperationName, s.Tag("span.kind"), s.Tag("grpc.status_code"))
	}
	// Output:
	// /grpc.testing.TestService/EmptyCall server OK
	// /grpc.testing.TestService/EmptyCall client OK
	// checkout <nil> <nil>
}

// A server that does not trace its health checks.
func ExampleExceptHealthChecks() {
	srv := grpc.NewServer(grpctrace.ServerOptions(grpctrace.WithSpanFilter(grpctrace.ExceptHealthChecks))...)
	defer srv.Stop()
}
