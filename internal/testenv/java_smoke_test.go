package testenv

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/apache/rocketmq-client-go/v2/rlog"
	"github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esapi"

	"github.com/tracewrap/tracewrap/internal/tracetest"
)

// TestElasticsearchSmoke checks the node of scripts/services with the client the
// estrace package wraps, built from a default Config: the product check, index
// with refresh, search and count.
func TestElasticsearchSmoke(t *testing.T) {
	es, err := elasticsearch.NewClient(elasticsearch.Config{Addresses: []string{ElasticsearchURL(t)}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	var info struct {
		Version struct{ Number string }
	}
	res, err := es.Info(es.Info.WithContext(ctx))
	do(t, "info", res, err, &info)
	if !strings.HasPrefix(info.Version.Number, "7.17.") {
		t.Errorf("version %q, want 7.17.x", info.Version.Number)
	}

	index := fmt.Sprintf("testenv-smoke-%d", time.Now().UnixNano())
	defer es.Indices.Delete([]string{index})
	doc := `{"title":"tracewrap smoke","n":1}`
	res, err = es.Index(index, strings.NewReader(doc),
		es.Index.WithDocumentID("1"), es.Index.WithRefresh("true"), es.Index.WithContext(ctx))
	do(t, "index", res, err, nil)

	var found struct {
		Hits struct {
			Total struct{ Value int }
			Hits  []struct {
				ID     string          `json:"_id"`
				Source json.RawMessage `json:"_source"`
			}
		}
	}
	res, err = es.Search(es.Search.WithIndex(index), es.Search.WithContext(ctx),
		es.Search.WithBody(strings.NewReader(`{"query":{"match":{"title":"smoke"}}}`)))
	do(t, "search", res, err, &found)
	if found.Hits.Total.Value != 1 || len(found.Hits.Hits) != 1 || found.Hits.Hits[0].ID != "1" {
		t.Fatalf("search: got %+v, want the one document", found.Hits)
	}

	var count struct{ Count int }
	res, err = es.Count(es.Count.WithIndex(index), es.Count.WithContext(ctx))
	do(t, "count", res, err, &count)
	if count.Count != 1 {
		t.Fatalf("count = %d, want 1", count.Count)
	}
}

// do fails the test on a transport error or an error status, and decodes the body into v.
func do(t *testing.T, what string, res *esapi.Response, err error, v any) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	defer res.Body.Close()
	if res.IsError() {
		t.Fatalf("%s: %s", what, res.String())
	}
	if v != nil {
		if err := json.NewDecoder(res.Body).Decode(v); err != nil {
			t.Fatalf("%s: decode: %v", what, err)
		}
	}
}

// TestRocketMQSmoke sends a message to a fresh topic (created by the broker on
// first send) and receives it with a push consumer, with the client the mqtrace
// package wraps.
func TestRocketMQSmoke(t *testing.T) {
	ns := RocketMQNameServer(t)
	rlog.SetLogLevel("error")
	topic := fmt.Sprintf("testenv_smoke_%d", time.Now().UnixNano())

	p, err := rocketmq.NewProducer(producer.WithNameServer([]string{ns}), producer.WithRetry(2),
		producer.WithGroupName(topic+"_p"), producer.WithInstanceName(topic+"_p"))
	p = tracetest.Started(t, p, err)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := p.SendSync(ctx, primitive.NewMessage(topic, []byte("hello")).WithKeys([]string{"k1"}))
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	if res.Status != primitive.SendOK {
		t.Fatalf("send: %v", res)
	}

	got := consume(t, ns, topic)
	select {
	case m := <-got:
		if string(m.Body) != "hello" || m.MsgId != res.MsgID {
			t.Fatalf("received %q (%s), want %q (%s)", m.Body, m.MsgId, "hello", res.MsgID)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("no message consumed within 60s")
	}
}

// TestRocketMQTransactionSmoke sends a half message whose local transaction
// commits and checks that it is consumed.
func TestRocketMQTransactionSmoke(t *testing.T) {
	ns := RocketMQNameServer(t)
	rlog.SetLogLevel("error")
	topic := fmt.Sprintf("testenv_tx_%d", time.Now().UnixNano())

	p, err := rocketmq.NewTransactionProducer(commitListener{}, producer.WithNameServer([]string{ns}),
		producer.WithRetry(2), producer.WithGroupName(topic+"_p"), producer.WithInstanceName(topic+"_p"))
	p = tracetest.Started(t, p, err)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := p.SendMessageInTransaction(ctx, primitive.NewMessage(topic, []byte("tx-hello")))
	if err != nil {
		t.Fatalf("send in transaction: %v", err)
	}
	if res.State != primitive.CommitMessageState {
		t.Fatalf("transaction state %v, want commit", res.State)
	}

	got := consume(t, ns, topic)
	select {
	case m := <-got:
		if string(m.Body) != "tx-hello" {
			t.Fatalf("received %q, want %q", m.Body, "tx-hello")
		}
	case <-time.After(60 * time.Second):
		t.Fatal("no committed message consumed within 60s")
	}
}

type commitListener struct{}

func (commitListener) ExecuteLocalTransaction(*primitive.Message) primitive.LocalTransactionState {
	return primitive.CommitMessageState
}

func (commitListener) CheckLocalTransaction(*primitive.MessageExt) primitive.LocalTransactionState {
	return primitive.CommitMessageState
}

// consume starts a push consumer of a new group on topic, reading from the first
// offset, and returns the channel of the first message.
//
// The broker registers a topic it creates on first send with the name server
// asynchronously, and Start fails while the name server has no route for it
// (very likely right after a transactional send), so Start is retried.
//
// A started consumer is left running: in rocketmq-client-go v2.1.2, Shutdown
// writes the client's unguarded close flag that rebalance goroutines (started
// by the broker's consumer-ids-changed notice) read, which `go test -race`
// reports as a data race in the library.
func consume(t *testing.T, ns, topic string) <-chan *primitive.MessageExt {
	t.Helper()
	got := make(chan *primitive.MessageExt, 1)
	var once sync.Once
	handler := func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		once.Do(func() { got <- msgs[0] })
		return consumer.ConsumeSuccess, nil
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := rocketmq.NewPushConsumer(consumer.WithNameServer([]string{ns}),
			consumer.WithGroupName(topic+"_c"), consumer.WithInstance(topic+"_c"),
			consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Subscribe(topic, consumer.MessageSelector{}, handler); err != nil {
			t.Fatal(err)
		}
		err = c.Start()
		if err == nil {
			return got
		}
		c.Shutdown()
		if !strings.Contains(err.Error(), "route info not found") || time.Now().After(deadline) {
			t.Fatalf("start consumer: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
