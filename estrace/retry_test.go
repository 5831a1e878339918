package estrace

import (
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/elastic/go-elasticsearch/v8"

	"github.com/tracewrap/tracewrap/internal/testenv"
	"github.com/tracewrap/tracewrap/internal/tracetest"
)

// proxy is a TCP proxy in front of the real node that the test can stop
// (connections refused, as when the node is down) and start again on the same
// port, without touching the shared node itself.
type proxy struct {
	t        *testing.T
	addr     string // 127.0.0.1:port, fixed across restarts
	upstream string
	stall    bool // accept but never forward: a hung node

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]bool
	wg    sync.WaitGroup
}

func newProxy(t *testing.T, upstream string, stall bool) *proxy {
	p := &proxy{t: t, upstream: upstream, stall: stall, addr: "127.0.0.1:0", conns: map[net.Conn]bool{}}
	p.start()
	t.Cleanup(p.stop)
	return p
}

func (p *proxy) start() {
	p.t.Helper()
	var ln net.Listener
	var err error
	for i := 0; i < 50; i++ { // the port may linger for a moment after stop
		if ln, err = net.Listen("tcp", p.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		p.t.Fatalf("proxy listen: %v", err)
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	p.wg.Add(1)
	go p.accept(ln)
}

func (p *proxy) accept(ln net.Listener) {
	defer p.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		p.conns[c] = true
		p.mu.Unlock()
		p.wg.Add(1)
		go p.serve(c)
	}
}

func (p *proxy) serve(c net.Conn) {
	defer p.wg.Done()
	defer c.Close()
	if p.stall {
		_, _ = io.Copy(io.Discard, c)
		return
	}
	up, err := net.Dial("tcp", p.upstream)
	if err != nil {
		return
	}
	p.mu.Lock()
	p.conns[up] = true
	p.mu.Unlock()
	done := make(chan struct{})
	go func() { _, _ = io.Copy(up, c); up.Close(); close(done) }()
	_, _ = io.Copy(c, up)
	c.Close()
	<-done
}

// stop closes the listener and every connection: the node is "down".
func (p *proxy) stop() {
	p.mu.Lock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
	p.mu.Unlock()
	p.wg.Wait()
}

func (p *proxy) url() string { return "http://" + p.addr }

// closedPort is an address nothing listens on.
func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestRetryToNextNodeIsOneSpanWithAttemptLogs(t *testing.T) {
	live := testenv.ElasticsearchURL(t)
	dead := closedPort(t)
	es, tr := liveClient(t, elasticsearch.Config{Addresses: []string{"http://" + dead, live}})
	ctx, _ := parentCtx(t, tr)

	res := drain(t)(es.Search(es.Search.WithContext(ctx), es.Search.WithBody(strings.NewReader(`{"size":0}`))))
	s := only(t, tr, "search")
	logs := tracetest.LogFields(s)
	if res.StatusCode != 200 || s.Tag("error") != nil || s.Tag("es.attempts") != 2 || len(logs) != 2 {
		t.Fatalf("status %d tags %v logs %v", res.StatusCode, s.Tags(), logs)
	}
	if logs[0]["event"] != "attempt" || logs[0]["attempt"] != "1" || logs[0]["peer.address"] != dead ||
		!strings.Contains(logs[0]["message"], "refused") {
		t.Fatalf("attempt 1 log %v", logs[0])
	}
	if logs[1]["attempt"] != "2" || logs[1]["http.status_code"] != "200" || logs[1]["peer.address"] != strings.TrimPrefix(live, "http://") {
		t.Fatalf("attempt 2 log %v", logs[1])
	}
	if s.Tag("peer.port") != uint16(9200) {
		t.Fatalf("peer must be the node that answered: %v", s.Tags())
	}
	if s.Tag("db.statement") != `{"size":0}` {
		t.Fatalf("retried body statement %v", s.Tag("db.statement"))
	}
}

func TestNodeStoppedAndRestarted(t *testing.T) {
	live := testenv.ElasticsearchURL(t)
	p := newProxy(t, strings.TrimPrefix(live, "http://"), false)
	var restart sync.Once
	es, tr := liveClient(t, elasticsearch.Config{
		Addresses:  []string{p.url()},
		MaxRetries: 5,
		// The node comes back while the client waits before its retry.
		RetryBackoff: func(int) time.Duration {
			restart.Do(p.start)
			return 10 * time.Millisecond
		},
	})
	idx := testIndex(t, es)
	drain(t)(es.Indices.Create(idx))

	p.stop() // node down: connections refused
	tr.Reset()
	res := drain(t)(es.Index(idx, strings.NewReader(`{"a":1}`), es.Index.WithDocumentID("1")))
	s := only(t, tr, "index")
	logs := tracetest.LogFields(s)
	// Attempt 1 fails: refused, or EOF on a keep-alive connection the stop
	// cut (whether the node applied that attempt is then unknown, so the
	// retry may find the document: 200 instead of 201).
	ok := res.StatusCode == 201 || res.StatusCode == 200
	if !ok || s.Tag("error") != nil || len(logs) != 2 || logs[0]["message"] == "" ||
		logs[1]["http.status_code"] != strconv.Itoa(res.StatusCode) {
		t.Fatalf("status %d tags %v logs %v", res.StatusCode, s.Tags(), logs)
	}

	// Down for good: every attempt fails, the span is one error.
	p.stop()
	es2, tr2 := liveClient(t, elasticsearch.Config{Addresses: []string{p.url()}, MaxRetries: 2})
	_, err := es2.Get(idx, "1")
	if err == nil {
		t.Fatal("no error with the node down")
	}
	s = only(t, tr2, "get")
	logs = tracetest.LogFields(s)
	if s.Tag("error") != true || s.Tag("es.attempts") != 3 || len(logs) != 4 || logs[3]["event"] != "error" ||
		s.Tag("http.status_code") != nil {
		t.Fatalf("tags %v logs %v", s.Tags(), logs)
	}
}

func TestContextCancel(t *testing.T) {
	live := testenv.ElasticsearchURL(t)
	p := newProxy(t, strings.TrimPrefix(live, "http://"), true) // accepts, never answers
	es, tr := liveClient(t, elasticsearch.Config{Addresses: []string{p.url()}, DisableRetry: true})

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := es.Search(es.Search.WithContext(ctx))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v", err)
	}
	s := only(t, tr, "search")
	if s.Tag("error") != true || !strings.Contains(tracetest.LogFields(s)[0]["message"], "deadline exceeded") {
		t.Fatalf("tags %v logs %v", s.Tags(), tracetest.LogFields(s))
	}

	// Already cancelled: the client still retries; one span, every attempt
	// logged.
	es2, tr2 := liveClient(t, elasticsearch.Config{Addresses: []string{p.url()}, MaxRetries: 1})
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	_, err = es2.Info(es2.Info.WithContext(ctx))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
	s = only(t, tr2, "info")
	if s.Tag("error") != true || s.Tag("es.attempts") != 2 {
		t.Fatalf("tags %v logs %v", s.Tags(), tracetest.LogFields(s))
	}
}
