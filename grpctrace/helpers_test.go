package grpctrace

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"github.com/opentracing/opentracing-go/mocktracer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// testService is grpc-go's interop TestService with behaviour tests can
// steer: ResponseStatus fails the call, a "block" metadata key makes a call
// wait for its context, and the server span's baggage "tenant" is echoed in
// SimpleResponse.Username.
type testService struct {
	testpb.UnimplementedTestServiceServer
	spans chan opentracing.Span // server spans seen by handlers, if not nil
}

func (s *testService) seen(ctx context.Context) opentracing.Span {
	span := opentracing.SpanFromContext(ctx)
	if s.spans != nil {
		select {
		case s.spans <- span:
		default:
		}
	}
	return span
}

func blocked(ctx context.Context) bool {
	return len(metadata.ValueFromIncomingContext(ctx, "block")) > 0
}

func (s *testService) EmptyCall(ctx context.Context, _ *testpb.Empty) (*testpb.Empty, error) {
	s.seen(ctx)
	if blocked(ctx) {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return &testpb.Empty{}, nil
}

func (s *testService) UnaryCall(ctx context.Context, req *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	span := s.seen(ctx)
	if st := req.GetResponseStatus(); st != nil && st.Code != 0 {
		return nil, status.Error(codes.Code(st.Code), st.Message)
	}
	resp := &testpb.SimpleResponse{Payload: req.GetPayload()}
	if span != nil {
		resp.Username = span.BaggageItem("tenant")
	}
	return resp, nil
}

func (s *testService) StreamingOutputCall(req *testpb.StreamingOutputCallRequest, stream grpc.ServerStreamingServer[testpb.StreamingOutputCallResponse]) error {
	s.seen(stream.Context())
	for _, p := range req.GetResponseParameters() {
		if p.IntervalUs > 0 {
			select {
			case <-time.After(time.Duration(p.IntervalUs) * time.Microsecond):
			case <-stream.Context().Done():
				return stream.Context().Err()
			}
		}
		if err := stream.Send(&testpb.StreamingOutputCallResponse{Payload: &testpb.Payload{Body: make([]byte, p.Size)}}); err != nil {
			return err
		}
	}
	if st := req.GetResponseStatus(); st != nil && st.Code != 0 {
		return status.Error(codes.Code(st.Code), st.Message)
	}
	return nil
}

func (s *testService) StreamingInputCall(stream grpc.ClientStreamingServer[testpb.StreamingInputCallRequest, testpb.StreamingInputCallResponse]) error {
	s.seen(stream.Context())
	total := 0
	for {
		m, err := stream.Recv()
		if err == io.EOF {
			return stream.SendAndClose(&testpb.StreamingInputCallResponse{AggregatedPayloadSize: int32(total)})
		}
		if err != nil {
			return err
		}
		total += len(m.GetPayload().GetBody())
	}
}

func (s *testService) FullDuplexCall(stream grpc.BidiStreamingServer[testpb.StreamingOutputCallRequest, testpb.StreamingOutputCallResponse]) error {
	s.seen(stream.Context())
	for {
		m, err := stream.Recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := stream.Send(&testpb.StreamingOutputCallResponse{Payload: m.GetPayload()}); err != nil {
			return err
		}
	}
}

// env is a real gRPC server on 127.0.0.1 (or another listener) with the
// interceptors, and a client connection with the client interceptors.
type env struct {
	svc    *testService
	client testpb.TestServiceClient
	conn   *grpc.ClientConn
	addr   string
}

func startEnv(t testing.TB, lis net.Listener, target string, serverOpts []Option, clientOpts []Option) *env {
	t.Helper()
	if lis == nil {
		var err error
		if lis, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		target = lis.Addr().String()
	}
	svc := &testService{spans: make(chan opentracing.Span, 1)}
	srv := grpc.NewServer(ServerOptions(serverOpts...)...)
	testpb.RegisterTestServiceServer(srv, svc)
	go srv.Serve(lis)
	conn, err := grpc.NewClient(target, append(DialOptions(clientOpts...), insecureOpt())...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		srv.Stop()
	})
	return &env{svc: svc, client: testpb.NewTestServiceClient(conn), conn: conn, addr: target}
}

func mockEnv(t testing.TB, serverOpts, clientOpts []Option) (*env, *mocktracer.MockTracer) {
	tr := mocktracer.New()
	return startEnv(t, nil, "", append([]Option{WithTracer(tr)}, serverOpts...), append([]Option{WithTracer(tr)}, clientOpts...)), tr
}

var (
	clientKind = ext.SpanKindRPCClientEnum
	serverKind = ext.SpanKindRPCServerEnum
)

func rootCtx(tr opentracing.Tracer) (context.Context, opentracing.Span) {
	root := tr.StartSpan("root")
	return opentracing.ContextWithSpan(context.Background(), root), root
}

func insecureOpt() grpc.DialOption { return grpc.WithTransportCredentials(insecure.NewCredentials()) }
