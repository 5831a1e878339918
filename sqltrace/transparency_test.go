package sqltrace

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go/mocktracer"
)

var shapes = []string{"minimal", "legacy", "modern", "reset-only"}

func has[I any](v any) bool { _, ok := v.(I); return ok }

// TestOptionalInterfacesFollowInner checks, for connections of every shape,
// which optional interfaces the wrapper exposes: exactly the inner ones where
// their presence changes database/sql's behaviour, always the ones whose
// absence database/sql answers with a fallback the wrapper reproduces.
func TestOptionalInterfacesFollowInner(t *testing.T) {
	for _, shape := range shapes {
		inner, _ := (&fakeDriver{shape: shape}).Open("")
		wrapped, _ := WrapDriver(&fakeDriver{shape: shape}, WithTracer(mocktracer.New())).Open("")
		exec := has[driver.ExecerContext](inner) || has[driver.Execer](inner)
		query := has[driver.QueryerContext](inner) || has[driver.Queryer](inner)
		for name, want := range map[string][2]bool{
			"ExecerContext":      {has[driver.ExecerContext](wrapped), exec},
			"Execer":             {has[driver.Execer](wrapped), exec},
			"QueryerContext":     {has[driver.QueryerContext](wrapped), query},
			"Queryer":            {has[driver.Queryer](wrapped), query},
			"SessionResetter":    {has[driver.SessionResetter](wrapped), has[driver.SessionResetter](inner)},
			"Validator":          {has[driver.Validator](wrapped), has[driver.Validator](inner)},
			"Pinger":             {has[driver.Pinger](wrapped), true},
			"ConnPrepareContext": {has[driver.ConnPrepareContext](wrapped), true},
			"ConnBeginTx":        {has[driver.ConnBeginTx](wrapped), true},
			"NamedValueChecker":  {has[driver.NamedValueChecker](wrapped), true},
		} {
			if want[0] != want[1] {
				t.Errorf("%s conn: wrapper has %s = %v, want %v", shape, name, want[0], want[1])
			}
		}
		if Unwrap(wrapped) != inner && reflect.TypeOf(Unwrap(wrapped)) != reflect.TypeOf(inner) {
			t.Errorf("%s: Unwrap gives %T", shape, Unwrap(wrapped))
		}
	}

	// Statements, rows, connectors, drivers.
	si, _ := (&fakeConn{}).Prepare("x")
	ws, _ := wrapStmt(si, nil, newDB(newConfig(nil), ""), "x")
	if !has[driver.ColumnConverter](ws) || has[driver.NamedValueChecker](ws) {
		t.Errorf("stmt %T", ws)
	}
	r := &rows{db: newDB(newConfig(nil), ""), span: mocktracer.New().StartSpan("q")}
	wr, _ := r.wrap(true, &fakeRows{}, nil)
	if has[driver.RowsNextResultSet](wr) || !has[driver.RowsColumnTypeScanType](wr) {
		t.Errorf("rows %T", wr)
	}
	d := WrapDriver(&fakeDriver{})
	if has[driver.DriverContext](d) || !has[driver.DriverContext](WrapDriver(fakeContextDriver{&fakeDriver{}})) {
		t.Error("DriverContext not mirrored")
	}
	if has[io.Closer](WrapConnector(dsnConnector{driver: &fakeDriver{}})) || !has[io.Closer](WrapConnector(fakeConnector{&fakeDriver{}})) {
		t.Error("connector io.Closer not mirrored")
	}
	if Unwrap(d).(*fakeDriver) == nil || Unwrap(42) != 42 {
		t.Error("Unwrap")
	}
}

