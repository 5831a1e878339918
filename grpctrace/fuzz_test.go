package grpctrace

import (
	"context"
	"strings"
	"testing"

	"github.com/opentracing/opentracing-go"
	"google.golang.org/grpc"
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

// FuzzInjectBaggage: whatever baggage the caller set, the outgoing metadata
// is valid for gRPC (which would otherwise fail the call).
func FuzzInjectBaggage(f *testing.F) {
	tr := tracetest.JaegerNull(f, true)
	f.Add("tenant", "acme")
	f.Add("Bad Key", "Zürich\n")
	f.Add("blob-bin", "\x00\x01")
	f.Fuzz(func(t *testing.T, k, v string) {
		span := tr.StartSpan("c").SetBaggageItem(k, v)
		md, _ := metadata.FromOutgoingContext(inject(context.Background(), span, span.Context()))
		for key, vals := range md {
			if !validKey(key) {
				t.Fatalf("invalid key %q", key)
			}
			for _, val := range vals {
				if !strings.HasSuffix(key, "-bin") && !printable(val) {
					t.Fatalf("invalid value %q for %q", val, key)
				}
			}
			if len(vals) != 1 {
				t.Fatalf("%d values for %q", len(vals), key)
			}
		}
		if md.Get("uber-trace-id") == nil {
			t.Fatal("no trace context")
		}
	})
}
