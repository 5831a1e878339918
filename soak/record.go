package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uber/jaeger-client-go"
	"github.com/uber/jaeger-client-go/thrift"
)

// spanRecord is what the recorder keeps of a finished span.
type spanRecord struct {
	op    string
	start time.Time
	err   bool
	bytes int // compact thrift size, as the agent transport would send it
}

// recorder is a jaeger.Reporter that keeps a summary of every span (no
// network): the fault and hostile cases read what the wrappers recorded
// from it.
type recorder struct {
	mu    sync.Mutex
	spans []spanRecord
	max   int // keep at most this many
	extra atomic.Int64
}

func newRecorder(max int) *recorder { return &recorder{max: max} }

// Report implements jaeger.Reporter.
func (r *recorder) Report(span *jaeger.Span) {
	rec := spanRecord{op: span.OperationName(), start: span.StartTime(), bytes: thriftSize(span)}
	if v, ok := span.Tags()["error"].(bool); ok && v {
		rec.err = true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.spans) >= r.max {
		r.extra.Add(1)
		return
	}
	r.spans = append(r.spans, rec)
}

// Close implements jaeger.Reporter.
func (r *recorder) Close() {}

func (r *recorder) all() []spanRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]spanRecord(nil), r.spans...)
}

func (r *recorder) reset() {
	r.mu.Lock()
	r.spans = r.spans[:0]
	r.mu.Unlock()
}

// thriftSize is the span's size in the agent protocol.
func thriftSize(span *jaeger.Span) int {
	buf := thrift.NewTMemoryBufferLen(1024)
	proto := thrift.NewTCompactProtocolFactory().GetProtocol(buf)
	if err := jaeger.BuildJaegerThrift(span).Write(context.Background(), proto); err != nil {
		return -1
	}
	return buf.Len()
}

// lineCounter counts log lines written to it (the standard logger's output
// or a jaeger.Logger), keeping the first few.
type lineCounter struct {
	mu    sync.Mutex
	lines int
	first []string
}

func (c *lineCounter) Write(p []byte) (int, error) {
	c.add(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func (c *lineCounter) add(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lines += 1 + strings.Count(s, "\n")
	if len(c.first) < 5 {
		if len(s) > 200 {
			s = s[:200] + "…"
		}
		c.first = append(c.first, s)
	}
}

func (c *lineCounter) Error(msg string)                      { c.add(msg) }
func (c *lineCounter) Infof(msg string, args ...interface{}) { c.add(fmt.Sprintf(msg, args...)) }
func (c *lineCounter) Debugf(string, ...interface{})         {}

func (c *lineCounter) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lines
}

func (c *lineCounter) reset() {
	c.mu.Lock()
	c.lines, c.first = 0, nil
	c.mu.Unlock()
}
