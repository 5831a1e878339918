package grpctrace

import (
	"context"
	"strings"

	"github.com/opentracing/opentracing-go"
	"google.golang.org/grpc/metadata"

	"github.com/tracewrap/tracewrap/internal/core"
)

// The trace context travels as opentracing.HTTPHeaders over metadata with
// lower-case keys, the encoding of the gRPC OpenTracing interceptors (Go
// otgrpc, Python grpcio-opentracing): with it jaeger URL-escapes baggage
// values, so a value sent by either side arrives unchanged on the other.
var carrierFormat = opentracing.HTTPHeaders

// mdReader reads a trace context from incoming metadata. Keys are lower case
// already; only the first value of a key is offered.
type mdReader metadata.MD

func (m mdReader) ForeachKey(handler func(key, val string) error) error {
	for k, vs := range m {
		if len(vs) == 0 {
			continue
		}
		if err := handler(k, vs[0]); err != nil {
			return err
		}
	}
	return nil
}

// mdWriter writes a trace context into a copy of the outgoing metadata. Keys
// are lower-cased and values replace earlier ones (a retried or re-wrapped
// call carries one context, not two). Entries gRPC would fail the call on, or
// would drop on its own, are left out and counted (validMetadata).
type mdWriter struct {
	md     metadata.MD
	filter core.InjectFilter
}

func (w *mdWriter) Set(key, val string) {
	key = strings.ToLower(key)
	if w.filter.Allow(key, val) {
		w.md[key] = []string{val}
	}
}

// validMetadata is the core.InjectRule of outgoing metadata (key already
// lower case): grpc-go fails a call whose key is outside [0-9a-z._-] or
// whose value, outside "-bin" keys, is not printable ASCII; drops its
// reserved keys without a word; and a server takes a request carrying
// "connection" (or, over HTTP/2 in general, any hop-by-hop header) as
// malformed.
func validMetadata(key, val string) bool {
	if !validKey(key) || core.ConnectionHeader(key) {
		return false
	}
	switch key {
	case "content-type", "user-agent":
		return false
	}
	return strings.HasSuffix(key, "-bin") || printable(val)
}

// validKey: gRPC's key alphabet, and not one of its reserved "grpc-" keys.
func validKey(k string) bool {
	if k == "" || strings.HasPrefix(k, "grpc-") {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9') && c != '.' && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

func printable(v string) bool {
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] > 0x7e {
			return false
		}
	}
	return true
}

// inject returns ctx whose outgoing metadata carries span's context sc. The
// caller's metadata is copied, never written.
func inject(ctx context.Context, span opentracing.Span, sc opentracing.SpanContext) context.Context {
	md, ok := metadata.FromOutgoingContext(ctx) // a copy
	if !ok {
		md = make(metadata.MD, 2)
	}
	w := &mdWriter{md: md, filter: core.NewInjectFilter(validMetadata)}
	core.InjectContext(span, sc, carrierFormat, w)
	w.filter.Report(span)
	return metadata.NewOutgoingContext(ctx, md)
}
