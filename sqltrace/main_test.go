package sqltrace

import (
	"testing"

	"go.uber.org/goleak"
)

// Every database, connection and tracer the tests open is closed again, so
// no goroutine may survive them: not database/sql's opener, not
// go-sql-driver/mysql's per-connection watcher, not a jaeger reporter.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
