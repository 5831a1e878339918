package sqltrace

import "database/sql/driver"

// Op names one kind of database/sql call. Its value is the default operation
// name of the call's span.
type Op string

// The traced calls. Connect, ping and session-reset spans are made only when
// enabled with WithOptionalSpans; the others always are (subject to
// WithSpanFilter).
const (
	OpQuery        Op = "sql.query"         // a query on a connection; lasts until its rows are closed
	OpExec         Op = "sql.exec"          // an exec on a connection
	OpPrepare      Op = "sql.prepare"       // preparing a statement
	OpStmtQuery    Op = "sql.stmt.query"    // a query of a prepared statement; lasts until its rows are closed
	OpStmtExec     Op = "sql.stmt.exec"     // an exec of a prepared statement
	OpBegin        Op = "sql.begin"         // starting a transaction
	OpCommit       Op = "sql.commit"        // committing it
	OpRollback     Op = "sql.rollback"      // rolling it back
	OpConnect      Op = "sql.connect"       // opening a new connection (optional)
	OpPing         Op = "sql.ping"          // a ping (optional)
	OpResetSession Op = "sql.reset_session" // database/sql resetting a pooled connection before reuse (optional)
)

// Call describes one traced call for the options that look at calls
// (WithSpanFilter, WithOperationNameFunc, WithSpanObserver, WithErrorPolicy).
// Treat it as read-only.
type Call struct {
	Op    Op
	Query string              // the statement as the application wrote it; "" for begin, commit, ...
	Args  []driver.NamedValue // the arguments after database/sql's conversion
}
