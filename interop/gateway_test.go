//go:build unix

package interop_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go/ext"

	"github.com/tracewrap/tracewrap/internal/pypeer"
	"github.com/tracewrap/tracewrap/internal/testenv"
)

// TestW3CGatewayInFrontOfGo: the OpenTelemetry gateway that
// integration_test puts in front of the example shop (peers/otel_gateway.py),
// here in front of a Go server behind nethttp.Middleware, its OTLP/HTTP
// export caught by the test instead of Jaeger. The Go span continues the
// gateway's trace under the gateway's client span (which the gateway
// exported), and a Jaeger header sent to the gateway never reaches Go.
func TestW3CGatewayInFrontOfGo(t *testing.T) {
	var mu sync.Mutex
	var exported [][]byte
	otlp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" {
			t.Errorf("OTLP export to %s as %q, want /v1/traces as application/x-protobuf", r.URL.Path, r.Header.Get("Content-Type"))
		}
		mu.Lock()
		exported = append(exported, body)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer otlp.Close()

	tr, rep := goTracer(t, true)
	srv := goHTTPServer(t, tr)
	gw, err := pypeer.Start("otel_gateway", []string{"OTEL_BSP_SCHEDULE_DELAY=100"}, time.Minute,
		"--upstream", srv.URL, "--otlp", otlp.URL, "--service", "interop-gateway")
	if err != nil {
		if errors.Is(err, pypeer.ErrNoEnv) && !testenv.RequireServices() {
			t.Skip(err)
		}
		t.Fatal(err)
	}
	defer func() {
		if err := gw.Stop(); err != nil {
			t.Error(err)
		}
		if t.Failed() {
			t.Logf("the gateway's stderr:\n%s", gw.Stderr())
		}
	}()

	req, _ := http.NewRequest("GET", "http://"+gw.Addr("http")+"/seen", nil)
	// A caller's Jaeger context: the W3C-only gateway neither reads nor
	// forwards it, so the Go side must not see it.
	req.Header.Set("uber-trace-id", "1234567890abcdef:1234567890abcdef:0:1")
	res, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /seen through the gateway: %s %s", res.Status, raw)
	}
	var got seen
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("%q: %v", raw, err)
	}
	gwTrace := res.Header.Get("X-Gateway-Trace-Id")
	if _, ok := got.Headers["uber-trace-id"]; ok || got.Headers["traceparent"] == nil {
		t.Errorf("the Go server received %v, want traceparent and no uber-trace-id", got.Headers)
	}
	if got.TraceID != gwTrace || got.ParentID == "" || !got.Sampled {
		t.Fatalf("the Go server saw trace %s parent %q sampled=%v, want the gateway's sampled trace %s under its client span", got.TraceID, got.ParentID, got.Sampled, gwTrace)
	}
	span := waitSpan(t, rep, gwTrace, ext.SpanKindRPCServerEnum)
	if p := spanIDHex(span.SpanContext().ParentID()); p != got.ParentID {
		t.Errorf("the Go server span's parent is %s, want %s", p, got.ParentID)
	}

	// The gateway exported spans of that trace, the Go span's parent among
	// them (OTLP protobuf holds the ids as raw bytes).
	traceBytes, _ := hex.DecodeString(gwTrace)
	parentBytes, _ := hex.DecodeString(got.ParentID)
	deadline := time.Now().Add(15 * time.Second)
	for {
		mu.Lock()
		all := bytes.Join(exported, nil)
		mu.Unlock()
		if bytes.Contains(all, traceBytes) && bytes.Contains(all, parentBytes) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the gateway exported %d OTLP requests in 15s, none with trace %s and span %s", len(exported), gwTrace, got.ParentID)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
