package tracing

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/uber/jaeger-client-go"
	jaegerthrift "github.com/uber/jaeger-client-go/thrift-gen/jaeger"

	"github.com/tracewrap/tracewrap/internal/core"
	"github.com/tracewrap/tracewrap/internal/tracetest"
)

func clearReporterEnv(t *testing.T) {
	clearJaegerEnv(t)
	t.Setenv("JAEGER_REPORTER_MAX_QUEUE_SIZE", "")
	t.Setenv("JAEGER_REPORTER_FLUSH_INTERVAL", "")
}

// fakeAgent is a UDP listener decoding emitBatch packets as a Jaeger agent does.
type fakeAgent struct {
	pc    net.PacketConn
	mu    sync.Mutex
	spans []*jaegerthrift.Span
	done  chan struct{}
}

func newAgent(t *testing.T) *fakeAgent {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_ = pc.(*net.UDPConn).SetReadBuffer(4 << 20)
	a := &fakeAgent{pc: pc, done: make(chan struct{})}
	go func() {
		defer close(a.done)
		buf := make([]byte, 65536)
		for {
			n, _, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			b := decodeEmitBatch(t, append([]byte(nil), buf[:n]...))
			a.mu.Lock()
			a.spans = append(a.spans, b.Spans...)
			a.mu.Unlock()
		}
	}()
	t.Cleanup(func() { pc.Close(); <-a.done })
	return a
}

func (a *fakeAgent) addr() string { return a.pc.LocalAddr().String() }

