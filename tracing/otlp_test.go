package tracing

import (
	"context"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"go.opentelemetry.io/otel/trace"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
)

// otlpReceiver keeps what an OTLP receiver (gRPC or HTTP) was sent.
type otlpReceiver struct {
	collectortrace.UnimplementedTraceServiceServer
	mu       sync.Mutex
	requests []*collectortrace.ExportTraceServiceRequest
	tenant   []string // the x-tenant header of each request
	paths    []string
}

func (r *otlpReceiver) Export(ctx context.Context, req *collectortrace.ExportTraceServiceRequest) (*collectortrace.ExportTraceServiceResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	r.mu.Lock()
	r.requests = append(r.requests, req)
	r.tenant = append(r.tenant, md.Get("x-tenant")...)
	r.mu.Unlock()
	return &collectortrace.ExportTraceServiceResponse{}, nil
}

func (r *otlpReceiver) ServeHTTP(w http.ResponseWriter, hr *http.Request) {
	body, err := io.ReadAll(hr.Body)
	req := &collectortrace.ExportTraceServiceRequest{}
	if err != nil || hr.Header.Get("Content-Type") != "application/x-protobuf" || proto.Unmarshal(body, req) != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	r.requests = append(r.requests, req)
	r.tenant = append(r.tenant, hr.Header.Get("X-Tenant"))
	r.paths = append(r.paths, hr.URL.Path)
	r.mu.Unlock()
	out, _ := proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

// spans returns every span received with its resource's service.name.
func (r *otlpReceiver) spans() (spans []*tracepb.Span, services []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, req := range r.requests {
		for _, rs := range req.ResourceSpans {
			svc := ""
			for _, a := range rs.Resource.GetAttributes() {
				if a.Key == "service.name" {
					svc = a.Value.GetStringValue()
				}
			}
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					spans, services = append(spans, s), append(services, svc)
				}
			}
		}
	}
	return spans, services
}

// Spans leave the process over OTLP as the standard variables say, over gRPC
// and over HTTP/protobuf, to real receivers of each protocol: endpoint,
// traces endpoint (used as is for HTTP), protocol, headers.
func TestOpenTelemetryExportsOTLPFromEnvironment(t *testing.T) {
	rec := &otlpReceiver{}
	gs := grpc.NewServer()
	collectortrace.RegisterTraceServiceServer(gs, rec)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = gs.Serve(ln) }()
	defer gs.Stop()
	hs := httptest.NewServer(rec)
	defer hs.Close()

	for _, tc := range []struct {
		name string
		env  map[string]string
		path string // HTTP only
	}{
		{name: "grpc", env: map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://" + ln.Addr().String()}},
		{name: "grpc traces endpoint", env: map[string]string{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "grpc", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
			"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://" + ln.Addr().String(), "OTEL_EXPORTER_OTLP_ENDPOINT": hs.URL}},
		{name: "http default protocol", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": hs.URL + "/base"}, path: "/base/v1/traces"},
		{name: "http traces endpoint as is", env: map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
			"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": hs.URL + "/custom/path"}, path: "/custom/path"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clearOTelEnv(t)
			rec.mu.Lock()
			rec.requests, rec.tenant, rec.paths = nil, nil, nil
			rec.mu.Unlock()
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			t.Setenv("OTEL_EXPORTER_OTLP_HEADERS", "x-tenant=acme")
			t.Setenv("OTEL_SERVICE_NAME", "from-env")
			tr, closer, err := Init("", WithoutGlobal(), WithLogger(&recordingLogger{}))
			if err != nil {
				t.Fatal(err)
			}
			parent := tr.StartSpan("checkout", ext.SpanKindRPCServer)
			child := tr.StartSpan("sql.query", opentracing.ChildOf(parent.Context()), ext.SpanKindRPCClient)
			child.SetTag("db.statement", "SELECT 1")
			ext.Error.Set(child, true)
			child.Finish()
			parent.Finish()
			if err := closer.Close(); err != nil {
				t.Fatal(err)
			}
			spans, services := rec.spans()
			if len(spans) != 2 {
				t.Fatalf("%d spans received", len(spans))
			}
			for _, svc := range services {
				if svc != "from-env" {
					t.Fatalf("service.name %q", svc)
				}
			}
			byName := map[string]*tracepb.Span{}
			for _, s := range spans {
				byName[s.Name] = s
			}
			p, c := byName["checkout"], byName["sql.query"]
			want := parent.Context().(interface{ TraceID() trace.TraceID }).TraceID()
			if p == nil || c == nil || hex.EncodeToString(c.TraceId) != want.String() || string(c.ParentSpanId) != string(p.SpanId) {
				t.Fatalf("spans %v", spans)
			}
			if p.Kind != tracepb.Span_SPAN_KIND_SERVER || c.Kind != tracepb.Span_SPAN_KIND_CLIENT || c.Status.GetCode() != tracepb.Status_STATUS_CODE_ERROR {
				t.Fatalf("kinds %v %v, status %v", p.Kind, c.Kind, c.Status)
			}
			rec.mu.Lock()
			defer rec.mu.Unlock()
			for _, h := range rec.tenant {
				if h != "acme" {
					t.Fatalf("OTEL_EXPORTER_OTLP_HEADERS not sent: %q", rec.tenant)
				}
			}
			if len(rec.tenant) == 0 {
				t.Fatal("no header seen")
			}
			for _, p := range rec.paths {
				if p != tc.path {
					t.Fatalf("path %q, want %q", p, tc.path)
				}
			}
		})
	}
}
