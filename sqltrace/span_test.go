package sqltrace

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"github.com/opentracing/opentracing-go/mocktracer"
	"github.com/uber/jaeger-client-go"

	"github.com/tracewrap/tracewrap/internal/tracetest"
)

// openFake opens a database on a fake driver of shape, traced with opts.
func openFake(t *testing.T, shape string, opts ...Option) (*sql.DB, *recorder) {
	t.Helper()
	rec := &recorder{}
	name := registerFake(WrapDriver(&fakeDriver{rec: rec, shape: shape}, opts...))
	db, err := sql.Open(name, "user:secret@tcp(db.internal:3307)/shop")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, rec
}

func parentCtx(tr opentracing.Tracer) (context.Context, opentracing.Span) {
	p := tr.StartSpan("parent")
	return opentracing.ContextWithSpan(context.Background(), p), p
}

func names(spans []*mocktracer.MockSpan) string {
	var n []string
	for _, s := range spans {
		n = append(n, s.OperationName)
	}
	return strings.Join(n, ",")
}

func TestSpansAndTags(t *testing.T) {
	tr := mocktracer.New()
	db, _ := openFake(t, "modern", WithTracer(tr))
	ctx, parent := parentCtx(tr)
	pid := parent.(*mocktracer.MockSpan).SpanContext.SpanID

	if _, err := db.ExecContext(ctx, "insert ?", 1); err != nil {
		t.Fatal(err)
	}
	rows, err := db.QueryContext(ctx, "rows 3")
	if err != nil {
		t.Fatal(err)
	}
	rows.Next()
	if got := names(tr.FinishedSpans()); got != "sql.exec" {
		t.Fatalf("query span finished before its rows were closed: %s", got)
	}
	for rows.Next() { // database/sql closes the rows at their end
	}
	tx, _ := db.BeginTx(ctx, nil)
	tx.ExecContext(ctx, "update")
	tx.Commit()
	tx, _ = db.BeginTx(ctx, nil)
	tx.Rollback()
	var id int
	if err := db.QueryRowContext(ctx, "rows 0").Scan(&id); !errors.Is(err, sql.ErrNoRows) {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "fail"); err == nil {
		t.Fatal("no error")
	}

	spans := tr.FinishedSpans()
	if got, want := names(spans), "sql.exec,sql.query,sql.begin,sql.exec,sql.commit,sql.begin,sql.rollback,sql.query,sql.exec"; got != want {
		t.Fatalf("spans %s, want %s", got, want)
	}
	for _, s := range spans {
		if s.ParentID != pid {
			t.Errorf("%s: parent %d, want %d", s.OperationName, s.ParentID, pid)
		}
		for k, v := range map[string]any{"component": "database/sql", "span.kind": ext.SpanKindRPCClientEnum, "db.type": "sql",
			"db.instance": "shop", "db.user": "user", "peer.hostname": "db.internal", "peer.port": uint16(3307)} {
			if s.Tag(k) != v {
				t.Errorf("%s: %s = %v, want %v", s.OperationName, k, s.Tag(k), v)
			}
		}
		if s.FinishTime.Before(s.StartTime) {
			t.Errorf("%s ends before it starts", s.OperationName)
		}
	}
	if s := spans[0]; s.Tag("db.statement") != "insert ?" || s.Tag("db.rows_affected") != int64(1) || s.Tag("db.args") != nil {
		t.Errorf("exec tags %v", s.Tags())
	}
	if s := spans[1]; s.Tag("db.rows") != int64(3) || s.Tag("error") != nil {
		t.Errorf("query tags %v", s.Tags())
	}
	if s := spans[7]; s.Tag("error") != nil || s.Tag("db.rows") != int64(0) {
		t.Errorf("no rows is not an error: %v", s.Tags())
	}
	if s := spans[8]; s.Tag("error") != true || len(s.Logs()) != 1 {
		t.Errorf("failed exec: %v %v", s.Tags(), s.Logs())
	}
}

// TestErrSkipMakesNoSpan: a driver that answers ErrSkip (as
// go-sql-driver/mysql does for arguments without interpolateParams) gets no
// span for the skipped attempt; database/sql's prepare and statement exec are
// traced instead, with spans that start before the driver was called.
func TestErrSkipMakesNoSpan(t *testing.T) {
	tr := mocktracer.New()
	db, rec := openFake(t, "legacy", WithTracer(tr))
	ctx, _ := parentCtx(tr)
	db.PingContext(ctx) // open the connection first
	if _, err := db.ExecContext(ctx, "insert ?", 1); err != nil {
		t.Fatal(err)
	}
	if got := names(tr.FinishedSpans()); got != "sql.prepare,sql.stmt.exec" {
		t.Fatalf("spans %s", got)
	}
	rows, err := db.QueryContext(ctx, "rows 2 ?", 1)
	if err != nil {
		t.Fatal(err)
	}
	rows.Close()
	if got := names(tr.FinishedSpans()); got != "sql.prepare,sql.stmt.exec,sql.prepare,sql.stmt.query" {
		t.Fatalf("spans %s", got)
	}

	tr.Reset()
	db.ExecContext(ctx, "insert")
	s := tr.FinishedSpans()[0]
	if s.StartTime.After(rec.last) {
		t.Fatalf("span starts %v after the driver was called", s.StartTime.Sub(rec.last))
	}
}

