package sqltrace

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"io"
	"testing"

	"github.com/tracewrap/tracewrap/internal/tracetest"
)

// Overhead of the wrapper against the bare driver, per tracer. The in-memory
// driver answers instantly, so its numbers are the wrapper's own cost; the
// MariaDB ones put it next to a real round trip.

// benchDriver is a modern driver that does nothing and allocates nothing.
type benchDriver struct{}
type benchConn struct{}
type benchRows struct{ done bool }

func (benchDriver) Open(string) (driver.Conn, error)          { return benchConn{}, nil }
func (benchConn) Prepare(string) (driver.Stmt, error)         { return nil, driver.ErrSkip }
func (benchConn) Close() error                                { return nil }
func (benchConn) Begin() (driver.Tx, error)                   { return nil, driver.ErrSkip }
func (benchConn) IsValid() bool                               { return true }
func (benchConn) ResetSession(context.Context) error          { return nil }
func (benchConn) CheckNamedValue(nv *driver.NamedValue) error { return driver.ErrSkip }
func (benchConn) ExecContext(context.Context, string, []driver.NamedValue) (driver.Result, error) {
	return driver.RowsAffected(1), nil
}
func (benchConn) QueryContext(context.Context, string, []driver.NamedValue) (driver.Rows, error) {
	return &benchRows{}, nil
}
func (*benchRows) Columns() []string { return []string{"v"} }
func (*benchRows) Close() error      { return nil }
func (r *benchRows) Next(dest []driver.Value) error {
	if r.done {
		return io.EOF
	}
	r.done, dest[0] = true, int64(1)
	return nil
}

// benchDBs yields the bare database and one wrapped database per tracer.
func benchDBs(b *testing.B, open func(b *testing.B, opts ...Option) *sql.DB, run func(b *testing.B, db *sql.DB, ctx context.Context)) {
	b.Run("bare", func(b *testing.B) {
		run(b, open(b), context.Background())
	})
	for _, bt := range tracetest.BenchTracers() {
		b.Run(bt.Name, func(b *testing.B) {
			tr := bt.Tracer(b)
			ctx := tracetest.ParentContext(tr)
			run(b, open(b, WithTracer(tr)), ctx)
			bt.Reset() // keep the recorded spans from growing without bound
		})
	}
}

func openBench(b *testing.B, opts ...Option) *sql.DB {
	var d driver.Driver = benchDriver{}
	if opts != nil {
		d = WrapDriver(d, opts...)
	}
	db := sql.OpenDB(dsnConnector{dsn: "app:pw@tcp(10.0.0.7:3306)/shop", driver: d})
	b.Cleanup(func() { db.Close() })
	return db
}

func BenchmarkFakeExec(b *testing.B) {
	benchDBs(b, openBench, func(b *testing.B, db *sql.DB, ctx context.Context) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := db.ExecContext(ctx, "UPDATE t SET v = ? WHERE id = ?", 1, 2); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// queryRow scans one int from query, with the argument 1, per iteration.
func queryRow(query string) func(b *testing.B, db *sql.DB, ctx context.Context) {
	return func(b *testing.B, db *sql.DB, ctx context.Context) {
		b.ReportAllocs()
		var v int
		for b.Loop() {
			if err := db.QueryRowContext(ctx, query, 1).Scan(&v); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkFakeQueryRow(b *testing.B) {
	benchDBs(b, openBench, queryRow("SELECT v FROM t WHERE id = ?"))
}

func openBenchMySQL(b *testing.B, opts ...Option) *sql.DB {
	dsn := mysqlDSNFor(b, "interpolateParams=true")
	var db *sql.DB
	var err error
	if opts == nil {
		db, err = sql.Open("mysql", dsn)
	} else {
		db, err = Open("mysql", dsn, opts...)
	}
	if err != nil {
		b.Fatal(err)
	}
	db.SetMaxIdleConns(2)
	b.Cleanup(func() { db.Close() })
	return db
}

func BenchmarkMySQLQueryRow(b *testing.B) {
	benchDBs(b, openBenchMySQL, queryRow("SELECT ? + 1"))
}
