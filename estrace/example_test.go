package estrace_test

import (
	"context"
	"fmt"
	"log"
	"strings"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/mocktracer"

	"github.com/tracewrap/tracewrap/estrace"
)

// The one-line swap: estrace.NewClient instead of elasticsearch.NewClient.
func ExampleNewClient() {
	tracer := mocktracer.New() // in a service: tracing.Init, then no WithTracer
	es, err := estrace.NewClient(elasticsearch.Config{Addresses: []string{"http://127.0.0.1:9200"}},
		estrace.WithTracer(tracer))
	if err != nil {
		log.Fatal(err)
	}
	defer es.Close(context.Background())

	parent := tracer.StartSpan("handle-order")
	ctx := opentracing.ContextWithSpan(context.Background(), parent)
	res, err := es.Search(es.Search.WithContext(ctx), es.Search.WithIndex("orders"),
		es.Search.WithBody(strings.NewReader(`{"query":{"match_all":{}}}`)))
	if err == nil {
		res.Body.Close()
	}
	parent.Finish()

	span := tracer.FinishedSpans()[0]
	fmt.Println(span.OperationName, span.Tag("es.index"), span.Tag("db.statement"))
	// Output: search orders {"query":{"match_all":{}}}
}

func ExampleNewTypedClient() {
	es, err := estrace.NewTypedClient(elasticsearch.Config{Addresses: []string{"http://127.0.0.1:9200"}})
	if err != nil {
		log.Fatal(err)
	}
	_, _ = es.Info().Do(context.Background()) // a span named "info"
}

// Raw HTTP clients, or a client built by hand: one span per round trip,
// named from the path template.
func ExampleNewTransport() {
	es, err := elasticsearch.NewClient(elasticsearch.Config{
		Addresses: []string{"http://127.0.0.1:9200"},
		Transport: estrace.NewTransport(nil),
	})
	if err != nil {
		log.Fatal(err)
	}
	_, _ = es.Info()
}

// Keep a user id out of recorded queries.
func ExampleWithStatementRedactor() {
	_, _ = estrace.NewClient(elasticsearch.Config{}, estrace.WithStatementRedactor(
		func(r *estrace.Request, body string) string {
			if r.Index == "users" {
				return "" // record nothing for this index
			}
			return body
		}))
}
