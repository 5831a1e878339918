package sqltrace

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/mocktracer"
	"github.com/uber/jaeger-client-go"

	"github.com/tracewrap/tracewrap/internal/testenv"
	"github.com/tracewrap/tracewrap/internal/tracetest"
)

// mysqlDSN is the test database's DSN with extra parameters.
func mysqlDSN(t *testing.T, params ...string) string { return mysqlDSNFor(t, params...) }

func mysqlDSNFor(t testing.TB, params ...string) string {
	dsn := testenv.MySQLDSN(t)
	for _, p := range params {
		dsn += "&" + p
	}
	return dsn
}

// openMySQL opens the real database through the wrapper, by the name
// go-sql-driver/mysql registered itself under.
func openMySQL(t *testing.T, dsn string, opts ...Option) *sql.DB {
	t.Helper()
	db, err := Open("mysql", dsn, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func openBare(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

var tables atomic.Int64

// table creates a fresh table and drops it when the test ends.
func table(t *testing.T, db *sql.DB, columns string) string {
	t.Helper()
	name := fmt.Sprintf("sqltrace_%d_%d", time.Now().UnixNano()%1e9, tables.Add(1))
	if _, err := db.Exec("CREATE TABLE " + name + " (" + columns + ")"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Exec("DROP TABLE IF EXISTS " + name) })
	return name
}

func TestMySQLQueryAndExec(t *testing.T) {
	for _, interpolate := range []bool{false, true} {
		t.Run(fmt.Sprintf("interpolateParams=%v", interpolate), func(t *testing.T) {
			tr := mocktracer.New()
			db := openMySQL(t, mysqlDSN(t, fmt.Sprintf("interpolateParams=%v", interpolate)), WithTracer(tr))
			tbl := table(t, db, "id INT PRIMARY KEY AUTO_INCREMENT, name VARCHAR(50)")
			ctx, parent := parentCtx(tr)
			tr.Reset()

			res, err := db.ExecContext(ctx, "INSERT INTO "+tbl+" (name) VALUES (?), (?)", "ann", "bob")
			if err != nil {
				t.Fatal(err)
			}
			if n, _ := res.RowsAffected(); n != 2 {
				t.Fatalf("affected %d", n)
			}
			rows, err := db.QueryContext(ctx, "SELECT name FROM "+tbl+" WHERE id > ? ORDER BY id", 0)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for rows.Next() {
				var s string
				rows.Scan(&s)
				got = append(got, s)
			}
			if rows.Err() != nil || strings.Join(got, ",") != "ann,bob" {
				t.Fatalf("rows %v %v", got, rows.Err())
			}

			want := "sql.prepare,sql.stmt.exec,sql.prepare,sql.stmt.query" // ErrSkip, then database/sql prepares
			if interpolate {
				want = "sql.exec,sql.query"
			}
			spans := tr.FinishedSpans()
			if names(spans) != want {
				t.Fatalf("spans %s, want %s", names(spans), want)
			}
			pid := parent.(*mocktracer.MockSpan).SpanContext.SpanID
			for _, s := range spans {
				if s.ParentID != pid || s.Tag("error") != nil || s.Tag("db.instance") != testenv.MySQLDatabase ||
					s.Tag("db.user") != testenv.MySQLUser || s.Tag("peer.port") == nil {
					t.Errorf("%s: parent %d tags %v", s.OperationName, s.ParentID, s.Tags())
				}
				if !strings.HasPrefix(s.Tag("db.statement").(string), "INSERT") && !strings.HasPrefix(s.Tag("db.statement").(string), "SELECT") {
					t.Errorf("%s: statement %v", s.OperationName, s.Tag("db.statement"))
				}
			}
			exec, query := spans[len(spans)/2-1], spans[len(spans)-1]
			if exec.Tag("db.rows_affected") != int64(2) || query.Tag("db.rows") != int64(2) {
				t.Errorf("exec %v, query %v", exec.Tags(), query.Tags())
			}
		})
	}
}

func TestMySQLPreparedAndTransactions(t *testing.T) {
	tr := mocktracer.New()
	db := openMySQL(t, mysqlDSN(t), WithTracer(tr))
	tbl := table(t, db, "id INT PRIMARY KEY, v INT")
	ctx, _ := parentCtx(tr)
	tr.Reset()

	stmt, err := db.PrepareContext(ctx, "INSERT INTO "+tbl+" VALUES (?, ?)")
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 2; i++ {
		if _, err := stmt.ExecContext(ctx, i, i*10); err != nil {
			t.Fatal(err)
		}
	}
	stmt.Close()

	tx, _ := db.BeginTx(ctx, nil)
	tx.ExecContext(ctx, "UPDATE "+tbl+" SET v = 99 WHERE id = 1")
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	tx, _ = db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelSerializable})
	tx.ExecContext(ctx, "UPDATE "+tbl+" SET v = 0")
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	var sum int
	if err := db.QueryRowContext(ctx, "SELECT SUM(v) FROM "+tbl).Scan(&sum); err != nil || sum != 119 {
		t.Fatalf("sum %d %v", sum, err)
	}
	want := "sql.prepare,sql.stmt.exec,sql.stmt.exec,sql.begin,sql.exec,sql.commit,sql.begin,sql.exec,sql.rollback,sql.query"
	if got := names(tr.FinishedSpans()); got != want {
		t.Fatalf("spans %s\nwant  %s", got, want)
	}
}

