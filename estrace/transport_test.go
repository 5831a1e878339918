package estrace

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/mocktracer"

	"github.com/tracewrap/tracewrap/internal/tracetest"
)

// Transport-level unit tests against an in-process HTTP server: body
// peeking, gzip, statuses the real node cannot be made to return on demand.

type fakeES struct {
	*httptest.Server
	mu     sync.Mutex
	bodies [][]byte
	hdrs   []http.Header
	status []int // statuses to answer in turn, then 200
	calls  atomic.Int32
}

func newFakeES(t *testing.T, status ...int) *fakeES {
	f := &fakeES{status: status}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(bytes.NewReader(body))
			if err == nil {
				body, _ = io.ReadAll(zr)
			}
		}
		f.mu.Lock()
		f.bodies = append(f.bodies, body)
		f.hdrs = append(f.hdrs, r.Header.Clone())
		code := 200
		if n := int(f.calls.Add(1)) - 1; n < len(f.status) {
			code = f.status[n]
		}
		f.mu.Unlock()
		w.Header().Set("X-Elastic-Product", "Elasticsearch")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		if code >= 400 {
			io.WriteString(w, `{"error":{"root_cause":[{"type":"fake_exception","reason":"status `+http.StatusText(code)+`"}]},"status":1}`)
			return
		}
		io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeES) body(i int) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return string(f.bodies[i])
}

func TestTransportLeavesRequestAlone(t *testing.T) {
	f := newFakeES(t)
	tr := mocktracer.New()
	client := &http.Client{Transport: NewTransport(f.Client().Transport, WithTracer(tr))}
	parent := tr.StartSpan("parent")
	ctx := opentracing.ContextWithSpan(context.Background(), parent)

	query := `{"query":{"match":{"user":"alice"}}}`
	req, _ := http.NewRequestWithContext(ctx, "POST", f.URL+"/users/_search?q=alice", io.MultiReader(strings.NewReader(query))) // no GetBody
	req.Header.Set("Authorization", "Basic c2VjcmV0")
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if len(req.Header) != 1 {
		t.Fatalf("caller's request headers changed: %v", req.Header)
	}
	if f.body(0) != query {
		t.Fatalf("server got %q", f.body(0))
	}
	s := only(t, tr, "search")
	if s.Tag("db.statement") != query || s.Tag("es.path") != "/{index}/_search" || s.Tag("es.index") != "users" ||
		s.Tag("http.url") != f.URL+"/users/_search?q=REDACTED" || s.ParentID != parent.Context().(mocktracer.MockSpanContext).SpanID {
		t.Fatalf("tags %v", s.Tags())
	}
	for k, v := range s.Tags() {
		if strings.Contains(k+toString(v), "c2VjcmV0") || strings.Contains(toString(v), "alice\"") && k != "db.statement" {
			t.Fatalf("secret in tag %s=%v", k, v)
		}
	}
	if f.hdrs[0].Get("Mockpfx-Ids-Spanid") == "" || f.hdrs[0].Get("X-Opaque-Id") == "" {
		t.Fatalf("not injected: %v", f.hdrs[0])
	}
}

func toString(v any) string {
	s, _ := v.(string)
	return s
}

func TestTransportGzipBodyWithoutGetBody(t *testing.T) {
	f := newFakeES(t)
	tr := mocktracer.New()
	client := &http.Client{Transport: NewTransport(f.Client().Transport, WithTracer(tr), WithMaxStatementSize(64))}
	query := `{"query":{"terms":{"tag":["` + strings.Repeat("abcdefgh", 1000) + `"]}}}`
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(query))
	zw.Close()
	req, _ := http.NewRequest("POST", f.URL+"/_count", io.MultiReader(&gz))
	req.Header.Set("Content-Encoding", "gzip")
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if f.body(0) != query {
		t.Fatal("server did not get the whole body")
	}
	s := only(t, tr, "count")
	if st := s.Tag("db.statement").(string); len(st) > 64 || !strings.HasPrefix(st, `{"query":{"terms":{"tag":["abcdefgh`) {
		t.Fatalf("statement %q", st)
	}
}

func TestTransportErrorSnippetAndNilBody(t *testing.T) {
	f := newFakeES(t, 503)
	tr := mocktracer.New()
	client := &http.Client{Transport: NewTransport(f.Client().Transport, WithTracer(tr))}
	res, err := client.Get(f.URL + "/idx/_doc/1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.HasPrefix(string(body), `{"error":{"root_cause":[{"type":"fake_exception"`) {
		t.Fatalf("body %q", body)
	}
	s := only(t, tr, "get")
	if logs := tracetest.LogFields(s); s.Tag("error") != true || logs[0]["error.kind"] != "fake_exception" || s.Tag("http.status_code") != uint16(503) {
		t.Fatalf("tags %v logs %v", s.Tags(), logs)
	}
}

// Retries on 502/503/504 are attempt logs with the status of each attempt.
func TestRetryOnStatusLogsAttempts(t *testing.T) {
	f := newFakeES(t, 502, 503)
	tr := mocktracer.New()
	es, err := NewClient(elasticsearch.Config{Addresses: []string{f.URL}, Transport: f.Client().Transport}, WithTracer(tr))
	if err != nil {
		t.Fatal(err)
	}
	defer closeClient(&es.BaseClient, nil)
	res := drain(t)(es.Search(es.Search.WithBody(strings.NewReader(`{"q":1}`))))
	s := only(t, tr, "search")
	logs := tracetest.LogFields(s)
	if res.StatusCode != 200 || s.Tag("error") != nil || len(logs) != 3 || logs[0]["http.status_code"] != "502" ||
		logs[1]["http.status_code"] != "503" || logs[2]["http.status_code"] != "200" {
		t.Fatalf("tags %v logs %v", s.Tags(), logs)
	}
	for i := 0; i < 3; i++ {
		if f.body(i) != `{"q":1}` {
			t.Fatalf("attempt %d body %q", i+1, f.body(i))
		}
	}
}

