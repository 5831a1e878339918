package estrace

import (
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/elastic/go-elasticsearch/v8"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/tracewrap/tracewrap/internal/testenv"
)

// recordingProvider is an OpenTelemetry provider whose spans say they record,
// which is all the client's own OpenTelemetry instrumentation asks before it
// reads a search body.
type recordingProvider struct{ noop.TracerProvider }

func (recordingProvider) Tracer(string, ...trace.TracerOption) trace.Tracer { return recordingTracer{} }

type recordingTracer struct{ noop.Tracer }

func (recordingTracer) Start(ctx context.Context, _ string, _ ...trace.SpanStartOption) (context.Context, trace.Span) {
	s := recordingSpan{}
	return trace.ContextWithSpan(ctx, s), s
}

type recordingSpan struct{ noop.Span }

func (recordingSpan) IsRecording() bool { return true }

// onlyReader hides the concrete type of a body, as esutil.NewJSONReader or
// any streaming reader does: the request gets no GetBody.
type onlyReader struct{ io.Reader }

// The application keeps the client's OpenTelemetry instrumentation with
// search-body capture (it needs a context: it panics on a nil one, with or
// without estrace) and adds ours: the chained instrumentation reads the
// body the caller gave, so ours must not have taken bytes from it first. The
// search must match exactly what it matches without estrace.
func TestChainedOpenTelemetryGetsWholeBody(t *testing.T) {
	url := testenv.ElasticsearchURL(t)
	otel := elasticsearch.NewOpenTelemetryInstrumentation(recordingProvider{}, true)
	es, tr := liveClient(t, elasticsearch.Config{Instrumentation: otel})
	bare, err := elasticsearch.NewClient(elasticsearch.Config{Addresses: []string{url}, Instrumentation: otel})
	if err != nil {
		t.Fatal(err)
	}
	defer closeClient(&bare.BaseClient, nil)
	idx := testIndex(t, es)
	drain(t)(es.Index(idx, strings.NewReader(`{"a":"x"}`), es.Index.WithRefresh("true"), es.Index.WithContext(context.Background())))

	query := `{"query":{"term":{"a":"no-such-value"}}}`
	for name, c := range map[string]*elasticsearch.Client{"bare": bare, "traced": es} {
		for _, size := range []int{0, 8192} { // shorter and longer than the peek
			q := query
			if size > 0 {
				q = `{"query":{"term":{"a":"no-such-value"}},"_source":{"excludes":["` + strings.Repeat("z", size) + `"]}}`
			}
			res, err := c.Search(c.Search.WithIndex(idx), c.Search.WithBody(onlyReader{strings.NewReader(q)}), c.Search.WithContext(context.Background()))
			if err != nil {
				t.Fatal(err)
			}
			var out struct {
				Hits struct {
					Total struct{ Value int }
				}
			}
			err = json.NewDecoder(res.Body).Decode(&out)
			res.Body.Close()
			if err != nil || res.StatusCode != 200 || out.Hits.Total.Value != 0 {
				t.Errorf("%s, body of %d bytes: status %d, %d hits (%v): the query did not arrive whole", name, len(q), res.StatusCode, out.Hits.Total.Value, err)
			}
		}
	}
	for _, s := range tr.FinishedSpans() {
		if s.OperationName == "search" && !strings.HasPrefix(s.Tag("db.statement").(string), `{"query":{"term":{"a":"no-such-value"}}`) {
			t.Errorf("db.statement %q", s.Tag("db.statement"))
		}
	}
}
