package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/tracewrap/tracewrap/internal/faults"
	"github.com/tracewrap/tracewrap/internal/jaegerquery"
	"github.com/tracewrap/tracewrap/tracing"
)

// outage is one data store or backend taken away in the middle of a run and
// brought back.
type outage struct {
	name    string
	down    func() error
	up      func() error
	failOps []string // prefixes of the spans that are errors when a request meets the outage (none for Jaeger)
}

// faultResult is what one outage showed.
type faultResult struct {
	name                     string
	before, during, after    summary
	errorSpans               int // spans of failOp marked error, whole run
	metOutage                int // requests of the whole run that failed or degraded
	servedDuring             int // requests begun during the outage served as if nothing happened
	failedRequests           int // requests during the outage answered with an error
	degraded                 int // requests during the outage answered 200 without the store (cache unavailable)
	recovery                 time.Duration
	recovered                bool
	maxLatency               time.Duration
	lost                     int64 // Jaeger outages: spans counted lost (tracing.Stats)
	forwardedAfter           int64 // Jaeger outages: datagrams/requests that reached Jaeger after it came back
	traceAfterFound          string
	problems                 []string
	spansFinished, spansSent int64
	logLines                 int   // Jaeger outages: lines the tracer logged
	downChecked, downFound   int   // Jaeger outages: traces of the down phase looked up in Jaeger, found
	kernelNoPorts            int64 // Jaeger outages: UDP datagrams the kernel found no port for (machine-wide)
	notes                    []string
}

// inJaeger looks up to max of ids up in Jaeger and says how many it has.
func inJaeger(ctx context.Context, query string, ids []string, max int) (checked, found int) {
	q := &jaegerquery.Client{BaseURL: query}
	if len(ids) > max {
		step := len(ids) / max
		var s []string
		for i := 0; i < len(ids) && len(s) < max; i += step {
			s = append(s, ids[i])
		}
		ids = s
	}
	time.Sleep(2 * time.Second)
	for _, id := range ids {
		if ctx.Err() != nil {
			break
		}
		checked++
		if _, err := q.Trace(ctx, id); err == nil {
			found++
		}
	}
	return checked, found
}

// privateRedis is a redis-server of our own on a free port, with an ACL
// user, stopped and started at will (the shared one is never touched).
type privateRedis struct {
	bin, addr, conf string
	cmd             *exec.Cmd
	done            chan struct{}
}

const privateRedisUser, privateRedisPassword = "soak", "soak-private-redis-Pw-31"

func startPrivateRedis(dir string) (*privateRedis, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, fmt.Errorf("redis-server is not installed (scripts/services up redis installs it): %w", err)
	}
	addr, err := faults.DeadAddr()
	if err != nil {
		return nil, err
	}
	_, port, _ := net.SplitHostPort(addr)
	r := &privateRedis{bin: bin, addr: addr, conf: filepath.Join(dir, "redis.conf")}
	conf := strings.Join([]string{
		"bind 127.0.0.1", "port " + port, "dir " + dir, `save ""`, "appendonly no", "daemonize no",
		"user default on nopass ~* &* +@all",
		"user " + privateRedisUser + " on >" + privateRedisPassword + " ~* &* +@all",
	}, "\n") + "\n"
	if err := os.WriteFile(r.conf, []byte(conf), 0o600); err != nil {
		return nil, err
	}
	return r, r.start()
}

func (r *privateRedis) start() error {
	if r.cmd != nil {
		return nil
	}
	cmd := exec.Command(r.bin, r.conf)
	if err := cmd.Start(); err != nil {
		return err
	}
	r.cmd, r.done = cmd, make(chan struct{})
	go func() { _ = cmd.Wait(); close(r.done) }()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if c, err := net.DialTimeout("tcp", r.addr, 200*time.Millisecond); err == nil {
			c.Close()
			return nil
		}
	}
	r.stop()
	return errors.New("private redis-server did not start on " + r.addr)
}

