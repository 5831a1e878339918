package integration_test

import (
	"fmt"
	"net"
	"os"
	"testing"
	"time"

	"github.com/tracewrap/tracewrap/internal/testenv"
)

// jaegerOTLP is the host:port of Jaeger's OTLP receiver for protocol ("grpc"
// or "http/protobuf"): TRACEWRAP_JAEGER_OTLP_GRPC / _HTTP, else the standard
// ports. Jaeger's query port decides skip or fail as for every Jaeger test;
// a Jaeger without its OTLP receiver then fails the test.
func jaegerOTLP(t *testing.T, protocol string) string {
	t.Helper()
	testenv.JaegerQueryURL(t)
	key, addr := "TRACEWRAP_JAEGER_OTLP_HTTP", "127.0.0.1:4318"
	if protocol == "grpc" {
		key, addr = "TRACEWRAP_JAEGER_OTLP_GRPC", "127.0.0.1:4317"
	}
	if v := os.Getenv(key); v != "" {
		addr = v
	}
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatalf("Jaeger answers queries but not OTLP (%s) on %s: %v", protocol, addr, err)
	}
	c.Close()
	return addr
}

// One process of the shop switched to the OpenTelemetry backend by its
// environment alone (OTLP to Jaeger), the others still on jaeger-client-go:
// each request is still one tree in Jaeger, the OTLP spans joined to the
// Jaeger ones through uber-trace-id (which the OpenTelemetry side reads with
// the jaeger propagator of the default set) with their kinds intact.
func TestMixedBackendsOneTree(t *testing.T) {
	s := shop(t)
	for i, protocol := range []string{"http/protobuf", "grpc"} {
		t.Run(protocol, func(t *testing.T) {
			addr := jaegerOTLP(t, protocol)
			name := fmt.Sprintf("goods-otel-%d", i)
			goods := startProcess(t, name, "goods", []string{
				"OTEL_TRACES_EXPORTER=otlp",
				"OTEL_EXPORTER_OTLP_PROTOCOL=" + protocol,
				"OTEL_EXPORTER_OTLP_ENDPOINT=http://" + addr,
				"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=",
				"OTEL_PROPAGATORS=",
				"OTEL_BSP_SCHEDULE_DELAY=200", // as the Jaeger processes' flush interval
			})
			web := startProcess(t, "web-for-"+name, "web", nil, "-goods", goods.Addr, "-order", s.Order.Addr)
			id := 1 + i // items 1 and 2: no other test reads them through the cache
			forget(t, fmt.Sprintf("shop:%s:goods:%d", runName, id))

			r := call(t, "GET", fmt.Sprintf("http://%s/goods/%d", web.Addr, id), "")
			if r.status != 200 || r.body["cache"] != "miss" {
				t.Fatalf("GET: %d %v", r.status, r.body)
			}
			// fetch checks one trace, one root, no orphans, no secrets.
			tr := fetch(t, r.traceID, want("HTTP GET /goods/:id@web", "/shop.Goods/Get@web", "/shop.Goods/Get@goods",
				"get@goods", "sql.query@goods", "set@goods"))
			noError(t, tr)
			server := goodsServer(t, tr, "HTTP GET /goods/:id", "/shop.Goods/Get")
			for _, op := range []string{"get", "sql.query", "set"} {
				expect(t, tr, child(t, tr, server, op, "goods"), op, "goods", "client")
			}
			// The goods spans came over OTLP from the SDK (Jaeger names the
			// instrumentation scope), the web ones from jaeger-client-go.
			for _, sp := range tr.Spans {
				scope := sp.TagString("otel.scope.name")
				if (sp.Service == "goods") != (scope == "github.com/tracewrap/tracewrap") {
					t.Errorf("span %s [%s] has otel.scope.name %q\n%s", sp.OperationName, sp.Service, scope, render(tr))
				}
			}
			if len(tr.Spans) != 6 {
				t.Errorf("%d spans, want 6\n%s", len(tr.Spans), render(tr))
			}
		})
	}
}