func TestMySQLMultiStatementResultSets(t *testing.T) {
	tr := mocktracer.New()
	db := openMySQL(t, mysqlDSN(t, "multiStatements=true"), WithTracer(tr))
	rows, err := db.Query("SELECT 1; SELECT 2 UNION SELECT 3")
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for {
		for rows.Next() {
			var v int
			rows.Scan(&v)
			got = append(got, v)
		}
		if !rows.NextResultSet() {
			break
		}
	}
	rows.Close()
	if fmt.Sprint(got) != "[1 2 3]" || rows.Err() != nil {
		t.Fatalf("got %v %v", got, rows.Err())
	}
	s := tr.FinishedSpans()
	if names(s) != "sql.query" || s[0].Tag("db.rows") != int64(3) {
		t.Fatalf("%s %v", names(s), s[0].Tags())
	}
}

func TestMySQLSleepCancelledByContext(t *testing.T) {
	tr := mocktracer.New()
	db := openMySQL(t, mysqlDSN(t), WithTracer(tr))
	bare := openBare(t, mysqlDSN(t))
	for _, d := range []*sql.DB{bare, db} {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		start := time.Now()
		var v int
		err := d.QueryRowContext(ctx, "SELECT SLEEP(10)").Scan(&v)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
			t.Fatalf("err %v after %v", err, time.Since(start))
		}
	}
	s := tr.FinishedSpans()
	if names(s) != "sql.query" || s[0].Tag("error") != true {
		t.Fatalf("%s %v", names(s), s[0].Tags())
	}
}

func TestMySQLBadSQL(t *testing.T) {
	tr := mocktracer.New()
	db := openMySQL(t, mysqlDSN(t), WithTracer(tr))
	_, err := db.Exec("SELEC nonsense")
	var me *mysql.MySQLError
	if !errors.As(err, &me) || me.Number != 1064 {
		t.Fatalf("error %v (%T) is not the driver's own", err, err)
	}
	_, err = db.Query("SELECT * FROM no_such_table_here WHERE id = ?", 1)
	if !errors.As(err, &me) || me.Number != 1146 {
		t.Fatalf("error %v", err)
	}
	spans := tr.FinishedSpans()
	if names(spans) != "sql.exec,sql.prepare" {
		t.Fatalf("spans %s", names(spans))
	}
	for _, s := range spans {
		if s.Tag("error") != true || len(s.Logs()) != 1 {
			t.Errorf("%s: %v %v", s.OperationName, s.Tags(), s.Logs())
		}
	}
}

