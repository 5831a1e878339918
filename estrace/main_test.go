package estrace

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esapi"
	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/mocktracer"
	"go.uber.org/goleak"

	"github.com/tracewrap/tracewrap/internal/testenv"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// net/http keeps idle keep-alive connections to the node between
		// tests; their read/write loops are the standard library's, closed
		// with the transport's idle connections, not leaks of ours.
		goleak.IgnoreAnyFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreAnyFunction("net/http.(*persistConn).writeLoop"),
	)
}

var indexSeq atomic.Int64

// testIndex is a fresh index name, deleted when the test ends.
func testIndex(t *testing.T, es *elasticsearch.Client) string {
	t.Helper()
	name := fmt.Sprintf("estrace-%s-%d", strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name())), indexSeq.Add(1))
	if len(name) > 100 {
		name = name[:100]
	}
	t.Cleanup(func() {
		res, err := es.Indices.Delete([]string{name}, es.Indices.Delete.WithContext(context.Background()))
		if err == nil {
			res.Body.Close()
		}
	})
	return name
}

// liveClient is a traced client of the real node with a mock tracer.
func liveClient(t *testing.T, cfg elasticsearch.Config, opts ...Option) (*elasticsearch.Client, *mocktracer.MockTracer) {
	t.Helper()
	url := testenv.ElasticsearchURL(t)
	if len(cfg.Addresses) == 0 {
		cfg.Addresses = []string{url}
	}
	tr := mocktracer.New()
	es, err := NewClient(cfg, append([]Option{WithTracer(tr)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeClient(&es.BaseClient, cfg.Transport) })
	return es, tr
}

func closeClient(bc *elasticsearch.BaseClient, rt http.RoundTripper) {
	_ = bc.Close(context.Background())
	type idleCloser interface{ CloseIdleConnections() }
	if c, ok := rt.(idleCloser); ok {
		c.CloseIdleConnections()
	}
}

// parentCtx is a context holding a finished-later parent span of tr.
func parentCtx(t *testing.T, tr opentracing.Tracer) (context.Context, opentracing.Span) {
	t.Helper()
	p := tr.StartSpan("parent")
	t.Cleanup(p.Finish)
	return opentracing.ContextWithSpan(context.Background(), p), p
}

// drain returns a func that reads and closes an esapi response, failing on a
// transport error: drain(t)(es.Search(...)).
func drain(t *testing.T) func(res *esapi.Response, err error) *esapi.Response {
	return func(res *esapi.Response, err error) *esapi.Response {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body) // read like a caller would
		res.Body.Close()
		return res
	}
}

// only returns the single finished span, failing otherwise.
func only(t *testing.T, tr *mocktracer.MockTracer, name string) *mocktracer.MockSpan {
	t.Helper()
	var got []*mocktracer.MockSpan
	for _, s := range tr.FinishedSpans() {
		if s.OperationName != "parent" {
			got = append(got, s)
		}
	}
	if len(got) != 1 {
		names := []string{}
		for _, s := range got {
			names = append(names, s.OperationName)
		}
		t.Fatalf("want one span %q, got %d: %v", name, len(got), names)
	}
	if got[0].OperationName != name {
		t.Fatalf("span %q, want %q", got[0].OperationName, name)
	}
	return got[0]
}
