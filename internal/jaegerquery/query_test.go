package jaegerquery

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"github.com/opentracing/opentracing-go/log"
	"github.com/tracewrap/tracewrap/internal/testenv"
	"github.com/uber/jaeger-client-go"
	"github.com/uber/jaeger-client-go/transport"
)

// sample is an /api/v3/traces/{id} answer as Jaeger v2 writes it: two
// services, goods in two resourceSpans (two batches of one process), a
// FOLLOWS_FROM link, an error status with its event, Jaeger's warnings and an
// orphan. Times are nanoseconds.
const sample = `{"result":{"resourceSpans":[
 {"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"web"}},{"key":"hostname","value":{"stringValue":"h1"}}]},
  "scopeSpans":[{"scope":{},"spans":[
   {"traceId":"000000000000000000000000000000f1","spanId":"000000000000000a","name":"HTTP GET","kind":2,
    "startTimeUnixNano":"10000","endTimeUnixNano":"110000","attributes":[{"key":"http.status_code","value":{"intValue":"200"}}],"status":{}},
   {"traceId":"000000000000000000000000000000f1","spanId":"000000000000000e","parentSpanId":"00000000000000ff","name":"lost",
    "startTimeUnixNano":"50000","endTimeUnixNano":"55000","status":{}}]}]},
 {"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"goods"}},{"key":"hostname","value":{"stringValue":"h2"}}]},
  "scopeSpans":[{"scope":{"name":"github.com/tracewrap/tracewrap","version":"1.2.3"},"spans":[
   {"traceId":"000000000000000000000000000000f1","spanId":"000000000000000c","parentSpanId":"000000000000000b","name":"sql.query","kind":3,
    "startTimeUnixNano":"30000","endTimeUnixNano":"35000","attributes":[{"key":"db.statement","value":{"stringValue":"SELECT   1"}},
    {"key":"ratio","value":{"doubleValue":0.5}},{"key":"cached","value":{"boolValue":false}}],"status":{}},
   {"traceId":"000000000000000000000000000000f1","spanId":"000000000000000b","parentSpanId":"000000000000000a","name":"/shop.Goods/Get","kind":2,
    "startTimeUnixNano":"20000","endTimeUnixNano":"70000","status":{"code":2,"message":"boom"},
    "events":[{"timeUnixNano":"60000","name":"error","attributes":[{"key":"message","value":{"stringValue":"boom"}}]}]}]}]},
 {"resource":{"attributes":[{"key":"hostname","value":{"stringValue":"h2"}},{"key":"service.name","value":{"stringValue":"goods"}}]},
  "scopeSpans":[{"scope":{},"spans":[
   {"traceId":"000000000000000000000000000000f1","spanId":"000000000000000d","parentSpanId":"000000000000000a","name":"consume orders","kind":5,
    "startTimeUnixNano":"40000","endTimeUnixNano":"45000",
    "links":[{"traceId":"000000000000000000000000000000f1","spanId":"000000000000000a","attributes":[{"key":"opentracing.ref_type","value":{"stringValue":"follows_from"}}]}],
    "attributes":[{"key":"@jaeger@warnings","value":{"arrayValue":{"values":[{"stringValue":"clock skew adjusted"}]}}}],"status":{}}]}]}
]}}`

const (
	idA = "000000000000000a"
	idB = "000000000000000b"
	idC = "000000000000000c"
	idD = "000000000000000d"
	idE = "000000000000000e"
)

