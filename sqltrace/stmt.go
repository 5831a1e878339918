package sqltrace

import (
	"context"
	"database/sql/driver"
)

// stmt is the traced driver.Stmt. StmtExecContext and StmtQueryContext are
// always implemented (by database/sql's own fallback when the inner
// statement lacks them); NamedValueChecker and ColumnConverter decide how
// database/sql converts arguments, so they are exposed exactly when the inner
// statement has them.
type stmt struct {
	inner driver.Stmt
	db    *db
	query string
}

func wrapStmt(inner driver.Stmt, err error, d *db, query string) (driver.Stmt, error) {
	if err != nil || inner == nil {
		return inner, err
	}
	s := &stmt{inner: inner, db: d, query: query}
	var mask uint
	if _, ok := inner.(driver.NamedValueChecker); ok {
		mask |= 1
	}
	if _, ok := inner.(driver.ColumnConverter); ok {
		mask |= 2
	}
	return s.variant(mask), nil
}

// Unwrap returns the driver's own statement.
func (s *stmt) Unwrap() driver.Stmt { return s.inner }

func (s *stmt) Close() error  { return s.inner.Close() }
func (s *stmt) NumInput() int { return s.inner.NumInput() }

// Exec is the legacy entry, for callers other than database/sql.
func (s *stmt) Exec(args []driver.Value) (driver.Result, error) {
	return s.exec(context.Background(), nil, args, true)
}

func (s *stmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	return s.exec(ctx, args, nil, false)
}

func (s *stmt) exec(ctx context.Context, nargs []driver.NamedValue, vargs []driver.Value, legacy bool) (driver.Result, error) {
	parent, ok := s.db.parent(ctx)
	if !ok {
		return s.execInner(ctx, nargs, vargs, legacy)
	}
	a := s.db.attempt(&Call{Op: OpStmtExec, Query: s.query, Args: callArgs(nargs, vargs, legacy)}, parent, false)
	res, err := s.execInner(ctx, nargs, vargs, legacy)
	return a.finishExec(s.db, res, err)
}

// execInner is database/sql's ctxDriverStmtExec.
func (s *stmt) execInner(ctx context.Context, nargs []driver.NamedValue, vargs []driver.Value, legacy bool) (driver.Result, error) {
	if legacy {
		return s.inner.Exec(vargs)
	}
	if se, ok := s.inner.(driver.StmtExecContext); ok {
		return se.ExecContext(ctx, nargs)
	}
	return legacyCall(ctx, nargs, s.inner.Exec)
}

// Query is the legacy entry, for callers other than database/sql.
func (s *stmt) Query(args []driver.Value) (driver.Rows, error) {
	return s.queryTraced(context.Background(), nil, args, true)
}

func (s *stmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	return s.queryTraced(ctx, args, nil, false)
}

func (s *stmt) queryTraced(ctx context.Context, nargs []driver.NamedValue, vargs []driver.Value, legacy bool) (driver.Rows, error) {
	parent, ok := s.db.parent(ctx)
	if !ok {
		return s.queryInner(ctx, nargs, vargs, legacy)
	}
	r := &rows{db: s.db, ctx: ctx, call: Call{Op: OpStmtQuery, Query: s.query, Args: callArgs(nargs, vargs, legacy)}}
	a := s.db.attempt(&r.call, parent, false)
	ri, err := s.queryInner(ctx, nargs, vargs, legacy)
	return a.finishQuery(r, ri, err)
}

// queryInner is database/sql's ctxDriverStmtQuery.
func (s *stmt) queryInner(ctx context.Context, nargs []driver.NamedValue, vargs []driver.Value, legacy bool) (driver.Rows, error) {
	if legacy {
		return s.inner.Query(vargs)
	}
	if sq, ok := s.inner.(driver.StmtQueryContext); ok {
		return sq.QueryContext(ctx, nargs)
	}
	return legacyCall(ctx, nargs, s.inner.Query)
}

// stmtChecker exposes NamedValueChecker.
type stmtChecker struct{ *stmt }

func (s stmtChecker) CheckNamedValue(nv *driver.NamedValue) error {
	return s.inner.(driver.NamedValueChecker).CheckNamedValue(nv)
}

// stmtConverter exposes ColumnConverter.
type stmtConverter struct{ *stmt }

func (s stmtConverter) ColumnConverter(idx int) driver.ValueConverter {
	return s.inner.(driver.ColumnConverter).ColumnConverter(idx)
}
