package grpctrace

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/mocktracer"
	"github.com/uber/jaeger-client-go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/tracewrap/tracewrap/internal/tracetest"
)

func TestUnaryParentBaggageAndTags(t *testing.T) {
	e, tr := mockEnv(t, nil, nil)
	ctx, root := rootCtx(tr)
	root.SetBaggageItem("tenant", "acme")
	ctx = metadata.AppendToOutgoingContext(ctx, "x-user", "u1")
	resp, err := e.client.UnaryCall(ctx, &testpb.SimpleRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Username != "acme" {
		t.Fatalf("baggage %q", resp.Username)
	}
	// The caller's metadata is untouched.
	if md, _ := metadata.FromOutgoingContext(ctx); len(md) != 1 || md.Get("x-user")[0] != "u1" {
		t.Fatalf("caller metadata changed: %v", md)
	}
	c, s := tracetest.WaitOne(t, tr, clientKind), tracetest.WaitOne(t, tr, serverKind)
	rootID := root.(*mocktracer.MockSpan).SpanContext.SpanID
	if c.ParentID != rootID || s.ParentID != c.SpanContext.SpanID || s.SpanContext.TraceID != c.SpanContext.TraceID {
		t.Fatal("parent chain broken")
	}
	const method = "/grpc.testing.TestService/UnaryCall"
	for _, sp := range []*mocktracer.MockSpan{c, s} {
		if sp.OperationName != method || sp.Tag("grpc.status_code") != "OK" || sp.Tag("component") != "gRPC" ||
			sp.Tag("peer.ipv4") != "127.0.0.1" || sp.Tag("peer.port") == nil || sp.Tag("error") != nil {
			t.Fatalf("%s tags %v", sp.Tag("span.kind"), sp.Tags())
		}
	}
}

func TestJaegerPropagation(t *testing.T) {
	tr, _ := tracetest.Jaeger(t, "grpctrace-test", true)
	var clientSC jaeger.SpanContext
	e := startEnv(t, nil, "", []Option{WithTracer(tr)}, []Option{WithTracer(tr), WithSpanObserver(SpanObserver{
		OnStart: func(s opentracing.Span, _ Call) { clientSC = s.Context().(jaeger.SpanContext) },
	})})
	ctx, root := rootCtx(tr)
	root.SetBaggageItem("tenant", "acme")
	resp, err := e.client.UnaryCall(ctx, &testpb.SimpleRequest{})
	if err != nil || resp.Username != "acme" {
		t.Fatalf("%v %q", err, resp.GetUsername())
	}
	sc := (<-e.svc.spans).Context().(jaeger.SpanContext)
	if sc.TraceID() != root.Context().(jaeger.SpanContext).TraceID() || sc.ParentID() != clientSC.SpanID() {
		t.Fatalf("server %v client %v", sc, clientSC)
	}
}

func TestUnaryErrorPolicies(t *testing.T) {
	e, tr := mockEnv(t, nil, nil)
	for _, tc := range []struct {
		code                codes.Code
		clientErr, srvError bool
	}{
		{codes.NotFound, true, false},
		{codes.InvalidArgument, true, false},
		{codes.Internal, true, true},
		{codes.Unavailable, true, true},
	} {
		tr.Reset()
		_, err := e.client.UnaryCall(context.Background(), &testpb.SimpleRequest{ResponseStatus: &testpb.EchoStatus{Code: int32(tc.code), Message: "m"}})
		if status.Code(err) != tc.code {
			t.Fatalf("err %v", err)
		}
		c, s := tracetest.WaitOne(t, tr, clientKind), tracetest.WaitOne(t, tr, serverKind)
		for _, x := range []struct {
			sp   *mocktracer.MockSpan
			want bool
		}{{c, tc.clientErr}, {s, tc.srvError}} {
			if x.sp.Tag("grpc.status_code") != tc.code.String() || (x.sp.Tag("error") == true) != x.want {
				t.Fatalf("%v: %s %v", tc.code, x.sp.Tag("span.kind"), x.sp.Tags())
			}
			if x.want {
				if f := tracetest.ErrorLog(x.sp); f["error.kind"] != tc.code.String() || !strings.Contains(f["message"], "m") {
					t.Fatalf("error log %v", f)
				}
			}
		}
	}
	// Overridable: a client policy that ignores NotFound.
	tr.Reset()
	e2 := startEnv(t, nil, "", []Option{WithTracer(tr)}, []Option{WithTracer(tr), WithErrorPolicy(func(c Call, err error) bool {
		return c.Code != codes.NotFound && status.Code(err) != codes.NotFound
	})})
	e2.client.UnaryCall(context.Background(), &testpb.SimpleRequest{ResponseStatus: &testpb.EchoStatus{Code: int32(codes.NotFound)}})
	if c := tracetest.WaitOne(t, tr, clientKind); c.Tag("error") != nil {
		t.Fatalf("policy ignored: %v", c.Tags())
	}
}

func TestUnaryDeadlineAndCancel(t *testing.T) {
	e, tr := mockEnv(t, nil, nil)
	ctx, cancel := context.WithTimeout(metadata.AppendToOutgoingContext(context.Background(), "block", "1"), 50*time.Millisecond)
	defer cancel()
	if _, err := e.client.EmptyCall(ctx, &testpb.Empty{}); status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("err %v", err)
	}
	c, s := tracetest.WaitOne(t, tr, clientKind), tracetest.WaitOne(t, tr, serverKind)
	if c.Tag("grpc.status_code") != "DeadlineExceeded" || c.Tag("error") != true {
		t.Fatalf("deadline: client %v", c.Tags())
	}
	// The server sees its own deadline pass, or the client's cancellation
	// arrive first; only the former is the server's failure.
	switch s.Tag("grpc.status_code") {
	case "DeadlineExceeded":
		if s.Tag("error") != true {
			t.Fatalf("server %v", s.Tags())
		}
	case "Canceled":
		if s.Tag("error") != nil {
			t.Fatalf("server %v", s.Tags())
		}
	default:
		t.Fatalf("server %v", s.Tags())
	}

	tr.Reset()
	select { // the deadline call's span
	case <-e.svc.spans:
	default:
	}
	ctx, cancel = context.WithCancel(metadata.AppendToOutgoingContext(context.Background(), "block", "1"))
	go func() { <-e.svc.spans; cancel() }()
	if _, err := e.client.EmptyCall(ctx, &testpb.Empty{}); status.Code(err) != codes.Canceled {
		t.Fatalf("err %v", err)
	}
	c, s = tracetest.WaitOne(t, tr, clientKind), tracetest.WaitOne(t, tr, serverKind)
	if c.Tag("grpc.status_code") != "Canceled" || c.Tag("error") != nil || s.Tag("error") != nil {
		t.Fatalf("cancel: client %v server %v", c.Tags(), s.Tags())
	}
}