func parseSample(t *testing.T) *Trace {
	t.Helper()
	tr, err := ParseOTLP([]byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestTreeAndPrint(t *testing.T) {
	tr := parseSample(t)
	roots := tr.Tree()
	if len(roots) != 2 || roots[0].Span.SpanID != idA || roots[1].Span.SpanID != idE {
		t.Fatalf("roots %v", roots)
	}
	if o := tr.Orphans(); len(o) != 1 || o[0].SpanID != idE {
		t.Fatalf("orphans %v", o)
	}
	var b strings.Builder
	tr.Print(&b, nil)
	want := `trace 00000000000000f1 (5 spans)
HTTP GET [web] 100µs span.kind=server http.status_code=200
├─ /shop.Goods/Get [goods] 50µs span.kind=server error=true
│  └─ sql.query [goods] 10µs span.kind=client db.statement=SELECT 1
└─ consume orders [goods] 10µs (follows) span.kind=consumer
lost [web] 10µs
`
	if b.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", b.String(), want)
	}
}

// The OTLP answer becomes the Jaeger-shaped model: ids in hex, times in µs,
// kind and status as fields, parentSpanId and links as references, events
// as logs, resources as processes (equal resources are one process), typed
// tag values, Jaeger's warnings apart from the tags.
func TestParseOTLP(t *testing.T) {
	tr := parseSample(t)
	// A 64-bit trace id is 16 hex digits, as Jaeger shows it.
	if tr.TraceID != "00000000000000f1" || len(tr.Spans) != 5 || string(tr.Raw) != sample {
		t.Fatalf("trace %s, %d spans", tr.TraceID, len(tr.Spans))
	}
	if len(tr.Processes) != 2 {
		t.Fatalf("processes %+v, want web and goods", tr.Processes)
	}
	a, b, c, d := tr.Span(idA), tr.Span(idB), tr.Span(idC), tr.Span(idD)
	if a.Service != "web" || b.Service != "goods" || b.ProcessID != c.ProcessID || c.ProcessID != d.ProcessID || a.ProcessID == b.ProcessID {
		t.Fatalf("services/processes: a %s/%s b %s/%s c %s d %s", a.Service, a.ProcessID, b.Service, b.ProcessID, c.ProcessID, d.ProcessID)
	}
	if p := tr.Processes[a.ProcessID]; p.ServiceName != "web" || len(p.Tags) != 1 || p.Tags[0].Key != "hostname" || p.Tags[0].Value != "h1" {
		t.Fatalf("process of a: %+v", p)
	}
	if a.StartTime != 10 || a.Duration != 100 || a.Kind() != "server" || a.IsError() {
		t.Fatalf("a: %+v", a)
	}
	if v, _ := a.Tag("http.status_code"); v != int64(200) || a.TagString("http.status_code") != "200" {
		t.Fatalf("http.status_code %#v", v)
	}
	if v, _ := c.Tag("ratio"); v != 0.5 {
		t.Fatalf("ratio %#v", v)
	}
	if v, ok := c.Tag("cached"); !ok || v != false {
		t.Fatalf("cached %#v", v)
	}
	// The scope, as tags (the spans of the other resources have none).
	if c.TagString("otel.scope.name") != "github.com/tracewrap/tracewrap" || b.TagString("otel.scope.version") != "1.2.3" || a.TagString("otel.scope.name") != "" {
		t.Fatalf("scope tags: c %v, a %v", c.Tags, a.Tags)
	}
	if pid, ref := c.Parent(); pid != idB || ref != "CHILD_OF" {
		t.Fatalf("c's parent %s %s", pid, ref)
	}
	if pid, ref := d.Parent(); pid != idA || ref != "FOLLOWS_FROM" || len(d.References) != 1 {
		t.Fatalf("d's parent %s %s, references %+v", pid, ref, d.References)
	}
	if len(d.Tags) != 0 || len(d.Warnings) != 1 || d.Warnings[0] != "clock skew adjusted" {
		t.Fatalf("d: tags %v warnings %v", d.Tags, d.Warnings)
	}
	if !b.IsError() || b.Status.Message != "boom" || len(b.Logs) != 1 || b.Logs[0].Timestamp != 60 {
		t.Fatalf("b: %+v", b)
	}
	if f := b.Logs[0].Fields; len(f) != 2 || f[0].Key != "event" || f[0].Value != "error" || f[1].Key != "message" || f[1].Value != "boom" {
		t.Fatalf("b's log %+v", f)
	}
}

// Ids may come as hex or as base64 (protobuf's JSON mapping); anything else
// is an error, as is a malformed time.
func TestParseOTLPIDs(t *testing.T) {
	if got, err := hexID("AAAAAAAAAAAAAAAAAAAA8Q==", 16); err != nil || got != "000000000000000000000000000000f1" {
		t.Fatalf("base64 trace id: %q %v", got, err)
	}
	if got, err := traceID("0123456789abcdef00000000000000f1"); err != nil || got != "0123456789abcdef00000000000000f1" {
		t.Fatalf("128-bit trace id: %q %v", got, err)
	}
	if got, err := hexID("00000000000000AB", 8); err != nil || got != "00000000000000ab" {
		t.Fatalf("hex span id: %q %v", got, err)
	}
	if _, err := hexID("xyz", 8); err == nil {
		t.Fatal("a bad id is accepted")
	}
	bad := strings.Replace(sample, `"startTimeUnixNano":"10000"`, `"startTimeUnixNano":"ten"`, 1)
	if _, err := ParseOTLP([]byte(bad)); err == nil {
		t.Fatal("a bad time is accepted")
	}
	if tr, err := ParseOTLP([]byte(`{"result":{"resourceSpans":[]}}`)); err != nil || len(tr.Spans) != 0 {
		t.Fatalf("empty: %v %v", tr, err)
	}
}

// Spans sent by jaeger-client-go, over the agent's UDP port and to the HTTP
// collector endpoint, come back from the real Jaeger's query API with their
// parents, service, kinds, tags, error status, logs and a FOLLOWS_FROM
// reference.
func TestRoundTripThroughRealJaeger(t *testing.T) {
	q := &Client{BaseURL: testenv.JaegerQueryURL(t)}
	transports := map[string]func() (jaeger.Transport, error){
		"agent": func() (jaeger.Transport, error) { return jaeger.NewUDPTransport(testenv.JaegerAgentAddr(t), 0) },
		"collector": func() (jaeger.Transport, error) {
			return transport.NewHTTPTransport(testenv.JaegerCollectorURL(t)), nil
		},
	}
	for name, newTransport := range transports {
		t.Run(name, func(t *testing.T) {
			sender, err := newTransport()
			if err != nil {
				t.Fatal(err)
			}
			service := "jaegerquery-test-" + name
			tracer, closer := jaeger.NewTracer(service, jaeger.NewConstSampler(true), jaeger.NewRemoteReporter(sender))
			root := tracer.StartSpan("root", ext.SpanKindRPCServer)
			child := tracer.StartSpan("child", opentracing.ChildOf(root.Context()), ext.SpanKindRPCClient)
			child.SetTag("db.statement", "SELECT 42")
			ext.Error.Set(child, true)
			child.LogFields(log.String("event", "error"), log.String("message", "no such table"))
			child.Finish()
			later := tracer.StartSpan("later", opentracing.FollowsFrom(root.Context()), ext.SpanKindConsumer)
			later.Finish()
			notFound := tracer.StartSpan("not-found", opentracing.ChildOf(root.Context()), ext.SpanKindRPCClient)
			ext.HTTPStatusCode.Set(notFound, 404)
			notFound.Finish()
			root.Finish()
			closer.Close()
			id := root.Context().(jaeger.SpanContext).TraceID().String()

			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			got, err := q.WaitForTrace(ctx, id, 4, 300*time.Millisecond)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Orphans()) != 0 || strings.TrimLeft(got.TraceID, "0") != strings.TrimLeft(id, "0") {
				t.Fatalf("trace %s, orphans %v", got.TraceID, got.Orphans())
			}
			roots := got.Tree()
			if len(roots) != 1 || roots[0].Span.OperationName != "root" || len(roots[0].Children) != 3 {
				t.Fatalf("tree %+v", roots)
			}
			r := roots[0].Span
			if r.Kind() != "server" || r.IsError() || r.Service != service {
				t.Errorf("root %+v", r)
			}
			c := got.Find("child")[0]
			if c.Service != service || c.TagString("db.statement") != "SELECT 42" || c.Kind() != "client" {
				t.Errorf("child %+v", c)
			}
			// Jaeger v2 keeps error=true as the span's status, not as a tag.
			if !c.IsError() || c.Status.Code != StatusError {
				t.Errorf("child's error: status %+v, tags %v", c.Status, c.Tags)
			}
			if len(c.Logs) != 1 || len(c.Logs[0].Fields) != 2 || c.Logs[0].Fields[0].Value != "error" || c.Logs[0].Fields[1].Value != "no such table" {
				t.Errorf("child's logs %+v", c.Logs)
			}
			l := got.Find("later")[0]
			if pid, ref := l.Parent(); pid != r.SpanID || ref != "FOLLOWS_FROM" || l.Kind() != "consumer" {
				t.Errorf("later: parent %s %s, kind %s", pid, ref, l.Kind())
			}
			// Jaeger v2 derives an ERROR status from http.status_code: a
			// client span with a 4xx is an error without an error tag (the
			// README says so).
			if nf := got.Find("not-found")[0]; !nf.IsError() || nf.TagString("http.status_code") != "404" {
				t.Errorf("not-found: status %+v, tags %v", nf.Status, nf.Tags)
			}
			// The process: jaeger-client-go's tags, not the service name.
			p := got.Processes[r.ProcessID]
			if p.ServiceName != service || len(p.Tags) == 0 {
				t.Errorf("process %+v", p)
			}
			// Polled: with Elasticsearch storage (the jaeger-es profile) a
			// new service is searchable after the index's refresh.
			for {
				svcs, err := q.Services(ctx)
				if err == nil && strings.Contains(strings.Join(svcs, ","), service) {
					break
				}
				if ctx.Err() != nil {
					t.Fatalf("services %v %v", svcs, err)
				}
				time.Sleep(200 * time.Millisecond)
			}
			if _, err := q.Trace(ctx, "00000000000000000000000000abcdef"); err != ErrNotFound {
				t.Fatalf("unknown trace: %v", err)
			}
		})
	}
}

