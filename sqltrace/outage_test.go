package sqltrace

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go/mocktracer"

	"github.com/tracewrap/tracewrap/internal/faults"
	"github.com/tracewrap/tracewrap/internal/testenv"
	"github.com/tracewrap/tracewrap/internal/tracetest"
)

func portOf(t *testing.T, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// connectSpans returns the finished sql.connect spans and checks each is an
// error child of parent with its error log and the peer from the DSN.
func connectSpans(t *testing.T, tr *mocktracer.MockTracer, parent *mocktracer.MockSpan, port int) []*mocktracer.MockSpan {
	t.Helper()
	var out []*mocktracer.MockSpan
	for _, s := range tr.FinishedSpans() {
		if s.OperationName != string(OpConnect) {
			continue
		}
		out = append(out, s)
		if s.ParentID != parent.SpanContext.SpanID {
			t.Errorf("sql.connect parent %d, want %d", s.ParentID, parent.SpanContext.SpanID)
		}
		if s.Tag("error") != true {
			t.Errorf("sql.connect is not an error span: %v", s.Tags())
		}
		if s.Tag("peer.port") != uint16(port) && s.Tag("peer.port") != port {
			t.Errorf("sql.connect peer.port = %v (%T), want %d", s.Tag("peer.port"), s.Tag("peer.port"), port)
		}
		var logged bool
		for _, l := range s.Logs() {
			for _, f := range l.Fields {
				if f.Key == "event" && f.ValueString == "error" {
					logged = true
				}
			}
		}
		if !logged {
			t.Errorf("sql.connect has no error log: %v", s.Logs())
		}
	}
	return out
}

// The finding: with default options a database that cannot be
// reached left no span at all, because no call reached a traced connection.
// Every failed connect made for a call under a span is now an error span.
func TestConnectFailureUnreachable(t *testing.T) {
	addr, err := faults.DeadAddr()
	if err != nil {
		t.Skip(err)
	}
	port := portOf(t, addr)
	tr := mocktracer.New()
	db := openMySQL(t, testenv.MySQLUser+":"+testenv.MySQLPassword+"@tcp("+addr+")/"+testenv.MySQLDatabase+"?timeout=2s", WithTracer(tr))
	ctx, parent := parentCtx(tr)
	const calls = 12
	for i := 0; i < calls; i++ {
		if _, err := db.ExecContext(ctx, "SELECT 1"); err == nil {
			t.Fatal("exec on an address nobody listens on succeeded")
		}
	}
	// without a span in ctx the failure makes no root span
	if err := db.PingContext(context.Background()); err == nil {
		t.Fatal("ping succeeded")
	}
	parent.Finish()
	spans := connectSpans(t, tr, parent.(*mocktracer.MockSpan), port)
	if len(spans) != calls {
		t.Fatalf("%d sql.connect spans for %d failed calls; all spans: %s", len(spans), calls, names(tr.FinishedSpans()))
	}
	if n := len(tr.FinishedSpans()); n != calls+1 {
		t.Errorf("%d spans, want %d connect spans and the parent: %s", n, calls, names(tr.FinishedSpans()))
	}
	tracetest.AssertNoSecret(t, tr.FinishedSpans(), testenv.MySQLPassword)
}

// Against the real MariaDB behind a proxy: while it is up, successful
// connects stay opt-in and pooled connections leave nothing; while it is
// down every failed call leaves an error span; once it is back the calls
// succeed with no connect span again.
func TestConnectFailureOutageAndRecovery(t *testing.T) {
	proxy, err := faults.NewProxy(testenv.MySQLAddr(t))
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	port := portOf(t, proxy.Addr())
	tr := mocktracer.New()
	dsn := testenv.MySQLUser + ":" + testenv.MySQLPassword + "@tcp(" + proxy.Addr() + ")/" + testenv.MySQLDatabase + "?timeout=2s"
	db := openMySQL(t, dsn, WithTracer(tr))
	db.SetMaxIdleConns(1)

	count := func(op Op) int {
		n := 0
		for _, s := range tr.FinishedSpans() {
			if s.OperationName == string(op) {
				n++
			}
		}
		return n
	}

	ctx, parent := parentCtx(tr)
	for i := 0; i < 3; i++ { // the first connects, the others reuse it
		if _, err := db.ExecContext(ctx, "SELECT 1"); err != nil {
			t.Fatal(err)
		}
	}
	if n := count(OpConnect); n != 0 {
		t.Fatalf("%d sql.connect spans while the database is up (successful connects are opt-in)", n)
	}

	proxy.Down()
	const calls = 5
	failed := 0
	for i := 0; i < calls; i++ {
		if _, err := db.ExecContext(ctx, "SELECT 1"); err != nil {
			failed++
		}
	}
	// The pooled connection was cut: database/sql may meet it dead first
	// (driver.ErrBadConn, then it connects anew) but each call ends in a
	// refused connect.
	if failed != calls {
		t.Fatalf("%d of %d calls failed with the database down", failed, calls)
	}
	parent.Finish()
	spans := connectSpans(t, tr, parent.(*mocktracer.MockSpan), port)
	if len(spans) < calls {
		t.Fatalf("%d sql.connect spans for %d calls during the outage: %s", len(spans), calls, names(tr.FinishedSpans()))
	}

	if err := proxy.Up(); err != nil {
		t.Fatal(err)
	}
	tr.Reset()
	ctx, parent = parentCtx(tr)
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := db.ExecContext(ctx, "SELECT 1")
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("database back but calls still fail: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	parent.Finish()
	if n := count(OpConnect); n != 0 {
		t.Errorf("%d sql.connect spans after recovery (the reconnect succeeded)", n)
	}
	if n := count(OpExec); n == 0 {
		t.Errorf("no sql.exec span after recovery: %s", names(tr.FinishedSpans()))
	}
}

// A connect the server refuses (wrong password) is a failed connect too, and
// neither password reaches the span.
func TestConnectFailureRejected(t *testing.T) {
	tr := mocktracer.New()
	wrong := strings.Replace(mysqlDSN(t), testenv.MySQLPassword, "not-the-"+testenv.MySQLPassword, 1)
	db := openMySQL(t, wrong, WithTracer(tr))
	ctx, parent := parentCtx(tr)
	if _, err := db.ExecContext(ctx, "SELECT 1"); err == nil {
		t.Fatal("wrong password accepted")
	}
	parent.Finish()
	port := portOf(t, testenv.MySQLAddr(t))
	if n := len(connectSpans(t, tr, parent.(*mocktracer.MockSpan), port)); n != 1 {
		t.Fatalf("%d sql.connect spans for one rejected connect: %s", n, names(tr.FinishedSpans()))
	}
	tracetest.AssertNoSecret(t, tr.FinishedSpans(), testenv.MySQLPassword)
}
