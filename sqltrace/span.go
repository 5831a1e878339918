package sqltrace

import (
	"context"
	"database/sql/driver"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"

	"github.com/tracewrap/tracewrap/internal/core"
)

// db is what the connections of one database share: the configuration and
// the tags read once from its DSN.
type db struct {
	cfg  *config
	dsn  string
	tags core.Tags // db.type, db.instance, db.user, peer.*: boxed once
}

func newDB(cfg *config, dsn string) *db {
	var info dsnInfo
	if cfg.dsn != nil {
		info = *cfg.dsn
	} else if dsn != "" {
		info = parseDSN(dsn)
	}
	return &db{cfg: cfg, dsn: dsn, tags: core.CaptureTags(func(span opentracing.Span) {
		ext.DBType.Set(span, "sql")
		info.apply(span)
	})}
}

// parent decides before a call whether it may be traced, with the cheap
// checks only (the filter runs when the span starts), so the untraced path
// does not even read the clock.
func (d *db) parent(ctx context.Context) (opentracing.SpanContext, bool) {
	if _, noop := d.cfg.core.Tracer().(opentracing.NoopTracer); noop {
		return nil, false
	}
	var parent opentracing.SpanContext
	if ctx != nil {
		var unsampled bool
		// an unsampled trace: nothing to record or pass on (Parent also
		// answers for a server's stand-in span without starting its real one)
		if parent, unsampled = d.cfg.core.Parent(opentracing.SpanFromContext(ctx)); unsampled {
			return nil, false
		}
	}
	if parent == nil && d.cfg.core.ChildSpansOnly() {
		return nil, false
	}
	return parent, true
}

// optional reports whether an opt-in span is wanted for ctx.
func (d *db) optional(ctx context.Context, op Op) (opentracing.SpanContext, bool) {
	if !d.cfg.optional[op] {
		return nil, false
	}
	return d.parent(ctx)
}

// start starts call's span with every tag known before its result; nil when
// the call is not traced. sampled says whether the span will be recorded:
// per-call tags are only built for those.
func (d *db) start(call *Call, parent opentracing.SpanContext, start time.Time) (span opentracing.Span, sampled bool) {
	span = d.cfg.core.Start(call, parent, string(call.Op), start)
	if span == nil {
		return nil, false
	}
	d.tags.Apply(span)
	if sampled = core.IsSampled(span); !sampled {
		return span, false
	}
	max := d.cfg.core.MaxStatementSize
	if call.Query != "" {
		core.SetStatement(span, call.Query, max)
	}
	if d.cfg.args != nil && len(call.Args) > 0 {
		s, _ := core.Truncate(d.cfg.args(call.Args, max), max)
		span.SetTag("db.args", s)
	}
	return span, true
}

func (d *db) finish(span opentracing.Span, call *Call, err error) {
	if err != nil && span != nil && d.cfg.args == nil {
		err = core.WithRedactedMessage(err, maskQuoted(err.Error()))
	}
	d.cfg.core.Finish(span, call, err, time.Time{})
}

// attempt is one traced call in progress. Its span is normally started
// after the driver answered, back-dated to when the call began: a driver
// that answers driver.ErrSkip (database/sql then retries another way) has
// cost a clock read, and no span exists for the skipped attempt. Only a trace
// comment needs the span before the call; such a span is simply never
// finished when the call is skipped, and unfinished spans are not reported.
type attempt struct {
	call    *Call
	parent  opentracing.SpanContext
	begin   time.Time
	span    opentracing.Span
	sampled bool
	started bool   // span is decided (possibly nil: filtered out)
	query   string // the statement to send: call.Query, or it with a trace comment
}

func (d *db) attempt(call *Call, parent opentracing.SpanContext, comment bool) attempt {
	a := attempt{call: call, parent: parent, begin: time.Now(), query: call.Query}
	if comment && d.cfg.traceComment != 0 {
		a.span, a.sampled = d.start(call, parent, a.begin)
		a.started = true
		if a.sampled {
			a.query = withComment(call.Query, traceComment(a.span, d.cfg.traceComment))
		}
	}
	return a
}

// done returns the span of an attempt the driver did not skip, nil if the
// call is not traced.
func (a *attempt) done(d *db) opentracing.Span {
	if !a.started {
		a.span, a.sampled = d.start(a.call, a.parent, a.begin)
		a.started = true
	}
	return a.span
}

// finishExec ends an exec attempt with the driver's answer, tagging what
// the exec changed. A skipped attempt (driver.ErrSkip) leaves no span.
func (a *attempt) finishExec(d *db, res driver.Result, err error) (driver.Result, error) {
	if err == driver.ErrSkip {
		return nil, err
	}
	span := a.done(d)
	if err == nil && a.sampled && res != nil {
		if n, err := res.RowsAffected(); err == nil {
			span.SetTag("db.rows_affected", n)
		}
	}
	d.finish(span, a.call, err)
	return res, err
}

// finishQuery ends a query attempt with the driver's answer: the span, if
// any, goes to r (which holds a's call) and lasts until the rows are closed.
// A skipped attempt (driver.ErrSkip) leaves no span.
func (a *attempt) finishQuery(r *rows, inner driver.Rows, err error) (driver.Rows, error) {
	if err == driver.ErrSkip {
		return nil, err
	}
	r.span = a.done(r.db)
	return r.wrap(a.sampled, inner, err)
}

// callArgs is the arguments a Call carries: nargs from a context-aware
// entry, or the legacy entry's vargs, named.
func callArgs(nargs []driver.NamedValue, vargs []driver.Value, legacy bool) []driver.NamedValue {
	if legacy {
		return named(vargs)
	}
	return nargs
}

// named turns the arguments of a legacy, context-less call into the form a
// Call carries.
func named(args []driver.Value) []driver.NamedValue {
	if len(args) == 0 {
		return nil
	}
	nv := make([]driver.NamedValue, len(args))
	for i, v := range args {
		nv[i] = driver.NamedValue{Ordinal: i + 1, Value: v}
	}
	return nv
}
