package core

import (
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
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

// Apply sets the peer.* tags on span. A nil span is a no-op.
func (p Peer) Apply(span opentracing.Span) {
	if span == nil {
		return
	}
	if p.Address != "" {
		span.SetTag("peer.address", p.Address)
	}
	switch {
	case p.Host == "":
	case p.IPv4:
		ext.PeerHostIPv4.SetString(span, p.Host)
	case p.IPv6:
		ext.PeerHostIPv6.Set(span, p.Host)
	default:
		ext.PeerHostname.Set(span, p.Host)
	}
	if p.Port != 0 {
		ext.PeerPort.Set(span, p.Port)
	}
}
