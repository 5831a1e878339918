package sqltrace

import (
	"context"
	"database/sql/driver"
	"errors"
)

// conn is the traced driver.Conn. The interfaces whose absence database/sql
// answers with a fallback of its own (Pinger, ConnPrepareContext,
// ConnBeginTx, NamedValueChecker) are always implemented, by that same
// fallback when the inner connection lacks them. The ones whose mere presence
// changes what database/sql does (the exec and query fast paths, and
// SessionResetter and Validator, which together decide whether a connection
// survives a cancelled transaction) live on the part types below and are
// composed into a variant exactly when the inner connection has them.
type conn struct {
	inner driver.Conn
	db    *db

	// The inner connection's optional interfaces, asserted once.
	execCtx  driver.ExecerContext
	exec     driver.Execer
	queryCtx driver.QueryerContext
	query    driver.Queryer
}

func wrapConn(inner driver.Conn, d *db) driver.Conn {
	c := &conn{inner: inner, db: d}
	var mask uint
	c.execCtx, _ = inner.(driver.ExecerContext)
	c.exec, _ = inner.(driver.Execer)
	if c.execCtx != nil || c.exec != nil {
		mask |= 1
	}
	c.queryCtx, _ = inner.(driver.QueryerContext)
	c.query, _ = inner.(driver.Queryer)
	if c.queryCtx != nil || c.query != nil {
		mask |= 2
	}
	if _, ok := inner.(driver.SessionResetter); ok {
		mask |= 4
	}
	if _, ok := inner.(driver.Validator); ok {
		mask |= 8
	}
	return c.variant(mask)
}

// Unwrap returns the driver's own connection, for sql.Conn.Raw users.
func (c *conn) Unwrap() driver.Conn { return c.inner }

func (c *conn) Close() error { return c.inner.Close() }

// Prepare is the legacy entry; database/sql uses PrepareContext.
func (c *conn) Prepare(query string) (driver.Stmt, error) {
	return c.prepare(context.Background(), query, false)
}

func (c *conn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.prepare(ctx, query, true)
}

func (c *conn) prepare(ctx context.Context, query string, withCtx bool) (driver.Stmt, error) {
	parent, ok := c.db.parent(ctx)
	if !ok {
		si, err := c.prepareInner(ctx, query, withCtx)
		return wrapStmt(si, err, c.db, query)
	}
	call := &Call{Op: OpPrepare, Query: query}
	a := c.db.attempt(call, parent, true)
	si, err := c.prepareInner(ctx, a.query, withCtx)
	if err == driver.ErrSkip {
		return nil, err
	}
	c.db.finish(a.done(c.db), call, err)
	return wrapStmt(si, err, c.db, query)
}

// prepareInner is database/sql's ctxDriverPrepare when the inner connection
// has no PrepareContext.
func (c *conn) prepareInner(ctx context.Context, query string, withCtx bool) (driver.Stmt, error) {
	if !withCtx {
		return c.inner.Prepare(query)
	}
	if pc, ok := c.inner.(driver.ConnPrepareContext); ok {
		return pc.PrepareContext(ctx, query)
	}
	si, err := c.inner.Prepare(query)
	if err == nil {
		select {
		default:
		case <-ctx.Done():
			si.Close()
			return nil, ctx.Err()
		}
	}
	return si, err
}

// Begin is the legacy entry; database/sql uses BeginTx.

func (c *conn) Begin() (driver.Tx, error) {
	return c.begin(context.Background(), driver.TxOptions{}, false)
}

func (c *conn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.begin(ctx, opts, true)
}

func (c *conn) begin(ctx context.Context, opts driver.TxOptions, withCtx bool) (driver.Tx, error) {
	parent, ok := c.db.parent(ctx)
	if !ok {
		return c.beginInner(ctx, opts, withCtx)
	}
	call := &Call{Op: OpBegin}
	a := c.db.attempt(call, parent, false)
	txi, err := c.beginInner(ctx, opts, withCtx)
	if err == driver.ErrSkip {
		return nil, err
	}
	c.db.finish(a.done(c.db), call, err)
	if err != nil {
		return nil, err
	}
	return &tx{inner: txi, db: c.db, parent: parent}, nil
}

// beginInner is database/sql's ctxDriverBegin when the inner connection has
// no BeginTx, with its error messages.
func (c *conn) beginInner(ctx context.Context, opts driver.TxOptions, withCtx bool) (driver.Tx, error) {
	if !withCtx {
		return c.inner.Begin()
	}
	if bt, ok := c.inner.(driver.ConnBeginTx); ok {
		return bt.BeginTx(ctx, opts)
	}
	if opts.Isolation != driver.IsolationLevel(0) {
		return nil, errors.New("sql: driver does not support non-default isolation level")
	}
	if opts.ReadOnly {
		return nil, errors.New("sql: driver does not support read-only transactions")
	}
	if ctx.Done() == nil {
		return c.inner.Begin()
	}
	txi, err := c.inner.Begin()
	if err == nil {
		select {
		default:
		case <-ctx.Done():
			txi.Rollback()
			return nil, ctx.Err()
		}
	}
	return txi, err
}

// Ping answers nil when the inner connection cannot ping, as database/sql
// does.
func (c *conn) Ping(ctx context.Context) error {
	p, ok := c.inner.(driver.Pinger)
	if !ok {
		return nil
	}
	parent, ok := c.db.optional(ctx, OpPing)
	if !ok {
		return p.Ping(ctx)
	}
	call := &Call{Op: OpPing}
	a := c.db.attempt(call, parent, false)
	err := p.Ping(ctx)
	c.db.finish(a.done(c.db), call, err)
	return err
}

