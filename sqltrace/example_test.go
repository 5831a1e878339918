package sqltrace_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/mocktracer"

	"github.com/tracewrap/tracewrap/sqltrace"
)

// Register the traced driver once, then use database/sql as always: calls
// made with a context that holds a span become its children.
func ExampleRegister() {
	tracer := mocktracer.New() // in a service: tracing.Init's tracer, the global one by default
	sqltrace.Register("mysql-traced-example", &mysql.MySQLDriver{}, sqltrace.WithTracer(tracer))

	db, err := sql.Open("mysql-traced-example", "app:secret@tcp(127.0.0.1:3306)/shop")
	if err != nil {
		panic(err)
	}
	defer db.Close()

	span := tracer.StartSpan("GET /orders")
	ctx := opentracing.ContextWithSpan(context.Background(), span)
	_, _ = db.QueryContext(ctx, "SELECT id FROM orders WHERE user_id = ?", 42)
	span.Finish()
}

// Wrap a driver that is already registered by its import.
func ExampleOpen() {
	db, err := sqltrace.Open("mysql", "app:secret@tcp(db.internal:3306)/shop?parseTime=true",
		sqltrace.WithChildSpansOnly(), sqltrace.WithMaxStatementSize(1024))
	if err != nil {
		panic(err)
	}
	defer db.Close()
	fmt.Printf("%T\n", sqltrace.Unwrap(db.Driver()))
	// Output: *mysql.MySQLDriver
}

// Argument values are off by default; FormatArgs shows what
// WithPayloadCapture records.
func ExampleFormatArgs() {
	args := []driver.NamedValue{
		{Ordinal: 1, Value: int64(42)},
		{Ordinal: 2, Value: "ann"},
		{Ordinal: 3, Value: []byte("a photo")},
		{Ordinal: 4, Value: nil},
		{Ordinal: 5, Name: "since", Value: time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)},
	}
	fmt.Println(sqltrace.FormatArgs(args, 100))
	fmt.Println(sqltrace.FormatArgs(args, 20))
	// Output:
	// [42, "ann", <[]byte len=7>, NULL, since=2024-05-01T10:00:00Z]
	// [42, "ann", <[]by…
}