func TestChildSpansOnlyFilterAndNames(t *testing.T) {
	tr := mocktracer.New()
	db, _ := openFake(t, "modern", WithTracer(tr), WithChildSpansOnly(),
		WithSpanFilter(func(c *Call) bool { return c.Op != OpBegin }),
		WithOperationNameFunc(func(c *Call) string {
			if c.Op == OpExec {
				return "exec " + strings.Fields(c.Query)[0]
			}
			return ""
		}))
	db.Exec("insert")
	tx, _ := db.Begin()
	tx.Commit()
	if n := len(tr.FinishedSpans()); n != 0 {
		t.Fatalf("%d spans without a parent", n)
	}
	ctx, _ := parentCtx(tr)
	db.ExecContext(ctx, "insert")
	tx, _ = db.BeginTx(ctx, nil)
	tx.Commit()
	if got := names(tr.FinishedSpans()); got != "exec insert,sql.commit" {
		t.Fatalf("spans %s", got)
	}
}

func TestNoopTracerMakesNoSpans(t *testing.T) {
	db, _ := openFake(t, "modern", WithTracer(opentracing.NoopTracer{}))
	ctx, _ := parentCtx(mocktracer.New())
	if got := collect(db.QueryContext(ctx, "rows 2")); got != "(1 row)(2 row)" {
		t.Fatal(got)
	}
}

func TestPayloadCapture(t *testing.T) {
	tr := mocktracer.New()
	db, _ := openFake(t, "modern", WithTracer(tr), WithPayloadCapture(), WithMaxStatementSize(64))
	db.Exec("insert ? ? ? ? ?", 42, "ann", []byte("raw"), nil, strings.Repeat("x", 200))
	got := tr.FinishedSpans()[0].Tag("db.args").(string)
	if !strings.HasPrefix(got, `[42, "ann", <[]byte len=3>, NULL, "xxx`) || len(got) > 64 {
		t.Fatalf("db.args %q", got)
	}
}

func TestTraceComment(t *testing.T) {
	tr, reporter := tracetest.Jaeger(t, "sqltrace-test", true)
	db, rec := openFake(t, "modern", WithTracer(tr), WithTraceComment())
	parent := tr.StartSpan("parent")
	parent.SetBaggageItem("user-email", "ann@example.com")
	ctx := opentracing.ContextWithSpan(context.Background(), parent)
	db.PingContext(ctx)
	rec.take()
	db.ExecContext(ctx, "insert ?", 1)
	var sent string
	for _, c := range rec.take() {
		if strings.HasPrefix(c, "exec ") {
			sent = c
		}
	}
	sc := parent.Context().(jaeger.SpanContext)
	if !strings.Contains(sent, "insert ? /*uber-trace-id='"+sc.TraceID().String()+"%3A") {
		t.Fatalf("sent %q", sent)
	}
	if strings.Contains(sent, "example") || strings.Contains(sent, "email") {
		t.Fatalf("baggage in the comment: %q", sent)
	}
	// db.statement stays the application's statement.
	spans := reporter.GetSpans()
	exec := spans[len(spans)-1].(*jaeger.Span)
	if exec.OperationName() != "sql.exec" || exec.Tags()["db.statement"] != "insert ?" {
		t.Fatalf("%s %v", exec.OperationName(), exec.Tags())
	}
	if exec.SpanContext().ParentID() != sc.SpanID() || exec.SpanContext().TraceID() != sc.TraceID() {
		t.Fatal("not a child of the parent")
	}
	if !strings.Contains(sent, exec.SpanContext().SpanID().String()) {
		t.Fatalf("comment %q does not name the exec span %s", sent, exec.SpanContext().SpanID())
	}
}

func TestWithComment(t *testing.T) {
	for in, want := range map[string]string{
		"SELECT 1":              "SELECT 1 /*c*/",
		"SELECT 1;  \n":         "SELECT 1 /*c*/;",
		"SELECT 1 -- why\n":     "SELECT 1 -- why\n/*c*/",
		"SELECT 1 # why":        "SELECT 1 # why\n/*c*/",
		"  ":                    "  ",
		"SELECT 1;\nSELECT 2; ": "SELECT 1;\nSELECT 2 /*c*/;",
	} {
		if got := withComment(in, "/*c*/"); got != want {
			t.Errorf("withComment(%q) = %q, want %q", in, got, want)
		}
	}
	if withComment("SELECT 1", "") != "SELECT 1" {
		t.Error("empty comment changed the statement")
	}
	if got := escapeCommentValue("a*/b' c"); strings.ContainsAny(got, "*/' ") {
		t.Errorf("escape %q", got)
	}
}

func TestOptionalSpans(t *testing.T) {
	tr := mocktracer.New()
	db, _ := openFake(t, "modern", WithTracer(tr))
	db.Ping()
	db.Exec("insert")
	if got := names(tr.FinishedSpans()); got != "sql.exec" {
		t.Fatalf("spans %s", got)
	}
	tr.Reset()
	db, _ = openFake(t, "modern", WithTracer(tr), WithOptionalSpans(OpConnect, OpPing, OpResetSession, OpQuery))
	db.Ping()
	db.Exec("insert")
	if got := names(tr.FinishedSpans()); got != "sql.connect,sql.ping,sql.reset_session,sql.exec" {
		t.Fatalf("spans %s", got)
	}
}

func TestSpanTimesCoverTheCall(t *testing.T) {
	tr := mocktracer.New()
	db, _ := openFake(t, "modern", WithTracer(tr))
	before := time.Now()
	db.Exec("insert")
	after := time.Now()
	s := tr.FinishedSpans()[0]
	if s.StartTime.Before(before) || s.FinishTime.After(after) {
		t.Fatalf("span %v..%v outside the call %v..%v", s.StartTime, s.FinishTime, before, after)
	}
}
