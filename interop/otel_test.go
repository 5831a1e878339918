//go:build unix

package interop_test

import "testing"

// The OpenTelemetry Python peer (peers/otel_peer.py) speaks W3C Trace Context
// and W3C Baggage only. Every baggage value below but "acme" needs
// percent-escaping on the wire.
//
// Towards Go, no value holds a space: OpenTelemetry Python 1.45 writes a
// space as '+' (it form-encodes baggage with quote_plus; upstream issue
// opentelemetry-python#5566), which W3C Baggage defines as a literal '+', so
// "a b" from Python is "a+b" to every conforming reader, ours included.
var otelBaggageToGo = map[string]string{"tenant": "acme", "deal": "50%", "list": "a,b;c=d", "city": "Zürich"}

// Towards Python, the space and the '+' are in: a conforming writer escapes
// the space (%20), and must escape '+' too (%2B, which W3C allows) or
// OpenTelemetry Python's unquote_plus reads "c++" as "c  ".
var otelBaggageFromGo = map[string]string{"tenant": "acme", "note": "a b", "deal": "50% off", "lang": "c++", "city": "Zürich"}

// w3cOnly checks that the OpenTelemetry peer sent W3C headers and nothing
// else: the Go side cannot have read the context from anything but them.
func w3cOnly(t *testing.T, carrier map[string]string) {
	t.Helper()
	if carrier["traceparent"] == "" {
		t.Fatalf("the OpenTelemetry peer sent no traceparent: %v", carrier)
	}
	for k := range carrier {
		if k != "traceparent" && k != "tracestate" && k != "baggage" {
			t.Fatalf("the OpenTelemetry peer sent %q, which is not W3C: %v", k, carrier)
		}
	}
}

// TestOTelPythonCallsGoHTTP: an OpenTelemetry Python client calls a Go
// server behind nethttp.Middleware.
func TestOTelPythonCallsGoHTTP(t *testing.T) {
	for _, sampled := range []bool{true, false} {
		t.Run(sampledName(sampled), func(t *testing.T) {
			p := getPeer(t, "otel_peer")
			// The Go service samples every trace it starts: an unsampled
			// answer can only come from the caller's decision.
			tr, rep := goTracer(t, true)
			srv := goHTTPServer(t, tr)
			res := p.call(t, map[string]any{"kind": "http", "target": srv.URL + "/seen", "sampled": sampled, "baggage": otelBaggageToGo})
			w3cOnly(t, res.Carrier)
			joined(t, "the Go HTTP server", res.Answer, res.Sent.TraceID, res.Sent.SpanID, sampled, otelBaggageToGo)
			checkGoServerSpan(t, rep, res.Sent, sampled)
		})
	}
}

// TestOTelPythonCallsGoGRPC: an OpenTelemetry Python gRPC client (W3C
// headers as metadata) calls a Go server with grpctrace.ServerOptions.
func TestOTelPythonCallsGoGRPC(t *testing.T) {
	for _, sampled := range []bool{true, false} {
		t.Run(sampledName(sampled), func(t *testing.T) {
			p := getPeer(t, "otel_peer")
			tr, rep := goTracer(t, true)
			addr := goGRPCServer(t, tr)
			res := p.call(t, map[string]any{"kind": "grpc", "target": addr, "sampled": sampled, "baggage": otelBaggageToGo})
			w3cOnly(t, res.Carrier)
			joined(t, "the Go gRPC server", res.Answer, res.Sent.TraceID, res.Sent.SpanID, sampled, otelBaggageToGo)
			checkGoServerSpan(t, rep, res.Sent, sampled)
		})
	}
}

// TestOTelGoCallsPythonHTTP: a Go client with nethttp.NewTransport calls an
// OpenTelemetry Python server.
func TestOTelGoCallsPythonHTTP(t *testing.T) {
	for _, sampled := range []bool{true, false} {
		t.Run(sampledName(sampled), func(t *testing.T) {
			p := getPeer(t, "otel_peer")
			tr, rep := goTracer(t, sampled)
			ctx, root := goRoot(t, tr, otelBaggageFromGo)
			got := goCallHTTP(t, ctx, tr, p.httpBase+"/seen")
			checkPythonSaw(t, "the OpenTelemetry Python HTTP server", got, jaegerContext(t, root), rep, sampled, otelBaggageFromGo)
		})
	}
}

// TestOTelGoCallsPythonGRPC: a Go client with grpctrace.DialOptions calls an
// OpenTelemetry Python gRPC server.
func TestOTelGoCallsPythonGRPC(t *testing.T) {
	for _, sampled := range []bool{true, false} {
		t.Run(sampledName(sampled), func(t *testing.T) {
			p := getPeer(t, "otel_peer")
			tr, rep := goTracer(t, sampled)
			ctx, root := goRoot(t, tr, otelBaggageFromGo)
			got := goCallGRPC(t, ctx, tr, p.grpcAddr)
			checkPythonSaw(t, "the OpenTelemetry Python gRPC server", got, jaegerContext(t, root), rep, sampled, otelBaggageFromGo)
		})
	}
}
