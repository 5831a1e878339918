//go:build unix

package interop_test

import (
	"testing"
)

// The Python jaeger-client peer (peers/jaeger_peer.py) is wired with
// grpcio-opentracing's interceptors: uber-trace-id and uberctx-<key>
// metadata, baggage values URL-escaped the Python way (urllib's quote and
// unquote: a space is %20 and a '+' is itself).
//
// Plain baggage needs no escaping; the escaped set does: out of Python, "a b"
// is a%20b, "50% off" 50%25%20off and "c++" c%2B%2B. Towards Python, a Go
// writer that escapes like url.QueryEscape (jaeger-client-go's HTTP headers
// form) sends "a b" as a+b, which Python's unquote leaves as "a+b": a space
// must go out as %20, which url.QueryUnescape reads too.
var jaegerBaggage = []struct {
	name string
	bag  map[string]string
}{
	{"plain", map[string]string{"tenant": "acme", "plan": "gold-2"}},
	{"escaped", map[string]string{"note": "a b", "deal": "50% off", "lang": "c++"}},
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
