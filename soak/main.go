// Command soak is tracewrap's standing soak and fault suite (`make soak`; not
// part of `make test`, whose short versions of the same cases live in
// soak_test.go). Everything runs on loopback against the real service stack
// (scripts/services) and stops by itself; the default run takes about three
// minutes. It writes its figures to soak/RESULTS.md:
//
//   - load held: requests/s, p50 and p99 of a traced HTTP handler (one Redis
//     GET and one MySQL query per request) against the same handler untraced;
//   - spans delivered: every trace of the traced runs (or a sample) read back
//     from Jaeger's query API, beside the spans tracing.Stats counts as
//     dropped or failed, for tracing.Init's defaults (UDP agent) and for the
//     README's set-up for busy services (HTTP collector);
//   - RSS and goroutines before and after;
//   - outages of Redis, MySQL and Jaeger (agent and collector) mid-run: errors
//     tagged, recovery after restart, nothing blocked;
//   - a hostile corpus over HTTP and gRPC: calls failed by the wrapper,
//     largest span, log lines;
//   - a secrets scan of every trace read from Jaeger.
//
// Flags: -duration (each load run), -workers, -fault-phase, -out; see -h.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/uber/jaeger-client-go"

	"github.com/tracewrap/tracewrap/tracing"
)

// config says where the stack is and how long to run.
type config struct {
	stores
	mysqlAddr     string
	agent         string // Jaeger agent host:port (UDP)
	collector     string // Jaeger collector URL
	collectorAddr string
	query         string // Jaeger query base URL; "" when not reachable
	duration      time.Duration
	workers       int
	faultPhase    time.Duration
	faultWorkers  int
	verifyMax     int
	hostileScale  int
	hostileReps   int
	rocketmq      string // name server; "" when not reachable
	out           string
	skipLoad      bool
	spanRate      int           // requests/s of the tracer-only runs
	spanDuration  time.Duration // their length
}

// nullReporterLabel names the traced run whose spans are discarded.
const nullReporterLabel = "spans discarded (null reporter)"

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// The stack's test credentials (internal/testenv): loopback only, not secrets.
const (
	mysqlUser, mysqlPassword, mysqlDatabase = "tracewrap", "tw-mysql-S3cret", "tracewrap"
	redisUser, redisPassword                = "tracewrap", "tw-redis-S3cret"
)

func defaultConfig() *config {
	c := &config{
		mysqlAddr:     envOr("TRACEWRAP_MYSQL_ADDR", "127.0.0.1:3306"),
		agent:         envOr("TRACEWRAP_JAEGER_AGENT", "127.0.0.1:6831"),
		collectorAddr: envOr("TRACEWRAP_JAEGER_COLLECTOR", "127.0.0.1:14268"),
		query:         "http://" + envOr("TRACEWRAP_JAEGER_QUERY", "127.0.0.1:16686"),
		duration:      15 * time.Second,
		workers:       32,
		faultPhase:    4 * time.Second,
		faultWorkers:  4,
		verifyMax:     60000,
		spanRate:      5000,
		spanDuration:  10 * time.Second,
		hostileScale:  1,
		hostileReps:   10,
		rocketmq:      envOr("TRACEWRAP_ROCKETMQ_NAMESRV", "127.0.0.1:9876"),
		out:           "soak/RESULTS.md",
	}
	c.stores = stores{
		mysqlDSN:  mysqlUser + ":" + mysqlPassword + "@tcp(" + c.mysqlAddr + ")/" + mysqlDatabase + "?timeout=1s&readTimeout=2s&writeTimeout=2s&interpolateParams=true",
		redisAddr: envOr("TRACEWRAP_REDIS_ADDR", "127.0.0.1:6379"),
		redisUser: redisUser,
		redisPass: redisPassword,
	}
	c.collector = "http://" + c.collectorAddr + "/api/traces"
	return c
}

