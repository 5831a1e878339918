package jaegerquery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/tracewrap/tracewrap/internal/testenv"
	"github.com/uber/jaeger-client-go"
)

const sample = `{"traceID":"t1","processes":{"p1":{"serviceName":"web"},"p2":{"serviceName":"goods"}},
"spans":[
 {"spanID":"c","operationName":"sql.query","startTime":30,"duration":5,"processID":"p2","references":[{"refType":"CHILD_OF","spanID":"b"}],"tags":[{"key":"db.statement","value":"SELECT   1"}]},
 {"spanID":"a","operationName":"HTTP GET","startTime":10,"duration":100,"processID":"p1","tags":[{"key":"http.status_code","value":200}]},
 {"spanID":"b","operationName":"/shop.Goods/Get","startTime":20,"duration":50,"processID":"p2","references":[{"refType":"CHILD_OF","spanID":"a"}]},
 {"spanID":"d","operationName":"consume orders","startTime":40,"duration":5,"processID":"p2","references":[{"refType":"FOLLOWS_FROM","spanID":"a"}]},
 {"spanID":"e","operationName":"lost","startTime":50,"duration":5,"processID":"p1","references":[{"refType":"CHILD_OF","spanID":"zz"}]}
]}`

func TestTreeAndPrint(t *testing.T) {
	var tr Trace
	if err := json.Unmarshal([]byte(sample), &tr); err != nil {
		t.Fatal(err)
	}
	for _, s := range tr.Spans {
		s.Service = tr.Processes[s.ProcessID].ServiceName
	}
	roots := tr.Tree()
	if len(roots) != 2 || roots[0].Span.SpanID != "a" || roots[1].Span.SpanID != "e" {
		t.Fatalf("roots %v", roots)
	}
	if o := tr.Orphans(); len(o) != 1 || o[0].SpanID != "e" {
		t.Fatalf("orphans %v", o)
	}
	var b strings.Builder
	tr.Print(&b, nil)
	want := `trace t1 (5 spans)
HTTP GET [web] 100µs http.status_code=200
├─ /shop.Goods/Get [goods] 50µs
│  └─ sql.query [goods] 10µs db.statement=SELECT 1
└─ consume orders [goods] 10µs (follows)
lost [web] 10µs
`
	if b.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", b.String(), want)
	}
}

// A span sent by jaeger-client-go over the agent's UDP port comes back from
// the real Jaeger's query API with its parent, service and tags.
func TestRoundTripThroughRealJaeger(t *testing.T) {
	agent := testenv.JaegerAgentAddr(t)
	q := &Client{BaseURL: testenv.JaegerQueryURL(t)}
	sender, err := jaeger.NewUDPTransport(agent, 0)
	if err != nil {
		t.Fatal(err)
	}
	tracer, closer := jaeger.NewTracer("jaegerquery-test", jaeger.NewConstSampler(true), jaeger.NewRemoteReporter(sender))
	root := tracer.StartSpan("root")
	child := tracer.StartSpan("child", opentracing.ChildOf(root.Context()))
	child.SetTag("db.statement", "SELECT 42")
	child.Finish()
	root.Finish()
	closer.Close()
	id := root.Context().(jaeger.SpanContext).TraceID().String()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	got, err := q.WaitForTrace(ctx, id, 2, 300*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Orphans()) != 0 {
		t.Fatal("orphans")
	}
	roots := got.Tree()
	if len(roots) != 1 || roots[0].Span.OperationName != "root" || len(roots[0].Children) != 1 {
		t.Fatalf("tree %+v", roots)
	}
	c := roots[0].Children[0].Span
	if c.Service != "jaegerquery-test" || c.TagString("db.statement") != "SELECT 42" {
		t.Fatalf("child %+v", c)
	}
	svcs, err := q.Services(ctx)
	if err != nil || !strings.Contains(strings.Join(svcs, ","), "jaegerquery-test") {
		t.Fatalf("services %v %v", svcs, err)
	}
	if _, err := q.Trace(ctx, "00000000000000000000000000abcdef"); err != ErrNotFound {
		t.Fatalf("unknown trace: %v", err)
	}
}

func TestLookups(t *testing.T) {
	var tr Trace
	if err := json.Unmarshal([]byte(sample), &tr); err != nil {
		t.Fatal(err)
	}
	root := tr.Span("a")
	if root == nil || tr.Span("nope") != nil {
		t.Fatal("Span by id")
	}
	kids := tr.Children(root)
	if len(kids) != 2 || kids[0].SpanID != "b" || kids[1].SpanID != "d" {
		t.Fatalf("children %v", kids)
	}
	if p := tr.ParentOf(tr.Span("c")); p == nil || p.SpanID != "b" {
		t.Fatalf("parent of c: %v", p)
	}
	if tr.ParentOf(root) != nil || tr.ParentOf(tr.Span("e")) != nil {
		t.Fatal("a root and an orphan have no parent in the trace")
	}
	if f := tr.Find("sql.query"); len(f) != 1 || f[0].SpanID != "c" {
		t.Fatalf("find %v", f)
	}
	s := &Span{Tags: []KeyValue{{Key: "span.kind", Value: "client"}, {Key: "error", Value: true}}}
	if s.Kind() != "client" || !s.IsError() || root.IsError() {
		t.Fatal("Kind / IsError")
	}
}

// WaitUntil polls until the condition holds and the span count is stable,
// keeps the raw JSON, and says what was missing when it gives up.
func TestWaitUntil(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) < 3 {
			http.Error(w, `{"data":null,"errors":[{"code":404,"msg":"trace not found"}]}`, http.StatusNotFound)
			return
		}
		fmt.Fprintf(w, `{"data":[%s]}`, sample)
	}))
	defer srv.Close()
	c := &Client{BaseURL: srv.URL}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tr, err := c.WaitUntil(ctx, "t1", func(tr *Trace) error {
		if len(tr.Find("sql.query")) == 0 {
			return errors.New("no query")
		}
		return nil
	}, 100*time.Millisecond)
	if err != nil || len(tr.Spans) != 5 || !strings.Contains(string(tr.Raw), `"SELECT   1"`) {
		t.Fatalf("%v %v", tr, err)
	}
	if tr.Span("b").Service != "goods" {
		t.Fatal("services not filled in")
	}

	short, cancel2 := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel2()
	_, err = c.WaitUntil(short, "t1", func(*Trace) error { return errors.New("no consume span") }, 0)
	if err == nil || !strings.Contains(err.Error(), "no consume span") {
		t.Fatalf("want the missing part in the error, got %v", err)
	}
}
