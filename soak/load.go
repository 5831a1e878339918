package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tracewrap/tracewrap/internal/jaegerquery"
	"github.com/tracewrap/tracewrap/tracing"
)

func dialTimeout(addr string, d time.Duration) (net.Conn, error) {
	return net.DialTimeout("tcp", addr, d)
}

// udpCounters reads the kernel's UDP counters (machine-wide): datagrams a
// receiver's full socket buffer dropped, and datagrams sent to a port
// nobody listened on. UDP loss is invisible to the sender; this is where
// it shows.
func udpCounters() (rcvbufErrors, noPorts int64) {
	b, err := os.ReadFile("/proc/net/snmp")
	if err != nil {
		return -1, -1
	}
	var names []string
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) == 0 || f[0] != "Udp:" {
			continue
		}
		if names == nil {
			names = f
			continue
		}
		for i := 1; i < len(f) && i < len(names); i++ {
			v, _ := strconv.ParseInt(f[i], 10, 64)
			switch names[i] {
			case "RcvbufErrors":
				rcvbufErrors = v
			case "NoPorts":
				noPorts = v
			}
		}
		return rcvbufErrors, noPorts
	}
	return -1, -1
}

// loadOutcome is one load run.
type loadOutcome struct {
	udpRcvbufErrors, udpNoPorts int64  // kernel UDP counters' growth during the run (machine-wide)
	label                       string // "" for the untraced handler
	service                     string
	sum                         summary
	stats                       tracing.SpanStats
	logLines                    int
	logFirst                    []string
	verify                      *verification
}

// verification is what Jaeger holds of the run's traces.
type verification struct {
	traces, checked, missingTraces int
	wantServer, gotServer          int
	wantClient, gotClient          int
	secretHits                     map[string]int // secret name -> traces holding it
	err                            string
}

func (v *verification) delivered() float64 {
	want := v.wantServer + v.wantClient
	if want == 0 {
		return 0
	}
	return float64(v.gotServer+v.gotClient) / float64(want)
}

// secretsFor lists what must never reach a span: the stores' passwords and
// the Authorization header the load sends.
func secretsFor(token string) map[string]string {
	return map[string]string{
		"MySQL password":         mysqlPassword,
		"Redis password":         redisPassword,
		"Authorization header":   token,
		"private Redis password": privateRedisPassword,
	}
}

// loadRun runs the handler untraced (label "") or traced by tracing.Init
// with backend; its traces are read back from Jaeger when verify is set.
func loadRun(ctx context.Context, cfg *config, label string, backend tracing.Option, verify bool) (loadOutcome, error) {
	out := loadOutcome{label: label}
	token := "soak-bearer-" + strconv.FormatUint(rand.Uint64(), 36)
	var a *app
	var closeTracer func()
	logs := &lineCounter{}
	var trStats func() (tracing.SpanStats, bool)
	if label == "" {
		var err error
		if a, err = newApp(cfg.stores, nil); err != nil {
			return out, err
		}
	} else {
		out.service = fmt.Sprintf("soak-load-%d", time.Now().UnixNano()%1e9)
		t, closer, err := tracing.Init(out.service, tracing.WithoutGlobal(), tracing.WithLogger(logs), backend)
		if err != nil {
			return out, err
		}
		if a, err = newApp(cfg.stores, t); err != nil {
			closer.Close()
			return out, err
		}
		closeTracer = func() { closer.Close() }
		trStats = func() (tracing.SpanStats, bool) { return tracing.Stats(t) }
	}
	srv, err := serveApp(a)
	if err != nil {
		a.Close()
		return out, err
	}
	// warm the pools, then measure
	runLoad(ctx, loadSpec{url: "http://" + srv.addr + "/item", workers: cfg.workers, duration: time.Second, maxRequests: int64(cfg.workers) * 4})
	rb0, np0 := udpCounters()
	lr := runLoad(ctx, loadSpec{url: "http://" + srv.addr + "/item", workers: cfg.workers, duration: cfg.duration,
		header: http.Header{"Authorization": {"Bearer " + token}}})
	srv.Close()
	a.Close()
	out.sum = summarize(lr.results, lr.elapsed)
	if closeTracer == nil {
		return out, nil
	}
	closeTracer()
	rb1, np1 := udpCounters()
	out.udpRcvbufErrors, out.udpNoPorts = rb1-rb0, np1-np0
	out.stats, _ = trStats()
	out.logLines = logs.count()
	out.logFirst = logs.first
	if verify && cfg.query != "" {
		out.verify = verifyTraces(ctx, &jaegerquery.Client{BaseURL: cfg.query}, out.sum.traceIDs, cfg.verifyMax, secretsFor(token))
	}
	return out, nil
}