// scenario drives db through what database/sql can ask of a driver and
// returns what the application saw.
func scenario(t *testing.T, db *sql.DB, rec *recorder) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	note := func(what string, v ...any) { out = append(out, what+" "+fmt.Sprint(v...)) }

	res, err := db.ExecContext(ctx, "insert")
	note("exec", affected(res), err)
	res, err = db.ExecContext(ctx, "insert ?", 1)
	note("exec args", affected(res), err)
	res, err = db.ExecContext(ctx, "insert ?", point{1, 2}) // column converter or refused
	note("exec point", affected(res), err)
	res, err = db.ExecContext(ctx, "insert ?", uint64(1<<63)) // the conn's checker, if any
	note("exec uint64", affected(res), err)
	res, err = db.ExecContext(ctx, "insert ?", sql.Named("a", 1))
	note("exec named", affected(res), err)
	_, err = db.ExecContext(ctx, "fail")
	note("exec fail", err)

	rows, err := db.QueryContext(ctx, "rows 3")
	note("query", collect(rows, err))
	rows, err = db.QueryContext(ctx, "rows 2 ?", 7)
	note("query args", collect(rows, err))
	if rows, err = db.QueryContext(ctx, "rows 5"); err == nil {
		cols, _ := rows.ColumnTypes()
		for _, c := range cols {
			l, okl := c.Length()
			n, okn := c.Nullable()
			p, s, okp := c.DecimalSize()
			note("coltype", c.Name(), c.ScanType(), c.DatabaseTypeName(), l, okl, n, okn, p, s, okp)
		}
		rows.Next()
		note("next result set", rows.NextResultSet(), rows.Err())
		rows.Close()
	}
	var id int64
	note("query row", db.QueryRowContext(ctx, "rows 0").Scan(&id))

	stmt, err := db.PrepareContext(ctx, "insert ? ?")
	if err == nil {
		res, err = stmt.ExecContext(ctx, 1, point{3, 4})
		note("stmt exec", affected(res), err)
		rows, err = stmt.QueryContext(ctx, "a", 2)
		note("stmt query", collect(rows, err))
		stmt.Close()
	}
	_, err = db.PrepareContext(ctx, "fail")
	note("prepare fail", err)

	tx, err := db.BeginTx(ctx, nil)
	note("begin", err)
	if err == nil {
		_, err = tx.ExecContext(ctx, "update")
		note("tx exec", err, tx.Commit())
	}
	tx, err = db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelSerializable, ReadOnly: true})
	note("begin serializable", err)
	if err == nil {
		note("rollback", tx.Rollback())
	}

	// A transaction cancelled by its context: whether its connection is
	// kept depends on SessionResetter and Validator being both present.
	cctx, cancel := context.WithCancel(ctx)
	tx, err = db.BeginTx(cctx, nil)
	note("begin cancellable", err)
	cancel()
	waitIdle(t, db)
	note("ping", db.PingContext(ctx))
	res, err = db.ExecContext(ctx, "after cancel")
	note("exec after cancel", affected(res), err)
	note("stats", db.Stats().OpenConnections)
	return out
}

func waitIdle(t *testing.T, db *sql.DB) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); db.Stats().InUse > 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("connection never released")
		}
	}
}

func affected(res sql.Result) any {
	if res == nil {
		return nil
	}
	n, err := res.RowsAffected()
	return fmt.Sprint(n, err)
}

func collect(rows *sql.Rows, err error) string {
	if err != nil {
		return "error: " + err.Error()
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return "scan: " + err.Error()
		}
		fmt.Fprintf(&b, "(%d %s)", id, name)
	}
	if err := rows.Err(); err != nil {
		return b.String() + " error: " + err.Error()
	}
	return b.String()
}

// TestDatabaseSQLSeesTheSameDriver runs the scenario on a bare and a wrapped
// driver of every shape and compares both what the application sees and
// every call the driver receives, in order.
func TestDatabaseSQLSeesTheSameDriver(t *testing.T) {
	for _, shape := range shapes {
		for _, withCtx := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/connector=%v", shape, withCtx), func(t *testing.T) {
				run := func(wrap bool) ([]string, []string) {
					rec := &recorder{}
					var d driver.Driver = &fakeDriver{rec: rec, shape: shape}
					if withCtx {
						d = fakeContextDriver{d.(*fakeDriver)}
					}
					if wrap {
						d = WrapDriver(d, WithTracer(mocktracer.New()), WithPayloadCapture(), WithTraceComment(),
							WithOptionalSpans(OpConnect, OpPing, OpResetSession))
					}
					db, err := sql.Open(registerFake(d), "fake")
					if err != nil {
						t.Fatal(err)
					}
					out := scenario(t, db, rec)
					db.Close()
					return out, stripComments(rec.take())
				}
				bareOut, bareCalls := run(false)
				out, calls := run(true)
				if !reflect.DeepEqual(bareOut, out) {
					t.Errorf("application sees different results:\nbare    %q\nwrapped %q", bareOut, out)
				}
				if !reflect.DeepEqual(bareCalls, calls) {
					t.Errorf("driver sees different calls:\nbare    %q\nwrapped %q", bareCalls, calls)
				}
			})
		}
	}
}

// stripComments removes trace comments from recorded statements: they are
// the one intended difference.
func stripComments(calls []string) []string {
	for i, c := range calls {
		if a := strings.Index(c, " /*"); a >= 0 {
			if b := strings.Index(c[a:], "*/"); b >= 0 {
				calls[i] = c[:a] + c[a+b+2:]
			}
		}
	}
	return calls
}

func TestNamedValueCheckerChain(t *testing.T) {
	// A statement's checker comes first, then the connection's, then
	// ErrSkip: the wrapper's always-present connection checker must answer
	// ErrSkip when the inner connection has none.
	w := wrapConn(&fakeConn{}, newDB(newConfig(nil), ""))
	if err := w.(driver.NamedValueChecker).CheckNamedValue(&driver.NamedValue{Value: 1}); !errors.Is(err, driver.ErrSkip) {
		t.Fatalf("got %v", err)
	}
}

var fakeNames atomic.Int64

// registerFake registers d under a fresh name, the way applications do.
func registerFake(d driver.Driver) string {
	name := fmt.Sprintf("sqltrace-fake-%d", fakeNames.Add(1))
	sql.Register(name, d)
	return name
}
