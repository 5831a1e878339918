package jaegerquery

import (
	"context"
	"encoding/json"
	"strings"
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
