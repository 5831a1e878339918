package tracing

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uber/jaeger-client-go"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// exportGuard sits between the batch span processor and the exporter. It
// reports failed exports through the configured logger (rate-limited) whether
// or not Init installed OpenTelemetry's error handler, counts what was sent
// and lost, and lets Close abandon a collector that does not answer.
type exportGuard struct {
	next  sdktrace.SpanExporter
	dest  string
	log   *otelLog
	owned bool // Init built next, so Shutdown shuts it down

	stop     context.Context // done once Close gave up
	abandon  context.CancelFunc
	exported atomic.Int64
	failed   atomic.Int64
	mu       sync.Mutex
	last     error
}

func newExportGuard(next sdktrace.SpanExporter, dest string, log *otelLog, owned bool) *exportGuard {
	g := &exportGuard{next: next, dest: dest, log: log, owned: owned}
	g.stop, g.abandon = context.WithCancel(context.Background())
	return g
}

// ExportSpans passes spans on. A failure is logged and counted here, and not
// returned: the batch processor would only hand it to otel.Handle, a second
// report of the same loss (it never retries; the exporter already did).
func (g *exportGuard) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	if len(spans) == 0 {
		return nil
	}
	err := g.stop.Err()
	if err == nil {
		ctx, cancel := context.WithCancel(ctx)
		unhook := context.AfterFunc(g.stop, cancel)
		err = g.next.ExportSpans(ctx, spans)
		unhook()
		cancel()
	}
	if err == nil {
		g.exported.Add(int64(len(spans)))
		return nil
	}
	if g.stop.Err() != nil {
		err = fmt.Errorf("abandoned after Close gave up: %w", err)
	}
	g.failed.Add(int64(len(spans)))
	g.mu.Lock()
	g.last = err
	g.mu.Unlock()
	// One stable text per cause, so the quiet logger can drop the repeats.
	g.log.Error(fmt.Sprintf("tracing: spans not exported to %s: %v", g.dest, err))
	return nil
}

func (g *exportGuard) lastError() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.last
}

// Shutdown shuts the exporter down if Init built it; after Close gave up,
// with a context that is already done, so it does not wait on the collector
// either.
func (g *exportGuard) Shutdown(ctx context.Context) error {
	if !g.owned {
		return nil
	}
	if g.stop.Err() != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		cancel()
	}
	return g.next.Shutdown(ctx)
}

// consoleProcessor prints each finished span, one line, as ConsoleReporter
// does for the Jaeger backend (WithConsoleOutput).
type consoleProcessor struct {
	mu      sync.Mutex
	w       io.Writer
	service string
}

func (p *consoleProcessor) OnStart(context.Context, sdktrace.ReadWriteSpan) {}

func (p *consoleProcessor) OnEnd(s sdktrace.ReadOnlySpan) {
	if !s.SpanContext().IsSampled() {
		return
	}
	var b strings.Builder
	sc := s.SpanContext()
	fmt.Fprintf(&b, "[%s] %s %s trace=%s span=%s", p.service, s.Name(),
		s.EndTime().Sub(s.StartTime()).Round(time.Microsecond), sc.TraceID(), sc.SpanID())
	if parent := s.Parent(); parent.IsValid() {
		fmt.Fprintf(&b, " parent=%s", parent.SpanID())
	}
	fmt.Fprintf(&b, " span.kind=%q", s.SpanKind().String())
	if st := s.Status(); st.Code.String() == "Error" {
		fmt.Fprintf(&b, " status=%q", "error: "+st.Description)
	}
	attrs := append([]attribute.KeyValue(nil), s.Attributes()...)
	sort.Slice(attrs, func(i, j int) bool { return attrs[i].Key < attrs[j].Key })
	for _, a := range attrs {
		fmt.Fprintf(&b, " %s=%q", a.Key, a.Value.Emit())
	}
	for _, e := range s.Events() {
		fmt.Fprintf(&b, " log{event=%q", e.Name)
		for _, a := range e.Attributes {
			if a.Key != "event" {
				fmt.Fprintf(&b, " %s=%q", a.Key, a.Value.Emit())
			}
		}
		b.WriteString("}")
	}
	b.WriteByte('\n')
	p.mu.Lock()
	_, _ = io.WriteString(p.w, b.String())
	p.mu.Unlock()
}

func (p *consoleProcessor) Shutdown(context.Context) error   { return nil }
func (p *consoleProcessor) ForceFlush(context.Context) error { return nil }

// otelLog is the OpenTelemetry backend's error log: repeats of a message at
// most once a minute (quietLogger), and at most otelLogBudget messages a
// minute in all, since the SDK's texts can vary from one batch to the next
// (counts of rejected spans) and would slip past the repeat filter.
type otelLog struct {
	next *quietLogger

	mu      sync.Mutex
	window  time.Time
	n       int
	skipped int
}

const otelLogBudget = 20

func newOTelLog(next jaeger.Logger) *otelLog { return &otelLog{next: newQuietLogger(next)} }

func (l *otelLog) Error(msg string) {
	now := time.Now()
	skipped := 0
	l.mu.Lock()
	if now.Sub(l.window) >= repeatEvery {
		skipped = l.skipped
		l.window, l.n, l.skipped = now, 0, 0
	}
	l.n++
	over := l.n > otelLogBudget
	if over {
		l.skipped++
	}
	l.mu.Unlock()
	if skipped > 0 {
		l.next.Error(fmt.Sprintf("tracing: %d more OpenTelemetry errors were not logged in the last minute", skipped))
	}
	if !over {
		l.next.Error(msg)
	}
}
