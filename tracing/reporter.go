package tracing

import (
	"fmt"
	"io"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"weak"

	"github.com/opentracing/opentracing-go"
	"github.com/uber/jaeger-client-go"
	jaegercfg "github.com/uber/jaeger-client-go/config"
	"github.com/uber/jaeger-lib/metrics"
)

// DefaultQueueSize is how many finished spans the reporter holds while its
// background goroutine sends earlier ones, unless JAEGER_REPORTER_MAX_QUEUE_SIZE
// or WithConfig says otherwise. jaeger-client-go's own default, 100, is a
// few milliseconds of a busy service: a moment without CPU for the
// reporter's goroutine overflows it. Ten thousand spans absorb half a second
// at 20,000 spans/s; the queue holds only the spans themselves (a few KiB
// each at most, statements being capped), so a stalled collector costs tens
// of MiB, bounded.
const DefaultQueueSize = 10000

// MaxTagValueLength is the tag value length given to the Jaeger tracer: no
// cap. jaeger-client-go would otherwise cut every string tag at 256 bytes
// without a mark, so db.statement, capped by the wrappers at 4 KiB with a
// "…" marker, would reach Jaeger cut short and unmarked. Capping is the
// wrappers' job (WithMaxStatementSize, and their fixed caps), where the cut
// is marked; the tracer sends values as they are. Over UDP a span must fit
// one agent packet (65,000 bytes): a bigger one is refused whole by the
// agent transport and counted in SpanStats.Failed.
const MaxTagValueLength = math.MaxInt32

// statsLogInterval is how often lost spans are summed up in the log.
const statsLogInterval = time.Minute

// SpanStats is what a tracer built by Init did with the spans it finished.
// Finished = Sent + Dropped + Failed + the spans still queued or buffered.
type SpanStats struct {
	// Finished counts sampled spans finished and handed to the reporter.
	Finished int64
	// Sent counts spans the transport sent: written to the agent's UDP
	// socket (UDP does not say whether the agent read them), or accepted by
	// the collector (HTTP).
	Sent int64
	// Dropped counts spans thrown away because the reporter's queue was
	// full: more spans finish than reach the agent or collector.
	Dropped int64
	// Failed counts spans the transport could not send: the collector
	// unreachable or answering with an error, the agent's port refusing,
	// or a span bigger than one UDP packet.
	Failed int64
}

// Lost is Dropped + Failed.
func (s SpanStats) Lost() int64 { return s.Dropped + s.Failed }

// Stats returns the counts of a tracer that Init built, and false for any
// other tracer (a no-op one from JAEGER_DISABLED included). The counts stay
// readable after Close. They are also logged through the configured logger
// (WithLogger): the first drop at once, then what was lost at most once a
// minute, and at Close.
func Stats(tr opentracing.Tracer) (SpanStats, bool) {
	jt, ok := tr.(*jaeger.Tracer)
	if !ok {
		return SpanStats{}, false
	}
	v, ok := registry.Load(weak.Make(jt))
	if !ok {
		return SpanStats{}, false
	}
	return v.(*spanStats).snapshot(), true
}

// registry maps a tracer to its counts without keeping the tracer alive.
var registry sync.Map // weak.Pointer[jaeger.Tracer] -> *spanStats

// applyReporterDefaults sizes the reporter for a busy service where neither
// the environment nor WithConfig chose.
func applyReporterDefaults(cfg *jaegercfg.Configuration) {
	if cfg.Reporter == nil {
		cfg.Reporter = &jaegercfg.ReporterConfig{}
	}
	if cfg.Reporter.QueueSize <= 0 {
		cfg.Reporter.QueueSize = DefaultQueueSize
	}
}

// spanStats counts, through jaeger-client-go's metrics (a metrics.Factory
// handed to the tracer and its reporter), what happens to finished spans,
// and logs losses.
type spanStats struct {
	finished, sent, dropped, failed atomic.Int64

	logger    jaeger.Logger
	queueSize int
	every     time.Duration
	warned    atomic.Bool // the first drop was logged

	mu     sync.Mutex // guards logged and stop
	logged SpanStats  // what the last summary covered
	stop   chan struct{}
	done   chan struct{}
}

func newSpanStats(logger jaeger.Logger, queueSize int, every time.Duration) *spanStats {
	if every <= 0 {
		every = statsLogInterval
	}
	return &spanStats{logger: logger, queueSize: queueSize, every: every}
}

