package tracing

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/uber/jaeger-client-go"
)

// ConsoleReporter prints each finished span as one line, for local runs
// without a Jaeger:
//
//	[order-srv] sql.query 1.2ms trace=5af7183fb1d4cf5f span=1d4cf5f parent=5af7 db.statement="SELECT 1" ...
type ConsoleReporter struct {
	mu      sync.Mutex
	w       io.Writer
	service string
}

// NewConsoleReporter returns a reporter writing to w for service.
func NewConsoleReporter(w io.Writer, service string) *ConsoleReporter {
	return &ConsoleReporter{w: w, service: service}
}

// Report implements jaeger.Reporter.
func (r *ConsoleReporter) Report(span *jaeger.Span) {
	sc := span.SpanContext()
	var b strings.Builder
	fmt.Fprintf(&b, "[%s] %s %s trace=%s span=%s", r.service, span.OperationName(),
		span.Duration().Round(time.Microsecond), sc.TraceID(), sc.SpanID())
	if p := sc.ParentID(); p != 0 {
		fmt.Fprintf(&b, " parent=%s", p)
	}
	writeTags(&b, span.Tags())
	for _, l := range span.Logs() {
		b.WriteString(" log{")
		for i, f := range l.Fields {
			if i > 0 {
				b.WriteByte(' ')
			}
			fmt.Fprintf(&b, "%s=%q", f.Key(), fmt.Sprint(f.Value()))
		}
		b.WriteString("}")
	}
	b.WriteByte('\n')
	r.mu.Lock()
	_, _ = io.WriteString(r.w, b.String())
	r.mu.Unlock()
}

// Close implements jaeger.Reporter.
func (r *ConsoleReporter) Close() {}

func writeTags(b *strings.Builder, tags opentracing.Tags) {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(b, " %s=%q", k, fmt.Sprint(tags[k]))
	}
}
