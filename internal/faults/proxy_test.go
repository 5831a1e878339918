package faults

import (
	"bufio"
	"net"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// echoServer answers each line with the same line.
func echoServer(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					l, err := r.ReadString('\n')
					if err != nil {
						return
					}
					if _, err := c.Write([]byte(l)); err != nil {
						return
					}
				}
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return ln.Addr().String()
}

func roundTrip(c net.Conn) error {
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte("ping\n")); err != nil {
		return err
	}
	_, err := bufio.NewReader(c).ReadString('\n')
	return err
}

func TestProxyDownCutsAndUpRestores(t *testing.T) {
	p, err := NewProxy(echoServer(t))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := roundTrip(c); err != nil {
		t.Fatal(err)
	}
	p.Down()
	if err := roundTrip(c); err == nil {
		t.Fatal("an open connection survived Down")
	}
	if c2, err := net.DialTimeout("tcp", p.Addr(), time.Second); err == nil {
		c2.Close()
		t.Fatal("Down still accepts connections")
	}
	if err := p.Up(); err != nil {
		t.Fatal(err)
	}
	c3, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c3.Close()
	if err := roundTrip(c3); err != nil {
		t.Fatal(err)
	}
	if n := p.Accepted(); n != 2 {
		t.Fatalf("accepted %d connections, want 2", n)
	}
}

func TestUDPRelayDownRefusesAndUpForwards(t *testing.T) {
	sink, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	r, err := NewUDPRelay(sink.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	c, err := net.Dial("udp", r.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 16)
	send := func() error { _, err := c.Write([]byte("span")); return err }
	if err := send(); err != nil {
		t.Fatal(err)
	}
	_ = sink.SetReadDeadline(time.Now().Add(2 * time.Second))
	if n, _, err := sink.ReadFrom(buf); err != nil || string(buf[:n]) != "span" {
		t.Fatalf("forwarded %q, %v", buf[:n], err)
	}
	r.Down()
	// the first write after the port closed goes out; the ICMP answer makes
	// a later one fail
	refused := false
	for i := 0; i < 50 && !refused; i++ {
		refused = send() != nil
		time.Sleep(10 * time.Millisecond)
	}
	if !refused {
		t.Fatal("writes to a relay that is down were never refused")
	}
	if err := r.Up(); err != nil {
		t.Fatal(err)
	}
	before := r.Forwarded()
	deadline := time.Now().Add(2 * time.Second)
	for r.Forwarded() == before && time.Now().Before(deadline) {
		_ = send()
		time.Sleep(10 * time.Millisecond)
	}
	if r.Forwarded() == before {
		t.Fatal("nothing forwarded after Up")
	}
}

func TestDeadAddrRefuses(t *testing.T) {
	a, err := DeadAddr()
	if err != nil {
		t.Skip(err)
	}
	if c, err := net.DialTimeout("tcp", a, time.Second); err == nil {
		c.Close()
		t.Fatalf("%s accepted a connection", a)
	}
}
