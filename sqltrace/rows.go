package sqltrace

import (
	"context"
	"database/sql/driver"
	"io"
	"reflect"

	"github.com/opentracing/opentracing-go"

	"github.com/tracewrap/tracewrap/internal/core"
)

// rows is the traced driver.Rows of a query: the query's span lasts until
// the rows are closed and counts them. Untraced queries return the driver's
// rows unwrapped.
//
// The column-type interfaces are always implemented, answering what
// database/sql assumes when a driver lacks them; RowsNextResultSet changes
// when database/sql closes the rows, so it is exposed exactly when the
// inner rows have it.
type rows struct {
	inner   driver.Rows
	db      *db
	ctx     context.Context
	call    Call
	span    opentracing.Span
	sampled bool
	n       int64 // rows read, over all result sets
	err     error // first failure while reading
}

// wrap finishes r.span if the query failed, or returns the inner rows
// wrapped so the span ends when they are closed.
func (r *rows) wrap(sampled bool, inner driver.Rows, err error) (driver.Rows, error) {
	if err != nil || inner == nil {
		r.db.finish(r.span, &r.call, err)
		return inner, err
	}
	if r.span == nil {
		return inner, nil
	}
	r.inner, r.sampled = inner, sampled
	var mask uint
	if _, ok := inner.(driver.RowsNextResultSet); ok {
		mask |= 1
	}
	return r.variant(mask), nil
}

// Unwrap returns the driver's own rows.
func (r *rows) Unwrap() driver.Rows { return r.inner }

func (r *rows) Columns() []string { return r.inner.Columns() }

func (r *rows) Next(dest []driver.Value) error {
	err := r.inner.Next(dest)
	switch {
	case err == nil:
		r.n++
	case err != io.EOF && r.err == nil:
		r.err = err
	}
	return err
}

func (r *rows) Close() error {
	err := r.inner.Close()
	if span := r.span; span != nil {
		r.span = nil
		if r.sampled {
			core.VocabOf(span).Set(span, core.KeyDBRows, r.n)
		}
		failure := r.err
		if failure == nil {
			failure = err
		}
		if failure == nil && r.ctx != nil {
			// database/sql closes the rows itself when the query's context
			// is cancelled while they are open.
			failure = r.ctx.Err()
		}
		r.db.finish(span, &r.call, failure)
	}
	return err
}

func (r *rows) ColumnTypeScanType(i int) reflect.Type {
	if p, ok := r.inner.(driver.RowsColumnTypeScanType); ok {
		return p.ColumnTypeScanType(i)
	}
	return reflect.TypeFor[any]()
}

func (r *rows) ColumnTypeDatabaseTypeName(i int) string {
	if p, ok := r.inner.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return p.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}

func (r *rows) ColumnTypeLength(i int) (length int64, ok bool) {
	if p, ok := r.inner.(driver.RowsColumnTypeLength); ok {
		return p.ColumnTypeLength(i)
	}
	return 0, false
}

func (r *rows) ColumnTypeNullable(i int) (nullable, ok bool) {
	if p, ok := r.inner.(driver.RowsColumnTypeNullable); ok {
		return p.ColumnTypeNullable(i)
	}
	return false, false
}

func (r *rows) ColumnTypePrecisionScale(i int) (precision, scale int64, ok bool) {
	if p, ok := r.inner.(driver.RowsColumnTypePrecisionScale); ok {
		return p.ColumnTypePrecisionScale(i)
	}
	return 0, 0, false
}

// rowsNextResultSet exposes RowsNextResultSet.
type rowsNextResultSet struct{ *rows }

func (r rowsNextResultSet) HasNextResultSet() bool {
	return r.inner.(driver.RowsNextResultSet).HasNextResultSet()
}

func (r rowsNextResultSet) NextResultSet() error {
	err := r.inner.(driver.RowsNextResultSet).NextResultSet()
	if err != nil && err != io.EOF && r.err == nil {
		r.err = err
	}
	return err
}