func TestServerStreaming(t *testing.T) {
	e, tr := mockEnv(t, nil, nil)
	stream, err := e.client.StreamingOutputCall(context.Background(), &testpb.StreamingOutputCallRequest{
		ResponseParameters: []*testpb.ResponseParameters{{Size: 1}, {Size: 2}, {Size: 3}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, err := stream.Recv(); err != nil {
			t.Fatal(err)
		}
		if len(tracetest.ByKind(tr, clientKind)) != 0 {
			t.Fatalf("client span finished after message %d", i)
		}
	}
	if _, err := stream.Recv(); err != io.EOF {
		t.Fatal(err)
	}
	c := tracetest.WaitOne(t, tr, clientKind)
	s := tracetest.WaitOne(t, tr, serverKind)
	if c.Tag("grpc.status_code") != "OK" || s.ParentID != c.SpanContext.SpanID {
		t.Fatalf("client %v", c.Tags())
	}
	// A status at the end of the stream.
	tr.Reset()
	stream, _ = e.client.StreamingOutputCall(context.Background(), &testpb.StreamingOutputCallRequest{
		ResponseParameters: []*testpb.ResponseParameters{{Size: 1}},
		ResponseStatus:     &testpb.EchoStatus{Code: int32(codes.DataLoss), Message: "lost"},
	})
	stream.Recv()
	if _, err := stream.Recv(); status.Code(err) != codes.DataLoss {
		t.Fatal(err)
	}
	if c := tracetest.WaitOne(t, tr, clientKind); c.Tag("grpc.status_code") != "DataLoss" || c.Tag("error") != true {
		t.Fatalf("client %v", c.Tags())
	}
	if s := tracetest.WaitOne(t, tr, serverKind); s.Tag("error") != true {
		t.Fatalf("server %v", s.Tags())
	}
}

// A client-streaming call finishes after its one response, never on
// CloseSend.
func TestClientStreaming(t *testing.T) {
	e, tr := mockEnv(t, nil, nil)
	stream, err := e.client.StreamingInputCall(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if err := stream.Send(&testpb.StreamingInputCallRequest{Payload: &testpb.Payload{Body: []byte("abcd")}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatal(err)
	}
	if len(tracetest.ByKind(tr, clientKind)) != 0 {
		t.Fatal("span finished on CloseSend")
	}
	var resp testpb.StreamingInputCallResponse
	if err := stream.RecvMsg(&resp); err != nil || resp.AggregatedPayloadSize != 12 {
		t.Fatalf("%v %v", err, resp.AggregatedPayloadSize)
	}
	c := tracetest.WaitOne(t, tr, clientKind)
	if c.Tag("grpc.status_code") != "OK" {
		t.Fatalf("client %v", c.Tags())
	}
	if s := tracetest.WaitOne(t, tr, serverKind); s.ParentID != c.SpanContext.SpanID {
		t.Fatal("server span not a child")
	}
}

func TestBidiStreaming(t *testing.T) {
	e, tr := mockEnv(t, nil, nil)
	stream, err := e.client.FullDuplexCall(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		stream.Send(&testpb.StreamingOutputCallRequest{Payload: &testpb.Payload{Body: []byte{byte(i)}}})
		if m, err := stream.Recv(); err != nil || m.Payload.Body[0] != byte(i) {
			t.Fatal(err)
		}
	}
	stream.CloseSend()
	if len(tracetest.ByKind(tr, clientKind)) != 0 {
		t.Fatal("span finished on CloseSend")
	}
	if _, err := stream.Recv(); err != io.EOF {
		t.Fatal(err)
	}
	if c := tracetest.WaitOne(t, tr, clientKind); c.Tag("grpc.status_code") != "OK" {
		t.Fatalf("client %v", c.Tags())
	}
	tracetest.WaitOne(t, tr, serverKind)
}

// A caller that abandons a stream and cancels its context leaks no span
// (and, checked by TestMain, no goroutine).
func TestAbandonedStreamFinishesOnCancel(t *testing.T) {
	e, tr := mockEnv(t, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	stream, err := e.client.FullDuplexCall(ctx)
	if err != nil {
		t.Fatal(err)
	}
	stream.Send(&testpb.StreamingOutputCallRequest{})
	stream.Recv()
	cancel() // abandoned: no CloseSend, no Recv to the end
	c := tracetest.WaitOne(t, tr, clientKind)
	if c.Tag("grpc.status_code") != "Canceled" || c.Tag("error") != nil {
		t.Fatalf("client %v", c.Tags())
	}
	if s := tracetest.WaitOne(t, tr, serverKind); s.Tag("grpc.status_code") != "Canceled" {
		t.Fatalf("server %v", s.Tags())
	}
	// A later Recv does not finish it again.
	stream.Recv()
	if len(tracetest.ByKind(tr, clientKind)) != 1 {
		t.Fatal("finished twice")
	}
}

// A stream that ends by deadline before the caller reads anything.
func TestStreamDeadline(t *testing.T) {
	e, tr := mockEnv(t, nil, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	stream, err := e.client.StreamingOutputCall(ctx, &testpb.StreamingOutputCallRequest{
		ResponseParameters: []*testpb.ResponseParameters{{Size: 1, IntervalUs: 10_000_000}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); status.Code(err) != codes.DeadlineExceeded {
		t.Fatal(err)
	}
	if c := tracetest.WaitOne(t, tr, clientKind); c.Tag("grpc.status_code") != "DeadlineExceeded" || c.Tag("error") != true {
		t.Fatalf("client %v", c.Tags())
	}
}

// Baggage gRPC would refuse as metadata is dropped, not fatal.
func TestInvalidBaggageDoesNotFailCall(t *testing.T) {
	e, tr := mockEnv(t, nil, nil)
	ctx, root := rootCtx(tr)
	root.SetBaggageItem("Bad Key!", "v")
	root.SetBaggageItem("city", "Zürich\n")
	root.SetBaggageItem("tenant", "acme")
	resp, err := e.client.UnaryCall(ctx, &testpb.SimpleRequest{})
	if err != nil || resp.Username != "acme" {
		t.Fatalf("%v %q", err, resp.GetUsername())
	}
	if f := tracetest.EventLog(tracetest.WaitOne(t, tr, clientKind), "trace context entries dropped"); f == nil {
		t.Fatal("dropped entries not logged")
	}
}

func TestCorruptTraceMetadata(t *testing.T) {
	tr, _ := tracetest.Jaeger(t, "grpctrace-test", true)
	e := startEnv(t, nil, "", []Option{WithTracer(tr)}, nil) // untraced client
	for _, v := range []string{"garbage", "1:2:3", strings.Repeat("9", 5000), "0:0:0:0"} {
		ctx := metadata.AppendToOutgoingContext(context.Background(), "uber-trace-id", v, "uberctx-"+strings.Repeat("k", 5000), "v")
		if _, err := e.client.UnaryCall(ctx, &testpb.SimpleRequest{}); err != nil {
			t.Fatalf("%.20q: %v", v, err)
		}
		span := (<-e.svc.spans).(*jaeger.Span)
		if span.SpanContext().ParentID() != 0 {
			t.Fatalf("%.20q became a parent", v)
		}
	}
}

func TestMetadataTagsDenylist(t *testing.T) {
	e, tr := mockEnv(t, []Option{WithMetadataTags()}, []Option{WithMetadataTags("x-tenant", "authorization", "x-api-key")})
	ctx := metadata.AppendToOutgoingContext(context.Background(),
		"x-tenant", "acme", "authorization", "Bearer secret-1", "x-api-key", "secret-2",
		"x-auth-token", "secret-3", "cookie", "secret-4", "session-id", "secret-5", "x-blob-bin", "secret-6")
	if _, err := e.client.UnaryCall(ctx, &testpb.SimpleRequest{}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*mocktracer.MockSpan{tracetest.WaitOne(t, tr, clientKind), tracetest.WaitOne(t, tr, serverKind)} {
		if s.Tag("grpc.metadata.x-tenant") != "acme" {
			t.Fatalf("%s: allowed key not tagged: %v", s.Tag("span.kind"), s.Tags())
		}
		tracetest.AssertNoSecret(t, []*mocktracer.MockSpan{s}, "secret")
	}
}

func TestPayloadCaptureAndDecorator(t *testing.T) {
	type seen struct {
		method    string
		req, resp any
		err       error
	}
	var got []seen
	dec := WithSpanDecorator(func(ctx context.Context, span opentracing.Span, method string, req, resp any, err error) {
		if opentracing.SpanFromContext(ctx) == nil {
			t.Error("decorator ctx has no span")
		}
		got = append(got, seen{method, req, resp, err})
	})
	e, tr := mockEnv(t, nil, []Option{WithPayloadCapture(), WithMaxStatementSize(64), dec})
	big := strings.Repeat("y", 1000)
	if _, err := e.client.UnaryCall(context.Background(), &testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte(big)}}); err != nil {
		t.Fatal(err)
	}
	c := tracetest.WaitOne(t, tr, clientKind)
	req, resp := tracetest.EventLog(c, "request"), tracetest.EventLog(c, "response")
	if req == nil || resp == nil || !strings.Contains(req["message.payload"], "yyy") || len(req["message.payload"]) > 64 {
		t.Fatalf("payload logs %v %v", req, resp)
	}
	if s := tracetest.WaitOne(t, tr, serverKind); tracetest.EventLog(s, "request") != nil {
		t.Fatal("server captured payloads without the option")
	}
	if len(got) != 1 || got[0].method != "/grpc.testing.TestService/UnaryCall" || got[0].req == nil || got[0].resp == nil || got[0].err != nil {
		t.Fatalf("decorator saw %+v", got)
	}
}

func TestHealthChecksFiltered(t *testing.T) {
	tr := mocktracer.New()
	lis, _ := net.Listen("tcp", "127.0.0.1:0")
	srv := grpc.NewServer(ServerOptions(WithTracer(tr), WithSpanFilter(ExceptHealthChecks))...)
	healthpb.RegisterHealthServer(srv, health.NewServer())
	testpb.RegisterTestServiceServer(srv, &testService{})
	go srv.Serve(lis)
	defer srv.Stop()
	conn, _ := grpc.NewClient(lis.Addr().String(), append(DialOptions(WithTracer(tr), WithSpanFilter(ExceptHealthChecks)), insecureOpt())...)
	defer conn.Close()
	if _, err := healthpb.NewHealthClient(conn).Check(context.Background(), &healthpb.HealthCheckRequest{}); err != nil {
		t.Fatal(err)
	}
	if n := len(tr.FinishedSpans()); n != 0 {
		t.Fatalf("%d spans for a health check", n)
	}
	testpb.NewTestServiceClient(conn).EmptyCall(context.Background(), &testpb.Empty{})
	tracetest.WaitOne(t, tr, clientKind)
	tracetest.WaitOne(t, tr, serverKind)
}

func TestUnixSocketPeer(t *testing.T) {
	path := filepath.Join(t.TempDir(), "grpc.sock")
	lis, err := net.Listen("unix", path)
	if err != nil {
		t.Skip("no unix sockets:", err)
	}
	tr := mocktracer.New()
	e := startEnv(t, lis, "unix://"+path, []Option{WithTracer(tr)}, []Option{WithTracer(tr)})
	if _, err := e.client.EmptyCall(context.Background(), &testpb.Empty{}); err != nil {
		t.Fatal(err)
	}
	if s := tracetest.WaitOne(t, tr, serverKind); !strings.HasPrefix(fmt.Sprint(s.Tag("peer.address")), "unix:") {
		t.Fatalf("server peer %v", s.Tags())
	}
	if c := tracetest.WaitOne(t, tr, clientKind); c.Tag("peer.address") == nil || c.Tag("peer.ipv4") != nil {
		t.Fatalf("client peer %v", c.Tags())
	}
}

func TestIPv6Peer(t *testing.T) {
	lis, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skip("no IPv6 loopback:", err)
	}
	tr := mocktracer.New()
	e := startEnv(t, lis, lis.Addr().String(), []Option{WithTracer(tr)}, []Option{WithTracer(tr)})
	if _, err := e.client.EmptyCall(context.Background(), &testpb.Empty{}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*mocktracer.MockSpan{tracetest.WaitOne(t, tr, serverKind), tracetest.WaitOne(t, tr, clientKind)} {
		if s.Tag("peer.ipv6") != "::1" {
			t.Fatalf("%s peer %v", s.Tag("span.kind"), s.Tags())
		}
	}
}

// A handler's panic is recorded and continues (gRPC itself does not recover).
func TestServerPanicRecorded(t *testing.T) {
	tr := mocktracer.New()
	unary := UnaryServerInterceptor(WithTracer(tr))
	func() {
		defer func() {
			if p := recover(); p != "boom" {
				t.Fatalf("panic %v", p)
			}
		}()
		unary(context.Background(), nil, &grpc.UnaryServerInfo{FullMethod: "/s/M"}, func(context.Context, any) (any, error) { panic("boom") })
	}()
	s := tr.FinishedSpans()[0]
	if f := tracetest.ErrorLog(s); s.Tag("error") != true || f["error.kind"] != "panic" || s.Tag("grpc.status_code") != "Internal" {
		t.Fatalf("%v %v", s.Tags(), f)
	}
}

func TestNoopAndChildOnlyPassThrough(t *testing.T) {
	tr := mocktracer.New()
	var sawMD metadata.MD
	invoker := func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, opts ...grpc.CallOption) error {
		sawMD, _ = metadata.FromOutgoingContext(ctx)
		return nil
	}
	for _, ic := range []grpc.UnaryClientInterceptor{
		UnaryClientInterceptor(WithTracer(opentracing.NoopTracer{})),
		UnaryClientInterceptor(WithTracer(tr), WithChildSpansOnly()),
	} {
		if err := ic(context.Background(), "/s/M", nil, nil, nil, invoker); err != nil || len(sawMD) != 0 {
			t.Fatalf("%v %v", err, sawMD)
		}
	}
	if len(tr.FinishedSpans()) != 0 {
		t.Fatal("spans made")
	}
	// The stream interceptor passes the streamer's error through.
	boom := errors.New("boom")
	sc := StreamClientInterceptor(WithTracer(tr))
	_, err := sc(context.Background(), &grpc.StreamDesc{}, nil, "/s/S", func(context.Context, *grpc.StreamDesc, *grpc.ClientConn, string, ...grpc.CallOption) (grpc.ClientStream, error) {
		return nil, boom
	})
	if !errors.Is(err, boom) || tr.FinishedSpans()[0].Tag("grpc.status_code") != "Unknown" {
		t.Fatal("stream start error")
	}
}

// Payload capture on a stream with the default caps must leave a span the
// Jaeger agent transport accepts: a span bigger than one UDP packet is
// dropped whole by jaeger-client-go, with every other tag of the call.
func TestStreamPayloadCaptureFitsAgentPacket(t *testing.T) {
	rep := jaeger.NewInMemoryReporter()
	tr, closer := jaeger.NewTracer("payloads", jaeger.NewConstSampler(true), rep)
	defer closer.Close()
	e := startEnv(t, nil, "", []Option{WithTracer(tr), WithPayloadCapture()}, []Option{WithTracer(tr), WithPayloadCapture()})
	stream, err := e.client.FullDuplexCall(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ { // echoed: 40 large messages each way
		if err := stream.Send(&testpb.StreamingOutputCallRequest{Payload: &testpb.Payload{Body: make([]byte, 8<<10)}}); err != nil {
			t.Fatal(err)
		}
		if _, err := stream.Recv(); err != nil {
			t.Fatal(err)
		}
	}
	stream.CloseSend()
	if _, err := stream.Recv(); err != io.EOF {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for rep.SpansSubmitted() < 2 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	spans := rep.GetSpans()
	if len(spans) != 2 {
		t.Fatalf("%d spans", len(spans))
	}
	for _, s := range spans {
		js := s.(*jaeger.Span)
		if len(js.Logs()) < 2 {
			t.Fatalf("%s: payloads not captured", js.Tags()["span.kind"])
		}
		tracetest.AssertFitsAgentPacket(t, js)
	}
}

// With every metadata key tagged, the keys are the caller's choice too: a
// client sending long keys must not blow up the server span (bigger than one
// agent UDP packet, jaeger drops it whole, hiding that caller's calls).
func TestMetadataTagsBoundHostileKeys(t *testing.T) {
	rep := jaeger.NewInMemoryReporter()
	tr, closer := jaeger.NewTracer("md", jaeger.NewConstSampler(true), rep)
	defer closer.Close()
	e := startEnv(t, nil, "", []Option{WithTracer(tr), WithMetadataTags()}, nil)
	var kv []string
	for i := 0; i < 20; i++ {
		kv = append(kv, fmt.Sprintf("x-%d-%s", i, strings.Repeat("k", 8<<10)), "v")
	}
	kv = append(kv, "x-tenant", "acme")
	if _, err := e.client.UnaryCall(metadata.AppendToOutgoingContext(context.Background(), kv...), &testpb.SimpleRequest{}); err != nil {
		t.Fatal(err)
	}
	span := (<-e.svc.spans).(*jaeger.Span)
	deadline := time.Now().Add(5 * time.Second)
	for rep.SpansSubmitted() < 1 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if span.Tags()["grpc.metadata.x-tenant"] != "acme" {
		t.Fatalf("short key not tagged")
	}
	tracetest.AssertFitsAgentPacket(t, span)
}
