package tracing

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/opentracing/opentracing-go"
	"github.com/uber/jaeger-client-go"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/tracewrap/tracewrap/grpctrace"
)

// The shop's mixed fleet in one process: a gRPC client on the Jaeger backend
// calls a server on the OpenTelemetry backend, and the server calls back a
// service on the Jaeger backend. Over gRPC metadata (lower-case keys, as
// grpctrace writes them) each hop is a child of the one before, one trace,
// in both directions, with the default propagators: until the Jaeger backend
// injects W3C too, uber-trace-id is the format both read.
func TestMixedBackendsOverGRPC(t *testing.T) {
	clearOTelEnv(t)
	jrep := jaeger.NewInMemoryReporter()
	jtr, jcloser := jaeger.NewTracer("jaeger-side", jaeger.NewConstSampler(true), jrep)
	defer jcloser.Close()
	otr, ocloser, exp := initMemory(t, "otel-side", WithoutGlobal())

	serve := func(tr opentracing.Tracer, h healthpb.HealthServer) string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv := grpc.NewServer(grpctrace.ServerOptions(grpctrace.WithTracer(tr))...)
		healthpb.RegisterHealthServer(srv, h)
		go func() { _ = srv.Serve(ln) }()
		t.Cleanup(srv.Stop)
		return ln.Addr().String()
	}
	dial := func(tr opentracing.Tracer, addr string) healthpb.HealthClient {
		conn, err := grpc.NewClient(addr, append(grpctrace.DialOptions(grpctrace.WithTracer(tr)),
			grpc.WithTransportCredentials(insecure.NewCredentials()))...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		return healthpb.NewHealthClient(conn)
	}
	back := dial(otr, serve(jtr, health.NewServer())) // otel -> jaeger
	front := dial(jtr, serve(otr, &relay{next: back}))

	root := jtr.StartSpan("root")
	ctx := opentracing.ContextWithSpan(context.Background(), root)
	if _, err := front.Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
		t.Fatal(err)
	}
	root.Finish()
	ocloser.Close()

	jspans := jrep.GetSpans() // root, client to the otel side, server of the call back
	ospans := exp.GetSpans()  // server, client of the call back
	if len(jspans) != 3 || len(ospans) != 2 {
		t.Fatalf("%d jaeger spans, %d otel spans", len(jspans), len(ospans))
	}
	traceID := root.Context().(jaeger.SpanContext).TraceID()
	var jclient, jserver *jaeger.Span
	for _, s := range jspans {
		s := s.(*jaeger.Span)
		if s.SpanContext().TraceID() != traceID {
			t.Fatalf("jaeger span %s in trace %s, want %s", s.OperationName(), s.SpanContext().TraceID(), traceID)
		}
		if k := fmt.Sprint(s.Tags()["span.kind"]); k == "client" {
			jclient = s
		} else if k == "server" {
			jserver = s
		}
	}
	if jclient == nil || jserver == nil {
		t.Fatal("kinds missing on the jaeger side")
	}
	var oserver, oclient trace.SpanContext
	var oserverParent, oclientParent trace.SpanContext
	for _, s := range ospans {
		if s.SpanKind == trace.SpanKindServer {
			oserver, oserverParent = s.SpanContext, s.Parent
		} else {
			oclient, oclientParent = s.SpanContext, s.Parent
		}
	}
	// A 64-bit jaeger id is the low half of the 128-bit OpenTelemetry one.
	if strings.TrimLeft(oserver.TraceID().String(), "0") != strings.TrimLeft(traceID.String(), "0") || oserverParent.SpanID().String() != jclient.SpanContext().SpanID().String() {
		t.Fatalf("otel server in trace %s under %s, want trace %s under the jaeger client %s",
			oserver.TraceID(), oserverParent.SpanID(), traceID, jclient.SpanContext().SpanID())
	}
	if oclientParent.SpanID() != oserver.SpanID() {
		t.Fatal("the otel client is not a child of the otel server")
	}
	if got := jserver.SpanContext().ParentID().String(); got != oclient.SpanID().String() {
		t.Fatalf("jaeger server under %s, want the otel client %s", got, oclient.SpanID())
	}
}

// relay answers a health check by making one itself, with the handler's ctx.
type relay struct {
	healthpb.UnimplementedHealthServer
	next healthpb.HealthClient
}

func (r *relay) Check(ctx context.Context, req *healthpb.HealthCheckRequest) (*healthpb.HealthCheckResponse, error) {
	return r.next.Check(ctx, req)
}
