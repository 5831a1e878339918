//go:build unix

package interop_test

import (
	"testing"
)

// The Python jaeger-client peer (peers/jaeger_peer.py) is wired with
// grpcio-opentracing's interceptors: uber-trace-id and uberctx-<key>
// metadata, baggage values URL-escaped (Python's urllib quote/unquote).
//
// Plain baggage needs no escaping; the escaped case does: "a b" goes out of
// Python as a%20b and "50% off" as 50%25%20off, and Python unescapes what it
// receives.
var jaegerBaggage = []struct {
	name string
	bag  map[string]string
}{
	{"plain", map[string]string{"tenant": "acme", "plan": "gold-2"}},
	{"escaped", map[string]string{"note": "a b", "deal": "50% off"}},
}

// TestJaegerPythonCallsGoGRPC: the jaeger-client + grpcio-opentracing client
// calls a Go server with grpctrace.ServerOptions.
func TestJaegerPythonCallsGoGRPC(t *testing.T) {
	for _, sampled := range []bool{true, false} {
		for _, b := range jaegerBaggage {
			t.Run(sampledName(sampled)+"/"+b.name, func(t *testing.T) {
				p := getPeer(t, "jaeger_peer")
				tr, rep := goTracer(t, true)
				addr := goGRPCServer(t, tr)
				res := p.call(t, map[string]any{"target": addr, "sampled": sampled, "baggage": b.bag})
				if !is128Bit(res.Sent.TraceID) {
					t.Fatalf("the Python peer was configured for 128-bit trace ids, yet sent %s", res.Sent.TraceID)
				}
				joined(t, "the Go gRPC server", res.Answer, res.Sent.TraceID, res.Sent.SpanID, sampled, b.bag)
				checkGoServerSpan(t, rep, res.Sent, sampled)
			})
		}
	}
}

// TestJaegerGoCallsPythonGRPC: a Go client with grpctrace.DialOptions calls
// the grpcio-opentracing server on jaeger-client.
func TestJaegerGoCallsPythonGRPC(t *testing.T) {
	for _, sampled := range []bool{true, false} {
		for _, b := range jaegerBaggage {
			t.Run(sampledName(sampled)+"/"+b.name, func(t *testing.T) {
				p := getPeer(t, "jaeger_peer")
				tr, rep := goTracer(t, sampled)
				ctx, root := goRoot(t, tr, b.bag)
				got := goCallGRPC(t, ctx, tr, p.grpcAddr)
				checkPythonSaw(t, "the Python grpcio-opentracing server", got, jaegerContext(t, root), rep, sampled, b.bag)
			})
		}
	}
}
