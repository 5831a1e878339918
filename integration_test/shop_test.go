package integration_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-redis/redis/v8"
	_ "github.com/go-sql-driver/mysql"

	"github.com/tracewrap/tracewrap/internal/jaegerquery"
	"github.com/tracewrap/tracewrap/internal/testenv"
)

// Browsing an item: HTTP -> gRPC -> Redis (miss) -> MySQL -> Redis SET, then
// the same item again from the cache, each request its own trace.
func TestBrowseGoods(t *testing.T) {
	s := shop(t)
	url := s.URL + "/goods/3"
	key := fmt.Sprintf("shop:%s:goods:3", runName)
	forget(t, key) // a cache miss first, also when the test is repeated

	first := call(t, "GET", url, "")
	if first.status != 200 || first.body["cache"] != "miss" || first.body["name"] != "Coffee grinder" {
		t.Fatalf("first GET: %d %v", first.status, first.body)
	}
	tr := fetch(t, first.traceID, want("HTTP GET /goods/:id@web", "/shop.Goods/Get@web", "/shop.Goods/Get@goods",
		"get@goods", "sql.query@goods", "set@goods"))
	noError(t, tr)
	server := goodsServer(t, tr, "HTTP GET /goods/:id", "/shop.Goods/Get")
	get := child(t, tr, server, "get", "goods")
	expect(t, tr, get, "get", "goods", "client")
	statement(t, get, "redis", "get "+key)
	q := child(t, tr, server, "sql.query", "goods")
	expect(t, tr, q, "sql.query", "goods", "client")
	statement(t, q, "sql", "SELECT id, name, price_cents, stock - reserved FROM shop_goods WHERE id = ?")
	tagIs(t, q, "db.instance", testenv.MySQLDatabase)
	set := child(t, tr, server, "set", "goods")
	statement(t, set, "redis", "set "+key)
	if !(get.StartTime <= q.StartTime && q.StartTime <= set.StartTime) {
		t.Errorf("want get, then the query, then set\n%s", render(tr))
	}

	second := call(t, "GET", url, "")
	if second.status != 200 || second.body["cache"] != "hit" {
		t.Fatalf("second GET: %d %v", second.status, second.body)
	}
	if second.traceID == first.traceID {
		t.Fatal("two requests share a trace id")
	}
	tr = fetch(t, second.traceID, want("get@goods"))
	server = goodsServer(t, tr, "HTTP GET /goods/:id", "/shop.Goods/Get")
	child(t, tr, server, "get", "goods")
	if len(tr.Spans) != 4 {
		t.Errorf("a cache hit is 4 spans (HTTP, gRPC client and server, get), got %d\n%s", len(tr.Spans), render(tr))
	}

	missing := call(t, "GET", s.URL+"/goods/999", "")
	if missing.status != 404 {
		t.Fatalf("GET /goods/999: %d %v", missing.status, missing.body)
	}
	tr = fetch(t, missing.traceID, want("sql.query@goods"))
	server = goodsServer(t, tr, "HTTP GET /goods/:id", "/shop.Goods/Get")
	tagIs(t, server, "grpc.status_code", "NotFound")
	if server.IsError() || root(t, tr, "HTTP GET /goods/:id", 404).IsError() {
		t.Errorf("a missing item is not a server error\n%s", render(tr))
	}
}

// forget removes a cached item from the shared Redis.
func forget(t *testing.T, key string) {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: testenv.RedisAddr(t), Username: testenv.RedisACLUser, Password: testenv.RedisACLPassword})
	defer rdb.Close()
	if err := rdb.Del(context.Background(), key).Err(); err != nil {
		t.Fatal(err)
	}
}

// goodsServer checks the HTTP root, the web's gRPC client span and the goods
// service's server span, and returns the latter.
func goodsServer(t *testing.T, tr *jaegerquery.Trace, httpOp, method string) *jaegerquery.Span {
	t.Helper()
	r := root(t, tr, httpOp, rootStatus(tr))
	client := child(t, tr, r, method, "web")
	expect(t, tr, client, method, "web", "client")
	server := child(t, tr, client, method, "goods")
	expect(t, tr, server, method, "goods", "server")
	return server
}

// rootStatus is whatever the root says; root() checks it against the
// caller's expectation where it matters.
func rootStatus(tr *jaegerquery.Trace) int {
	var code int
	fmt.Sscan(tr.Tree()[0].Span.TagString("http.status_code"), &code)
	return code
}

// Full-text search goes to Elasticsearch, with the query as db.statement.
func TestSearch(t *testing.T) {
	s := shop(t)
	r := call(t, "GET", s.URL+"/search?q=grinder", "")
	if r.status != 200 || r.body["source"] != "elasticsearch" || !strings.Contains(fmt.Sprint(r.body["hits"]), "Coffee grinder") {
		t.Fatalf("search: %d %v", r.status, r.body)
	}
	tr := fetch(t, r.traceID, want("search@goods"))
	noError(t, tr)
	server := goodsServer(t, tr, "HTTP GET /search", "/shop.Goods/Search")
	search := child(t, tr, server, "search", "goods")
	expect(t, tr, search, "search", "goods", "client")
	tagIs(t, search, "db.type", "elasticsearch")
	tagIs(t, search, "http.status_code", "200")
	if st := search.TagString("db.statement"); !strings.Contains(st, `"query":"grinder"`) {
		t.Errorf("search db.statement %q lacks the query", st)
	}
	if len(tr.Children(server)) != 1 {
		t.Errorf("a successful search makes one data-store call\n%s", render(tr))
	}
}

