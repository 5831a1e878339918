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
	status, err := c.get(ctx, "/api/traces/"+url.PathEscape(traceID), &body)
	if status == http.StatusNotFound || (err == nil && len(body.Data) == 0) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	t := body.Data[0]
	for _, s := range t.Spans {
		s.Service = t.Processes[s.ProcessID].ServiceName
	}
	return t, nil
}

// WaitForTrace polls until the trace holds at least minSpans spans and its
// span count has stopped growing for settle, or ctx ends. Spans reach Jaeger
// from several processes at different times, so one fetch is not enough.
func (c *Client) WaitForTrace(ctx context.Context, traceID string, minSpans int, settle time.Duration) (*Trace, error) {
	var last *Trace
	var stableSince time.Time
	for {
		t, err := c.Trace(ctx, traceID)
		switch {
		case err == nil:
			if last == nil || len(t.Spans) != len(last.Spans) {
				stableSince = time.Now()
			}
			last = t
			if len(t.Spans) >= minSpans && time.Since(stableSince) >= settle {
				return t, nil
			}
		case !errors.Is(err, ErrNotFound):
			return last, err
		}
		select {
		case <-ctx.Done():
			if last != nil {
				return last, fmt.Errorf("trace %s has %d spans, wanted at least %d: %w", traceID, len(last.Spans), minSpans, ctx.Err())
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
	_, err := c.get(ctx, "/api/services", &body)
	sort.Strings(body.Data)
	return body.Data, err
}

func (c *Client) get(ctx context.Context, path string, into any) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.BaseURL+path, nil)
	if err != nil {
		return 0, err
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return resp.StatusCode, err
	}
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, fmt.Errorf("jaegerquery: GET %s: %s: %.200s", path, resp.Status, raw)
	}
	if err := json.Unmarshal(raw, into); err != nil {
		return resp.StatusCode, fmt.Errorf("jaegerquery: GET %s: %w", path, err)
	}
	return resp.StatusCode, nil
}