func (r *privateRedis) stop() error {
	if r.cmd == nil {
		return nil
	}
	_ = r.cmd.Process.Kill()
	<-r.done
	r.cmd = nil
	return nil
}

// outageGrace is the least time before the store comes back within which a
// request begun may be served by it.
const outageGrace = 100 * time.Millisecond

// runOutage drives the traced handler for three phases of d each (up, down,
// up again) with a few workers, taking the store away between the first and
// second and bringing it back between the second and third.
func runOutage(ctx context.Context, o outage, a *app, rec *recorder, d time.Duration, workers int) faultResult {
	fr := faultResult{name: o.name}
	srv, err := serveApp(a)
	if err != nil {
		fr.problems = append(fr.problems, err.Error())
		return fr
	}
	defer srv.Close()
	if rec != nil {
		rec.reset()
	}
	begin := time.Now()
	var downAt, upAt time.Duration
	done := make(chan loadResult, 1)
	go func() {
		done <- runLoad(ctx, loadSpec{url: "http://" + srv.addr + "/item", workers: workers, duration: 3 * d})
	}()
	time.Sleep(d)
	if err := o.down(); err != nil {
		fr.problems = append(fr.problems, "taking it down: "+err.Error())
	}
	downAt = time.Since(begin) // requests from here on meet the outage
	time.Sleep(d)
	upAt = time.Since(begin)
	if err := o.up(); err != nil {
		fr.problems = append(fr.problems, "bringing it back: "+err.Error())
	}
	lr := <-done
	// the load's own clock started a moment after begin
	shift := lr.began.Sub(begin)
	var before, during, after []result
	for _, r := range lr.results {
		at := r.at + shift
		switch {
		case at < downAt:
			before = append(before, r)
		case at < upAt:
			during = append(during, r)
		default:
			after = append(after, r)
			if r.status == http.StatusOK && r.cache != "unavailable" && !fr.recovered {
				fr.recovered, fr.recovery = true, at-upAt
			}
		}
		if r.latency > fr.maxLatency {
			fr.maxLatency = r.latency
		}
	}
	fr.before, fr.during, fr.after = summarize(before, downAt), summarize(during, upAt-downAt), summarize(after, lr.elapsed-upAt)
	// A request begun shortly before the store came back may be served by
	// it: within twice the p99 latency seen before the outage (a loaded
	// machine can hold a request that long before it dials).
	grace := min(max(outageGrace, 2*fr.before.p99), d/2)
	for _, r := range during {
		switch {
		case r.status != http.StatusOK:
			fr.failedRequests++
		case r.cache == "unavailable":
			fr.degraded++
		case r.at+shift >= upAt-grace:
			// begun just before the store came back, served after
		default:
			fr.servedDuring++
		}
	}
	// Requests in flight when the store went, or the first ones after it
	// came back, may meet it too: error spans are compared with every
	// request of the run that met the outage.
	for _, r := range lr.results {
		if r.status != http.StatusOK || r.cache == "unavailable" {
			fr.metOutage++
		}
	}
	if rec != nil {
		// one error span per request that met the outage: the span of the
		// call that failed (a request's trace has one such call)
		for _, s := range rec.all() {
			for _, op := range o.failOps {
				if strings.HasPrefix(s.op, op) && s.err {
					fr.errorSpans++
				}
			}
		}
	}
	return fr
}

// checkStore states what must hold for a data-store outage.
func (fr *faultResult) checkStore(timeout time.Duration) {
	if fr.during.requests == 0 {
		fr.problems = append(fr.problems, "no request was made during the outage")
	}
	if fr.servedDuring > 0 {
		fr.problems = append(fr.problems, fmt.Sprintf("%d of %d requests during the outage neither failed nor degraded",
			fr.servedDuring, fr.during.requests))
	}
	if fr.errorSpans < fr.metOutage {
		fr.problems = append(fr.problems, fmt.Sprintf("%d error spans for %d requests that met the outage",
			fr.errorSpans, fr.metOutage))
	}
	if !fr.recovered {
		fr.problems = append(fr.problems, "no request succeeded after the store came back")
	}
	if fr.maxLatency > timeout {
		fr.problems = append(fr.problems, fmt.Sprintf("a request took %v (blocked?)", fr.maxLatency))
	}
}