// verifyTraces reads the traces back from Jaeger (all, or a uniform sample of
// max) and counts their spans: each request made one server and two client
// spans.
func verifyTraces(ctx context.Context, q *jaegerquery.Client, ids []string, max int, secrets map[string]string) *verification {
	v := &verification{traces: len(ids), secretHits: map[string]int{}}
	if len(ids) > max {
		ids = append([]string(nil), ids...)
		rand.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
		ids = ids[:max]
	}
	v.checked = len(ids)
	time.Sleep(3 * time.Second) // the last batches reach storage
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	var mu sync.Mutex
	check := func(ids []string) (missing []string) {
		work := make(chan string)
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for id := range work {
					t, err := q.Trace(ctx, id)
					mu.Lock()
					switch {
					case errors.Is(err, jaegerquery.ErrNotFound):
						missing = append(missing, id)
					case err != nil:
						if v.err == "" {
							v.err = err.Error()
						}
						missing = append(missing, id)
					default:
						countSpans(v, t, secrets)
					}
					mu.Unlock()
				}
			}()
		}
		for _, id := range ids {
			if ctx.Err() != nil {
				break
			}
			work <- id
		}
		close(work)
		wg.Wait()
		return missing
	}
	missing := check(ids)
	if len(missing) > 0 && ctx.Err() == nil {
		time.Sleep(3 * time.Second)
		missing = check(missing)
	}
	v.missingTraces = len(missing)
	v.wantServer, v.wantClient = v.checked, 2*v.checked
	return v
}

func countSpans(v *verification, t *jaegerquery.Trace, secrets map[string]string) {
	server, client := 0, 0
	for _, s := range t.Spans {
		switch s.Kind() { // OTLP's kind under Jaeger v2, else the span.kind tag
		case "server":
			server++
		case "client":
			client++
		}
	}
	v.gotServer += min(server, 1)
	v.gotClient += min(client, 2)
	for name, secret := range secrets {
		if secret != "" && bytes.Contains(t.Raw, []byte(secret)) {
			v.secretHits[name]++
		}
	}
}

// procSample is the process's memory and goroutines at one moment.
type procSample struct {
	rssKiB     int64
	goroutines int
	heapKiB    uint64
	byFunc     []string // "n × function", goroutines grouped by their creator
}

// goroutinesByCreator groups the goroutines by the function that created
// them (the main goroutine by its own top frame).
func goroutinesByCreator() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	counts := map[string]int{}
	for _, g := range strings.Split(string(buf), "\n\n") {
		lines := strings.Split(strings.TrimSpace(g), "\n")
		key := ""
		for i, l := range lines {
			if strings.HasPrefix(l, "created by ") {
				key = strings.TrimPrefix(l, "created by ")
				if j := strings.Index(key, " in goroutine"); j >= 0 {
					key = key[:j]
				}
				break
			}
			if i == 1 {
				key = l
			}
		}
		if key != "" {
			counts[key]++
		}
	}
	var out []string
	for k, n := range counts {
		out = append(out, fmt.Sprintf("%d × %s", n, k))
	}
	sort.Strings(out)
	return out
}

func sample() procSample {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	s := procSample{goroutines: runtime.NumGoroutine(), heapKiB: ms.HeapAlloc >> 10}
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "VmRSS:") {
				f := strings.Fields(l)
				if len(f) >= 2 {
					s.rssKiB, _ = strconv.ParseInt(f[1], 10, 64)
				}
			}
		}
	}
	return s
}

// settledSample waits for goroutines of closed clients to end (bounded),
// then samples.
func settledSample() procSample {
	deadline := time.Now().Add(10 * time.Second)
	for {
		runtime.GC()
		s := sample()
		if time.Now().After(deadline) {
			s.byFunc = goroutinesByCreator()
			return s
		}
		time.Sleep(500 * time.Millisecond)
		if n := runtime.NumGoroutine(); n == s.goroutines {
			s = sample()
			s.byFunc = goroutinesByCreator()
			return s
		}
	}
}
