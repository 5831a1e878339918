package integration_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tracewrap/tracewrap/internal/jaegerquery"
	"github.com/tracewrap/tracewrap/internal/shoprun"
	"github.com/tracewrap/tracewrap/internal/testenv"
)

// privateRedisPassword protects the Redis server TestRedisDown starts and
// stops (the shared one on 6379 is never touched).
const privateRedisPassword = "e2e-private-redis-Pw-77"

// When Redis goes away the shop still answers from MySQL; the failed cache
// call is an error span (with its error log) in the request's trace, and
// once Redis is back the cache works again without a restart.
func TestRedisDown(t *testing.T) {
	s := shop(t)
	rs := startPrivateRedis(t)
	goods := startProcess(t, "goods-private-redis", "goods", []string{
		"SHOP_REDIS_ADDR=" + rs.addr, "SHOP_REDIS_USER=tracewrap", "SHOP_REDIS_PASSWORD=" + privateRedisPassword,
	})
	web := startProcess(t, "web-private-redis", "web", nil, "-goods", goods.Addr, "-order", s.Order.Addr)
	url := "http://" + web.Addr + "/goods/5"

	if r := call(t, "GET", url, ""); r.status != 200 || r.body["cache"] != "miss" {
		t.Fatalf("with Redis up: %d %v", r.status, r.body)
	}
	rs.stop(t)

	down := call(t, "GET", url, "")
	if down.status != 200 || down.body["cache"] != "unavailable" || down.body["name"] != "Milk frother" {
		t.Fatalf("with Redis down: %d %v", down.status, down.body)
	}
	tr := fetch(t, down.traceID, want("get@goods", "sql.query@goods"))
	server := goodsServer(t, tr, "HTTP GET /goods/:id", "/shop.Goods/Get")
	get := child(t, tr, server, "get", "goods")
	statement(t, get, "redis", "get shop:")
	if !get.IsError() || !hasErrorLog(get) {
		t.Errorf("the failed get is not an error span with an error log\n%s", render(tr))
	}
	child(t, tr, server, "sql.query", "goods")
	if len(children(tr, server, "set", "goods")) != 0 {
		t.Errorf("no cache write is attempted while the cache is down\n%s", render(tr))
	}
	if server.IsError() || tr.Tree()[0].Span.IsError() {
		t.Errorf("the request succeeded; only the Redis span is an error\n%s", render(tr))
	}

	rs.start(t)
	// The first command after the restart may still meet a dead pooled
	// connection; go-redis retries it on a new one.
	var back response
	deadline := time.Now().Add(30 * time.Second)
	for {
		back = call(t, "GET", url, "")
		if back.status == 200 && back.body["cache"] != "unavailable" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Redis is back but the cache is not: %d %v", back.status, back.body)
		}
		time.Sleep(200 * time.Millisecond)
	}
	tr = fetch(t, back.traceID, want("get@goods"))
	server = goodsServer(t, tr, "HTTP GET /goods/:id", "/shop.Goods/Get")
	if get := child(t, tr, server, "get", "goods"); get.IsError() {
		t.Errorf("get after recovery is an error\n%s", render(tr))
	}
}

// An Elasticsearch error (a query it cannot parse: 400) is an error span; the
// shop falls back to MySQL and the request still succeeds. Then a good query
// goes to Elasticsearch again.
func TestSearchElasticsearchError(t *testing.T) {
	s := shop(t)
	r := call(t, "GET", s.URL+"/search?q=name:(grinder", "")
	if r.status != 200 || r.body["source"] != "mysql" || !strings.Contains(fmt.Sprint(r.body["hits"]), "Coffee grinder") {
		t.Fatalf("search with a bad query: %d %v", r.status, r.body)
	}
	tr := fetch(t, r.traceID, want("search@goods", "sql.query@goods"))
	server := goodsServer(t, tr, "HTTP GET /search", "/shop.Goods/Search")
	search := child(t, tr, server, "search", "goods")
	tagIs(t, search, "db.type", "elasticsearch")
	tagIs(t, search, "http.status_code", "400")
	if !search.IsError() || !hasErrorLog(search) {
		t.Errorf("the failed search is not an error span with an error log\n%s", render(tr))
	}
	fallback := child(t, tr, server, "sql.query", "goods")
	statement(t, fallback, "sql", "SELECT id, name, price_cents FROM shop_goods WHERE name LIKE ?")
	if fallback.StartTime < search.StartTime+search.Duration {
		t.Errorf("the fallback query starts before the search ended")
	}
	if server.IsError() || tr.Tree()[0].Span.IsError() {
		t.Errorf("the request succeeded; only the search span is an error\n%s", render(tr))
	}

	ok := call(t, "GET", s.URL+"/search?q=kettle", "")
	if ok.status != 200 || ok.body["source"] != "elasticsearch" {
		t.Fatalf("search after the error: %d %v", ok.status, ok.body)
	}
	noError(t, fetch(t, ok.traceID, want("search@goods")))
}

