// Package jaegerquery reads traces back from Jaeger v2's stable query API
// (/api/v3/traces/{id}, OTLP JSON) and renders them as an indented tree or a
// waterfall. The end-to-end tests assert on what it returns, and the demo
// prints it, so both see the trace exactly as Jaeger stored it.
//
// The OTLP spans are converted into a Jaeger-shaped model (spans with tags,
// logs, references and a process) so that assertions read like Jaeger's UI:
//   - parentSpanId is a CHILD_OF reference, and a link a reference of the
//     type its opentracing.ref_type attribute names (FOLLOWS_FROM when
//     absent); a parentSpanId that a follows_from link names too is that
//     FOLLOWS_FROM reference only (how Jaeger v2 stores a jaeger-client-go
//     span that follows from another);
//   - an event is a log whose "event" field is the event's name;
//   - a resource is a process, its service.name the service;
//   - the instrumentation scope's name and version are the tags
//     otel.scope.name and otel.scope.version, as Jaeger's UI shows them.
//
// Two things Jaeger v2 keeps outside the attributes have fields of their
// own: the kind (SpanKind; Kind() falls back to a span.kind tag) and the
// status (Status; IsError()).
package jaegerquery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"time"
)

// KeyValue is a tag or log field.
type KeyValue struct {
	Key   string `json:"key"`
	Type  string `json:"type"` // string, bool, int64, float64, binary (base64) or, from OTLP, array/kvlist (as JSON)
	Value any    `json:"value"`
}

// Reference links a span to another span.
type Reference struct {
	RefType string `json:"refType"` // CHILD_OF or FOLLOWS_FROM
	TraceID string `json:"traceID"`
	SpanID  string `json:"spanID"`
}

// Log is one span log (an OTLP event).
type Log struct {
	Timestamp int64      `json:"timestamp"` // microseconds since the epoch
	Fields    []KeyValue `json:"fields"`
}

// Status is the span's OTLP status as Jaeger v2 stores it. Jaeger turns the
// OpenTracing tag error=true into StatusError (and drops the tag); it also
// sets StatusError on a span without that tag whose http.status_code is
// 5xx, or 4xx on a client span.
type Status struct {
	Code    string `json:"code"` // "" (unset), "OK" or "ERROR"
	Message string `json:"message,omitempty"`
}

// Status codes.
const (
	StatusUnset = ""
	StatusOK    = "OK"
	StatusError = "ERROR"
)

// Span is one span. Times are microseconds.
type Span struct {
	TraceID       string      `json:"traceID"`
	SpanID        string      `json:"spanID"`
	OperationName string      `json:"operationName"`
	References    []Reference `json:"references"`
	StartTime     int64       `json:"startTime"` // since the epoch
	Duration      int64       `json:"duration"`
	Tags          []KeyValue  `json:"tags"`
	Logs          []Log       `json:"logs"`
	ProcessID     string      `json:"processID"`
	Warnings      []string    `json:"warnings"`

	// SpanKind is the OTLP kind: server, client, producer, consumer,
	// internal, or "" (unspecified). See Kind.
	SpanKind string `json:"kind,omitempty"`
	Status   Status `json:"status"`

	Service string `json:"-"` // filled from the trace's processes
}

// Process is the reporting service of a span (an OTLP resource).
type Process struct {
	ServiceName string     `json:"serviceName"`
	Tags        []KeyValue `json:"tags"`
}

// Trace is one trace.
type Trace struct {
	TraceID   string             `json:"traceID"`
	Spans     []*Span            `json:"spans"`
	Processes map[string]Process `json:"processes"`

	// Raw is the query API's response body the trace was read from, so a
	// test can search everything Jaeger stored (for example for secrets).
	Raw []byte `json:"-"`
}

// ErrNotFound means Jaeger has no trace with that id (yet).
var ErrNotFound = errors.New("jaegerquery: trace not found")

// Client talks to one Jaeger v2 query service.
type Client struct {
	BaseURL string // e.g. http://127.0.0.1:16686
	HTTP    *http.Client
}

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return &http.Client{Timeout: 10 * time.Second}
}

// TracePath is the query API path of a trace.
func TracePath(traceID string) string { return "/api/v3/traces/" + url.PathEscape(traceID) }

// Trace fetches one trace by its hex id (GET /api/v3/traces/{id}).
func (c *Client) Trace(ctx context.Context, traceID string) (*Trace, error) {
	status, raw, err := c.get(ctx, TracePath(traceID), nil)
	if status == http.StatusNotFound {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	t, err := ParseOTLP(raw)
	if err != nil {
		return nil, fmt.Errorf("jaegerquery: trace %s: %w", traceID, err)
	}
	if len(t.Spans) == 0 {
		return nil, ErrNotFound
	}
	return t, nil
}

// WaitForTrace polls until the trace holds at least minSpans spans and its
// span count has stopped growing for settle, or ctx ends. Spans reach Jaeger
// from several processes at different times, so one fetch is not enough.
func (c *Client) WaitForTrace(ctx context.Context, traceID string, minSpans int, settle time.Duration) (*Trace, error) {
	return c.WaitUntil(ctx, traceID, func(t *Trace) error {
		if len(t.Spans) < minSpans {
			return fmt.Errorf("%d spans, wanted at least %d", len(t.Spans), minSpans)
		}
		return nil
	}, settle)
}

// WaitUntil polls until ready accepts the trace (returns nil) and the span
// count has stopped growing for settle, or ctx ends; then the error says what
// ready last found missing. ready describes what must have arrived (a consume
// span, a transaction check) rather than a count, so late spans from other
// processes are waited for by name.
func (c *Client) WaitUntil(ctx context.Context, traceID string, ready func(*Trace) error, settle time.Duration) (*Trace, error) {
	var last *Trace
	var lastWhy error
	var stableSince time.Time
	for {
		t, err := c.Trace(ctx, traceID)
		switch {
		case err == nil:
			if last == nil || len(t.Spans) != len(last.Spans) {
				stableSince = time.Now()
			}
			last = t
			lastWhy = ready(t)
			if lastWhy == nil && time.Since(stableSince) >= settle {
				return t, nil
			}
		case !errors.Is(err, ErrNotFound):
			return last, err
		}
		select {
		case <-ctx.Done():
			if last != nil {
				if lastWhy == nil {
					lastWhy = errors.New("span count still changing")
				}
				return last, fmt.Errorf("trace %s not complete (%v): %w", traceID, lastWhy, ctx.Err())
			}
			return nil, fmt.Errorf("trace %s never appeared: %w", traceID, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Services lists the services Jaeger has seen (GET /api/v3/services).
func (c *Client) Services(ctx context.Context) ([]string, error) {
	var body struct {
		Services []string `json:"services"`
	}
	_, _, err := c.get(ctx, "/api/v3/services", &body)
	sort.Strings(body.Services)
	return body.Services, err
}

func (c *Client) get(ctx context.Context, path string, into any) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.BaseURL+path, nil)
	if err != nil {
		return 0, nil, err
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return resp.StatusCode, nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, raw, fmt.Errorf("jaegerquery: GET %s: %s: %.200s", path, resp.Status, raw)
	}
	if into == nil {
		return resp.StatusCode, raw, nil
	}
	if err := json.Unmarshal(raw, into); err != nil {
		return resp.StatusCode, raw, fmt.Errorf("jaegerquery: GET %s: %w", path, err)
	}
	return resp.StatusCode, raw, nil
}
