//go:build unix

package interop_test

import "testing"

// TestGoTraceIDsAre128Bit: a trace started by the tracer tracing.Init builds
// has a 128-bit trace id, and the Python peers receive all of it (W3C
// traceparent always carries 128 bits; OpenTelemetry services make 128-bit
// ids, and a 64-bit id padded with zeros is a different id for tools that
// join on the full one).
func TestGoTraceIDsAre128Bit(t *testing.T) {
	bag := map[string]string{"tenant": "acme"}
	t.Run("jaeger-client over gRPC", func(t *testing.T) {
		p := getPeer(t, "jaeger_peer")
		tr, _ := goTracer(t, true)
		ctx, root := goRoot(t, tr, bag)
		got := goCallGRPC(t, ctx, tr, p.grpcAddr)
		id := traceIDHex(jaegerContext(t, root).TraceID())
		if !is128Bit(id) {
			t.Errorf("the Go root span's trace id %s has 64 bits: tracing.Init must make 128-bit trace ids", id)
		}
		if got.TraceID != id {
			t.Errorf("the Python peer saw trace id %s, want %s", got.TraceID, id)
		}
	})
	t.Run("OpenTelemetry over HTTP", func(t *testing.T) {
		p := getPeer(t, "otel_peer")
		tr, _ := goTracer(t, true)
		ctx, root := goRoot(t, tr, bag)
		got := goCallHTTP(t, ctx, tr, p.httpBase+"/seen")
		id := traceIDHex(jaegerContext(t, root).TraceID())
		if !is128Bit(id) {
			t.Errorf("the Go root span's trace id %s has 64 bits: tracing.Init must make 128-bit trace ids", id)
		}
		if got.TraceID != id {
			t.Errorf("the Python peer saw trace id %s, want %s", got.TraceID, id)
		}
	})
}