// MariaDB quotes the offending value in its error message ("Duplicate entry
// '...' for key"); argument values reach spans only with WithPayloadCapture,
// so the message is masked otherwise, while the caller gets the driver's own
// error unchanged.
func TestMySQLErrorMessageDoesNotLeakValues(t *testing.T) {
	const secret = "alice-secret@example.com"
	for _, capture := range []bool{false, true} {
		tr := mocktracer.New()
		opts := []Option{WithTracer(tr)}
		if capture {
			opts = append(opts, WithPayloadCapture())
		}
		db := openMySQL(t, mysqlDSN(t, "interpolateParams=true"), opts...)
		table := fmt.Sprintf("leak_%d_%t", time.Now().UnixNano(), capture)
		if _, err := db.Exec("CREATE TABLE " + table + " (email VARCHAR(64) PRIMARY KEY)"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Exec("DROP TABLE " + table) })
		if _, err := db.Exec("INSERT INTO "+table+" VALUES (?)", secret); err != nil {
			t.Fatal(err)
		}
		tr.Reset()
		_, err := db.Exec("INSERT INTO "+table+" VALUES (?)", secret)
		var me *mysql.MySQLError
		if !errors.As(err, &me) || me.Number != 1062 || !strings.Contains(err.Error(), secret) {
			t.Fatalf("the caller must get the driver's own error: %v", err)
		}
		spans := tr.FinishedSpans()
		if len(spans) != 1 || tracetest.ErrorLog(spans[0]) == nil {
			t.Fatalf("want one error span, got %v", spans)
		}
		if capture {
			if !strings.Contains(tracetest.ErrorLog(spans[0])["message"], secret) {
				t.Fatal("WithPayloadCapture should keep the message whole")
			}
			continue
		}
		if msg := tracetest.ErrorLog(spans[0])["message"]; !strings.Contains(msg, "Duplicate entry '?'") {
			t.Fatalf("masked message lost what happened: %q", msg)
		}
		tracetest.AssertNoSecret(t, spans, secret)
	}
}

// TestMySQLKilledConnection kills the pooled connection from another
// session; database/sql must notice the bad connection and retry on a new
// one, through the wrapper exactly as without it.
func TestMySQLKilledConnection(t *testing.T) {
	tr := mocktracer.New()
	killer := openBare(t, mysqlDSN(t))
	for _, wrapped := range []bool{false, true} {
		var db *sql.DB
		if wrapped {
			db = openMySQL(t, mysqlDSN(t), WithTracer(tr))
		} else {
			db = openBare(t, mysqlDSN(t))
		}
		db.SetMaxOpenConns(1)
		var id int64
		if err := db.QueryRow("SELECT CONNECTION_ID()").Scan(&id); err != nil {
			t.Fatal(err)
		}
		if _, err := killer.Exec(fmt.Sprintf("KILL %d", id)); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			var n int
			killer.QueryRow("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = ?", id).Scan(&n)
			if n == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the killed connection is still listed")
			}
		}
		tr.Reset()
		ctx, _ := parentCtx(tr)
		var again int64
		if err := db.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&again); err != nil {
			t.Fatalf("wrapped=%v: no retry after KILL: %v", wrapped, err)
		}
		if again == id {
			t.Fatalf("wrapped=%v: still on the killed connection", wrapped)
		}
		if wrapped {
			s := tr.FinishedSpans()
			if len(s) == 0 || s[len(s)-1].OperationName != "sql.query" || s[len(s)-1].Tag("error") != nil {
				t.Fatalf("spans %s", names(s))
			}
		}
	}
}

