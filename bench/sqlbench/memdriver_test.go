package sqlbench

import (
	"context"
	"database/sql/driver"
	"io"
)

// memDriver is a database/sql driver that answers at once and allocates as
// little as a driver can: what a wrapper adds to it is the wrapper's own
// cost. Its connections have the fast paths modern drivers have
// (ExecerContext, QueryerContext, ConnBeginTx, ConnPrepareContext).
type memDriver struct{}

type memConn struct{}

type memStmt struct{}

type memTx struct{}

type memRows struct{ done bool }

func (memDriver) Open(string) (driver.Conn, error) { return memConn{}, nil }

// OpenConnector makes memDriver a driver.DriverContext, so the DSN reaches
// wrappers that read it through the connector.
func (d memDriver) OpenConnector(dsn string) (driver.Connector, error) {
	return memConnector{dsn: dsn, d: d}, nil
}

type memConnector struct {
	dsn string
	d   memDriver
}

func (c memConnector) Connect(context.Context) (driver.Conn, error) { return memConn{}, nil }
func (c memConnector) Driver() driver.Driver                        { return c.d }

func (memConn) Prepare(string) (driver.Stmt, error) { return memStmt{}, nil }
func (memConn) PrepareContext(context.Context, string) (driver.Stmt, error) {
	return memStmt{}, nil
}
func (memConn) Close() error                                                 { return nil }
func (memConn) Begin() (driver.Tx, error)                                    { return memTx{}, nil }
func (memConn) BeginTx(context.Context, driver.TxOptions) (driver.Tx, error) { return memTx{}, nil }
func (memConn) IsValid() bool                                                { return true }
func (memConn) ResetSession(context.Context) error                           { return nil }
func (memConn) CheckNamedValue(*driver.NamedValue) error                     { return nil }
func (memConn) ExecContext(context.Context, string, []driver.NamedValue) (driver.Result, error) {
	return driver.RowsAffected(1), nil
}
func (memConn) QueryContext(context.Context, string, []driver.NamedValue) (driver.Rows, error) {
	return &memRows{}, nil
}

func (memStmt) Close() error                               { return nil }
func (memStmt) NumInput() int                              { return -1 }
func (memStmt) Exec([]driver.Value) (driver.Result, error) { return driver.RowsAffected(1), nil }
func (memStmt) Query([]driver.Value) (driver.Rows, error)  { return &memRows{}, nil }

func (memTx) Commit() error   { return nil }
func (memTx) Rollback() error { return nil }

func (*memRows) Columns() []string { return []string{"v"} }
func (*memRows) Close() error      { return nil }
func (r *memRows) Next(dest []driver.Value) error {
	if r.done {
		return io.EOF
	}
	r.done, dest[0] = true, int64(1)
	return nil
}
