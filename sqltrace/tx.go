package sqltrace

import (
	"database/sql/driver"

	"github.com/opentracing/opentracing-go"
)

// tx is the traced driver.Tx of a transaction whose begin was traced. Commit
// and Rollback have no context: their spans are children of the span the
// transaction began under.
type tx struct {
	inner  driver.Tx
	db     *db
	parent opentracing.SpanContext
}

// Unwrap returns the driver's own transaction.
func (t *tx) Unwrap() driver.Tx { return t.inner }

func (t *tx) Commit() error   { return t.end(OpCommit, t.inner.Commit) }
func (t *tx) Rollback() error { return t.end(OpRollback, t.inner.Rollback) }

func (t *tx) end(op Op, f func() error) error {
	call := &Call{Op: op}
	a := t.db.attempt(call, t.parent, false)
	err := f()
	t.db.finish(a.done(t.db), call, err)
	return err
}