// storeOutages runs the Redis and MySQL outages against private endpoints:
// a redis-server of our own, and a TCP proxy in front of the shared MariaDB.
func storeOutages(ctx context.Context, cfg *config, d time.Duration, workers int, logf func(string, ...any)) []faultResult {
	var out []faultResult
	rec := newRecorder(1 << 20)
	tr, closer, err := tracing.Init("soak-faults", tracing.WithoutGlobal(), tracing.WithReporter(rec), tracing.WithLogger(&lineCounter{}))
	if err != nil {
		return []faultResult{{name: "setup", problems: []string{err.Error()}}}
	}
	defer closer.Close()

	// Redis
	dir, err := os.MkdirTemp("", "soak-redis-")
	if err == nil {
		defer os.RemoveAll(dir)
		var rs *privateRedis
		if rs, err = startPrivateRedis(dir); err == nil {
			st := cfg.stores
			st.redisAddr, st.redisUser, st.redisPass = rs.addr, privateRedisUser, privateRedisPassword
			var a *app
			if a, err = newApp(st, tr); err == nil {
				logf("outage: redis (private redis-server %s)", rs.addr)
				fr := runOutage(ctx, outage{name: "Redis (private redis-server killed, restarted)", down: rs.stop, up: rs.start, failOps: []string{"get"}}, a, rec, d, workers)
				fr.checkStore(3 * time.Second)
				out = append(out, fr)
				a.Close()
			}
			rs.stop()
		}
	}
	if err != nil {
		out = append(out, faultResult{name: "Redis", problems: []string{err.Error()}})
	}

	// MySQL
	proxy, err := faults.NewProxy(cfg.mysqlAddr)
	if err != nil {
		return append(out, faultResult{name: "MySQL", problems: []string{err.Error()}})
	}
	defer proxy.Close()
	st := cfg.stores
	st.mysqlDSN = strings.Replace(st.mysqlDSN, "tcp("+cfg.mysqlAddr+")", "tcp("+proxy.Addr()+")", 1)
	a, err := newApp(st, tr)
	if err != nil {
		return append(out, faultResult{name: "MySQL", problems: []string{err.Error()}})
	}
	defer a.Close()
	logf("outage: mysql (proxy %s -> %s)", proxy.Addr(), cfg.mysqlAddr)
	fr := runOutage(ctx, outage{name: "MySQL (TCP proxy cut, restored)", down: func() error { proxy.Down(); return nil }, up: proxy.Up, failOps: []string{"sql."}}, a, rec, d, workers)
	fr.checkStore(3 * time.Second)
	return append(out, fr)
}

// jaegerOutages takes the tracer's backend away mid-run: the UDP agent port
// (a relay in front of the agent, closed and reopened) and the HTTP
// collector (a TCP proxy, cut and restored). Requests must not notice;
// spans lost meanwhile are counted; spans flow again afterwards.
func jaegerOutages(ctx context.Context, cfg *config, d time.Duration, workers int, logf func(string, ...any)) []faultResult {
	var out []faultResult
	// UDP agent
	relay, err := faults.NewUDPRelay(cfg.agent)
	if err != nil {
		return []faultResult{{name: "Jaeger agent", problems: []string{err.Error()}}}
	}
	fr := jaegerOutage(ctx, cfg, "Jaeger agent (UDP port closed, reopened)", tracing.WithAgent(relay.Addr()), false,
		outage{down: func() error { relay.Down(); return nil }, up: relay.Up}, relay.Forwarded, d, workers, logf)
	relay.Close()
	out = append(out, fr)

	// HTTP collector
	if cfg.collectorAddr == "" {
		return out
	}
	proxy, err := faults.NewProxy(cfg.collectorAddr)
	if err != nil {
		return append(out, faultResult{name: "Jaeger collector", problems: []string{err.Error()}})
	}
	defer proxy.Close()
	fr = jaegerOutage(ctx, cfg, "Jaeger collector (HTTP, TCP proxy cut, restored)", tracing.WithCollector("http://"+proxy.Addr()+"/api/traces"), true,
		outage{down: func() error { proxy.Down(); return nil }, up: proxy.Up}, proxy.Accepted, d, workers, logf)
	return append(out, fr)
}

