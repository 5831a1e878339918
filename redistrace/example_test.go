package redistrace_test

import (
	"context"
	"fmt"

	"github.com/go-redis/redis/v8"
	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/mocktracer"

	"github.com/tracewrap/tracewrap/redistrace"
)

// The one-line swap: redistrace.NewClient instead of redis.NewClient. Every
// command run with a ctx that holds a span becomes its child.
func ExampleNewClient() {
	rdb := redistrace.NewClient(&redis.Options{Addr: "127.0.0.1:6379"}) // was redis.NewClient
	defer rdb.Close()

	span, ctx := opentracing.StartSpanFromContext(context.Background(), "checkout")
	defer span.Finish()
	rdb.Set(ctx, "cart:42", "3 items", 0) // span "set", child of "checkout"
}

// A cluster client traces each command once and names the node that served
// it in peer.address.
func ExampleNewClusterClient() {
	rdb := redistrace.NewClusterClient(&redis.ClusterOptions{
		Addrs: []string{"127.0.0.1:7001", "127.0.0.1:7002", "127.0.0.1:7003"},
	})
	defer rdb.Close()
}

// Credentials never reach a span: the statement keeps the command's shape.
func Example_credentials() {
	// In a service, leave WithTracer out: the global tracer is used. Nobody
	// listens on port 1, so the calls fail fast.
	tr := mocktracer.New()
	rdb := redistrace.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1},
		redistrace.WithTracer(tr))
	defer rdb.Close()

	ctx := context.Background()
	rdb.Do(ctx, "AUTH", "admin", "s3cret")
	rdb.ConfigSet(ctx, "requirepass", "n3w-s3cret")
	for _, s := range tr.FinishedSpans() {
		fmt.Printf("%s: %s\n", s.OperationName, s.Tag("db.statement"))
	}
	// Output:
	// auth: AUTH admin ?
	// config: config set requirepass ?
}

// StatementKeysOnly shows keys and hides values; StatementOmitted drops
// db.statement.
func ExampleWithStatementMode() {
	tr := mocktracer.New()
	rdb := redistrace.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1},
		redistrace.WithTracer(tr),
		redistrace.WithStatementMode(redistrace.StatementKeysOnly))
	defer rdb.Close()

	rdb.Set(context.Background(), "user:1", "Ada Lovelace", 0)
	s := tr.FinishedSpans()[0]
	fmt.Printf("%s: %s (error=%v)\n", s.OperationName, s.Tag("db.statement"), s.Tag("error"))
	// Output:
	// set: set user:1 ? (error=true)
}