// An order: the gRPC call to the order service sends a transactional
// message; the local transaction inserts the order with the ctx it gets; the
// inventory consumes the committed message in its own process and reserves
// stock in one SQL transaction. All of it is one trace.
func TestPlaceOrder(t *testing.T) {
	s := shop(t)
	r := call(t, "POST", s.URL+"/orders", `{"goods_id": 2, "qty": 3}`)
	if r.status != 201 || r.body["state"] != "COMMIT" {
		t.Fatalf("order: %d %v", r.status, r.body)
	}
	orderID := r.body["order_id"].(string)
	topic := "shop-orders-" + runName
	tr := fetch(t, r.traceID, want("consume "+topic+"@inventory", "sql.commit@inventory", "sql.exec@order"))
	noError(t, tr)
	tx := orderTransaction(t, tr, topic, "COMMIT")
	half := halfSend(t, tr, tx, topic)
	consume := child(t, tr, half, "consume "+topic, "inventory")
	checkConsume(t, tr, consume, half, topic, orderID)
	waitOrderStatus(t, orderID, "reserved")
}

// orderTransaction checks the path from the HTTP root to the transaction
// span and the local transaction's INSERT; it returns the transaction span.
func orderTransaction(t *testing.T, tr *jaegerquery.Trace, topic, state string) *jaegerquery.Span {
	t.Helper()
	r := root(t, tr, "HTTP POST /orders", 201)
	client := child(t, tr, r, "/shop.Order/Create", "web")
	expect(t, tr, client, "/shop.Order/Create", "web", "client")
	server := child(t, tr, client, "/shop.Order/Create", "order")
	expect(t, tr, server, "/shop.Order/Create", "order", "server")
	tagIs(t, server, "grpc.status_code", "OK")
	tx := child(t, tr, server, "transaction "+topic, "order")
	tagIs(t, tx, "message_bus.destination", topic)
	tagIs(t, tx, "rocketmq.transaction.state", state)
	local := child(t, tr, tx, "local-transaction "+topic, "order")
	tagIs(t, local, "rocketmq.transaction.state", state)
	insert := child(t, tr, local, "sql.exec", "order")
	expect(t, tr, insert, "sql.exec", "order", "client")
	statement(t, insert, "sql", "INSERT INTO shop_orders")
	return tx
}

// halfSend is the transaction's half-message send.
func halfSend(t *testing.T, tr *jaegerquery.Trace, tx *jaegerquery.Span, topic string) *jaegerquery.Span {
	t.Helper()
	half := child(t, tr, tx, "send "+topic, "order")
	expect(t, tr, half, "send "+topic, "order", "producer")
	tagIs(t, half, "rocketmq.transaction.half", "true")
	tagIs(t, half, "message_bus.destination", topic)
	if half.TagString("rocketmq.message_id") == "" {
		t.Errorf("half send without rocketmq.message_id")
	}
	return half
}

// checkConsume: the inventory's consume span is a CHILD_OF the half send and
// holds the reservation's SQL transaction.
func checkConsume(t *testing.T, tr *jaegerquery.Trace, consume, half *jaegerquery.Span, topic, orderID string) {
	t.Helper()
	expect(t, tr, consume, "consume "+topic, "inventory", "consumer")
	if pid, ref := consume.Parent(); pid != half.SpanID || ref != "CHILD_OF" {
		t.Errorf("consume span's parent %s (%s), want CHILD_OF the half send %s", pid, ref, half.SpanID)
	}
	tagIs(t, consume, "rocketmq.consume_result", "SUCCESS")
	tagIs(t, consume, "rocketmq.keys", orderID)
	tagIs(t, consume, "rocketmq.message_id", half.TagString("rocketmq.message_id"))
	tagIs(t, consume, "rocketmq.consumer_group", "shop-inventory-"+runName)
	child(t, tr, consume, "sql.begin", "inventory")
	execs := children(tr, consume, "sql.exec", "inventory")
	wantStmts := []string{"INSERT IGNORE INTO shop_reservations", "UPDATE shop_goods SET reserved", "UPDATE shop_orders SET status"}
	if len(execs) != len(wantStmts) {
		t.Fatalf("%d sql.exec under consume, want %d\n%s", len(execs), len(wantStmts), render(tr))
	}
	for i, e := range execs {
		statement(t, e, "sql", wantStmts[i])
	}
	child(t, tr, consume, "sql.commit", "inventory")
}

// waitOrderStatus polls the order's row; the trace already shows the commit,
// this shows the data agrees.
func waitOrderStatus(t *testing.T, orderID, want string) {
	t.Helper()
	db, err := sql.Open("mysql", testenv.MySQLDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	deadline := time.Now().Add(30 * time.Second)
	var got string
	for {
		err = db.QueryRow("SELECT status FROM shop_orders WHERE id = ?", orderID).Scan(&got)
		if err == nil && got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("order %s: status %q (%v), want %q", orderID, got, err, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
