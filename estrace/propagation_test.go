package estrace

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/elastic/elastic-transport-go/v8/elastictransport"
	"github.com/elastic/go-elasticsearch/v8"
	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/mocktracer"
	"github.com/uber/jaeger-client-go"

	"github.com/tracewrap/tracewrap/internal/testenv"
	"github.com/tracewrap/tracewrap/internal/tracetest"
)

// headerRecorder is a user interceptor that keeps the headers of every
// attempt as sent.
type headerRecorder struct {
	mu      sync.Mutex
	headers []http.Header
}

func (h *headerRecorder) interceptor(next elastictransport.RoundTripFunc) elastictransport.RoundTripFunc {
	return func(req *http.Request) (*http.Response, error) {
		h.mu.Lock()
		h.headers = append(h.headers, req.Header.Clone())
		h.mu.Unlock()
		return next(req)
	}
}

func TestJaegerPropagationAndOpaqueID(t *testing.T) {
	url := testenv.ElasticsearchURL(t)
	tr, reporter := tracetest.Jaeger(t, "estrace-test", true)
	rec := &headerRecorder{}
	es, err := NewClient(elasticsearch.Config{Addresses: []string{url}, Interceptors: []elastictransport.InterceptorFunc{rec.interceptor}}, WithTracer(tr))
	if err != nil {
		t.Fatal(err)
	}
	defer closeClient(&es.BaseClient, nil)

	parent := tr.StartSpan("parent")
	parent.SetBaggageItem("tenant", "acme")
	ctx := opentracing.ContextWithSpan(context.Background(), parent)
	res, err := es.Info(es.Info.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	parent.Finish()

	traceID := parent.Context().(jaeger.SpanContext).TraceID().String()
	// Elasticsearch echoes X-Opaque-Id: it received the trace id.
	if got := res.Header.Get("X-Opaque-Id"); got != traceID {
		t.Fatalf("X-Opaque-Id echoed %q, want trace id %q", got, traceID)
	}
	spans := reporter.GetSpans()
	if len(spans) != 2 {
		t.Fatalf("%d spans", len(spans))
	}
	esSpan := spans[0].(*jaeger.Span)
	sc := esSpan.Context().(jaeger.SpanContext)
	if esSpan.OperationName() != "info" || sc.TraceID().String() != traceID || sc.ParentID() != parent.Context().(jaeger.SpanContext).SpanID() {
		t.Fatalf("span %v %v", esSpan.OperationName(), sc)
	}
	// The headers as sent carry the ES span's context and the baggage.
	if len(rec.headers) != 1 {
		t.Fatalf("%d attempts", len(rec.headers))
	}
	carried, err := tr.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(rec.headers[0]))
	if err != nil {
		t.Fatal(err)
	}
	if c := carried.(jaeger.SpanContext); c.SpanID() != sc.SpanID() || c.TraceID() != sc.TraceID() {
		t.Fatalf("injected %v, span %v", c, sc)
	}
	if esSpan.BaggageItem("tenant") != "acme" || !strings.Contains(rec.headers[0].Get("Uberctx-Tenant"), "acme") {
		t.Fatalf("baggage lost: %v", rec.headers[0])
	}

	// The caller's own X-Opaque-Id wins.
	res, err = es.Info(es.Info.WithContext(ctx), es.Info.WithOpaqueID("mine"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if got := res.Header.Get("X-Opaque-Id"); got != "mine" {
		t.Fatalf("caller's X-Opaque-Id replaced: %q", got)
	}

	// Opt-out, and unsampled spans: no X-Opaque-Id, context still injected.
	for name, tc := range map[string]struct {
		ctx  context.Context
		opts []Option
	}{
		"opt-out":   {ctx, []Option{WithTracer(tr), WithOpaqueID(false)}},
		"unsampled": {context.Background(), []Option{WithTracer(tracetest.JaegerNull(t, false))}},
	} {
		rec := &headerRecorder{}
		es, _ := NewClient(elasticsearch.Config{Addresses: []string{url}, Interceptors: []elastictransport.InterceptorFunc{rec.interceptor}}, tc.opts...)
		res, err := es.Info(es.Info.WithContext(tc.ctx))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		closeClient(&es.BaseClient, nil)
		if rec.headers[0].Get("X-Opaque-Id") != "" || rec.headers[0].Get("Uber-Trace-Id") == "" {
			t.Fatalf("%s: headers %v", name, rec.headers[0])
		}
	}
}

// Both hooks (Instrumentation and the standalone Transport) on one client:
// still one span per logical request, retries as logs.
func TestBothHooksMakeOneSpan(t *testing.T) {
	live := testenv.ElasticsearchURL(t)
	tr := mocktracer.New()
	rt := NewTransport(nil, WithTracer(tr))
	es2, err := NewClient(elasticsearch.Config{Addresses: []string{"http://" + closedPort(t), live}, Transport: rt}, WithTracer(tr))
	if err != nil {
		t.Fatal(err)
	}
	defer closeClient(&es2.BaseClient, nil)
	drain(t)(es2.Search(es2.Search.WithBody(strings.NewReader(`{"size":0}`))))
	s := only(t, tr, "search")
	if s.Tag("es.attempts") != 2 || len(s.Logs()) != 2 || s.Tag("es.path") != nil {
		t.Fatalf("tags %v logs %v", s.Tags(), tracetest.LogFields(s))
	}
}

// Raw Perform: one span named from the path template, never from the index
// or id; retries are logs on it.
func TestRawPerform(t *testing.T) {
	live := testenv.ElasticsearchURL(t)
	es, tr := liveClient(t, elasticsearch.Config{Addresses: []string{"http://" + closedPort(t), live}})
	idx := testIndex(t, es)
	ctx, _ := parentCtx(t, tr)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPut, "/"+idx+"/_doc/secret-id?refresh=true", strings.NewReader(`{"a":1}`))
	req.Header.Set("Content-Type", "application/json")
	res, err := es.Perform(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	s := only(t, tr, "index")
	if res.StatusCode != 201 || s.Tag("es.path") != "/{index}/_doc/{id}" || s.Tag("es.index") != idx || s.Tag("es.id") != "secret-id" ||
		s.Tag("es.attempts") != 2 || s.Tag("http.status_code") != uint16(201) {
		t.Fatalf("status %d tags %v", res.StatusCode, s.Tags())
	}

	tr.Reset()
	// An unknown path: method and template ("_local" is an API word).
	req, _ = http.NewRequestWithContext(ctx, http.MethodGet, "/_nodes/_local/stats/jvm", nil)
	res, err = es.Perform(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if s := only(t, tr, "GET /_nodes/_local/stats/jvm"); res.StatusCode != 200 || s.Tag("es.path") != "/_nodes/_local/stats/jvm" {
		t.Fatalf("%d %v", res.StatusCode, s.Tags())
	}
}

// An X-Opaque-Id the application configured for every request
// (elasticsearch.Config.Header, the documented way to name an application in
// Elasticsearch's slow logs and tasks) is the caller's own too: the client
// adds it only when the request has none, so the trace id must not get there
// first. API calls and raw Perform alike.
func TestConfigHeaderOpaqueIDKept(t *testing.T) {
	url := testenv.ElasticsearchURL(t)
	for _, key := range []string{"X-Opaque-Id", "x-opaque-id"} {
		tr := mocktracer.New()
		es, err := NewClient(elasticsearch.Config{Addresses: []string{url}, Header: http.Header{key: {"billing"}}}, WithTracer(tr))
		if err != nil {
			t.Fatal(err)
		}
		ctx, _ := parentCtx(t, tr)
		res, err := es.Info(es.Info.WithContext(ctx))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if got := res.Header.Get("X-Opaque-Id"); got != "billing" {
			t.Errorf("%s: API call: configured X-Opaque-Id replaced by %q", key, got)
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "/", nil)
		raw, err := es.Perform(req)
		if err != nil {
			t.Fatal(err)
		}
		raw.Body.Close()
		if got := raw.Header.Get("X-Opaque-Id"); got != "billing" {
			t.Errorf("%s: raw Perform: configured X-Opaque-Id replaced by %q", key, got)
		}
		if n := len(tr.FinishedSpans()); n != 2 {
			t.Errorf("%d spans", n)
		}
		closeClient(&es.BaseClient, nil)
	}
}
