package conformance_test

import (
	"context"
	"io"
	"net/url"
	"strings"
	"testing"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esapi"
	"github.com/opentracing/opentracing-go"

	"github.com/tracewrap/tracewrap/estrace"
	"github.com/tracewrap/tracewrap/internal/testenv"
)

// Elasticsearch: an index creation, a search, and a second creation of the
// same index (400, resource_already_exists_exception) that fails its span.
func TestElasticsearch(t *testing.T) {
	addr := testenv.ElasticsearchURL(t)
	u, _ := url.Parse(addr)
	forEach(t, func(t *testing.T, b *backend) {
		es, err := estrace.NewClient(elasticsearch.Config{Addresses: []string{addr}}, estrace.WithTracer(b.client))
		if err != nil {
			t.Fatal(err)
		}
		defer es.Close(context.Background())
		index := strings.ToLower(mqName("idx"))
		root := b.client.StartSpan("root")
		ctx := opentracing.ContextWithSpan(context.Background(), root)
		drain := func(res *esapi.Response, err error) *esapi.Response {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			return res
		}
		drain(es.Indices.Create(index, es.Indices.Create.WithContext(ctx)))
		defer es.Indices.Delete([]string{index})
		drain(es.Search(es.Search.WithContext(ctx), es.Search.WithIndex(index),
			es.Search.WithBody(strings.NewReader(`{"query":{"match_all":{}}}`))))
		if res := drain(es.Indices.Create(index, es.Indices.Create.WithContext(ctx))); res.StatusCode != 400 {
			t.Fatalf("second create: %s", res)
		}
		root.Finish()

		r := find(t, b, "root", 1)[0]
		creates := find(t, b, "indices.create", 2)
		search := find(t, b, "search", 1)[0]
		var ok, failed span
		for _, c := range creates {
			expectKind(t, c, "client")
			expectChild(t, c, r)
			if c.Error {
				failed = c
			} else {
				ok = c
			}
		}
		expectChild(t, search, r)
		expectKind(t, search, "client")
		expectOK(t, ok)
		expectOK(t, search)
		expectFailed(t, failed, "resource_already_exists_exception")

		if b.otel {
			expectAttrs(t, search, map[string]string{
				"db.system.name": "elasticsearch", "db.operation.name": "search", "db.query.text": `{"query":{"match_all":{}}}`,
				"http.request.method": "*", "http.response.status_code": "200", "url.full": "*",
				"server.address": u.Hostname(), "server.port": u.Port(), "es.index": index,
			})
			expectAttrs(t, failed, map[string]string{"http.response.status_code": "400", "error.type": "*"})
			absent(t, search, "db.type", "db.statement", "http.url", "peer.port")
		} else {
			expectAttrs(t, search, map[string]string{
				"db.type": "elasticsearch", "es.endpoint": "search", "db.statement": `{"query":{"match_all":{}}}`,
				"http.method": "*", "http.status_code": "200", "http.url": "*", "peer.port": u.Port(), "es.index": index,
			})
			absent(t, search, "db.system.name", "db.query.text")
		}
	})
}
