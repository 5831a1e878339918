package conformance_test

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/opentracing/opentracing-go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/tracewrap/tracewrap/grpctrace"
)

// gRPC, both sides, on the standard health service: a call that succeeds and
// one that fails (NotFound: a failure for the client, not for the server).
func TestGRPC(t *testing.T) {
	forEach(t, func(t *testing.T, b *backend) {
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv := grpc.NewServer(grpctrace.ServerOptions(grpctrace.WithTracer(b.server))...)
		hs := health.NewServer()
		hs.SetServingStatus("shop.Goods", healthpb.HealthCheckResponse_SERVING)
		healthpb.RegisterHealthServer(srv, hs)
		go srv.Serve(lis)
		defer srv.Stop()
		conn, err := grpc.NewClient(lis.Addr().String(), append(grpctrace.DialOptions(grpctrace.WithTracer(b.client)),
			grpc.WithTransportCredentials(insecure.NewCredentials()))...)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		hc := healthpb.NewHealthClient(conn)

		root := b.client.StartSpan("root")
		ctx := opentracing.ContextWithSpan(context.Background(), root)
		if _, err := hc.Check(ctx, &healthpb.HealthCheckRequest{Service: "shop.Goods"}); err != nil {
			t.Fatal(err)
		}
		if _, err := hc.Check(ctx, &healthpb.HealthCheckRequest{Service: "no.Such"}); err == nil {
			t.Fatal("want NotFound")
		}
		root.Finish()
		srv.GracefulStop() // the server spans are finished once the handlers returned

		const method = "/grpc.health.v1.Health/Check"
		r := find(t, b, "root", 1)[0]
		var clients, servers []span
		for _, s := range find(t, b, method, 4) {
			if s.Kind == "client" {
				clients = append(clients, s)
			} else {
				expectKind(t, s, "server")
				servers = append(servers, s)
			}
		}
		if len(clients) != 2 || len(servers) != 2 {
			t.Fatalf("clients %v servers %v", clients, servers)
		}
		code := key(b, "grpc.status_code", "rpc.grpc.status_code")
		okCode, notFound := "OK", "NotFound"
		if b.otel {
			okCode, notFound = "0", "5"
		}
		pick := func(spans []span, c string) span {
			for _, s := range spans {
				if attr(s, code) == c {
					return s
				}
			}
			t.Fatalf("no span with %s=%s in %v", code, c, spans)
			return span{}
		}
		okClient, failClient := pick(clients, okCode), pick(clients, notFound)
		okServer, failServer := pick(servers, okCode), pick(servers, notFound)
		for _, c := range clients {
			expectChild(t, c, r)
		}
		expectChild(t, okServer, okClient)
		expectChild(t, failServer, failClient)
		expectOK(t, okClient)
		expectOK(t, okServer)
		expectOK(t, failServer) // NotFound is the caller's problem
		expectFailed(t, failClient, "unknown service")

		host, port, _ := strings.Cut(lis.Addr().String(), ":")
		if b.otel {
			want := map[string]string{"rpc.system": "grpc", "rpc.service": "grpc.health.v1.Health", "rpc.method": "Check"}
			expectAttrs(t, okServer, want)
			want["server.address"], want["server.port"] = host, port
			expectAttrs(t, okClient, want)
			expectAttrs(t, okServer, map[string]string{"client.address": "127.0.0.1"})
			expectAttrs(t, failClient, map[string]string{"error.type": "NotFound"})
			absent(t, okClient, "grpc.status_code", "peer.address", "peer.ipv4")
		} else {
			expectAttrs(t, okClient, map[string]string{"peer.ipv4": host, "peer.port": port, "peer.address": lis.Addr().String()})
			expectAttrs(t, okServer, map[string]string{"peer.ipv4": "127.0.0.1"})
			absent(t, okClient, "rpc.system", "rpc.grpc.status_code", "server.address")
		}
	})
}
