// Package faults makes outages on loopback for tests and the soak suite: a
// TCP proxy in front of a real server that can be taken down (listener
// closed, every open connection cut) and brought back on the same address,
// and a free address nobody listens on.
package faults

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Proxy forwards TCP connections from its own loopback address to a target.
// Down closes the listener and every connection it carries, so clients see
// the server vanish (refused connects, reset connections); Up listens again
// on the same address.
type Proxy struct {
	target string
	addr   string

	mu       sync.Mutex
	ln       net.Listener
	conns    map[net.Conn]struct{}
	wg       sync.WaitGroup
	accepted atomic.Int64
}

// Accepted counts the connections the proxy accepted so far.
func (p *Proxy) Accepted() int64 { return p.accepted.Load() }

// NewProxy starts a proxy to target on a free 127.0.0.1 port.
func NewProxy(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{target: target, addr: ln.Addr().String(), conns: map[net.Conn]struct{}{}}
	p.serve(ln)
	return p, nil
}

// Addr is the proxy's host:port; it stays the same across Down and Up.
func (p *Proxy) Addr() string { return p.addr }

// Down stops accepting and cuts every open connection. It returns once the
// proxy's goroutines have ended.
func (p *Proxy) Down() {
	p.mu.Lock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// Up listens again on the proxy's address. Another program may have taken
// the port in between; then Up fails.
func (p *Proxy) Up() error {
	p.mu.Lock()
	up := p.ln != nil
	p.mu.Unlock()
	if up {
		return nil
	}
	var ln net.Listener
	var err error
	// the closed listener's port can linger for a moment
	for i := 0; i < 50; i++ {
		if ln, err = net.Listen("tcp", p.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		return err
	}
	p.serve(ln)
	return nil
}

// Close is Down; the proxy cannot be used afterwards.
func (p *Proxy) Close() error { p.Down(); return nil }

func (p *Proxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.accepted.Add(1)
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				p.pipe(c)
			}()
		}
	}()
}

// track registers c; false when the proxy went down meanwhile.
func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln == nil {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *Proxy) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	c.Close()
}

func (p *Proxy) pipe(client net.Conn) {
	if !p.track(client) {
		client.Close()
		return
	}
	defer p.untrack(client)
	server, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		return
	}
	if !p.track(server) {
		server.Close()
		return
	}
	defer p.untrack(server)
	done := make(chan struct{}, 2)
	cp := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		// one direction ended: end both, as a server going away would
		dst.Close()
		src.Close()
		done <- struct{}{}
	}
	go cp(server, client)
	go cp(client, server)
	<-done
	<-done
}

// DeadAddr returns a 127.0.0.1 address that nothing listens on: a port the
// system handed out and that was closed again at once. Connects to it are
// refused (unless another program takes the port meanwhile, which the
// caller can check with a dial).
func DeadAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	ln.Close()
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		return "", errors.New("faults: the closed port " + addr + " was taken again")
	}
	return addr, nil
}

// DeadUDPAddr returns a 127.0.0.1 UDP address nothing listens on.
func DeadUDPAddr() (string, error) {
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := c.LocalAddr().String()
	c.Close()
	return addr, nil
}

// UDPRelay forwards datagrams from its own loopback port to a target, one
// way (the Jaeger agent protocol needs no answer). Down closes its socket,
// so senders get "connection refused"; Up binds the same port again.
type UDPRelay struct {
	target *net.UDPAddr
	addr   string

	mu        sync.Mutex
	pc        *net.UDPConn
	out       *net.UDPConn
	wg        sync.WaitGroup
	forwarded atomic.Int64
}

// NewUDPRelay starts a relay to target on a free 127.0.0.1 port.
func NewUDPRelay(target string) (*UDPRelay, error) {
	ta, err := net.ResolveUDPAddr("udp", target)
	if err != nil {
		return nil, err
	}
	out, err := net.DialUDP("udp", nil, ta)
	if err != nil {
		return nil, err
	}
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		out.Close()
		return nil, err
	}
	r := &UDPRelay{target: ta, addr: pc.LocalAddr().String(), out: out}
	r.serve(pc)
	return r, nil
}

// Addr is the relay's host:port; it stays the same across Down and Up.
func (r *UDPRelay) Addr() string { return r.addr }

// Forwarded counts the datagrams passed on so far.
func (r *UDPRelay) Forwarded() int64 { return r.forwarded.Load() }

func (r *UDPRelay) serve(pc *net.UDPConn) {
	_ = pc.SetReadBuffer(4 << 20)
	r.mu.Lock()
	r.pc = pc
	r.mu.Unlock()
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		buf := make([]byte, 65536)
		for {
			n, err := pc.Read(buf)
			if err != nil {
				if errors.Is(err, net.ErrClosed) {
					return
				}
				continue
			}
			if _, err := r.out.Write(buf[:n]); err == nil {
				r.forwarded.Add(1)
			}
		}
	}()
}

// Down closes the relay's socket.
func (r *UDPRelay) Down() {
	r.mu.Lock()
	if r.pc != nil {
		r.pc.Close()
		r.pc = nil
	}
	r.mu.Unlock()
	r.wg.Wait()
}

// Up binds the relay's port again.
func (r *UDPRelay) Up() error {
	r.mu.Lock()
	up := r.pc != nil
	r.mu.Unlock()
	if up {
		return nil
	}
	ua, err := net.ResolveUDPAddr("udp", r.addr)
	if err != nil {
		return err
	}
	var pc *net.UDPConn
	for i := 0; i < 50; i++ {
		if pc, err = net.ListenUDP("udp", ua); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		return err
	}
	r.serve(pc)
	return nil
}

// Close stops the relay for good.
func (r *UDPRelay) Close() error {
	r.Down()
	return r.out.Close()
}