func TestMySQLConcurrentUse(t *testing.T) {
	tr := mocktracer.New()
	db := openMySQL(t, mysqlDSN(t), WithTracer(tr))
	db.SetMaxOpenConns(4)
	const workers, calls = 8, 25
	var wg sync.WaitGroup
	parents := make([]opentracing.Span, workers)
	for w := 0; w < workers; w++ {
		ctx, p := parentCtx(tr)
		parents[w] = p
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < calls; i++ {
				var v int
				if err := db.QueryRowContext(ctx, "SELECT ? + 1", w).Scan(&v); err != nil || v != w+1 {
					t.Errorf("worker %d: %d %v", w, v, err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	count := map[int]int{}
	for _, s := range tr.FinishedSpans() {
		if s.OperationName == "sql.stmt.query" {
			count[s.ParentID]++
		}
	}
	for _, p := range parents {
		if n := count[p.(*mocktracer.MockSpan).SpanContext.SpanID]; n != calls {
			t.Errorf("parent has %d statement spans, want %d", n, calls)
		}
	}
}

// TestMySQLPasswordNeverRecorded runs successful and failing calls, with
// every optional span and argument capture on, and searches every tag and
// log of every span for the DSN's password.
func TestMySQLPasswordNeverRecorded(t *testing.T) {
	tr := mocktracer.New()
	opts := []Option{WithTracer(tr), WithPayloadCapture(), WithOptionalSpans(OpConnect, OpPing, OpResetSession)}
	db := openMySQL(t, mysqlDSN(t), opts...)
	ctx, _ := parentCtx(tr)
	db.PingContext(ctx)
	db.ExecContext(ctx, "SELECT ?", "x")
	db.ExecContext(ctx, "broken sql")
	wrong := strings.Replace(mysqlDSN(t), testenv.MySQLPassword, testenv.MySQLPassword+"x", 1)
	bad := openMySQL(t, wrong, opts...)
	if err := bad.PingContext(ctx); err == nil {
		t.Fatal("wrong password accepted")
	}
	spans := tr.FinishedSpans()
	if len(spans) < 5 {
		t.Fatalf("only %s", names(spans))
	}
	tracetest.AssertNoSecret(t, spans, testenv.MySQLPassword)
}

// TestMySQLTraceCommentInProcesslist proves the point of WithTraceComment:
// while a statement runs, the server's processlist shows it with the trace
// id of its span, from a real jaeger tracer.
func TestMySQLTraceCommentInProcesslist(t *testing.T) {
	tr, reporter := tracetest.Jaeger(t, "sqltrace-test", true)
	db := openMySQL(t, mysqlDSN(t, "interpolateParams=true"), WithTracer(tr), WithTraceComment())
	observer := openBare(t, mysqlDSN(t))
	parent := tr.StartSpan("request")
	ctx := opentracing.ContextWithSpan(context.Background(), parent)
	info := sleepInProcesslist(t, ctx, db, observer)
	traceID := parent.Context().(jaeger.SpanContext).TraceID().String()
	if !strings.Contains(info, "uber-trace-id='"+traceID) {
		t.Fatalf("processlist shows %q, want trace %s", info, traceID)
	}
	parent.Finish()
	spans := reporter.GetSpans()
	q := spans[0].(*jaeger.Span)
	if q.OperationName() != "sql.query" || q.Tags()["db.statement"] != "SELECT SLEEP(?)" {
		t.Fatalf("%s %v", q.OperationName(), q.Tags())
	}
}

// TestMySQLConnInterfacesMirrored compares, through sql.Conn.Raw, the
// optional interfaces of go-sql-driver/mysql's connection with the
// wrapper's: it has all of them, so the wrapper must too, and Unwrap hands
// back the driver's own connection.
func TestMySQLConnInterfacesMirrored(t *testing.T) {
	db := openMySQL(t, mysqlDSN(t), WithTracer(mocktracer.New()))
	bare := openBare(t, mysqlDSN(t))
	ifaces := func(db *sql.DB) (set []string, typ string) {
		c, err := db.Conn(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.Raw(func(dc any) error {
			for name, ok := range map[string]bool{
				"Pinger": has[driver.Pinger](dc), "Execer": has[driver.Execer](dc), "ExecerContext": has[driver.ExecerContext](dc),
				"Queryer": has[driver.Queryer](dc), "QueryerContext": has[driver.QueryerContext](dc),
				"ConnPrepareContext": has[driver.ConnPrepareContext](dc), "ConnBeginTx": has[driver.ConnBeginTx](dc),
				"SessionResetter": has[driver.SessionResetter](dc), "Validator": has[driver.Validator](dc),
				"NamedValueChecker": has[driver.NamedValueChecker](dc),
			} {
				if ok {
					set = append(set, name)
				}
			}
			typ = fmt.Sprintf("%T", Unwrap(dc))
			return nil
		})
		sort.Strings(set)
		return set, typ
	}
	bs, bt := ifaces(bare)
	ws, wt := ifaces(db)
	if !reflect.DeepEqual(bs, ws) || bt != wt || len(bs) != 10 {
		t.Fatalf("bare %T %v\nwrapped %v %v", bt, bs, wt, ws)
	}
}

// sleepInProcesslist runs "SELECT SLEEP(?)" with 1 through db under ctx and,
// while it runs, reads its INFO (the statement as the server sees it) from
// the processlist through observer; "" if it never showed within 3 s.
func sleepInProcesslist(t *testing.T, ctx context.Context, db, observer *sql.DB) string {
	t.Helper()
	done := make(chan error)
	go func() {
		var v int
		done <- db.QueryRowContext(ctx, "SELECT SLEEP(?)", 1).Scan(&v)
	}()
	var info string
	for deadline := time.Now().Add(3 * time.Second); info == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		observer.QueryRow("SELECT INFO FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP(1)%'").Scan(&info)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	return info
}
