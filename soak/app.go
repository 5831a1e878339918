package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-redis/redis/v8"
	_ "github.com/go-sql-driver/mysql" // the "mysql" driver
	"github.com/opentracing/opentracing-go"
	"github.com/uber/jaeger-client-go"

	"github.com/tracewrap/tracewrap/nethttp"
	"github.com/tracewrap/tracewrap/redistrace"
	"github.com/tracewrap/tracewrap/sqltrace"
)

// stores says where the handler's data stores are.
type stores struct {
	mysqlDSN  string
	redisAddr string
	redisUser string
	redisPass string
}

// app is the soak's handler: one Redis GET and one MySQL query per request,
// answered 200, or 503 when MySQL fails (a Redis failure only marks the cache
// unavailable, as a cache should). Traced, it makes three spans per request:
// the server span, "get" and "sql.query".
type app struct {
	rdb    *redis.Client
	db     *sql.DB
	tracer opentracing.Tracer // nil: untraced
}

func newApp(st stores, tr opentracing.Tracer) (*app, error) {
	ropts := &redis.Options{Addr: st.redisAddr, Username: st.redisUser, Password: st.redisPass,
		DialTimeout: time.Second, ReadTimeout: time.Second, WriteTimeout: time.Second, MaxRetries: -1}
	a := &app{tracer: tr}
	var err error
	if tr == nil {
		a.rdb = redis.NewClient(ropts)
		a.db, err = sql.Open("mysql", st.mysqlDSN)
	} else {
		a.rdb = redistrace.NewClient(ropts, redistrace.WithTracer(tr))
		a.db, err = sqltrace.Open("mysql", st.mysqlDSN, sqltrace.WithTracer(tr))
	}
	if err != nil {
		a.rdb.Close()
		return nil, err
	}
	a.db.SetMaxIdleConns(64)
	a.db.SetMaxOpenConns(64)
	return a, nil
}

func (a *app) Close() {
	a.rdb.Close()
	a.db.Close()
}

func (a *app) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	key := fmt.Sprintf("soak:item:%d", 1+rand.IntN(100))
	cache := "hit"
	if _, err := a.rdb.Get(ctx, key).Result(); errors.Is(err, redis.Nil) {
		cache = "miss"
	} else if err != nil {
		cache = "unavailable"
	}
	var name string
	if err := a.db.QueryRowContext(ctx, "SELECT CONCAT('item-', ?)", key).Scan(&name); err != nil {
		w.Header().Set("X-Cache", cache)
		http.Error(w, "database unavailable", http.StatusServiceUnavailable)
		return
	}
	if sp := opentracing.SpanFromContext(ctx); sp != nil {
		if sc, ok := sp.Context().(jaeger.SpanContext); ok {
			w.Header().Set("X-Trace-Id", sc.TraceID().String())
		}
	}
	w.Header().Set("X-Cache", cache)
	fmt.Fprintln(w, name)
}

// server serves h on a free loopback port until Close.
type server struct {
	addr string
	srv  *http.Server
	done chan struct{}
}

func serve(h http.Handler) (*server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &server{addr: ln.Addr().String(), srv: &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}, done: make(chan struct{})}
	go func() { defer close(s.done); _ = s.srv.Serve(ln) }()
	return s, nil
}

func (s *server) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.srv.Shutdown(ctx)
	<-s.done
}

// serveApp serves a (traced with the middleware when it has a tracer).
func serveApp(a *app) (*server, error) {
	if a.tracer == nil {
		return serve(a)
	}
	return serve(nethttp.Middleware(a.tracer, a))
}

// result is one request as the load generator saw it.
type result struct {
	at      time.Duration // since the load began
	latency time.Duration
	status  int // 0: transport error
	cache   string
	traceID string
}

// load is a closed-loop load: workers each send one request after the
// other until the duration is over or maxRequests were sent in all.
type loadSpec struct {
	url         string
	workers     int
	duration    time.Duration
	maxRequests int64
	header      http.Header // sent with every request (an Authorization the secrets scan looks for)
}

type loadResult struct {
	results []result
	began   time.Time // results' at counts from here
	elapsed time.Duration
}

func runLoad(ctx context.Context, spec loadSpec) loadResult {
	tr := &http.Transport{MaxIdleConnsPerHost: spec.workers, MaxConnsPerHost: spec.workers, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	ctx, cancel := context.WithTimeout(ctx, spec.duration)
	defer cancel()
	var sent atomic.Int64
	per := make([][]result, spec.workers)
	begin := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < spec.workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for ctx.Err() == nil && (spec.maxRequests <= 0 || sent.Add(1) <= spec.maxRequests) {
				per[w] = append(per[w], doRequest(client, spec, begin))
			}
		}(w)
	}
	wg.Wait()
	out := loadResult{began: begin, elapsed: time.Since(begin)}
	for _, rs := range per {
		out.results = append(out.results, rs...)
	}
	sort.Slice(out.results, func(i, j int) bool { return out.results[i].at < out.results[j].at })
	return out
}

func doRequest(client *http.Client, spec loadSpec, begin time.Time) result {
	start := time.Now()
	r := result{at: start.Sub(begin)}
	req, err := http.NewRequest(http.MethodGet, spec.url, nil)
	if err != nil {
		r.latency = time.Since(start)
		return r
	}
	for k, v := range spec.header {
		req.Header[k] = v
	}
	resp, err := client.Do(req)
	if err == nil {
		var buf [512]byte
		for {
			if _, err := resp.Body.Read(buf[:]); err != nil {
				break
			}
		}
		resp.Body.Close()
		r.status = resp.StatusCode
		r.cache = resp.Header.Get("X-Cache")
		r.traceID = resp.Header.Get("X-Trace-Id")
	}
	r.latency = time.Since(start)
	return r
}

// summary of a set of results.
type summary struct {
	requests  int
	ok        int
	rps       float64
	p50, p99  time.Duration
	max       time.Duration
	traceIDs  []string
	statusErr int
}

func summarize(rs []result, elapsed time.Duration) summary {
	s := summary{requests: len(rs)}
	lat := make([]time.Duration, 0, len(rs))
	for _, r := range rs {
		lat = append(lat, r.latency)
		if r.status == http.StatusOK {
			s.ok++
		} else {
			s.statusErr++
		}
		if r.traceID != "" {
			s.traceIDs = append(s.traceIDs, r.traceID)
		}
	}
	if elapsed > 0 {
		s.rps = float64(len(rs)) / elapsed.Seconds()
	}
	if len(lat) > 0 {
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		s.p50 = lat[len(lat)/2]
		s.p99 = lat[len(lat)*99/100]
		s.max = lat[len(lat)-1]
	}
	return s
}
