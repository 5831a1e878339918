package grpctrace

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/log"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"

	"github.com/tracewrap/tracewrap/internal/core"
)

const (
	mdTagPrefix       = "grpc.metadata."
	maxMetadataTags   = 32
	maxMetadataValue  = 256
	maxMetadataKey    = 128 // longer keys (the caller's choice, unbounded) are not tagged
	maxStreamPayloads = 16
	// maxStreamPayloadBytes bounds all payload logs of one stream together:
	// jaeger-client-go drops a span bigger than one agent UDP packet (65000
	// bytes) whole, and 16 messages at the default 4096 bytes would pass it.
	maxStreamPayloadBytes = 32 << 10
)

// codeTags holds each code's name already boxed, so tagging the status costs
// no allocation.
var codeTags = func() (t [17]any) {
	for i := range t {
		t[i] = codes.Code(i).String()
	}
	return t
}()

// tagCode sets the call's status: grpc.status_code, the code's name, in
// OpenTracing's vocabulary; rpc.grpc.status_code, its number, in
// OpenTelemetry's.
func tagCode(span opentracing.Span, v *core.Vocab, c codes.Code) {
	switch {
	case v.OTel():
		v.Set(span, core.KeyGRPCStatusCode, int(c)) // small ints box without allocating
	case int(c) < len(codeTags):
		v.Set(span, core.KeyGRPCStatusCode, codeTags[c])
	default:
		v.Set(span, core.KeyGRPCStatusCode, c.String())
	}
}

// tagMethod sets, in OpenTelemetry's vocabulary, rpc.system, rpc.service and
// rpc.method from a full method name "/package.Service/Method" (OpenTracing
// has no such tags: the span's name is the full method).
func tagMethod(span opentracing.Span, v *core.Vocab, fullMethod string) {
	if !v.OTel() {
		return
	}
	v.Set(span, core.KeyRPCSystem, "grpc")
	name := strings.TrimPrefix(fullMethod, "/")
	if svc, m, ok := strings.Cut(name, "/"); ok {
		v.Set(span, core.KeyRPCService, svc)
		v.Set(span, core.KeyRPCMethod, m)
	}
}

// tagAddr sets the caller's address (peer.*; OpenTelemetry: client.*) from a
// connection's remote address: TCP (IPv4, IPv6) or a unix socket.
func tagAddr(span opentracing.Span, v *core.Vocab, a net.Addr) {
	switch a := a.(type) {
	case nil:
	case *net.TCPAddr:
		// The IP is formatted once: a.String() would format it again.
		host := a.IP.String()
		p := core.Peer{Host: host, Port: uint16(a.Port)}
		p.IPv4 = a.IP.To4() != nil
		p.IPv6 = !p.IPv4 && len(a.IP) == net.IPv6len
		if a.Zone == "" {
			p.Address = net.JoinHostPort(host, strconv.Itoa(a.Port))
		} else {
			p.Address = a.String()
		}
		p.ApplyClient(span, v)
	case *net.UnixAddr:
		core.Peer{Address: "unix:" + a.Name}.ApplyClient(span, v)
	default:
		core.ParsePeer(a.String()).ApplyClient(span, v)
	}
}

// tagTarget sets peer.* from a ClientConn's target ("dns:///host:port",
// "passthrough:///host:port", "host:port", "unix:///path").
func tagTarget(span opentracing.Span, v *core.Vocab, target string) {
	if scheme, rest, ok := strings.Cut(target, "://"); ok && scheme != "unix" && scheme != "unix-abstract" {
		// "dns://authority/host:port": drop the resolver's authority.
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			rest = rest[i+1:]
		}
		target = rest
	}
	core.ParsePeer(target).Apply(span, v)
}

// taggableKey: never credentials, binary values, gRPC's own keys or the
// trace context itself.
func taggableKey(k string) bool {
	return !core.IsSensitiveKey(k) && !strings.HasSuffix(k, "-bin") && !strings.HasPrefix(k, "grpc-") &&
		!strings.HasPrefix(k, ":") && k != "uber-trace-id" && !strings.HasPrefix(k, "uberctx-") &&
		k != "traceparent" && k != "tracestate" && !strings.HasPrefix(k, "ot-") && !strings.HasPrefix(k, "mockpfx-")
}

// tagMetadata tags md's entries as configured (WithMetadataTags).
func (s *settings) tagMetadata(span opentracing.Span, md metadata.MD) {
	if !s.mdTags || len(md) == 0 {
		return
	}
	set := func(tag string, vs []string) {
		v, _ := core.Truncate(strings.Join(vs, ", "), min(maxMetadataValue, s.MaxStatementSize))
		span.SetTag(tag, v)
	}
	if s.mdKeys != nil {
		for _, k := range s.mdKeys {
			if vs := md[k.key]; len(vs) > 0 {
				set(k.tag, vs)
			}
		}
		return
	}
	n := 0
	for k, vs := range md {
		k = strings.ToLower(k)
		if len(vs) == 0 || !taggableKey(k) {
			continue
		}
		if len(k) > maxMetadataKey {
			span.SetTag("grpc.metadata.truncated", true)
			continue
		}
		if n++; n > maxMetadataTags {
			span.SetTag("grpc.metadata.truncated", true)
			return
		}
		set(mdTagPrefix+k, vs)
	}
}

// logPayload logs one message, capped.
func (s *settings) logPayload(span opentracing.Span, event string, msg any) {
	s.logPayloadMax(span, event, msg, s.MaxStatementSize)
}

// logStreamPayload logs one message of a stream, capped so that the
// maxStreamPayloads messages of a stream fit in maxStreamPayloadBytes.
func (s *settings) logStreamPayload(span opentracing.Span, event string, msg any) {
	s.logPayloadMax(span, event, msg, min(s.MaxStatementSize, maxStreamPayloadBytes/maxStreamPayloads))
}

func (s *settings) logPayloadMax(span opentracing.Span, event string, msg any, max int) {
	var text string
	switch m := msg.(type) {
	case nil:
		return
	case fmt.Stringer:
		text = m.String()
	default:
		text = fmt.Sprintf("%+v", m)
	}
	text, _ = core.Truncate(text, max)
	span.LogFields(log.String("event", event), log.String("message.payload", text))
}
