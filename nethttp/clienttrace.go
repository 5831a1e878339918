package nethttp

import (
	"context"
	"crypto/tls"
	"net/http/httptrace"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/log"
)

// withClientTrace returns ctx with httptrace hooks that log connection events
// on span. An httptrace.ClientTrace already in ctx keeps working: httptrace
// composes them.
func withClientTrace(ctx context.Context, span opentracing.Span) context.Context {
	ev := func(name string, fields ...log.Field) {
		span.LogFields(append([]log.Field{log.String("event", name)}, fields...)...)
	}
	errField := func(err error) []log.Field {
		if err == nil {
			return nil
		}
		return []log.Field{log.String("error", err.Error())}
	}
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GetConn: func(hostPort string) { ev("get conn", log.String("addr", hostPort)) },
		GotConn: func(i httptrace.GotConnInfo) {
			ev("got conn", log.Bool("reused", i.Reused), log.Bool("was_idle", i.WasIdle))
		},
		DNSStart: func(i httptrace.DNSStartInfo) { ev("dns start", log.String("host", i.Host)) },
		DNSDone: func(i httptrace.DNSDoneInfo) {
			ev("dns done", append([]log.Field{log.Int("addrs", len(i.Addrs))}, errField(i.Err)...)...)
		},
		ConnectStart: func(network, addr string) {
			ev("connect start", log.String("network", network), log.String("addr", addr))
		},
		ConnectDone: func(network, addr string, err error) {
			ev("connect done", append([]log.Field{log.String("network", network), log.String("addr", addr)}, errField(err)...)...)
		},
		TLSHandshakeStart: func() { ev("tls handshake start") },
		TLSHandshakeDone: func(s tls.ConnectionState, err error) {
			ev("tls handshake done", append([]log.Field{log.String("version", tls.VersionName(s.Version))}, errField(err)...)...)
		},
		WroteRequest:         func(i httptrace.WroteRequestInfo) { ev("wrote request", errField(i.Err)...) },
		GotFirstResponseByte: func() { ev("first response byte") },
	})
}
