package grpctrace

import (
	"context"
	"strings"
	"testing"

	"github.com/opentracing/opentracing-go"
	"google.golang.org/grpc"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"

	"github.com/tracewrap/tracewrap/internal/tracetest"
)

// FuzzServerExtract drives arbitrary incoming metadata through the server's
// extract path: the handler always runs with a span and nothing panics.
func FuzzServerExtract(f *testing.F) {
	tr := tracetest.JaegerNull(f, true)
	unary := UnaryServerInterceptor(WithTracer(tr), WithMetadataTags())
	f.Add("1:2:3:1", "uberctx-tenant", "acme")
	f.Add("ffffffffffffffffffffffffffffffffff:0:0:zz", "jaeger-baggage", "k=v, k2")
	f.Add("0:0:0:0", "jaeger-debug-id", "\x00\xff")
	f.Fuzz(func(t *testing.T, traceID, key, value string) {
		md := metadata.MD{"uber-trace-id": {traceID}, strings.ToLower(key): {value, value}}
		ctx := metadata.NewIncomingContext(context.Background(), md)
		ran := false
		_, err := unary(ctx, nil, &grpc.UnaryServerInfo{FullMethod: "/s/M"}, func(ctx context.Context, _ any) (any, error) {
			ran = opentracing.SpanFromContext(ctx) != nil
			return nil, nil
		})
		if err != nil || !ran {
			t.Fatalf("err %v ran %v", err, ran)
		}
	})
}

// FuzzInjectBaggage: whatever baggage the caller set, a real call over
// loopback succeeds (gRPC fails a call on metadata it cannot send), the
// metadata written holds only valid entries, and baggage gRPC can carry
// arrives unchanged.
func FuzzInjectBaggage(f *testing.F) {
	tr := tracetest.JaegerNull(f, true)
	e := startEnv(f, nil, "", []Option{WithTracer(tr)}, []Option{WithTracer(tr)})
	f.Add("tenant", "acme")
	f.Add("Bad Key", "Zürich\n")
	f.Add("blob-bin", "\x00\x01")
	f.Add("note", "50% off")
	f.Add("connection", "close")
	f.Fuzz(func(t *testing.T, k, v string) {
		ctx, root := rootCtx(tr)
		root.SetBaggageItem(k, v)
		md, _ := metadata.FromOutgoingContext(inject(context.Background(), root, root.Context()))
		for key, vals := range md {
			if len(vals) != 1 || !validMetadata(key, vals[0]) {
				t.Fatalf("invalid entry %q: %q", key, vals)
			}
		}
		if md.Get("uber-trace-id") == nil {
			t.Fatal("no trace context")
		}
		if _, err := e.client.EmptyCall(ctx, &testpb.Empty{}); err != nil {
			t.Fatalf("baggage %q=%q failed the call: %v", k, v, err)
		}
		server := <-e.svc.spans
		key := strings.ToLower(k)
		if len(md.Get("uberctx-"+key)) == 1 && len(v) <= 2048 { // jaeger cuts longer values
			if got := server.BaggageItem(key); got != v {
				t.Fatalf("baggage %q: sent %q, got %q", key, v, got)
			}
		}
	})
}
