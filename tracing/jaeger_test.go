package tracing

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/uber/jaeger-client-go"

	"github.com/tracewrap/tracewrap/internal/core"
	"github.com/tracewrap/tracewrap/internal/jaegerquery"
	"github.com/tracewrap/tracewrap/internal/testenv"
)

// What the README says about caps is what Jaeger stores: a statement capped
// by a wrapper arrives at the cap with its marker and full length, a long tag
// of the user's arrives whole, over the agent (UDP) and the collector (HTTP).
func TestJaegerStoresTagsAsCapped(t *testing.T) {
	clearReporterEnv(t)
	query := testenv.JaegerQueryURL(t)
	for _, backend := range []struct {
		name string
		opt  func() Option
	}{
		{"agent", func() Option { return WithAgent(testenv.JaegerAgentAddr(t)) }},
		{"collector", func() Option { return WithCollector(testenv.JaegerCollectorURL(t)) }},
	} {
		t.Run(backend.name, func(t *testing.T) {
			service := fmt.Sprintf("tracing-caps-%s-%d", backend.name, time.Now().UnixNano()%1e9)
			tr, closer, err := Init(service, WithoutGlobal(), backend.opt(), WithLogger(&recordingLogger{}))
			if err != nil {
				t.Fatal(err)
			}
			stmt := "SELECT " + strings.Repeat("col, ", 2000) + "1"
			user := strings.Repeat("u", 20000)
			span := tr.StartSpan("sql.query")
			core.SetStatement(span, core.VocabOf(span), stmt, core.DefaultMaxStatementSize)
			span.SetTag("app.note", user)
			id := span.Context().(jaeger.SpanContext).TraceID().String()
			span.Finish()
			if err := closer.Close(); err != nil {
				t.Fatal(err)
			}
			if st, _ := Stats(tr); st.Sent != 1 {
				t.Fatalf("stats %+v", st)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			got, err := (&jaegerquery.Client{BaseURL: query}).WaitForTrace(ctx, id, 1, 300*time.Millisecond)
			if err != nil {
				t.Fatal(err)
			}
			sp := got.Spans[0]
			tags := map[string]string{}
			for _, k := range []string{"db.statement", "db.statement.length", "app.note"} {
				tags[k] = sp.TagString(k)
			}
			if s := tags["db.statement"]; len(s) != core.DefaultMaxStatementSize || !strings.HasSuffix(s, core.TruncationMarker) {
				t.Errorf("Jaeger stored db.statement of %d bytes, want %d ending with %q", len(s), core.DefaultMaxStatementSize, core.TruncationMarker)
			}
			if tags["db.statement.length"] != fmt.Sprint(len(stmt)) {
				t.Errorf("db.statement.length = %q, want %d", tags["db.statement.length"], len(stmt))
			}
			if tags["app.note"] != user {
				t.Errorf("Jaeger stored app.note of %d bytes, want %d", len(tags["app.note"]), len(user))
			}
		})
	}
}