func TestLookups(t *testing.T) {
	tr := parseSample(t)
	root := tr.Span(idA)
	if root == nil || tr.Span("nope") != nil {
		t.Fatal("Span by id")
	}
	kids := tr.Children(root)
	if len(kids) != 2 || kids[0].SpanID != idB || kids[1].SpanID != idD {
		t.Fatalf("children %v", kids)
	}
	if p := tr.ParentOf(tr.Span(idC)); p == nil || p.SpanID != idB {
		t.Fatalf("parent of c: %v", p)
	}
	if tr.ParentOf(root) != nil || tr.ParentOf(tr.Span(idE)) != nil {
		t.Fatal("a root and an orphan have no parent in the trace")
	}
	if f := tr.Find("sql.query"); len(f) != 1 || f[0].SpanID != idC {
		t.Fatalf("find %v", f)
	}
	// A span with the kind and the error as tags (OpenTracing's form).
	s := &Span{Tags: []KeyValue{{Key: "span.kind", Value: "client"}, {Key: "error", Value: true}}}
	if s.Kind() != "client" || !s.IsError() || root.IsError() || root.Kind() != "server" {
		t.Fatal("Kind / IsError")
	}
}

// WaitUntil polls until the condition holds and the span count is stable,
// keeps the raw JSON, and says what was missing when it gives up.
func TestWaitUntil(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v3/traces/000000000000000000000000000000f1" {
			http.Error(w, `{"error":{"httpCode":400,"message":"bad path"}}`, http.StatusBadRequest)
			return
		}
		if calls.Add(1) < 3 {
			http.Error(w, `{"error":{"httpCode":404,"message":"No traces found"}}`, http.StatusNotFound)
			return
		}
		fmt.Fprint(w, sample)
	}))
	defer srv.Close()
	c := &Client{BaseURL: srv.URL}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tr, err := c.WaitUntil(ctx, "000000000000000000000000000000f1", func(tr *Trace) error {
		if len(tr.Find("sql.query")) == 0 {
			return errors.New("no query")
		}
		return nil
	}, 100*time.Millisecond)
	if err != nil || len(tr.Spans) != 5 || !strings.Contains(string(tr.Raw), `"SELECT   1"`) {
		t.Fatalf("%v %v", tr, err)
	}
	if tr.Span(idB).Service != "goods" {
		t.Fatal("services not filled in")
	}

	short, cancel2 := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel2()
	_, err = c.WaitUntil(short, "000000000000000000000000000000f1", func(*Trace) error { return errors.New("no consume span") }, 0)
	if err == nil || !strings.Contains(err.Error(), "no consume span") {
		t.Fatalf("want the missing part in the error, got %v", err)
	}
}
