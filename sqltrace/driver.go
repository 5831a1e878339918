package sqltrace

//go:generate go run gen_variants.go

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"io"
	"sync/atomic"
	"time"
)

// Register registers d, traced, under name for sql.Open. Like sql.Register
// it panics if name is already taken or d is nil.
func Register(name string, d driver.Driver, opts ...Option) {
	if d == nil {
		panic("sqltrace: Register driver is nil")
	}
	sql.Register(name, WrapDriver(d, opts...))
}

// Open opens a traced database with the driver already registered under
// driverName (by its import, e.g. "mysql"), with the same errors sql.Open
// would return. A driver registered by this package is traced once, with
// opts.
func Open(driverName, dsn string, opts ...Option) (*sql.DB, error) {
	probe, err := sql.Open(driverName, dsn)
	if err != nil {
		return nil, err
	}
	// database/sql offers no lookup by name: the probe handle, which has not
	// connected, only lends its driver.
	d := probe.Driver()
	probe.Close()
	if t, ok := unwrapDriver(d); ok {
		d = t.inner
	}
	cfg := newConfig(opts)
	db := newDBFor(cfg, dsn, d)
	drv := newDriver(d, cfg)
	if dc, ok := d.(driver.DriverContext); ok {
		c, err := dc.OpenConnector(dsn)
		if err != nil {
			return nil, err
		}
		return sql.OpenDB(wrapConnector(c, db, drv)), nil
	}
	return sql.OpenDB(wrapConnector(dsnConnector{dsn: dsn, driver: d}, db, drv)), nil
}

// OpenDB is sql.OpenDB with c traced. Without a DSN the wrapper cannot tag
// the peer and database; give it one with WithDSN.
func OpenDB(c driver.Connector, opts ...Option) *sql.DB {
	return sql.OpenDB(WrapConnector(c, opts...))
}

// WrapDriver returns d traced: its connections, statements, transactions and
// rows are wrapped, and database/sql sees the same optional interfaces and
// behaviour as with d itself.
func WrapDriver(d driver.Driver, opts ...Option) driver.Driver {
	if d == nil {
		return nil
	}
	return newDriver(d, newConfig(opts))
}

// WrapConnector returns c traced (see WrapDriver).
func WrapConnector(c driver.Connector, opts ...Option) driver.Connector {
	if c == nil {
		return nil
	}
	cfg := newConfig(opts)
	var drv driver.Driver
	inner := c.Driver()
	if inner != nil {
		drv = newDriver(inner, cfg)
	}
	return wrapConnector(c, newDBFor(cfg, "", inner), drv)
}

// Unwrap returns the value a wrapper of this package wraps (the driver's own
// connection inside a sql.Conn.Raw callback, for instance), or v itself.
func Unwrap(v any) any {
	if u, ok := v.(interface{ unwrap() any }); ok {
		return u.unwrap()
	}
	return v
}

func (c *conn) unwrap() any         { return c.inner }
func (s *stmt) unwrap() any         { return s.inner }
func (r *rows) unwrap() any         { return r.inner }
func (t *tx) unwrap() any           { return t.inner }
func (c *connector) unwrap() any    { return c.inner }
func (d *tracedDriver) unwrap() any { return d.inner }

// tracedDriver is the traced driver.Driver; DriverContext is exposed exactly
// when the inner driver has it.
type tracedDriver struct {
	inner driver.Driver
	cfg   *config
	self  driver.Driver // the variant handed out, returned by connectors' Driver()
	last  atomic.Pointer[db]
}

func newDriver(inner driver.Driver, cfg *config) driver.Driver {
	d := &tracedDriver{inner: inner, cfg: cfg}
	var mask uint
	if _, ok := inner.(driver.DriverContext); ok {
		mask |= 1
	}
	d.self = d.variant(mask)
	return d.self
}

