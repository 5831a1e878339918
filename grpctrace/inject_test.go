package grpctrace

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/opentracing/opentracing-go"
	"github.com/uber/jaeger-client-go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/tracewrap/tracewrap/internal/tracetest"
	"github.com/tracewrap/tracewrap/nethttp"
)

// onwardService answers UnaryCall by making an onward call with the
// handler's context; its failure is the call's Unavailable.
type onwardService struct {
	testpb.UnimplementedTestServiceServer
	onward func(ctx context.Context) error
}

func (s *onwardService) UnaryCall(ctx context.Context, _ *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	if err := s.onward(ctx); err != nil {
		return nil, status.Error(codes.Unavailable, err.Error())
	}
	return &testpb.SimpleResponse{}, nil
}

// hostileMetadata is request metadata whose baggage the next carrier cannot
// hold as it is: keys that are neither metadata keys nor header names, and
// more baggage than common servers take in headers (grpc C-core: 8 KiB of
// metadata by default).
func hostileMetadata() map[string]metadata.MD {
	big := metadata.MD{}
	for i := range 6 {
		big.Set(fmt.Sprintf("uberctx-k%d", i), strings.Repeat("v", 3000))
	}
	return map[string]metadata.MD{
		"space in key":     {"jaeger-baggage": {"bad key=1"}},
		"non-token keys":   {"jaeger-baggage": {"k(1)=v, a/b=2, X=4, a:b=5"}},
		"18 KB of baggage": big,
	}
}

// TestHostileMetadataDoesNotFailOnwardCalls: a grpctrace server's handler
// calls on over gRPC (to a server taking 16 KiB of headers) and over HTTP
// (nethttp); whatever metadata arrived, both succeed and carry the trace.
func TestHostileMetadataDoesNotFailOnwardCalls(t *testing.T) {
	for name, tr := range map[string]opentracing.Tracer{
		"sampled":   tracetest.JaegerNull(t, true),
		"unsampled": tracetest.JaegerNull(t, false),
	} {
		t.Run(name, func(t *testing.T) {
			// The next hops check that the trace arrived.
			back := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Uber-Trace-Id") == "" {
					http.Error(w, "no trace context", http.StatusBadRequest)
				}
			}))
			t.Cleanup(back.Close)
			hc := &http.Client{Transport: nethttp.NewTransport(&http.Transport{}, nethttp.WithTracer(tr))}
			t.Cleanup(hc.CloseIdleConnections)

			lis, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			nextSrv := grpc.NewServer(grpc.MaxHeaderListSize(16<<10), grpc.UnaryInterceptor(
				func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
					if len(metadata.ValueFromIncomingContext(ctx, "uber-trace-id")) == 0 {
						return nil, status.Error(codes.InvalidArgument, "no trace context")
					}
					return h(ctx, req)
				}))
			testpb.RegisterTestServiceServer(nextSrv, &testService{})
			go nextSrv.Serve(lis)
			t.Cleanup(nextSrv.Stop)
			next, err := grpc.NewClient(lis.Addr().String(), append(DialOptions(WithTracer(tr)), insecureOpt())...)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { next.Close() })

			svc := &onwardService{onward: func(ctx context.Context) error {
				if _, err := testpb.NewTestServiceClient(next).EmptyCall(ctx, &testpb.Empty{}); err != nil {
					return fmt.Errorf("onward gRPC: %w", err)
				}
				req, _ := http.NewRequestWithContext(ctx, "GET", back.URL, nil)
				resp, err := hc.Do(req)
				if err != nil {
					return fmt.Errorf("onward HTTP: %w", err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					return fmt.Errorf("onward HTTP: %s", resp.Status)
				}
				return nil
			}}
			flis, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			front := grpc.NewServer(ServerOptions(WithTracer(tr))...)
			testpb.RegisterTestServiceServer(front, svc)
			go front.Serve(flis)
			t.Cleanup(front.Stop)
			plain, err := grpc.NewClient(flis.Addr().String(), insecureOpt())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { plain.Close() })

			// The caller is untraced: it sends its hostile metadata as it is,
			// with a valid sampled or unsampled trace context.
			flags := "1"
			if name == "unsampled" {
				flags = "0"
			}
			for hname, md := range hostileMetadata() {
				md = metadata.Join(md, metadata.Pairs("uber-trace-id", "1a2b3c:4d5e6f:0:"+flags))
				ctx := metadata.NewOutgoingContext(context.Background(), md)
				if _, err := testpb.NewTestServiceClient(plain).UnaryCall(ctx, &testpb.SimpleRequest{}); err != nil {
					t.Errorf("%s: %v", hname, err)
				}
			}
		})
	}
}

// TestInjectDropsAreCountedOnce: one log record per call, with the count and
// the first dropped key quoted, never the value.
func TestInjectDropsAreCountedOnce(t *testing.T) {
	tr, _ := tracetest.Jaeger(t, "drops", true)
	span := tr.StartSpan("c")
	span.SetBaggageItem("bad key", "secret-1")
	span.SetBaggageItem("x\ny", "secret-2")
	span.SetBaggageItem("ok", "fine")
	md, _ := metadata.FromOutgoingContext(inject(context.Background(), span, span.Context()))
	if md.Get("uberctx-ok")[0] != "fine" {
		t.Fatalf("valid baggage lost: %v", md)
	}
	var drops []map[string]any
	for _, l := range span.(*jaeger.Span).Logs() {
		f := map[string]any{}
		for _, field := range l.Fields {
			f[field.Key()] = field.Value()
		}
		if f["event"] == "trace context entries dropped" {
			drops = append(drops, f)
		}
		for _, v := range f {
			if s, ok := v.(string); ok && strings.Contains(s, "secret") && f["event"] != "baggage" {
				t.Errorf("value logged: %v", f)
			}
		}
	}
	if len(drops) != 1 || drops[0]["count"] != 2 || !strings.HasPrefix(drops[0]["key"].(string), `"uberctx-`) {
		t.Fatalf("drop logs %v", drops)
	}
}
