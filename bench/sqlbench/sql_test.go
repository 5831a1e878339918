// Package sqlbench compares sqltrace with bare database/sql and with
// luna-duclos/instrumentedsql and its opentracing tracer
// ("instrumentedsql"), on an in-memory driver (the wrapper's own cost) and
// on the real MariaDB. instrumentedsql runs with WithOmitArgs: by default it
// formats every argument into a label, which ours does only with
// WithPayloadCapture. qustavo/sqlhooks cannot be had from the module proxy
// (see RESULTS.md).
package sqlbench

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/luna-duclos/instrumentedsql"
	isqlot "github.com/luna-duclos/instrumentedsql/opentracing"

	"github.com/tracewrap/tracewrap/bench/internal/tracers"
	"github.com/tracewrap/tracewrap/internal/testenv"
	"github.com/tracewrap/tracewrap/sqltrace"
)

// memDSN looks like a MySQL DSN so that ours tags the peer and database as it
// would in production.
const memDSN = "app:pw@tcp(10.0.0.7:3306)/shop"

// contextDriver is a driver that hands out connectors, as both drivers here
// do.
type contextDriver interface {
	driver.Driver
	driver.DriverContext
}

// opener opens one implementation's *sql.DB over d.
type opener struct {
	name string
	open func(b *testing.B, d contextDriver, dsn string) *sql.DB
}

func connect(b *testing.B, d contextDriver, dsn string) *sql.DB {
	c, err := d.OpenConnector(dsn)
	if err != nil {
		b.Fatal(err)
	}
	db := sql.OpenDB(c)
	db.SetMaxIdleConns(2)
	b.Cleanup(func() { db.Close() })
	return db
}

func bare(b *testing.B, d contextDriver, dsn string) *sql.DB { return connect(b, d, dsn) }

func openers(st *tracers.Stack) []opener {
	return []opener{
		{"tracewrap", func(b *testing.B, d contextDriver, dsn string) *sql.DB {
			return connect(b, sqltrace.WrapDriver(d, sqltrace.WithTracer(st.OT)).(contextDriver), dsn)
		}},
		{"instrumentedsql", func(b *testing.B, d contextDriver, dsn string) *sql.DB {
			// Its opentracing tracer starts children with the parent span's
			// own tracer, which is st's.
			return connect(b, instrumentedsql.WrapDriver(d, instrumentedsql.WithTracer(isqlot.NewTracer(false)), instrumentedsql.WithOmitArgs()), dsn)
		}},
	}
}

// each runs op against the bare driver and every implementation on every
// tracer stack, with a ctx holding a parent span of that stack.
func each(b *testing.B, d contextDriver, dsn func(b *testing.B) string, op func(b *testing.B, ctx context.Context, db *sql.DB)) {
	loop := func(b *testing.B, st *tracers.Stack, db *sql.DB) {
		ctx := context.Background()
		if st != nil {
			ctx = st.Parent(b)
		}
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		op(b, ctx, db) // open the connection outside the timing
		b.ReportAllocs()
		for b.Loop() {
			op(b, ctx, db)
			if st != nil {
				st.Tick()
			}
		}
	}
	b.Run("tracer=none/impl=bare", func(b *testing.B) { loop(b, nil, bare(b, d, dsn(b))) })
	for _, st := range tracers.All(b) {
		for _, o := range openers(st) {
			b.Run("tracer="+st.Name+"/impl="+o.name, func(b *testing.B) { loop(b, st, o.open(b, d, dsn(b))) })
		}
	}
}

func memDSNFor(*testing.B) string { return memDSN }

func exec(query string, args ...any) func(b *testing.B, ctx context.Context, db *sql.DB) {
	return func(b *testing.B, ctx context.Context, db *sql.DB) {
		if _, err := db.ExecContext(ctx, query, args...); err != nil {
			b.Fatal(err)
		}
	}
}

func queryRow(query string, args ...any) func(b *testing.B, ctx context.Context, db *sql.DB) {
	return func(b *testing.B, ctx context.Context, db *sql.DB) {
		var v int
		if err := db.QueryRowContext(ctx, query, args...).Scan(&v); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSQLMemExec is an ExecContext with two arguments on the in-memory
// driver.
func BenchmarkSQLMemExec(b *testing.B) {
	each(b, memDriver{}, memDSNFor, exec("UPDATE t SET v = ? WHERE id = ?", 1, 2))
}

// BenchmarkSQLMemQueryRow is a QueryRowContext and Scan of one row on the
// in-memory driver.
func BenchmarkSQLMemQueryRow(b *testing.B) {
	each(b, memDriver{}, memDSNFor, queryRow("SELECT v FROM t WHERE id = ?", 1))
}

// BenchmarkSQLMemTx is a transaction of one exec on the in-memory driver:
// begin, exec, commit.
func BenchmarkSQLMemTx(b *testing.B) {
	each(b, memDriver{}, memDSNFor, func(b *testing.B, ctx context.Context, db *sql.DB) {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE t SET v = ? WHERE id = ?", 1, 2); err != nil {
			b.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	})
}

// mariaDSN asks the driver to interpolate arguments, so a statement is one
// round trip (without it, go-sql-driver/mysql prepares, executes and closes
// a statement for every call with arguments).
func mariaDSN(b *testing.B) string { return testenv.MySQLDSN(b) + "&interpolateParams=true" }

// BenchmarkSQLMariaDBQueryRow is SELECT ? + 1 on the real MariaDB.
func BenchmarkSQLMariaDBQueryRow(b *testing.B) {
	each(b, &mysql.MySQLDriver{}, mariaDSN, queryRow("SELECT ? + 1", 1))
}

// BenchmarkSQLMariaDBExec is DO ? (an exec that touches no table) on the real
// MariaDB.
func BenchmarkSQLMariaDBExec(b *testing.B) {
	each(b, &mysql.MySQLDriver{}, mariaDSN, exec("DO ?", 1))
}