// waitFor waits until n spans arrived (the agent reads in the background).
func (a *fakeAgent) waitFor(t *testing.T, n int) []*jaegerthrift.Span {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		a.mu.Lock()
		got := append([]*jaegerthrift.Span(nil), a.spans...)
		a.mu.Unlock()
		if len(got) >= n || time.Now().After(deadline) {
			return got
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func tagOf(s *jaegerthrift.Span, key string) *jaegerthrift.Tag {
	for _, tg := range s.Tags {
		if tg.Key == key {
			return tg
		}
	}
	return nil
}

// The finding: Init's tracer kept jaeger-client-go's 256-byte tag
// cap, so a 4 KiB db.statement, marked "…" by the wrapper, reached Jaeger cut
// at 256 bytes without a mark. What a wrapper capped arrives as it capped it.
func TestTagValuesArriveAsTheWrappersCapThem(t *testing.T) {
	clearReporterEnv(t)
	rep := jaeger.NewInMemoryReporter()
	tr, closer, err := Init("tags-svc", WithoutGlobal(), WithReporter(rep))
	if err != nil {
		t.Fatal(err)
	}
	defer closer.Close()
	stmt := "SELECT " + strings.Repeat("a, ", 5000) + "1"
	user := strings.Repeat("u", 20000) // a tag of the user's own, within a packet
	span := tr.StartSpan("sql.query")
	core.SetStatement(span, core.VocabOf(span), stmt, core.DefaultMaxStatementSize)
	span.SetTag("app.note", user)
	span.Finish()
	got := rep.GetSpans()[0].(*jaeger.Span)
	thriftSpan := jaeger.BuildJaegerThrift(got) // what the transports send
	st := tagOf(thriftSpan, "db.statement")
	if st == nil || len(*st.VStr) != core.DefaultMaxStatementSize || !strings.HasSuffix(*st.VStr, core.TruncationMarker) {
		n := 0
		if st != nil {
			n = len(*st.VStr)
		}
		t.Fatalf("db.statement sent with %d bytes, want %d ending with %q", n, core.DefaultMaxStatementSize, core.TruncationMarker)
	}
	if l := tagOf(thriftSpan, "db.statement.length"); l == nil || *l.VLong != int64(len(stmt)) {
		t.Fatalf("db.statement.length = %v, want %d", l, len(stmt))
	}
	if u := tagOf(thriftSpan, "app.note"); u == nil || *u.VStr != user {
		t.Fatal("a 20,000-byte tag of the user's was cut")
	}
	tracetest.AssertFitsAgentPacket(t, got)
}

// The same through the real UDP transport to an agent: the statement arrives
// whole; a span too big for one packet is refused whole and counted.
func TestLongTagsOverUDPAndTooLargeSpansCounted(t *testing.T) {
	clearReporterEnv(t)
	ag := newAgent(t)
	log := &recordingLogger{}
	tr, closer, err := Init("udp-tags-svc", WithoutGlobal(), WithAgent(ag.addr()), WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	stmt := strings.Repeat("x", 9000)
	ok := tr.StartSpan("sql.query")
	core.SetStatement(ok, core.VocabOf(ok), stmt, core.DefaultMaxStatementSize)
	ok.Finish()
	huge := tr.StartSpan("huge")
	huge.SetTag("app.blob", strings.Repeat("y", 70000))
	huge.Finish()
	if err := closer.Close(); err != nil {
		t.Fatal(err)
	}
	spans := ag.waitFor(t, 1)
	if len(spans) != 1 || spans[0].OperationName != "sql.query" {
		t.Fatalf("agent got %d spans", len(spans))
	}
	if v := tagOf(spans[0], "db.statement"); v == nil || len(*v.VStr) != core.DefaultMaxStatementSize {
		t.Fatalf("db.statement over UDP: %v", v)
	}
	st, found := Stats(tr)
	if !found {
		t.Fatal("no stats for Init's tracer")
	}
	if st.Finished != 2 || st.Sent != 1 || st.Failed != 1 || st.Dropped != 0 {
		t.Fatalf("stats %+v, want 2 finished, 1 sent, 1 failed (too large)", st)
	}
	if !strings.Contains(log.all(), "too large") || !strings.Contains(log.all(), "1 spans lost") {
		t.Fatalf("the refused span was not logged: %q", log.all())
	}
}

// jaeger-client-go's default queue (100 spans) overflowed under load: a
// burst well within DefaultQueueSize must arrive whole, every span counted
// as sent.
func TestBurstWithinTheDefaultQueueIsNotDropped(t *testing.T) {
	clearReporterEnv(t)
	ag := newAgent(t)
	tr, closer, err := Init("burst-svc", WithoutGlobal(), WithAgent(ag.addr()), WithLogger(&recordingLogger{}))
	if err != nil {
		t.Fatal(err)
	}
	const n = 3000
	// Finish the burst while the reporter's goroutine cannot run: on one
	// thread, without yielding, as on a machine whose cores are all busy.
	prev := runtime.GOMAXPROCS(1)
	for i := 0; i < n; i++ {
		s := tr.StartSpan("burst")
		s.SetTag("i", i)
		s.Finish()
	}
	runtime.GOMAXPROCS(prev)
	if err := closer.Close(); err != nil {
		t.Fatal(err)
	}
	st, _ := Stats(tr)
	if st.Dropped != 0 || st.Failed != 0 || st.Sent != n || st.Finished != n {
		t.Fatalf("stats %+v for a burst of %d spans", st, n)
	}
	if got := len(ag.waitFor(t, n)); got != n {
		t.Fatalf("agent got %d of %d spans", got, n)
	}
}

// A collector that stalls fills the queue: every span is then counted, as
// sent, dropped or failed, the first drop is logged at once, and what was
// lost is summed up once per interval, not once per span.
func TestDropsAreCountedAndLoggedAtMostOncePerInterval(t *testing.T) {
	clearReporterEnv(t)
	t.Setenv("JAEGER_REPORTER_MAX_QUEUE_SIZE", "50")
	release := make(chan struct{})
	var posts atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		posts.Add(1)
		select { // the first batch stalls, the rest are accepted
		case <-release:
		case <-r.Context().Done():
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	var releaseOnce sync.Once
	defer releaseOnce.Do(func() { close(release) })
	log := &recordingLogger{}
	const every = 50 * time.Millisecond
	began := time.Now()
	tr, closer, err := Init("stall-svc", WithoutGlobal(), WithCollector(srv.URL+"/api/traces"), WithLogger(log),
		func(s *settings) { s.statsEvery = every })
	if err != nil {
		t.Fatal(err)
	}
	const n = 2000
	for i := 0; i < n; i++ {
		tr.StartSpan("x").Finish()
	}
	time.Sleep(4 * every) // a few summary intervals
	releaseOnce.Do(func() { close(release) })
	if err := closer.Close(); err != nil {
		t.Fatal(err)
	}
	intervals := int(time.Since(began) / every)
	st, _ := Stats(tr)
	if st.Finished != n || st.Dropped == 0 || st.Sent+st.Dropped+st.Failed != n {
		t.Fatalf("stats %+v: every one of %d spans must be sent, dropped or failed, and some dropped", st, n)
	}
	lines := strings.Split(log.all(), "\n")
	var first, summaries int
	var lost int64
	for _, l := range lines {
		switch {
		case strings.Contains(l, "queue (50 spans) is full"):
			first++
		case strings.Contains(l, "spans lost"):
			summaries++
			var k int64
			if _, err := fmt.Sscanf(l, "tracing: %d spans lost", &k); err == nil {
				lost += k
			}
		}
	}
	if first != 1 {
		t.Errorf("first-drop warning logged %d times:\n%s", first, log.all())
	}
	if summaries == 0 || summaries > intervals+1 { // one per interval with a loss, and one at Close
		t.Errorf("%d summaries in %d intervals:\n%s", summaries, intervals, log.all())
	}
	if lost != st.Lost() {
		t.Errorf("summaries add up to %d lost, stats say %d:\n%s", lost, st.Lost(), log.all())
	}
}

func TestStatsOnlyForInitsTracers(t *testing.T) {
	clearReporterEnv(t)
	if _, ok := Stats(opentracing.NoopTracer{}); ok {
		t.Fatal("stats for a no-op tracer")
	}
	other, c := jaeger.NewTracer("other", jaeger.NewConstSampler(true), jaeger.NewNullReporter())
	defer c.Close()
	if _, ok := Stats(other); ok {
		t.Fatal("stats for a tracer Init did not build")
	}
	t.Setenv("JAEGER_DISABLED", "true")
	tr, closer, err := Init("disabled", WithoutGlobal())
	if err != nil {
		t.Fatal(err)
	}
	defer closer.Close()
	if _, ok := Stats(tr); ok {
		t.Fatal("stats for a disabled tracer")
	}
}