func main() {
	cfg := defaultConfig()
	flag.DurationVar(&cfg.duration, "duration", cfg.duration, "length of each load run (untraced, traced over UDP, traced over HTTP)")
	flag.IntVar(&cfg.workers, "workers", cfg.workers, "concurrent clients of the load runs")
	flag.DurationVar(&cfg.faultPhase, "fault-phase", cfg.faultPhase, "length of each phase of an outage (before, during, after)")
	flag.IntVar(&cfg.verifyMax, "verify-max", cfg.verifyMax, "traces read back from Jaeger per run at most (a uniform sample beyond)")
	flag.IntVar(&cfg.spanRate, "span-rate", cfg.spanRate, "requests/s (three spans each) of the tracer-only runs; 0 skips them")
	flag.DurationVar(&cfg.spanDuration, "span-duration", cfg.spanDuration, "length of each tracer-only run")
	flag.StringVar(&cfg.out, "out", cfg.out, "results file")
	flag.Parse()
	if cfg.duration <= 0 || cfg.duration > 5*time.Minute || cfg.workers <= 0 || cfg.workers > 1024 ||
		cfg.faultPhase <= 0 || cfg.faultPhase > time.Minute || cfg.spanRate < 0 || cfg.spanRate > 100000 ||
		cfg.spanDuration <= 0 || cfg.spanDuration > 5*time.Minute {
		fmt.Fprintln(os.Stderr, "soak: -duration and -span-duration must be within 5m, -fault-phase within 1m, -workers within 1..1024, -span-rate within 0..100000")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rep, err := run(ctx, cfg, func(f string, a ...any) { fmt.Fprintf(os.Stderr, "soak: "+f+"\n", a...) })
	if rep != nil {
		if werr := os.WriteFile(cfg.out, []byte(rep.markdown()), 0o644); werr != nil {
			fmt.Fprintln(os.Stderr, "soak:", werr)
			os.Exit(1)
		}
		fmt.Fprintf(os.Stderr, "soak: wrote %s\n", cfg.out)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
	if rep.failed() {
		fmt.Fprintln(os.Stderr, "soak: some checks failed (see "+cfg.out+")")
		os.Exit(1)
	}
}

// reachable checks a TCP address.
func reachable(addr string) bool {
	c, err := dialTimeout(addr, 2*time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func run(ctx context.Context, cfg *config, logf func(string, ...any)) (*report, error) {
	rep := &report{cfg: cfg, started: time.Now(), loadStart: loadavg()}
	rep.before = sample()
	for _, need := range []string{cfg.mysqlAddr, cfg.redisAddr} {
		if !reachable(need) {
			return nil, fmt.Errorf("%s is not reachable: start the stack with `scripts/services up mariadb redis jaeger`", need)
		}
	}
	if !reachable(strings.TrimPrefix(cfg.query, "http://")) {
		rep.notes = append(rep.notes, "Jaeger's query API ("+cfg.query+") was not reachable: delivery was not read back from Jaeger.")
		cfg.query = ""
	}
	if !reachable(cfg.collectorAddr) {
		rep.notes = append(rep.notes, "Jaeger's collector ("+cfg.collectorAddr+") was not reachable: the HTTP runs were skipped.")
		cfg.collectorAddr = ""
	}

	if !cfg.skipLoad {
		logf("load: untraced handler, %d workers, %v", cfg.workers, cfg.duration)
		un, err := loadRun(ctx, cfg, "", nil, false)
		if err != nil {
			return rep, err
		}
		rep.loads = append(rep.loads, un)
		// the wrappers' and the tracer's own cost, without a backend that
		// takes this machine's cores to receive and store the spans
		logf("load: traced, spans discarded (null reporter)")
		nul, err := loadRun(ctx, cfg, nullReporterLabel, tracing.WithReporter(jaeger.NewNullReporter()), false)
		if err != nil {
			return rep, err
		}
		rep.loads = append(rep.loads, nul)
		logf("load: traced, tracing.Init defaults (UDP agent %s)", cfg.agent)
		udp, err := loadRun(ctx, cfg, "UDP agent (tracing.Init defaults)", tracing.WithAgent(cfg.agent), true)
		if err != nil {
			return rep, err
		}
		rep.loads = append(rep.loads, udp)
		if cfg.collectorAddr != "" {
			logf("load: traced, HTTP collector %s", cfg.collector)
			h, err := loadRun(ctx, cfg, "HTTP collector (README, busy services)", tracing.WithCollector(cfg.collector), true)
			if err != nil {
				return rep, err
			}
			rep.loads = append(rep.loads, h)
		}
	}

	if cfg.spanRate > 0 {
		backends := []struct {
			label string
			opt   tracing.Option
		}{{"UDP agent (tracing.Init defaults)", tracing.WithAgent(cfg.agent)}}
		if cfg.collectorAddr != "" {
			backends = append(backends, struct {
				label string
				opt   tracing.Option
			}{"HTTP collector (README, busy services)", tracing.WithCollector(cfg.collector)})
		}
		for _, b := range backends {
			logf("tracer alone at %d requests/s for %v: %s", cfg.spanRate, cfg.spanDuration, b.label)
			ro, err := spanRateRun(ctx, cfg, b.label, b.opt, cfg.spanRate, cfg.spanDuration)
			if err != nil {
				return rep, err
			}
			rep.rates = append(rep.rates, ro)
		}
	}

	rep.faults = append(rep.faults, storeOutages(ctx, cfg, cfg.faultPhase, cfg.faultWorkers, logf)...)
	rep.faults = append(rep.faults, jaegerOutages(ctx, cfg, cfg.faultPhase, cfg.faultWorkers, logf)...)

	if cfg.rocketmq != "" && (!reachable(cfg.rocketmq) || !reachable(envOr("TRACEWRAP_ROCKETMQ_BROKER", "127.0.0.1:10911"))) {
		rep.notes = append(rep.notes, "RocketMQ ("+cfg.rocketmq+") was not reachable: the hostile corpus was not sent through it.")
		cfg.rocketmq = ""
	}
	logf("hostile corpus over HTTP, gRPC and RocketMQ")
	hs, err := runHostile(ctx, cfg.hostileScale, cfg.hostileReps, cfg.rocketmq)
	if err != nil {
		rep.notes = append(rep.notes, "hostile corpus: "+err.Error())
	}
	rep.hostile = hs

	rep.after = settledSample()
	rep.finished = time.Now()
	return rep, nil
}
