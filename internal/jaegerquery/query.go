// Package jaegerquery reads traces back from Jaeger's HTTP query API
// (/api/traces/{id}) and renders them as an indented tree. The end-to-end
// tests assert on what it returns, and the demo prints it, so both see the
// trace exactly as Jaeger stored it.
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
	Type  string `json:"type"`
	Value any    `json:"value"`
}

// Reference links a span to another span.
type Reference struct {
	RefType string `json:"refType"` // CHILD_OF or FOLLOWS_FROM
	TraceID string `json:"traceID"`
	SpanID  string `json:"spanID"`
}

// Log is one span log.
type Log struct {
	Timestamp int64      `json:"timestamp"`
	Fields    []KeyValue `json:"fields"`
}

// Span is one span as Jaeger's query API returns it. Times are microseconds.
type Span struct {
	TraceID       string      `json:"traceID"`
	SpanID        string      `json:"spanID"`
	OperationName string      `json:"operationName"`
	References    []Reference `json:"references"`
	StartTime     int64       `json:"startTime"`
	Duration      int64       `json:"duration"`
	Tags          []KeyValue  `json:"tags"`
	Logs          []Log       `json:"logs"`
	ProcessID     string      `json:"processID"`
	Warnings      []string    `json:"warnings"`

	Service string `json:"-"` // filled from the trace's processes
}

// Process is the reporting service of a span.
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

// Client talks to one Jaeger query service.
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

// Trace fetches one trace by its hex id.
func (c *Client) Trace(ctx context.Context, traceID string) (*Trace, error) {
	var body struct {
		Data   []*Trace `json:"data"`
		Errors []struct {
			Code int    `json:"code"`
			Msg  string `json:"msg"`
		} `json:"errors"`
	}
	status, raw, err := c.get(ctx, "/api/traces/"+url.PathEscape(traceID), &body)
	if status == http.StatusNotFound || (err == nil && len(body.Data) == 0) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	t := body.Data[0]
	t.Raw = raw
	for _, s := range t.Spans {
		s.Service = t.Processes[s.ProcessID].ServiceName
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

// Services lists the services Jaeger has seen.
func (c *Client) Services(ctx context.Context) ([]string, error) {
	var body struct {
		Data []string `json:"data"`
	}
	_, _, err := c.get(ctx, "/api/services", &body)
	sort.Strings(body.Data)
	return body.Data, err
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
	if err := json.Unmarshal(raw, into); err != nil {
		return resp.StatusCode, raw, fmt.Errorf("jaegerquery: GET %s: %w", path, err)
	}
	return resp.StatusCode, raw, nil
}