func jaegerOutage(ctx context.Context, cfg *config, name string, backend tracing.Option, countable bool, o outage, forwarded func() int64,
	d time.Duration, workers int, logf func(string, ...any)) faultResult {
	logs := &lineCounter{}
	service := fmt.Sprintf("soak-jaeger-outage-%d", time.Now().UnixNano()%1e9)
	tr, closer, err := tracing.Init(service, tracing.WithoutGlobal(), backend, tracing.WithLogger(logs),
		tracing.WithCloseTimeout(10*time.Second))
	if err != nil {
		return faultResult{name: name, problems: []string{err.Error()}}
	}
	a, err := newApp(cfg.stores, tr)
	if err != nil {
		closer.Close()
		return faultResult{name: name, problems: []string{err.Error()}}
	}
	logf("outage: %s", name)
	o.name = name
	var fwdAtUp int64
	up := o.up
	o.up = func() error { fwdAtUp = forwarded(); return up() }
	_, np0 := udpCounters()
	fr := runOutage(ctx, o, a, nil, d, workers)
	a.Close()
	closer.Close()
	_, np1 := udpCounters()
	fr.kernelNoPorts = np1 - np0
	st, _ := tracing.Stats(tr)
	fr.lost, fr.spansFinished, fr.spansSent = st.Lost(), st.Finished, st.Sent
	fr.forwardedAfter = forwarded() - fwdAtUp
	if fr.during.ok != fr.during.requests || fr.after.ok != fr.after.requests || fr.before.ok != fr.before.requests {
		fr.problems = append(fr.problems, "requests failed while only Jaeger was away")
	}
	if fr.maxLatency > 2*time.Second {
		fr.problems = append(fr.problems, fmt.Sprintf("a request took %v (blocked on the tracer?)", fr.maxLatency))
	}
	if countable && fr.lost == 0 {
		fr.problems = append(fr.problems, "no span counted lost although the collector was away")
	}
	if !countable {
		fr.notes = append(fr.notes, "UDP: jaeger-client-go re-dials after \"connection refused\" and the datagram is written again, into the void; "+
			"no client can count what an absent agent did not read (the README's \"Busy services\" says so)")
	}
	if cfg.query != "" && len(fr.during.traceIDs) > 0 {
		fr.downChecked, fr.downFound = inJaeger(ctx, cfg.query, fr.during.traceIDs, 200)
	}
	// a trace from after the recovery must be in Jaeger
	if cfg.query != "" && len(fr.after.traceIDs) > 0 {
		q := &jaegerquery.Client{BaseURL: cfg.query}
		id := fr.after.traceIDs[len(fr.after.traceIDs)-1]
		qctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		if t, err := q.WaitForTrace(qctx, id, 3, 500*time.Millisecond); err == nil {
			fr.traceAfterFound = fmt.Sprintf("%s (%d spans)", id, len(t.Spans))
		} else {
			fr.problems = append(fr.problems, "trace "+id+" from after the recovery not in Jaeger: "+err.Error())
		}
		cancel()
	}
	fr.logLines = logs.count()
	return fr
}