// The broker's transaction check reaches a restarted order process and is
// traced in the original order's trace: the order's local transaction is
// left UNKNOWN ("hold"), the order process is stopped and started again, the
// broker asks the new process, which finds the order row and commits; the
// check span is a child of the half-message send, its SQL is its child, and
// the inventory then consumes the message in the same trace. A new order
// afterwards shows the restarted process serves normally.
func TestTransactionCheckAfterOrderRestart(t *testing.T) {
	s := shop(t)
	topic := "shop-orders-" + runName
	r := call(t, "POST", s.URL+"/orders", `{"goods_id": 4, "qty": 1, "hold": true}`)
	if r.status != 201 || r.body["state"] != "UNKNOWN" {
		t.Fatalf("held order: %d %v", r.status, r.body)
	}
	orderID := r.body["order_id"].(string)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := s.Order.Restart(ctx); err != nil {
		t.Fatal(err)
	}

	committedCheck := func(tr *jaegerquery.Trace) error {
		for _, c := range tr.Find("check-transaction " + topic) {
			if c.TagString("rocketmq.transaction.state") == "COMMIT" {
				return want("consume "+topic+"@inventory", "sql.commit@inventory", "sql.query@order")(tr)
			}
		}
		return fmt.Errorf("no committing check-transaction span yet")
	}
	tr := fetch(t, r.traceID, committedCheck)
	tx := orderTransaction(t, tr, topic, "UNKNOWN")
	half := halfSend(t, tr, tx, topic)

	var check *jaegerquery.Span
	for _, c := range children(tr, half, "check-transaction "+topic, "order") {
		if c.TagString("rocketmq.transaction.state") == "COMMIT" {
			check = c
		} else {
			tagIs(t, c, "rocketmq.transaction.state", "UNKNOWN") // the first process, still holding it
		}
	}
	if check == nil {
		t.Fatalf("no committing check-transaction span under the half send\n%s", render(tr))
	}
	if pid, ref := check.Parent(); pid != half.SpanID || ref != "CHILD_OF" {
		t.Errorf("check span's parent %s (%s), want CHILD_OF the half send %s", pid, ref, half.SpanID)
	}
	if check.ProcessID == tx.ProcessID {
		t.Errorf("the committing check ran in the process that sent the message, not in the restarted one")
	}
	// The check is about the very message the half send produced.
	tagIs(t, check, "rocketmq.message_id", half.TagString("rocketmq.message_id"))
	lookup := child(t, tr, check, "sql.query", "order")
	statement(t, lookup, "sql", "SELECT status FROM shop_orders WHERE id = ?")
	checkConsume(t, tr, child(t, tr, half, "consume "+topic, "inventory"), half, topic, orderID)
	waitOrderStatus(t, orderID, "reserved")

	after := call(t, "POST", s.URL+"/orders", `{"goods_id": 1, "qty": 1}`)
	if after.status != 201 || after.body["state"] != "COMMIT" {
		t.Fatalf("order after the restart: %d %v", after.status, after.body)
	}
	tr = fetch(t, after.traceID, want("consume "+topic+"@inventory", "sql.commit@inventory"))
	noError(t, tr)
	orderTransaction(t, tr, topic, "COMMIT")
}

func hasErrorLog(s *jaegerquery.Span) bool {
	for _, l := range s.Logs {
		for _, f := range l.Fields {
			if f.Key == "event" && f.Value == "error" {
				return true
			}
		}
	}
	return false
}

// privateRedis is a redis-server of this test's own, on a free port, with
// the same ACL user as the stack's and its own password.
type privateRedis struct {
	bin, conf, addr string
	cmd             *exec.Cmd
	done            chan struct{}
}

func startPrivateRedis(t *testing.T) *privateRedis {
	t.Helper()
	bin := findRedisServer()
	if bin == "" {
		msg := "redis-server is not installed (scripts/services up redis installs it)"
		if testenv.RequireServices() {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, port, _ := net.SplitHostPort(addr)
	dir := t.TempDir()
	rs := &privateRedis{bin: bin, addr: addr, conf: filepath.Join(dir, "redis.conf")}
	conf := strings.Join([]string{
		"bind 127.0.0.1", "port " + port, "dir " + dir, `save ""`, "appendonly no", "daemonize no",
		"user default on nopass ~* &* +@all",
		"user tracewrap on >" + privateRedisPassword + " ~* &* +@all",
	}, "\n") + "\n"
	if err := os.WriteFile(rs.conf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	rs.start(t)
	t.Cleanup(func() { rs.stop(t) })
	return rs
}

func findRedisServer() string {
	if p, err := exec.LookPath("redis-server"); err == nil {
		return p
	}
	for _, p := range []string{"/usr/bin/redis-server", "/usr/sbin/redis-server", "/usr/local/bin/redis-server"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

func (rs *privateRedis) start(t *testing.T) {
	t.Helper()
	rs.cmd = exec.Command(rs.bin, rs.conf)
	rs.cmd.SysProcAttr = shoprun.SysProcAttr()
	if err := rs.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	rs.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) {
		_ = cmd.Wait()
		close(done)
	}(rs.cmd, rs.done)
	deadline := time.Now().Add(20 * time.Second)
	for !redisPing(rs.addr) {
		select {
		case <-rs.done:
			t.Fatalf("redis-server on %s exited at start (port taken?)", rs.addr)
		default:
		}
		if time.Now().After(deadline) {
			rs.stop(t)
			t.Fatalf("redis-server on %s not answering", rs.addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (rs *privateRedis) stop(t *testing.T) {
	t.Helper()
	if rs.cmd == nil {
		return
	}
	terminate(rs.cmd, rs.done, 10*time.Second)
	rs.cmd = nil
}

// terminate ends the process cmd, whose exit closes done, with SIGTERM, and
// kills it if it has not exited grace later; it reports whether it had to
// kill. A process already gone is left alone.
func terminate(cmd *exec.Cmd, done <-chan struct{}, grace time.Duration) (killed bool) {
	select {
	case <-done:
		return false
	default:
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
		return false
	case <-time.After(grace):
		_ = cmd.Process.Kill()
		<-done
		return true
	}
}

// redisPing: the server answers PING (the default user needs no password).
func redisPing(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && strings.HasPrefix(line, "+PONG")
}
