package core

import (
	"testing"

	"github.com/opentracing/opentracing-go/mocktracer"
)

func TestParsePeer(t *testing.T) {
	for _, tc := range []struct {
		in     string
		host   string
		v4, v6 bool
		port   uint16
	}{
		{"127.0.0.1:3306", "127.0.0.1", true, false, 3306},
		{"[::1]:6379", "::1", false, true, 6379},
		{"::1", "::1", false, true, 0},
		{"[fe80::1%eth0]:80", "fe80::1%eth0", false, true, 80},
		{"db.example.internal:5432", "db.example.internal", false, false, 5432},
		{"localhost", "localhost", false, false, 0},
		{"host:99999", "host", false, false, 0}, // port out of range
		{"host:http", "host", false, false, 0},
		{"[::ffff:10.0.0.1]:1", "::ffff:10.0.0.1", true, false, 1},
		{"unix:/tmp/mysql.sock", "", false, false, 0},
		{"/var/run/redis.sock", "", false, false, 0},
		{"", "", false, false, 0},
		{"  ", "", false, false, 0},
		{":8080", "", false, false, 8080},
	} {
		p := ParsePeer(tc.in)
		if p.Host != tc.host || p.IPv4 != tc.v4 || p.IPv6 != tc.v6 || p.Port != tc.port || p.Address != tc.in {
			t.Errorf("ParsePeer(%q) = %+v", tc.in, p)
		}
	}
}

func TestPeerApply(t *testing.T) {
	tr := mocktracer.New()
	for in, want := range map[string]string{
		"10.1.2.3:80": "peer.ipv4", "[2001:db8::1]:443": "peer.ipv6", "redis:6379": "peer.hostname",
	} {
		span := tr.StartSpan("x")
		ParsePeer(in).Apply(span, OpenTracing)
		ms := span.(*mocktracer.MockSpan)
		if ms.Tag(want) == nil || ms.Tag("peer.port") == nil || ms.Tag("peer.address") != in {
			t.Errorf("%s: tags %v", in, ms.Tags())
		}
		// OpenTelemetry: the server's address and port, or the caller's.
		span = tr.StartSpan("x")
		ParsePeer(in).Apply(span, OpenTelemetry)
		ms = span.(*mocktracer.MockSpan)
		if ms.Tag("server.address") != ParsePeer(in).Host || ms.Tag("server.port") == nil || ms.Tag("peer.address") != nil || ms.Tag(want) != nil {
			t.Errorf("%s: OpenTelemetry tags %v", in, ms.Tags())
		}
		span = tr.StartSpan("x")
		ParsePeer(in).ApplyClient(span, OpenTelemetry)
		ms = span.(*mocktracer.MockSpan)
		if ms.Tag("client.address") != ParsePeer(in).Host || ms.Tag("client.port") == nil || ms.Tag("server.address") != nil {
			t.Errorf("%s: OpenTelemetry client tags %v", in, ms.Tags())
		}
	}
	span := tr.StartSpan("x")
	ParsePeer("unix:/run/mysqld.sock").Apply(span, OpenTelemetry)
	if got := span.(*mocktracer.MockSpan).Tag("server.address"); got != "/run/mysqld.sock" {
		t.Errorf("unix socket: server.address %v", got)
	}
	ParsePeer("x:1").Apply(nil, OpenTracing)
}

func FuzzParsePeer(f *testing.F) {
	for _, s := range []string{"127.0.0.1:1", "[::1]:2", "a:b:c", "[", "]:", "%", "unix:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p := ParsePeer(s)
		if p.IPv4 && p.IPv6 {
			t.Fatal("both families")
		}
	})
}