func TestOptions(t *testing.T) {
	f := newFakeES(t)
	search := func(t *testing.T, ctx context.Context, opts ...Option) *mocktracer.MockTracer {
		t.Helper()
		tr := mocktracer.New()
		es, err := NewClient(elasticsearch.Config{Addresses: []string{f.URL}, Transport: f.Client().Transport}, append([]Option{WithTracer(tr)}, opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		defer closeClient(&es.BaseClient, nil)
		drain(t)(es.Search(es.Search.WithIndex("orders"), es.Search.WithContext(ctx), es.Search.WithBody(strings.NewReader(`{"card":"4111"}`))))
		return tr
	}
	bg := context.Background()
	if s := only(t, search(t, bg, WithStatementCapture(false)), "search"); s.Tag("db.statement") != nil {
		t.Fatal("capture off")
	}
	if s := only(t, search(t, bg, WithStatementRedactor(func(r *Request, b string) string {
		return strings.ReplaceAll(b, "4111", "****") + " on " + r.Index
	})), "search"); s.Tag("db.statement") != `{"card":"****"} on orders` {
		t.Fatal(s.Tag("db.statement"))
	}
	if s := only(t, search(t, bg, WithCapturedEndpoints("count")), "search"); s.Tag("db.statement") != nil {
		t.Fatal("search not in the list")
	}
	if len(search(t, bg, WithSpanFilter(func(r *Request) bool { return r.Index != "orders" })).FinishedSpans()) != 0 {
		t.Fatal("filtered span made")
	}
	if len(search(t, bg, WithChildSpansOnly()).FinishedSpans()) != 0 {
		t.Fatal("root span with ChildSpansOnly")
	}
	tr := mocktracer.New()
	ctx := opentracing.ContextWithSpan(bg, tr.StartSpan("p"))
	if len(search(t, ctx, WithChildSpansOnly()).FinishedSpans()) != 1 {
		t.Fatal("child span missing with ChildSpansOnly")
	}
	if s := search(t, bg, WithOperationNameFunc(func(r *Request) string { return "es." + r.Endpoint }), WithComponentName("shop-es"),
		WithSpanObserver(SpanObserver{OnFinish: func(s opentracing.Span, r *Request, _ error) { s.SetTag("status", r.StatusCode) }})).FinishedSpans()[0]; s.OperationName != "es.search" || s.Tag("component") != "shop-es" || s.Tag("status") != 200 {
		t.Fatalf("%s %v", s.OperationName, s.Tags())
	}
	if s := search(t, bg, WithOperationName("q")).FinishedSpans()[0]; s.OperationName != "q" {
		t.Fatal(s.OperationName)
	}
	// NoopTracer: nothing is traced, the call works.
	es, _ := NewClient(elasticsearch.Config{Addresses: []string{f.URL}, Transport: f.Client().Transport}, WithTracer(opentracing.NoopTracer{}))
	drain(t)(es.Search())
	closeClient(&es.BaseClient, nil)
	// nil options are ignored.
	if _, err := NewClient(elasticsearch.Config{Addresses: []string{f.URL}}, nil, WithTracer(nil)); err != nil {
		t.Fatal(err)
	}
}

// A user's own Instrumentation keeps working next to ours.
func TestChainsUserInstrumentation(t *testing.T) {
	f := newFakeES(t)
	tr := mocktracer.New()
	user := &countingInstrumentation{}
	es, err := NewClient(elasticsearch.Config{Addresses: []string{f.URL}, Transport: f.Client().Transport, Instrumentation: user}, WithTracer(tr))
	if err != nil {
		t.Fatal(err)
	}
	defer closeClient(&es.BaseClient, nil)
	drain(t)(es.Search(es.Search.WithIndex("i"), es.Search.WithBody(strings.NewReader(`{}`))))
	only(t, tr, "search")
	if user.n.Load() < 7 {
		t.Fatalf("user instrumentation saw %d hooks", user.n.Load())
	}
}

type countingInstrumentation struct{ n atomic.Int32 }

func (c *countingInstrumentation) Start(ctx context.Context, _ string) context.Context {
	c.n.Add(1)
	return ctx
}
func (c *countingInstrumentation) Close(context.Context)                          { c.n.Add(1) }
func (c *countingInstrumentation) RecordError(context.Context, error)             { c.n.Add(1) }
func (c *countingInstrumentation) RecordPathPart(context.Context, string, string) { c.n.Add(1) }
func (c *countingInstrumentation) RecordRequestBody(context.Context, string, io.Reader) io.ReadCloser {
	c.n.Add(1)
	return nil
}
func (c *countingInstrumentation) BeforeRequest(*http.Request, string)           { c.n.Add(1) }
func (c *countingInstrumentation) AfterRequest(*http.Request, string, string)    { c.n.Add(1) }
func (c *countingInstrumentation) AfterResponse(context.Context, *http.Response) { c.n.Add(1) }