func (s *spanStats) snapshot() SpanStats {
	return SpanStats{Finished: s.finished.Load(), Sent: s.sent.Load(), Dropped: s.dropped.Load(), Failed: s.failed.Load()}
}

// jaegerMetrics is the reporter's view of the counters.
func (s *spanStats) jaegerMetrics() *jaeger.Metrics { return jaeger.NewMetrics(s, nil) }

// Counter implements metrics.Factory: the four counters SpanStats shows,
// no-ops for the rest (so the tracer pays nothing for them).
func (s *spanStats) Counter(o metrics.Options) metrics.Counter {
	switch {
	case o.Name == "finished_spans" && o.Tags["sampled"] == "y":
		return (*counter)(&s.finished)
	case o.Name == "reporter_spans" && o.Tags["result"] == "ok":
		return (*counter)(&s.sent)
	case o.Name == "reporter_spans" && o.Tags["result"] == "err":
		return (*counter)(&s.failed)
	case o.Name == "reporter_spans" && o.Tags["result"] == "dropped":
		return &dropCounter{s: s}
	}
	return metrics.NullCounter
}

// Timer implements metrics.Factory.
func (s *spanStats) Timer(metrics.TimerOptions) metrics.Timer { return metrics.NullTimer }

// Gauge implements metrics.Factory.
func (s *spanStats) Gauge(metrics.Options) metrics.Gauge { return metrics.NullGauge }

// Histogram implements metrics.Factory.
func (s *spanStats) Histogram(metrics.HistogramOptions) metrics.Histogram {
	return metrics.NullHistogram
}

// Namespace implements metrics.Factory: jaeger-client-go makes its metrics
// in the namespace jaeger.tracer, whose names the counters above match.
func (s *spanStats) Namespace(metrics.NSOptions) metrics.Factory { return s }

type counter atomic.Int64

func (c *counter) Inc(n int64) { (*atomic.Int64)(c).Add(n) }

// dropCounter counts a span the full queue refused, and says so at once the
// first time: later drops are summed up once a minute.
type dropCounter struct{ s *spanStats }

func (c *dropCounter) Inc(n int64) {
	c.s.dropped.Add(n)
	if !c.s.warned.Load() && c.s.warned.CompareAndSwap(false, true) {
		c.s.logger.Error(fmt.Sprintf("tracing: the reporter's queue (%d spans) is full, spans are being dropped: "+
			"more spans finish than reach Jaeger (see tracing.Stats; what is lost is logged once a minute; "+
			"the README's \"Busy services\" has the remedies)", c.s.queueSize))
	}
}

// register makes the counts readable by Stats(tr) for as long as tr lives,
// and starts the summary logger, which stops when the returned closer (the
// tracer's own, wrapped) is closed.
func (s *spanStats) register(tr opentracing.Tracer, closer io.Closer) io.Closer {
	if jt, ok := tr.(*jaeger.Tracer); ok {
		key := weak.Make(jt)
		registry.Store(key, s)
		runtime.AddCleanup(jt, func(k weak.Pointer[jaeger.Tracer]) { registry.Delete(k) }, key)
	}
	s.stop, s.done = make(chan struct{}), make(chan struct{})
	go s.summarize()
	return &statsCloser{closer: closer, s: s}
}

func (s *spanStats) summarize() {
	defer close(s.done)
	t := time.NewTicker(s.every)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.logLoss("in the last " + s.every.String())
		}
	}
}

// logLoss logs the spans lost since the last summary, if any.
func (s *spanStats) logLoss(period string) {
	s.mu.Lock()
	now := s.snapshot()
	last := s.logged
	s.logged = now
	s.mu.Unlock()
	dropped, failed := now.Dropped-last.Dropped, now.Failed-last.Failed
	if dropped == 0 && failed == 0 {
		return
	}
	s.logger.Error(fmt.Sprintf("tracing: %d spans lost %s (%d dropped from the full queue of %d, %d failed to send); "+
		"%d of %d finished spans lost since the start", dropped+failed, period, dropped, s.queueSize, failed,
		now.Lost(), now.Finished))
}

// statsCloser closes the tracer, then stops the summaries with a last one
// for what the final flush could not send.
type statsCloser struct {
	closer io.Closer
	s      *spanStats
	once   sync.Once
}

func (c *statsCloser) Close() error {
	err := c.closer.Close()
	c.once.Do(func() {
		close(c.s.stop)
		<-c.s.done
		c.s.logLoss("since the last report, at Close")
	})
	return err
}
