package tools

// Spans sent with the OpenTelemetry SDK's OTLP exporters, over gRPC (4317)
// and over HTTP (4318), reach the Jaeger v2 that scripts/services runs and
// come back from its query API. This module already has the SDK and both
// exporters (Jaeger's own dependencies), so the test costs no new module.
//
//	cd tools/jaeger && TRACEWRAP_REQUIRE_SERVICES=1 go test ./...
//
// TRACEWRAP_JAEGER_OTLP_GRPC, TRACEWRAP_JAEGER_OTLP_HTTP and
// TRACEWRAP_JAEGER_QUERY (host:port) point it at another Jaeger.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.opentelemetry.io/otel/trace"
)

func addr(t *testing.T, env, def string) string {
	t.Helper()
	a := os.Getenv(env)
	if a == "" {
		a = def
	}
	c, err := net.DialTimeout("tcp", a, 2*time.Second)
	if err != nil {
		msg := fmt.Sprintf("Jaeger is not reachable at %s (%v); start it with `scripts/services up jaeger`", a, err)
		if os.Getenv("TRACEWRAP_REQUIRE_SERVICES") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	c.Close()
	return a
}

func TestOTLPReachesJaeger(t *testing.T) {
	query := "http://" + addr(t, "TRACEWRAP_JAEGER_QUERY", "127.0.0.1:16686")
	for _, proto := range []string{"grpc", "http"} {
		t.Run(proto, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var exp sdktrace.SpanExporter
			var err error
			if proto == "grpc" {
				exp, err = otlptracegrpc.New(ctx, otlptracegrpc.WithInsecure(),
					otlptracegrpc.WithEndpoint(addr(t, "TRACEWRAP_JAEGER_OTLP_GRPC", "127.0.0.1:4317")))
			} else {
				exp, err = otlptracehttp.New(ctx, otlptracehttp.WithInsecure(),
					otlptracehttp.WithEndpoint(addr(t, "TRACEWRAP_JAEGER_OTLP_HTTP", "127.0.0.1:4318")))
			}
			if err != nil {
				t.Fatal(err)
			}
			service := "otlp-" + proto + "-test"
			tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp),
				sdktrace.WithResource(resource.NewSchemaless(semconv.ServiceName(service))))
			tr := tp.Tracer("tracewrap/tools/jaeger")
			ctx2, root := tr.Start(ctx, "root", trace.WithSpanKind(trace.SpanKindServer))
			_, child := tr.Start(ctx2, "child", trace.WithSpanKind(trace.SpanKindClient),
				trace.WithAttributes(attribute.String("db.statement", "SELECT 42")))
			child.End()
			root.End()
			if err := tp.Shutdown(ctx); err != nil {
				t.Fatal(err)
			}
			id := root.SpanContext().TraceID().String()

			spans := waitSpans(t, ctx, query, id, 2)
			byName := map[string]otlpSpan{}
			for _, s := range spans {
				if s.service != service {
					t.Errorf("span %s: service %q, want %q", s.Name, s.service, service)
				}
				byName[s.Name] = s
			}
			r, c := byName["root"], byName["child"]
			if r.SpanID != root.SpanContext().SpanID().String() || r.Kind != 2 || r.ParentSpanID != "" {
				t.Errorf("root came back as %+v", r)
			}
			if c.ParentSpanID != r.SpanID || c.Kind != 3 || len(c.Attributes) == 0 ||
				c.Attributes[0].Key != "db.statement" || c.Attributes[0].Value.StringValue != "SELECT 42" {
				t.Errorf("child came back as %+v", c)
			}
		})
	}
}

type otlpSpan struct {
	TraceID      string `json:"traceId"`
	SpanID       string `json:"spanId"`
	ParentSpanID string `json:"parentSpanId"`
	Name         string `json:"name"`
	Kind         int    `json:"kind"`
	Attributes   []struct {
		Key   string `json:"key"`
		Value struct {
			StringValue string `json:"stringValue"`
		} `json:"value"`
	} `json:"attributes"`
	service string
}

// waitSpans polls GET /api/v3/traces/{id} until the trace has n spans.
func waitSpans(t *testing.T, ctx context.Context, query, id string, n int) []otlpSpan {
	t.Helper()
	var last string
	for {
		spans, err := getSpans(ctx, query, id)
		if err == nil && len(spans) >= n {
			return spans
		}
		last = fmt.Sprintf("%d spans, %v", len(spans), err)
		select {
		case <-ctx.Done():
			t.Fatalf("trace %s not in Jaeger: %s", id, last)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func getSpans(ctx context.Context, query, id string) ([]otlpSpan, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, query+"/api/v3/traces/"+id, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %v %.200s", resp.Status, err, body)
	}
	var doc struct {
		Result struct {
			ResourceSpans []struct {
				Resource struct {
					Attributes []struct {
						Key   string `json:"key"`
						Value struct {
							StringValue string `json:"stringValue"`
						} `json:"value"`
					} `json:"attributes"`
				} `json:"resource"`
				ScopeSpans []struct {
					Spans []otlpSpan `json:"spans"`
				} `json:"scopeSpans"`
			} `json:"resourceSpans"`
		} `json:"result"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, err
	}
	var out []otlpSpan
	for _, rs := range doc.Result.ResourceSpans {
		svc := ""
		for _, a := range rs.Resource.Attributes {
			if a.Key == "service.name" {
				svc = a.Value.StringValue
			}
		}
		for _, ss := range rs.ScopeSpans {
			for _, s := range ss.Spans {
				s.service = svc
				out = append(out, s)
			}
		}
	}
	return out, nil
}
