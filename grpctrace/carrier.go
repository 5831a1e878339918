package grpctrace

import (
	"context"
	"strings"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/log"
	"google.golang.org/grpc/metadata"

	"github.com/tracewrap/tracewrap/internal/core"
)

// mdReader reads a trace context from incoming metadata (opentracing.TextMap).
// Keys are lower case already; only the first value of a key is offered.
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
// call carries one context, not two). gRPC fails a call whose metadata has an
// illegal key or a non-printable value outside "-bin" keys, so such entries
// (typically baggage the user set) are dropped and counted instead.
type mdWriter struct {
	md      metadata.MD
	dropped int
}

func (w *mdWriter) Set(key, val string) {
	key = strings.ToLower(key)
	if !validKey(key) || (!strings.HasSuffix(key, "-bin") && !printable(val)) {
		w.dropped++
		return
	}
	w.md[key] = []string{val}
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
	w := &mdWriter{md: md}
	core.InjectContext(span, sc, opentracing.TextMap, w)
	if w.dropped > 0 {
		span.LogFields(log.String("event", "trace context entries dropped"),
			log.String("message", "not valid as gRPC metadata"), log.Int("count", w.dropped))
	}
	return metadata.NewOutgoingContext(ctx, md)
}
