package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"github.com/uber/jaeger-client-go"

	"github.com/tracewrap/tracewrap/internal/jaegerquery"
	"github.com/tracewrap/tracewrap/tracing"
)

// rateOutcome is a run of the tracer alone at a fixed rate of requests: the
// spans of the soak's handler (a server span and two client spans with the
// same tags) without the handler's work, so the rate the issue measured
// (about 4,900 requests/s) is reached on a machine whose cores the data
// stores would otherwise take.
type rateOutcome struct {
	label                       string
	target, achieved            float64
	traces                      int
	stats                       tracing.SpanStats
	verify                      *verification
	udpRcvbufErrors, udpNoPorts int64
	logLines                    int
	logFirst                    []string
}

// rateVerifyMax bounds the traces of a tracer-only run read back (a uniform
// sample): 10,000 traces are 30,000 spans, where a 0.1% loss is 30 spans.
const rateVerifyMax = 10000

func spanRateRun(ctx context.Context, cfg *config, label string, backend tracing.Option, rate int, d time.Duration) (rateOutcome, error) {
	out := rateOutcome{label: label, target: float64(rate)}
	logs := &lineCounter{}
	service := fmt.Sprintf("soak-rate-%d", time.Now().UnixNano()%1e9)
	tr, closer, err := tracing.Init(service, tracing.WithoutGlobal(), backend, tracing.WithLogger(logs))
	if err != nil {
		return out, err
	}
	const workers = 8
	interval := time.Duration(float64(time.Second) * workers / float64(rate))
	max := rate * int(d/time.Second+1)
	ids := make([][]string, workers)
	runCtx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	rb0, np0 := udpCounters()
	begin := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			next := time.Now()
			for i := 0; i < max/workers && runCtx.Err() == nil; i++ {
				ids[w] = append(ids[w], handlerSpans(tr, i))
				next = next.Add(interval)
				if wait := time.Until(next); wait > 0 {
					time.Sleep(wait)
				} else if wait < -time.Second {
					next = time.Now() // fell behind: do not burst to catch up
				}
			}
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(begin)
	closer.Close()
	rb1, np1 := udpCounters()
	out.udpRcvbufErrors, out.udpNoPorts = rb1-rb0, np1-np0
	var all []string
	for _, s := range ids {
		all = append(all, s...)
	}
	out.traces = len(all)
	out.achieved = float64(len(all)) / elapsed.Seconds()
	out.stats, _ = tracing.Stats(tr)
	out.logLines, out.logFirst = logs.count(), logs.first
	if cfg.query != "" {
		out.verify = verifyTraces(ctx, &jaegerquery.Client{BaseURL: cfg.query}, all, min(cfg.verifyMax, rateVerifyMax), nil)
	}
	return out, nil
}

// handlerSpans makes the three spans of one request of the soak's handler
// and returns the trace id.
func handlerSpans(tr opentracing.Tracer, i int) string {
	key := fmt.Sprintf("soak:item:%d", 1+i%100)
	root := tr.StartSpan("HTTP GET /item", ext.SpanKindRPCServer, opentracing.Tag{Key: "component", Value: "net/http"})
	ext.HTTPMethod.Set(root, "GET")
	ext.HTTPUrl.Set(root, "http://127.0.0.1:8080/item")
	ext.PeerHostIPv4.SetString(root, "127.0.0.1")
	get := tr.StartSpan("get", opentracing.ChildOf(root.Context()), ext.SpanKindRPCClient, opentracing.Tag{Key: "component", Value: "go-redis"})
	ext.DBType.Set(get, "redis")
	ext.DBStatement.Set(get, "get "+key)
	ext.PeerHostname.Set(get, "127.0.0.1")
	ext.PeerPort.Set(get, 6379)
	get.Finish()
	q := tr.StartSpan("sql.query", opentracing.ChildOf(root.Context()), ext.SpanKindRPCClient, opentracing.Tag{Key: "component", Value: "database/sql"})
	ext.DBType.Set(q, "sql")
	ext.DBInstance.Set(q, "tracewrap")
	ext.DBUser.Set(q, "tracewrap")
	ext.DBStatement.Set(q, "SELECT CONCAT('item-', '"+key+"')")
	ext.PeerHostname.Set(q, "127.0.0.1")
	ext.PeerPort.Set(q, 3306)
	q.Finish()
	ext.HTTPStatusCode.Set(root, 200)
	id := root.Context().(jaeger.SpanContext).TraceID().String()
	root.Finish()
	return id
}