func unwrapDriver(d driver.Driver) (*tracedDriver, bool) {
	if t, ok := d.(interface{ traced() *tracedDriver }); ok {
		return t.traced(), true
	}
	return nil, false
}

func (d *tracedDriver) traced() *tracedDriver { return d }

// dbFor returns the tags of dsn, parsed once for the DSN used last (database/
// sql calls Open with the same DSN for every connection of a pool).
func (d *tracedDriver) dbFor(dsn string) *db {
	if last := d.last.Load(); last != nil && last.dsn == dsn {
		return last
	}
	db := newDBFor(d.cfg, dsn, d.inner)
	d.last.Store(db)
	return db
}

func (d *tracedDriver) Open(dsn string) (driver.Conn, error) {
	db := d.dbFor(dsn)
	return connect(context.Background(), db, func(context.Context) (driver.Conn, error) { return d.inner.Open(dsn) })
}

// driverContext exposes DriverContext.
type driverContext struct{ *tracedDriver }

func (d driverContext) OpenConnector(dsn string) (driver.Connector, error) {
	c, err := d.inner.(driver.DriverContext).OpenConnector(dsn)
	if err != nil {
		return nil, err
	}
	return wrapConnector(c, d.dbFor(dsn), d.self), nil
}

// connector is the traced driver.Connector; io.Closer (which sql.DB.Close
// calls) is exposed exactly when the inner connector has it.
type connector struct {
	inner  driver.Connector
	db     *db
	driver driver.Driver
}

func wrapConnector(inner driver.Connector, d *db, drv driver.Driver) driver.Connector {
	c := &connector{inner: inner, db: d, driver: drv}
	var mask uint
	if _, ok := inner.(io.Closer); ok {
		mask |= 1
	}
	return c.variant(mask)
}

func (c *connector) Connect(ctx context.Context) (driver.Conn, error) {
	return connect(ctx, c.db, c.inner.Connect)
}

// Driver returns the traced driver of the inner connector.
func (c *connector) Driver() driver.Driver { return c.driver }

// connectorCloser exposes io.Closer.
type connectorCloser struct{ *connector }

func (c connectorCloser) Close() error { return c.inner.(io.Closer).Close() }

// connect opens a connection through open and wraps it. With OpConnect
// enabled every connection made for a traced call gets a span. Without it,
// a connection that fails for a call made under a span still leaves an error
// span (sql.connect, a child of that span): the call itself never reaches a
// traced connection, so without it a database outage would leave no trace.
// A connection database/sql reuses from its pool is not connected again and
// leaves nothing.
func connect(ctx context.Context, d *db, open func(context.Context) (driver.Conn, error)) (driver.Conn, error) {
	var ci driver.Conn
	var err error
	if parent, ok := d.optional(ctx, OpConnect); ok {
		call := &Call{Op: OpConnect}
		a := d.attempt(call, parent, false)
		ci, err = open(ctx)
		d.finish(a.done(d), call, err)
	} else {
		begin := time.Now()
		ci, err = open(ctx)
		if err != nil {
			d.connectFailed(ctx, begin, err)
		}
	}
	if err != nil || ci == nil {
		return ci, err
	}
	return wrapConn(ci, d), nil
}

// connectFailed records a failed connection attempt that began at begin, for
// a call under a span in ctx (never as a root span).
func (d *db) connectFailed(ctx context.Context, begin time.Time, err error) {
	parent, ok := d.parent(ctx)
	if !ok || parent == nil {
		return
	}
	call := &Call{Op: OpConnect}
	span, _ := d.start(call, parent, begin)
	d.finish(span, call, err)
}

// dsnConnector is database/sql's connector for drivers without
// DriverContext.
type dsnConnector struct {
	dsn    string
	driver driver.Driver
}

func (c dsnConnector) Connect(context.Context) (driver.Conn, error) { return c.driver.Open(c.dsn) }
func (c dsnConnector) Driver() driver.Driver                        { return c.driver }
