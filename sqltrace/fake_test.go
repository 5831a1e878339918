package sqltrace

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"
)

// An in-memory driver for the tests that must see every call database/sql
// makes (transparency) and for measuring pure overhead. Its connections come
// in several shapes, from the bare minimum of driver.Conn to every optional
// interface, so the same scenario can run against each, bare and wrapped.
//
// Statements: "rows N" yields N rows (id int64, name string); "fail" fails;
// anything else yields one row, or affects one row for exec. A legacy
// connection answers driver.ErrSkip for exec/query with arguments, as
// go-sql-driver/mysql does without interpolateParams.

var errFake = errors.New("fake: statement failed")

type recorder struct {
	mu    sync.Mutex
	calls []string
	last  time.Time // when the driver was last called
}

func (r *recorder) add(format string, a ...any) {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.calls = append(r.calls, fmt.Sprintf(format, a...))
	r.last = time.Now()
	r.mu.Unlock()
}

func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.calls
	r.calls = nil
	return c
}

type fakeDriver struct {
	rec   *recorder
	shape string // minimal, legacy, modern, reset-only
}

func (d *fakeDriver) Open(dsn string) (driver.Conn, error) {
	d.rec.add("open")
	c := &fakeConn{rec: d.rec}
	switch d.shape {
	case "minimal":
		return c, nil
	case "legacy":
		return legacyConn{c}, nil
	case "reset-only":
		return resetOnlyConn{c}, nil
	}
	return modernConn{c}, nil
}

// fakeConnector makes the driver a DriverContext one, with a closable
// connector.
type fakeConnector struct{ d *fakeDriver }

func (c fakeConnector) Connect(context.Context) (driver.Conn, error) { return c.d.Open("") }
func (c fakeConnector) Driver() driver.Driver                        { return c.d }
func (c fakeConnector) Close() error                                 { c.d.rec.add("connector.close"); return nil }

type fakeContextDriver struct{ *fakeDriver }

func (d fakeContextDriver) OpenConnector(string) (driver.Connector, error) {
	return fakeConnector{d.fakeDriver}, nil
}

type fakeConn struct{ rec *recorder }

func (c *fakeConn) Prepare(query string) (driver.Stmt, error) {
	c.rec.add("prepare %s", query)
	if statement(query) == "fail" {
		return nil, errFake
	}
	return &fakeStmt{rec: c.rec, query: query}, nil
}
func (c *fakeConn) Close() error              { c.rec.add("conn.close"); return nil }
func (c *fakeConn) Begin() (driver.Tx, error) { c.rec.add("begin"); return fakeTx{c.rec}, nil }

// legacyConn adds the context-less fast paths.
type legacyConn struct{ *fakeConn }

func (c legacyConn) Exec(query string, args []driver.Value) (driver.Result, error) {
	if len(args) > 0 {
		return nil, driver.ErrSkip
	}
	c.rec.add("exec %s", query)
	return result(query)
}

func (c legacyConn) Query(query string, args []driver.Value) (driver.Rows, error) {
	if len(args) > 0 {
		return nil, driver.ErrSkip
	}
	c.rec.add("query %s", query)
	return newRows(query)
}

// modernConn has every optional interface of driver.Conn.
type modernConn struct{ *fakeConn }

func (c modernConn) Exec(query string, args []driver.Value) (driver.Result, error) {
	c.rec.add("legacy exec %s", query)
	return result(query)
}

func (c modernConn) Query(query string, args []driver.Value) (driver.Rows, error) {
	c.rec.add("legacy query %s", query)
	return newRows(query)
}

func (c modernConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	c.rec.add("exec %s %v", query, args)
	return result(query)
}

func (c modernConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	c.rec.add("query %s %v", query, args)
	return newRows(query)
}

func (c modernConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.Prepare(query)
}

func (c modernConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	c.rec.add("begin %+v", opts)
	return fakeTx{c.rec}, nil
}
func (c modernConn) Ping(context.Context) error { c.rec.add("ping"); return nil }
func (c modernConn) CheckNamedValue(nv *driver.NamedValue) error {
	if u, ok := nv.Value.(uint64); ok { // kept as is, unlike the default converter's range check
		nv.Value = u
		return nil
	}
	return driver.ErrSkip
}
func (c modernConn) ResetSession(context.Context) error { c.rec.add("reset"); return nil }
func (c modernConn) IsValid() bool                      { c.rec.add("valid"); return true }

// resetOnlyConn resets sessions but cannot say whether it is valid: such a
// connection must not be kept after a cancelled transaction.
type resetOnlyConn struct{ *fakeConn }

func (c resetOnlyConn) ResetSession(context.Context) error { c.rec.add("reset"); return nil }

type fakeStmt struct {
	rec   *recorder
	query string
}

func (s *fakeStmt) Close() error  { s.rec.add("stmt.close"); return nil }
func (s *fakeStmt) NumInput() int { return -1 }
func (s *fakeStmt) Exec(args []driver.Value) (driver.Result, error) {
	s.rec.add("stmt.exec %s %v", s.query, args)
	return result(s.query)
}
func (s *fakeStmt) Query(args []driver.Value) (driver.Rows, error) {
	s.rec.add("stmt.query %s %v", s.query, args)
	return newRows(s.query)
}

// ColumnConverter accepts a point{} by turning it into a string, which the
// default converter would refuse.
func (s *fakeStmt) ColumnConverter(int) driver.ValueConverter { return pointConverter{} }

type point struct{ X, Y int }

type pointConverter struct{}

func (pointConverter) ConvertValue(v any) (driver.Value, error) {
	if p, ok := v.(point); ok {
		return fmt.Sprintf("(%d,%d)", p.X, p.Y), nil
	}
	return driver.DefaultParameterConverter.ConvertValue(v)
}

type fakeTx struct{ rec *recorder }

func (t fakeTx) Commit() error   { t.rec.add("commit"); return nil }
func (t fakeTx) Rollback() error { t.rec.add("rollback"); return nil }

type fakeResult int64

func (r fakeResult) LastInsertId() (int64, error) { return 0, nil }
func (r fakeResult) RowsAffected() (int64, error) { return int64(r), nil }

// statement is what the fake understands of query: trace comments are
// ignored, as a server ignores them.
func statement(query string) string {
	if i := strings.Index(query, " /*"); i >= 0 {
		return query[:i]
	}
	return query
}

func result(query string) (driver.Result, error) {
	if statement(query) == "fail" {
		return nil, errFake
	}
	return fakeResult(1), nil
}

type fakeRows struct {
	n, i int
}

func newRows(query string) (driver.Rows, error) {
	f := strings.Fields(statement(query))
	if len(f) == 1 && f[0] == "fail" {
		return nil, errFake
	}
	n := 1
	if len(f) > 1 && f[0] == "rows" {
		n, _ = strconv.Atoi(f[1])
	}
	return &fakeRows{n: n}, nil
}

func (r *fakeRows) Columns() []string { return []string{"id", "name"} }
func (r *fakeRows) Close() error      { return nil }
func (r *fakeRows) Next(dest []driver.Value) error {
	if r.i >= r.n {
		return io.EOF
	}
	r.i++
	dest[0], dest[1] = int64(r.i), "row"
	return nil
}
