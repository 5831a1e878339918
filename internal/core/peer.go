package core

import (
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/opentracing/opentracing-go"
)

// Peer is the remote end of a call, parsed once from an address so its tags
// cost nothing per call.
type Peer struct {
	Address string // as given (peer.address)
	Host    string // name or IP without brackets or port; empty for unix sockets
	IPv4    bool   // Host is an IPv4 address
	IPv6    bool   // Host is an IPv6 address
	Port    uint16 // 0 when absent or invalid
}

// ParsePeer reads "host:port", "[v6]:port", a bare host or IP (v6 with or
// without brackets, with a zone), a "unix:" or absolute socket path. It never
// fails: what it cannot read stays in Address only.
func ParsePeer(addr string) Peer {
	p := Peer{Address: addr}
	a := strings.TrimSpace(addr)
	if a == "" || strings.HasPrefix(a, "unix:") || strings.HasPrefix(a, "/") || strings.HasPrefix(a, "@") {
		return p
	}
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		// No port (or a bare IPv6 address, whose colons confuse SplitHostPort).
		host, port = strings.TrimSuffix(strings.TrimPrefix(a, "["), "]"), ""
	}
	if port != "" {
		if n, err := strconv.ParseUint(port, 10, 16); err == nil {
			p.Port = uint16(n)
		}
	}
	p.Host = host
	if ip, err := netip.ParseAddr(host); err == nil {
		p.IPv4 = ip.Is4() || ip.Is4In6()
		p.IPv6 = !p.IPv4
	}
	return p
}

// Apply tags span with p as the server a client called: peer.address,
// peer.hostname (or peer.ipv4, peer.ipv6) and peer.port in OpenTracing's
// vocabulary; server.address and server.port in OpenTelemetry's (the socket
// path for a unix socket). A nil span is a no-op.
func (p Peer) Apply(span opentracing.Span, v *Vocab) {
	if span == nil {
		return
	}
	if v.otel {
		p.applyOTel(span, v, KeyPeerHostname, KeyPeerPort)
		return
	}
	p.applyOT(span, v)
}

// ApplyClient tags a server's span with p as its caller: the same peer.*
// tags as Apply in OpenTracing's vocabulary, client.address and client.port
// in OpenTelemetry's.
func (p Peer) ApplyClient(span opentracing.Span, v *Vocab) {
	if span == nil {
		return
	}
	if v.otel {
		p.applyOTel(span, v, KeyClientAddress, KeyClientPort)
		return
	}
	p.applyOT(span, v)
}

func (p Peer) applyOTel(span opentracing.Span, v *Vocab, addr, port Key) {
	switch {
	case p.Host != "":
		v.Set(span, addr, p.Host)
	case p.Address != "":
		v.Set(span, addr, strings.TrimPrefix(p.Address, "unix:"))
	}
	if p.Port != 0 {
		v.Set(span, port, int(p.Port))
	}
}

func (p Peer) applyOT(span opentracing.Span, v *Vocab) {
	if p.Address != "" {
		v.Set(span, KeyPeerAddress, p.Address)
	}
	switch {
	case p.Host == "":
	case p.IPv4:
		v.Set(span, KeyPeerIPv4, p.Host)
	case p.IPv6:
		v.Set(span, KeyPeerIPv6, p.Host)
	default:
		v.Set(span, KeyPeerHostname, p.Host)
	}
	if p.Port != 0 {
		v.Set(span, KeyPeerPort, p.Port)
	}
}