// CheckNamedValue answers driver.ErrSkip when the inner connection has no
// checker, which database/sql treats exactly like no checker at all.
func (c *conn) CheckNamedValue(nv *driver.NamedValue) error {
	if nc, ok := c.inner.(driver.NamedValueChecker); ok {
		return nc.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

// connExec exposes ExecerContext and Execer.
type connExec struct{ *conn }

func (c connExec) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	return c.execTraced(ctx, query, args, nil, false)
}

// Exec is the legacy entry, for callers other than database/sql.
func (c connExec) Exec(query string, args []driver.Value) (driver.Result, error) {
	return c.execTraced(context.Background(), query, nil, args, true)
}

// execTraced runs an exec made through ExecContext (nargs) or through the
// legacy Exec (vargs).
func (c *conn) execTraced(ctx context.Context, query string, nargs []driver.NamedValue, vargs []driver.Value, legacy bool) (driver.Result, error) {
	parent, ok := c.db.parent(ctx)
	if !ok {
		return c.execInner(ctx, query, nargs, vargs, legacy)
	}
	a := c.db.attempt(&Call{Op: OpExec, Query: query, Args: callArgs(nargs, vargs, legacy)}, parent, true)
	res, err := c.execInner(ctx, a.query, nargs, vargs, legacy)
	return a.finishExec(c.db, res, err)
}

// execInner calls the inner connection the way database/sql's ctxDriverExec
// would: context-aware when it can, else the legacy method after the same
// checks.
func (c *conn) execInner(ctx context.Context, query string, nargs []driver.NamedValue, vargs []driver.Value, legacy bool) (driver.Result, error) {
	if legacy {
		if c.exec != nil {
			return c.exec.Exec(query, vargs)
		}
		return c.execCtx.ExecContext(ctx, query, named(vargs))
	}
	if c.execCtx != nil {
		return c.execCtx.ExecContext(ctx, query, nargs)
	}
	return legacyCall(ctx, nargs, func(args []driver.Value) (driver.Result, error) {
		return c.exec.Exec(query, args)
	})
}

// connQuery exposes QueryerContext and Queryer.
type connQuery struct{ *conn }

func (c connQuery) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	return c.queryTraced(ctx, query, args, nil, false)
}

// Query is the legacy entry, for callers other than database/sql.
func (c connQuery) Query(query string, args []driver.Value) (driver.Rows, error) {
	return c.queryTraced(context.Background(), query, nil, args, true)
}

func (c *conn) queryTraced(ctx context.Context, query string, nargs []driver.NamedValue, vargs []driver.Value, legacy bool) (driver.Rows, error) {
	parent, ok := c.db.parent(ctx)
	if !ok {
		return c.queryInner(ctx, query, nargs, vargs, legacy)
	}
	r := &rows{db: c.db, ctx: ctx, call: Call{Op: OpQuery, Query: query, Args: callArgs(nargs, vargs, legacy)}}
	a := c.db.attempt(&r.call, parent, true)
	ri, err := c.queryInner(ctx, a.query, nargs, vargs, legacy)
	return a.finishQuery(r, ri, err)
}

func (c *conn) queryInner(ctx context.Context, query string, nargs []driver.NamedValue, vargs []driver.Value, legacy bool) (driver.Rows, error) {
	if legacy {
		if c.query != nil {
			return c.query.Query(query, vargs)
		}
		return c.queryCtx.QueryContext(ctx, query, named(vargs))
	}
	if c.queryCtx != nil {
		return c.queryCtx.QueryContext(ctx, query, nargs)
	}
	return legacyCall(ctx, nargs, func(args []driver.Value) (driver.Rows, error) {
		return c.query.Query(query, args)
	})
}

// connReset exposes SessionResetter.
type connReset struct{ *conn }

func (c connReset) ResetSession(ctx context.Context) error {
	r := c.inner.(driver.SessionResetter)
	parent, ok := c.db.optional(ctx, OpResetSession)
	if !ok {
		return r.ResetSession(ctx)
	}
	call := &Call{Op: OpResetSession}
	a := c.db.attempt(call, parent, false)
	err := r.ResetSession(ctx)
	c.db.finish(a.done(c.db), call, err)
	return err
}

// connValid exposes Validator.
type connValid struct{ *conn }

func (c connValid) IsValid() bool { return c.inner.(driver.Validator).IsValid() }

// legacyCall is database/sql's way to call a driver method without a context:
// convert the arguments, give up if ctx is already done, then call f.
func legacyCall[R any](ctx context.Context, nargs []driver.NamedValue, f func([]driver.Value) (R, error)) (R, error) {
	var zero R
	args, err := namedValueToValue(nargs)
	if err != nil {
		return zero, err
	}
	select {
	default:
	case <-ctx.Done():
		return zero, ctx.Err()
	}
	return f(args)
}

// namedValueToValue is database/sql's conversion for drivers without the
// context interfaces, with its error message.
func namedValueToValue(named []driver.NamedValue) ([]driver.Value, error) {
	dargs := make([]driver.Value, len(named))
	for n, param := range named {
		if len(param.Name) > 0 {
			return nil, errors.New("sql: driver does not support the use of Named Parameters")
		}
		dargs[n] = param.Value
	}
	return dargs, nil
}
