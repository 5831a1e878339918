// Package esbench compares estrace with the bare go-elasticsearch v8 client
// and with the client's native OpenTelemetry instrumentation
// (elasticsearch.NewOpenTelemetryInstrumentation, "esotel"), which runs on the
// same OpenTelemetry SDK as ours does through the OpenTracing bridge
// (tracer=otel-*). esotel captures search bodies, as ours does by default.
package esbench

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esapi"

	"github.com/tracewrap/tracewrap/bench/internal/tracers"
	"github.com/tracewrap/tracewrap/estrace"
	"github.com/tracewrap/tracewrap/internal/testenv"
)

const (
	index    = "tw-bench"
	docID    = "1"
	document = `{"sku":"A-42","name":"kettle","price":25}`
	query    = `{"query":{"match":{"name":"kettle"}},"size":1}`
)

// stubTransport answers every request as Elasticsearch would, without a
// network: the product header the client checks and a small JSON body.
type stubTransport struct{}

const stubBody = `{"_index":"tw-bench","_id":"1","_version":1,"found":true,"_source":` + document + `}`

func (stubTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	h := http.Header{}
	h.Set("X-Elastic-Product", "Elasticsearch")
	h.Set("Content-Type", "application/json")
	return &http.Response{StatusCode: 200, Header: h, Body: io.NopCloser(strings.NewReader(stubBody)),
		ContentLength: int64(len(stubBody)), Request: r}, nil
}

// client builds one implementation's client.
type client struct {
	name string
	new  func(cfg elasticsearch.Config) (*elasticsearch.Client, error)
}

func clients(st *tracers.Stack) []client {
	out := []client{{"tracewrap", func(cfg elasticsearch.Config) (*elasticsearch.Client, error) {
		return estrace.NewClient(cfg, estrace.WithTracer(st.OT))
	}}}
	if st.IsOTel() {
		out = append(out, client{"esotel", func(cfg elasticsearch.Config) (*elasticsearch.Client, error) {
			cfg.Instrumentation = elasticsearch.NewOpenTelemetryInstrumentation(st.OTel, true)
			return elasticsearch.NewClient(cfg)
		}})
	}
	return out
}

type op func(ctx context.Context, es *elasticsearch.Client) (*esapi.Response, error)

func get(ctx context.Context, es *elasticsearch.Client) (*esapi.Response, error) {
	return es.Get(index, docID, es.Get.WithContext(ctx))
}

func search(ctx context.Context, es *elasticsearch.Client) (*esapi.Response, error) {
	return es.Search(es.Search.WithContext(ctx), es.Search.WithIndex(index), es.Search.WithBody(strings.NewReader(query)))
}

func each(b *testing.B, cfg func(b *testing.B) elasticsearch.Config, call op) {
	run := func(b *testing.B, st *tracers.Stack, newClient func(elasticsearch.Config) (*elasticsearch.Client, error)) {
		es, err := newClient(cfg(b))
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		if st != nil {
			ctx = st.Parent(b)
		}
		do := func() {
			res, err := call(ctx, es)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.IsError() {
				b.Fatal(res.String())
			}
		}
		do() // the product check, outside the timing
		b.ReportAllocs()
		for b.Loop() {
			do()
			if st != nil {
				st.Tick()
			}
		}
	}
	b.Run("tracer=none/impl=bare", func(b *testing.B) { run(b, nil, elasticsearch.NewClient) })
	for _, st := range tracers.All(b) {
		for _, c := range clients(st) {
			b.Run("tracer="+st.Name+"/impl="+c.name, func(b *testing.B) { run(b, st, c.new) })
		}
	}
}

func stubConfig(*testing.B) elasticsearch.Config {
	return elasticsearch.Config{Addresses: []string{"http://10.0.0.9:9200"}, Transport: stubTransport{}}
}

var seeded bool

// realConfig points at the real node, with the benchmark document indexed.
func realConfig(b *testing.B) elasticsearch.Config {
	cfg := elasticsearch.Config{Addresses: []string{testenv.ElasticsearchURL(b)}}
	if !seeded {
		es, err := elasticsearch.NewClient(cfg)
		if err != nil {
			b.Fatal(err)
		}
		res, err := es.Index(index, strings.NewReader(document), es.Index.WithDocumentID(docID), es.Index.WithRefresh("true"))
		if err != nil {
			b.Fatal(err)
		}
		res.Body.Close()
		if res.IsError() {
			b.Fatal(res.String())
		}
		seeded = true
	}
	return cfg
}

// BenchmarkESGet is a document GET, in process: the client talks to a stub
// transport, so the difference is the instrumentation's own cost.
func BenchmarkESGet(b *testing.B) { each(b, stubConfig, get) }

// BenchmarkESSearch is a match query, in process, with the query body
// captured by both instrumentations.
func BenchmarkESSearch(b *testing.B) { each(b, stubConfig, search) }

// BenchmarkESRealGet is a document GET from the real node.
func BenchmarkESRealGet(b *testing.B) { each(b, realConfig, get) }

// BenchmarkESRealSearch is a match query on the real node.
func BenchmarkESRealSearch(b *testing.B) { each(b, realConfig, search) }
