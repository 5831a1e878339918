//go:build unix

package integration_test

import (
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tracewrap/tracewrap/internal/pypeer"
	"github.com/tracewrap/tracewrap/internal/testenv"
)

// A hop of the shop through a service that speaks W3C Trace Context only: an
// HTTP gateway instrumented with the OpenTelemetry Python SDK
// (interop/peers/otel_gateway.py: traceparent and baggage, no Jaeger header,
// its spans exported over OTLP/HTTP to Jaeger) in front of the web process.
// The trace Jaeger stores is still one tree: the gateway's server span is the
// root, its client span the parent of the shop's web span, and the shop's
// spans beneath as usual.
func TestW3COnlyGatewayInFront(t *testing.T) {
	s := shop(t)
	otlp := jaegerOTLPHTTP(t)
	gw, err := pypeer.Start("otel_gateway", []string{"OTEL_BSP_SCHEDULE_DELAY=200"}, time.Minute,
		"--upstream", s.URL, "--otlp", otlp, "--service", "w3c-gateway")
	if err != nil {
		if errors.Is(err, pypeer.ErrNoEnv) && !testenv.RequireServices() {
			t.Skip(err)
		}
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := gw.Stop(); err != nil {
			t.Error(err)
		}
		if t.Failed() {
			t.Logf("the gateway's stderr:\n%s", gw.Stderr())
		}
	})

	req, err := http.NewRequest("GET", "http://"+gw.Addr("http")+"/goods/3", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+authToken)
	res, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /goods/3 through the gateway: %s %s", res.Status, body)
	}
	gwTrace, webTrace := res.Header.Get("X-Gateway-Trace-Id"), res.Header.Get("X-Trace-Id")
	if len(gwTrace) != 32 || webTrace == "" {
		t.Fatalf("want both trace ids, got gateway %q, web %q", gwTrace, webTrace)
	}
	if strings.TrimLeft(webTrace, "0") != strings.TrimLeft(gwTrace, "0") {
		t.Fatalf("the web process started trace %s instead of continuing the gateway's %s (its W3C traceparent was not extracted)", webTrace, gwTrace)
	}

	tr := fetch(t, gwTrace, want("gateway GET@w3c-gateway", "proxy GET@w3c-gateway",
		"HTTP GET /goods/:id@web", "/shop.Goods/Get@web", "/shop.Goods/Get@goods"))
	roots := tr.Tree()
	if len(roots) == 0 {
		t.Fatal("empty trace")
	}
	top := roots[0].Span
	expect(t, tr, top, "gateway GET", "w3c-gateway", "server")
	proxy := child(t, tr, top, "proxy GET", "w3c-gateway")
	expect(t, tr, proxy, "proxy GET", "w3c-gateway", "client")
	web := child(t, tr, proxy, "HTTP GET /goods/:id", "web")
	expect(t, tr, web, "HTTP GET /goods/:id", "web", "server")
	tagIs(t, web, "http.status_code", "200")
	grpcClient := child(t, tr, web, "/shop.Goods/Get", "web")
	expect(t, tr, grpcClient, "/shop.Goods/Get", "web", "client")
	expect(t, tr, child(t, tr, grpcClient, "/shop.Goods/Get", "goods"), "/shop.Goods/Get", "goods", "server")
	noError(t, tr)
}

// jaegerOTLPHTTP is the base URL of Jaeger's OTLP/HTTP receiver (Jaeger v2,
// 4318), from TRACEWRAP_JAEGER_OTLP_HTTP; skipped, or failed when services
// are required, when nothing answers there.
func jaegerOTLPHTTP(t *testing.T) string {
	t.Helper()
	a := os.Getenv("TRACEWRAP_JAEGER_OTLP_HTTP")
	if a == "" {
		a = "127.0.0.1:4318"
	}
	c, err := net.DialTimeout("tcp", a, 2*time.Second)
	if err != nil {
		msg := "Jaeger's OTLP/HTTP receiver is not reachable at " + a + " (" + err.Error() + "); start it with `scripts/services up jaeger`"
		if testenv.RequireServices() {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	c.Close()
	return "http://" + a
}
