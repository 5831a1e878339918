package sqltrace

import (
	"context"
	"database/sql/driver"
	"reflect"
	"strings"
	"time"

	"github.com/opentracing/opentracing-go"

	"github.com/tracewrap/tracewrap/internal/core"
)

// db is what the connections of one database share: the configuration and
// the tags read once from its DSN.
type db struct {
	cfg  *config
	dsn  string
	tags core.Tags // db.type, db.instance, db.user, peer.*: boxed once
}

func newDB(cfg *config, dsn string) *db { return newDBFor(cfg, dsn, nil) }

// newDBFor is newDB for a database served by drv (nil: unknown), whose
// package names the database system for OpenTelemetry's db.system.name.
func newDBFor(cfg *config, dsn string, drv driver.Driver) *db {
	var info dsnInfo
	if cfg.dsn != nil {
		info = *cfg.dsn
	} else if dsn != "" {
		info = parseDSN(dsn)
	}
	system := dbSystem(drv, dsn)
	return &db{cfg: cfg, dsn: dsn, tags: core.CaptureTags(func(span opentracing.Span, v *core.Vocab) {
		if v.OTel() {
			v.Set(span, core.KeyDBSystem, system)
		} else {
			v.Set(span, core.KeyDBSystem, "sql")
		}
		info.apply(span, v)
	})}
}

// dbSystem names the database for OpenTelemetry's db.system.name: from the
// driver's package (the wrapper imports no driver), else from a URL-style
// DSN's scheme, else "other_sql".
func dbSystem(drv driver.Driver, dsn string) string {
	if drv != nil {
		t := reflect.TypeOf(drv)
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if s := systemOf(t.PkgPath()); s != "" {
			return s
		}
	}
	if scheme, _, ok := strings.Cut(dsn, "://"); ok {
		if s := systemOf(strings.ToLower(scheme)); s != "" {
			return s
		}
	}
	return "other_sql"
}

// systemOf maps a driver package path or a DSN scheme to a db.system.name.
func systemOf(s string) string {
	switch {
	case strings.Contains(s, "mysql"), strings.Contains(s, "mariadb"):
		return "mysql"
	case strings.Contains(s, "postgres"), strings.HasSuffix(s, "lib/pq"), strings.Contains(s, "pgx"):
		return "postgresql"
	case strings.Contains(s, "sqlite"):
		return "sqlite"
	case strings.Contains(s, "sqlserver"), strings.Contains(s, "mssql"):
		return "microsoft.sql_server"
	case strings.Contains(s, "clickhouse"):
		return "clickhouse"
	case strings.Contains(s, "godror"), strings.Contains(s, "go-ora"), strings.Contains(s, "oracle"):
		return "oracle.db"
	}
	return ""
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
		if parent, unsampled = d.cfg.core.Parent(core.SpanFromContext(ctx)); unsampled {
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
	v := core.VocabOf(span)
	d.tags.Apply(span, v)
	if sampled = core.IsSampled(span); !sampled {
		return span, false
	}
	max := d.cfg.core.MaxStatementSize
	if call.Query != "" {
		core.SetStatement(span, v, call.Query, max)
		if v.OTel() {
			if i := sqlOperationIndex(call.Query); i >= 0 {
				v.Set(span, core.KeyDBOperation, sqlOperationTags[i])
			}
		}
	}
	if d.cfg.args != nil && len(call.Args) > 0 {
		s, _ := core.Truncate(d.cfg.args(call.Args, max), max)
		v.Set(span, core.KeyDBArgs, s)
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
			core.VocabOf(span).Set(span, core.KeyDBRowsAffected, n)
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

// sqlOperations are the statement keywords db.operation.name takes.
var sqlOperations = [...]string{"SELECT", "INSERT", "UPDATE", "DELETE", "REPLACE", "MERGE", "CALL", "WITH",
	"CREATE", "ALTER", "DROP", "TRUNCATE", "BEGIN", "COMMIT", "ROLLBACK", "SET", "SHOW", "USE", "EXPLAIN", "GRANT", "REVOKE", "LOCK", "UNLOCK"}

// sqlOperationTags are sqlOperations boxed once: a string taken from the
// array (not a constant) would be boxed, an allocation, on every span.
var sqlOperationTags = func() (t [len(sqlOperations)]any) {
	for i, op := range sqlOperations {
		t[i] = op
	}
	return t
}()

// sqlOperation is the first keyword of query when it is one of
// sqlOperations (any case, after blanks and parentheses), else "".
func sqlOperation(query string) string {
	if i := sqlOperationIndex(query); i >= 0 {
		return sqlOperations[i]
	}
	return ""
}

// sqlOperationIndex is sqlOperation's index in sqlOperations, -1 for none.
func sqlOperationIndex(query string) int {
	q := strings.TrimLeft(query, " \t\r\n(")
	end := 0
	for end < len(q) && end < 9 && (q[end]|0x20 >= 'a' && q[end]|0x20 <= 'z') {
		end++
	}
	if end == 0 || (end < len(q) && q[end]|0x20 >= 'a' && q[end]|0x20 <= 'z') {
		return -1
	}
	word := q[:end]
	for i, op := range sqlOperations {
		if strings.EqualFold(word, op) {
			return i
		}
	}
	return -1
}
