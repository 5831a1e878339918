// Package sqltrace traces database/sql: register a traced driver once and
// keep using database/sql; every statement becomes a child span of the span
// in its context.
//
//	sqltrace.Register("mysql-traced", &mysql.MySQLDriver{})
//	db, err := sql.Open("mysql-traced", dsn)
//
// or, for a driver already registered by its import, or a connector:
//
//	db, err := sqltrace.Open("mysql", dsn)
//	db := sqltrace.OpenDB(connector, sqltrace.WithDSN(dsn))
//
// # Spans
//
// sql.query and sql.stmt.query last until their rows are closed and carry
// db.rows; sql.exec and sql.stmt.exec carry db.rows_affected; sql.prepare,
// sql.begin, sql.commit and sql.rollback (children of the span the
// transaction began under) complete the set. sql.connect, sql.ping and
// sql.reset_session are made only with WithOptionalSpans, except that a
// connection that fails to open for a call made under a span is always an
// error sql.connect span, child of that span (with the database down, no
// call reaches a connection, so it is the only trace of the outage); a
// connection reused from the pool is not opened again and leaves no span.
// Every span has
// component, span.kind=client, db.type=sql, db.statement (capped by
// WithMaxStatementSize) and, read once from the DSN, db.instance, db.user and
// peer.*; the password is never read into anything. Databases quote the
// offending value in error messages ("Duplicate entry 'alice@example.com'"),
// so unless WithPayloadCapture is given the quoted parts of an error's message
// are masked in the span's error log; the caller's error is untouched.
//
// A driver may answer driver.ErrSkip to make database/sql take another path
// (go-sql-driver/mysql does for every statement with arguments unless
// interpolateParams=true: database/sql then prepares, executes and closes a
// statement). Spans are therefore started after the driver answered,
// back-dated to the start of the call: a skipped attempt has no span, and
// the prepare and statement spans show the real round trips.
//
// # Transparency
//
// The wrapper changes nothing database/sql or the driver can observe.
// Optional interfaces whose mere presence changes database/sql's behaviour
// are exposed exactly when the wrapped value has them: a connection's exec
// and query fast paths, SessionResetter and Validator (together they decide
// whether a connection survives a cancelled transaction), a statement's
// NamedValueChecker and ColumnConverter (argument conversion), a rows'
// RowsNextResultSet, a connector's io.Closer and a driver's DriverContext.
// Each such wrapper is composed from a base type and one part per interface,
// the combinations generated into variants.go. Interfaces whose absence
// database/sql answers with a fallback of its own (Pinger,
// ConnPrepareContext, ConnBeginTx, a connection's NamedValueChecker,
// StmtExecContext, StmtQueryContext, the RowsColumnType* family) are always
// implemented and run that same fallback, error messages included, when the
// wrapped value lacks them. The tests run the same workload through
// database/sql on bare and wrapped drivers of every shape and compare every
// result and every driver call. Unwrap hands back the driver's own value,
// for code that type-asserts in sql.Conn.Raw.
//
// # Options
//
// Option is one type for the options every tracewrap package shares
// (WithTracer, WithOperationName, WithOperationNameFunc, WithSpanFilter,
// WithSpanObserver, WithComponentName, WithChildSpansOnly, WithErrorPolicy,
// WithMaxStatementSize) and for this package's own: WithOptionalSpans,
// WithPayloadCapture and WithArgsFormatter (argument values, off by
// default), WithTraceComment (the trace context appended to statements as an
// sqlcommenter-style comment) and WithDSN. Each option is a function over the
// package's config; the shared ones forward to internal/core.
//
// # Cost
//
// With a NoopTracer, or without a parent under WithChildSpansOnly, a call
// costs two interface checks and allocates nothing: not even the clock is
// read, and rows are returned unwrapped. The same holds under a parent span
// whose trace is known not to be sampled (jaeger, OpenTelemetry through the
// bridge), unless a span observer is configured: such spans would never be
// recorded. Other unsampled spans get no per-call tags and no comment.
//
// On the OpenTelemetry backend (the OpenTracing bridge over the SDK) the tags
// follow the OpenTelemetry semantic conventions instead: db.system.name (mysql, postgresql, ... from the driver's package, else
// the DSN's scheme, else other_sql), db.namespace, db.query.text,
// db.operation.name (the statement's first keyword), server.address/port;
// a failed call's status is Error with the error's message and error.type
// (see the README's "Tag names and error status on the OpenTelemetry
// backend").
package sqltrace
