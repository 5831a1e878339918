package tracing

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"github.com/uber/jaeger-client-go"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	otbridge "go.opentelemetry.io/otel/bridge/opentracing"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracewrap/tracewrap/internal/core"
	"github.com/tracewrap/tracewrap/nethttp"
)

// clearOTelEnv keeps the developer's OTEL_* settings out of the tests.
func clearOTelEnv(t *testing.T) {
	t.Helper()
	clearJaegerEnv(t)
	for _, k := range []string{"OTEL_SDK_DISABLED", "OTEL_TRACES_EXPORTER", "OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES",
		"OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG", "OTEL_PROPAGATORS",
		"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
		"OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
		"OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
		"OTEL_EXPORTER_OTLP_INSECURE", "OTEL_EXPORTER_OTLP_TRACES_INSECURE",
		"OTEL_EXPORTER_OTLP_TIMEOUT", "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
		"OTEL_BSP_SCHEDULE_DELAY", "OTEL_BSP_MAX_QUEUE_SIZE"} {
		t.Setenv(k, "")
	}
}

// initMemory starts the OpenTelemetry backend exporting to memory, with the
// globals installed; Close runs at the end of the test.
func initMemory(t *testing.T, service string, opts ...Option) (opentracing.Tracer, io.Closer, *tracetest.InMemoryExporter) {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	tr, closer, err := Init(service, append([]Option{WithSpanExporter(exp), WithLogger(&recordingLogger{})}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closer.Close() })
	return tr, closer, exp
}

func byName(t *testing.T, spans tracetest.SpanStubs, name string) tracetest.SpanStub {
	t.Helper()
	for _, s := range spans {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no span %q among %d", name, len(spans))
	return tracetest.SpanStub{}
}

func childOf(t *testing.T, child, parent tracetest.SpanStub) {
	t.Helper()
	if child.SpanContext.TraceID() != parent.SpanContext.TraceID() || child.Parent.SpanID() != parent.SpanContext.SpanID() {
		t.Errorf("%s (trace %s parent %s) is not a child of %s (trace %s span %s)", child.Name,
			child.SpanContext.TraceID(), child.Parent.SpanID(), parent.Name, parent.SpanContext.TraceID(), parent.SpanContext.SpanID())
	}
}

// Application code mixes otel.Tracer spans with tracewrap's in one trace, in
// either nesting: an otel span is the parent of the HTTP client wrapper's
// span; the server wrapper's span, in another "process" of the same trace, is
// the parent of an otel span started in the handler.
func TestOpenTelemetryMixesWithOTelSpansInBothNestings(t *testing.T) {
	clearOTelEnv(t)
	tr, closer, exp := initMemory(t, "mixed")
	if _, ok := tr.(*otbridge.BridgeTracer); !ok || opentracing.GlobalTracer() != tr {
		t.Fatalf("tracer %T, global %T", tr, opentracing.GlobalTracer())
	}
	app := otel.Tracer("app")
	srv := httptest.NewServer(nethttp.Middleware(nil, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, span := app.Start(r.Context(), "otel-in-handler")
		span.End()
		w.WriteHeader(http.StatusNoContent)
	})))
	defer srv.Close()
	client := &http.Client{Transport: nethttp.NewTransport(nil)}

	ctx, root := app.Start(context.Background(), "otel-root")
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/items", nil)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// And a wrapper-style span in the same ctx, then an otel child of it.
	otSpan, otCtx := opentracing.StartSpanFromContext(ctx, "ot-child")
	_, leaf := app.Start(otCtx, "otel-grandchild")
	leaf.End()
	otSpan.Finish()
	root.End()
	if err := closer.Close(); err != nil {
		t.Fatal(err)
	}

	spans := exp.GetSpans()
	if len(spans) != 6 {
		t.Fatalf("%d spans: %v", len(spans), spans)
	}
	rootS := byName(t, spans, "otel-root")
	clientS, serverS := byName(t, spans, "HTTP GET"), tracetest.SpanStub{}
	for _, s := range spans {
		switch {
		case s.Name == "HTTP GET" && s.SpanKind == trace.SpanKindServer:
			serverS = s
		case s.Name == "HTTP GET" && s.SpanKind == trace.SpanKindClient:
			clientS = s
		}
	}
	if clientS.SpanKind != trace.SpanKindClient || serverS.SpanKind != trace.SpanKindServer {
		t.Fatalf("kinds: client %v server %v", clientS.SpanKind, serverS.SpanKind)
	}
	childOf(t, clientS, rootS)
	childOf(t, serverS, clientS)
	childOf(t, byName(t, spans, "otel-in-handler"), serverS)
	childOf(t, byName(t, spans, "ot-child"), rootS)
	childOf(t, byName(t, spans, "otel-grandchild"), byName(t, spans, "ot-child"))
	if got := serverS.Resource.Set(); !got.HasValue("service.name") {
		t.Fatal("no service.name")
	} else if v, _ := got.Value("service.name"); v.AsString() != "mixed" {
		t.Fatalf("service.name %q", v.AsString())
	}
}

// The globals are installed by Init and put back by Close; WithoutGlobal and
// WithoutOpenTelemetryGlobals leave what they say alone.
func TestOpenTelemetryGlobals(t *testing.T) {
	clearOTelEnv(t)
	log := &recordingLogger{}
	exp := tracetest.NewInMemoryExporter()
	tr, closer, err := Init("globals", WithSpanExporter(exp), WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	if opentracing.GlobalTracer() != tr {
		t.Fatal("OpenTracing global not installed")
	}
	if _, ok := otel.GetTracerProvider().(*otbridge.TracerProvider); !ok {
		t.Fatalf("OpenTelemetry provider %T", otel.GetTracerProvider())
	}
	if _, ok := otel.GetErrorHandler().(otelErrorHandler); !ok {
		t.Fatalf("error handler %T", otel.GetErrorHandler())
	}
	for i := 0; i < 50; i++ {
		otel.Handle(errors.New("collector said no"))
	}
	if got := strings.Count(log.all(), "collector said no"); got != 1 {
		t.Fatalf("error logged %d times, want once: %q", got, log.all())
	}
	h := http.Header{}
	otel.GetTextMapPropagator().Inject(trace.ContextWithSpanContext(context.Background(), sampledContext()), propagation.HeaderCarrier(h))
	if h.Get("Uber-Trace-Id") == "" || h.Get("Traceparent") == "" {
		t.Fatalf("global propagator is not the default set: %v", h)
	}
	closer.Close()
	if _, ok := opentracing.GlobalTracer().(opentracing.NoopTracer); !ok {
		t.Fatal("OpenTracing global left installed")
	}
	if _, ok := otel.GetTracerProvider().(*otbridge.TracerProvider); ok {
		t.Fatal("provider left installed")
	}
	if _, ok := otel.GetErrorHandler().(otelErrorHandler); ok {
		t.Fatal("error handler left installed")
	}
	if f := otel.GetTextMapPropagator().Fields(); len(f) != 0 {
		t.Fatalf("propagator left installed: %v", f)
	}

	before := otel.GetTracerProvider()
	_, c2, err := Init("no-otel-globals", WithSpanExporter(exp), WithLogger(log), WithoutOpenTelemetryGlobals())
	if err != nil {
		t.Fatal(err)
	}
	if otel.GetTracerProvider() != before || opentracing.GlobalTracer() == nil {
		t.Fatal("WithoutOpenTelemetryGlobals touched the provider")
	}
	if _, ok := opentracing.GlobalTracer().(*otbridge.BridgeTracer); !ok {
		t.Fatal("WithoutOpenTelemetryGlobals kept the OpenTracing global out")
	}
	c2.Close()
	_, c3, err := Init("no-globals", WithSpanExporter(exp), WithLogger(log), WithoutGlobal())
	if err != nil {
		t.Fatal(err)
	}
	defer c3.Close()
	if otel.GetTracerProvider() != before {
		t.Fatal("WithoutGlobal touched the provider")
	}
	if _, ok := opentracing.GlobalTracer().(opentracing.NoopTracer); !ok {
		t.Fatal("WithoutGlobal installed the OpenTracing global")
	}
}

func sampledContext() trace.SpanContext {
	return trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36},
		SpanID:  trace.SpanID{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7}, TraceFlags: trace.FlagsSampled,
	})
}

// The propagators are the resolved names, in order, on the bridge itself.
func TestOpenTelemetryPropagators(t *testing.T) {
	clearOTelEnv(t)
	for _, tc := range []struct {
		env     string
		want    []string // headers injected
		wantNot []string
	}{
		{env: "", want: []string{"Uber-Trace-Id", "Traceparent", "Baggage"}, wantNot: []string{"B3", "X-B3-Traceid"}},
		{env: "b3", want: []string{"B3"}, wantNot: []string{"Traceparent", "Uber-Trace-Id", "X-B3-Traceid"}},
		{env: "b3multi,baggage", want: []string{"X-B3-Traceid", "X-B3-Spanid", "X-B3-Sampled", "Baggage"}, wantNot: []string{"B3", "Traceparent"}},
		{env: "none", wantNot: []string{"Traceparent", "Uber-Trace-Id", "B3", "X-B3-Traceid", "Baggage"}},
	} {
		t.Setenv("OTEL_PROPAGATORS", tc.env)
		tr, closer, _ := initMemory(t, "prop", WithoutGlobal())
		span := tr.StartSpan("out")
		span.SetBaggageItem("tenant", "t1")
		h := http.Header{}
		if err := tr.Inject(span.Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h)); err != nil {
			t.Fatal(err)
		}
		for _, k := range tc.want {
			if h.Get(k) == "" {
				t.Errorf("OTEL_PROPAGATORS=%q: no %s in %v", tc.env, k, h)
			}
		}
		for _, k := range tc.wantNot {
			if h.Get(k) != "" {
				t.Errorf("OTEL_PROPAGATORS=%q: unexpected %s in %v", tc.env, k, h)
			}
		}
		if tc.env != "none" {
			sc, err := tr.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h))
			if err != nil {
				t.Fatalf("OTEL_PROPAGATORS=%q: extract: %v", tc.env, err)
			}
			if sc.(interface{ TraceID() trace.TraceID }).TraceID() != span.Context().(interface{ TraceID() trace.TraceID }).TraceID() {
				t.Errorf("OTEL_PROPAGATORS=%q: trace id not carried", tc.env)
			}
		}
		span.Finish()
		closer.Close()
	}
}

// With several formats in a request, the first one listed that holds a
// valid context wins on this backend too (OpenTelemetry's composite alone
// would let the last win), and a corrupt first one falls back to the next.
func TestOpenTelemetryExtractsTheFirstListedFormat(t *testing.T) {
	clearOTelEnv(t)
	const jaegerTrace, w3cTrace = "00000000000000000000000000000abc", "4bf92f3577b34da6a3ce929d0e0e4736"
	for _, tc := range []struct {
		env, uber, want string
	}{
		{env: "", uber: "abc:def:0:1", want: jaegerTrace}, // default jaeger,tracecontext
		{env: "tracecontext,jaeger", uber: "abc:def:0:1", want: w3cTrace},
		{env: "", uber: "abc:zz:0:1", want: w3cTrace}, // corrupt uber-trace-id
	} {
		t.Setenv("OTEL_PROPAGATORS", tc.env)
		tr, closer, _ := initMemory(t, "first-wins", WithoutGlobal())
		h := http.Header{}
		h.Set("Uber-Trace-Id", tc.uber)
		h.Set("Traceparent", "00-"+w3cTrace+"-00f067aa0ba902b7-01")
		sc, err := tr.Extract(opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h))
		if err != nil {
			t.Fatal(err)
		}
		if got := sc.(interface{ TraceID() trace.TraceID }).TraceID().String(); got != tc.want {
			t.Errorf("OTEL_PROPAGATORS=%q uber-trace-id %q: trace %s, want %s", tc.env, tc.uber, got, tc.want)
		}
		closer.Close()
	}
}

// A trace that jaeger-client-go started (the Jaeger backend: uber-trace-id)
// goes on in the OpenTelemetry backend with the default propagators.
func TestOpenTelemetryContinuesJaegerTraces(t *testing.T) {
	clearOTelEnv(t)
	jtr, jcloser := jaeger.NewTracer("jaeger-side", jaeger.NewConstSampler(true), jaeger.NewNullReporter())
	defer jcloser.Close()
	parent := jtr.StartSpan("jaeger-parent")
	h := http.Header{}
	if err := jtr.Inject(parent.Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h)); err != nil {
		t.Fatal(err)
	}
	tr, closer, exp := initMemory(t, "otel-side", WithoutGlobal())
	srv := nethttp.Middleware(tr, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	req := httptest.NewRequest(http.MethodGet, "/x", nil)
	req.Header = h
	srv.ServeHTTP(httptest.NewRecorder(), req)
	closer.Close()
	spans := exp.GetSpans()
	if len(spans) != 1 {
		t.Fatalf("%d spans", len(spans))
	}
	jsc := parent.Context().(jaeger.SpanContext)
	if got, want := spans[0].SpanContext.TraceID().String(), jsc.TraceID().String(); !strings.HasSuffix(got, want) {
		t.Fatalf("trace %s, want the jaeger trace %s", got, want)
	}
	if got := spans[0].Parent.SpanID().String(); got != jsc.SpanID().String() {
		t.Fatalf("parent %s, want %s", got, jsc.SpanID())
	}
}

type call struct{}

// The OpenTelemetry sampler's "no" takes the unsampled fast path: a leaf call
// under an unsampled span makes no span at all, a propagating client sends
// its parent's context on, and a server keeps the caller's decision (with a
// parent-based sampler) while its handler's otel spans stay in the caller's
// trace instead of starting sampled roots.
func TestOpenTelemetryUnsampled(t *testing.T) {
	clearOTelEnv(t)
	t.Setenv("OTEL_TRACES_SAMPLER", "parentbased_traceidratio")
	t.Setenv("OTEL_TRACES_SAMPLER_ARG", "0") // roots say no, children follow
	tr, closer, exp := initMemory(t, "unsampled")

	parent := tr.StartSpan("parent")
	if core.IsSampled(parent) {
		t.Fatal("the sampler said no, the span says sampled")
	}
	ctx := opentracing.ContextWithSpan(context.Background(), parent)
	leaf := core.New(core.Defaults[call]{Component: "db", Kind: ext.SpanKindRPCClientEnum, Leaf: true})
	if span, _ := leaf.StartFromContext(ctx, call{}, "sql.query", time.Time{}); span != nil {
		t.Fatalf("leaf call under an unsampled parent made a %T", span)
	}
	client := core.New(core.Defaults[call]{Component: "rpc", Kind: ext.SpanKindRPCClientEnum})
	sc, unsampled := client.Parent(parent)
	if !unsampled || sc != parent.Context() {
		t.Fatal("a propagating client under an unsampled local span does not take the fast path")
	}

	// A remote caller that did not sample: W3C traceparent, flags 00.
	var inHandler trace.SpanContext
	var outgoing string
	var handlerSpan opentracing.Span
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		outgoing = r.Header.Get("Traceparent")
	}))
	defer down.Close()
	srv := httptest.NewServer(nethttp.Middleware(nil, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handlerSpan = opentracing.SpanFromContext(r.Context())
		_, s := otel.Tracer("app").Start(r.Context(), "otel-in-handler")
		inHandler = s.SpanContext()
		s.End()
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, down.URL, nil)
		if resp, err := (&http.Client{Transport: nethttp.NewTransport(nil)}).Do(req); err == nil {
			resp.Body.Close()
		}
	})))
	defer srv.Close()
	const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	req.Header.Set("Traceparent", traceparent)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	parent.Finish()
	closer.Close()

	if n := len(exp.GetSpans()); n != 0 {
		t.Fatalf("%d spans exported from unsampled traces", n)
	}
	if core.IsSampled(handlerSpan) {
		t.Fatal("the server span is sampled")
	}
	if inHandler.TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" || inHandler.IsSampled() {
		t.Fatalf("otel span in the handler: trace %s sampled %v, want the caller's unsampled trace", inHandler.TraceID(), inHandler.IsSampled())
	}
	if !strings.HasPrefix(outgoing, "00-4bf92f3577b34da6a3ce929d0e0e4736-") || !strings.HasSuffix(outgoing, "-00") {
		t.Fatalf("onward traceparent %q", outgoing)
	}
}

// With a sampler that does not follow its parent (always_on), a remote
// unsampled caller does not decide: the server's span is recorded. This is
// why core never takes an OpenTelemetry remote context's "no" as final.
func TestOpenTelemetryRemoteUnsampledIsTheSamplersCall(t *testing.T) {
	clearOTelEnv(t)
	t.Setenv("OTEL_TRACES_SAMPLER", "always_on")
	tr, closer, exp := initMemory(t, "always-on", WithoutGlobal())
	srv := nethttp.Middleware(tr, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	req := httptest.NewRequest(http.MethodGet, "/x", nil)
	req.Header.Set("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00")
	srv.ServeHTTP(httptest.NewRecorder(), req)
	closer.Close()
	spans := exp.GetSpans()
	if len(spans) != 1 || spans[0].SpanContext.TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Fatalf("spans %v", spans)
	}
}

func TestOpenTelemetryServiceNameAndResource(t *testing.T) {
	for _, tc := range []struct {
		arg, otelName, jaegerName, attrs string
		want                             string
	}{
		{arg: "arg", otelName: "otel", jaegerName: "jaeger", want: "arg"},
		{otelName: "otel", jaegerName: "jaeger", attrs: "service.name=attr", want: "otel"},
		{jaegerName: "jaeger", attrs: "service.name=attr", want: "jaeger"},
		{attrs: "service.name=attr", want: "attr"},
	} {
		clearOTelEnv(t)
		t.Setenv("OTEL_SERVICE_NAME", tc.otelName)
		t.Setenv("JAEGER_SERVICE_NAME", tc.jaegerName)
		t.Setenv("OTEL_RESOURCE_ATTRIBUTES", strings.Trim(tc.attrs+",deployment.environment=test,team=env", ","))
		tr, closer, exp := initMemory(t, tc.arg, WithoutGlobal(), WithTags(map[string]string{"team": "tags"}))
		tr.StartSpan("x").Finish()
		closer.Close()
		res := exp.GetSpans()[0].Resource.Set()
		for k, want := range map[string]string{"service.name": tc.want, "deployment.environment": "test", "team": "tags", "telemetry.sdk.language": "go"} {
			if v, _ := res.Value(attribute.Key(k)); v.AsString() != want {
				t.Errorf("%+v: %s=%q, want %q", tc, k, v.AsString(), want)
			}
		}
	}
	clearOTelEnv(t)
	if _, _, err := Init("", WithSpanExporter(tracetest.NewInMemoryExporter())); !errors.Is(err, ErrNoServiceName) {
		t.Fatalf("no name anywhere: %v", err)
	}
}

// Variables the OpenTelemetry backend cannot use fail Init, naming them.
func TestOpenTelemetryBadEnvironment(t *testing.T) {
	for k, v := range map[string]string{
		"OTEL_TRACES_SAMPLER":                "sometimes",
		"OTEL_TRACES_SAMPLER_ARG":            "2",
		"OTEL_EXPORTER_OTLP_PROTOCOL":        "http/json",
		"OTEL_RESOURCE_ATTRIBUTES":           "novalue",
		"OTEL_SDK_DISABLED":                  "perhaps",
		"OTEL_TRACES_EXPORTER":               "zipkin",
		"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "thrift",
		"OTEL_EXPORTER_OTLP_ENDPOINT":        "127.0.0.1:4317",
		"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "udp://127.0.0.1:4318",
	} {
		clearOTelEnv(t)
		t.Setenv("OTEL_TRACES_EXPORTER", "otlp")
		if k == "OTEL_TRACES_SAMPLER_ARG" {
			t.Setenv("OTEL_TRACES_SAMPLER", "traceidratio")
		}
		t.Setenv(k, v)
		_, _, err := Init("bad-env", WithoutGlobal())
		if err == nil || !strings.Contains(err.Error(), k) && !strings.Contains(err.Error(), strings.TrimPrefix(k, "OTEL_EXPORTER_OTLP_TRACES_")) {
			t.Errorf("%s=%s: err %v", k, v, err)
		}
	}
}

// Which backend Init builds, by options and environment.
func TestBackendPrecedence(t *testing.T) {
	mem := tracetest.NewInMemoryExporter()
	for _, tc := range []struct {
		name string
		env  map[string]string
		opts []Option
		want string // jaeger, otel, noop, error
	}{
		{name: "nothing set", want: "jaeger"},
		{name: "JAEGER_* only", env: map[string]string{"JAEGER_AGENT_HOST": "127.0.0.1"}, want: "jaeger"},
		{name: "OTEL_TRACES_EXPORTER=otlp", env: map[string]string{"OTEL_TRACES_EXPORTER": "otlp"}, want: "otel"},
		{name: "an OTLP endpoint", env: map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, want: "otel"},
		{name: "a traces endpoint beats JAEGER_*", env: map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:4318/v1/traces", "JAEGER_ENDPOINT": "http://127.0.0.1:14268/api/traces"}, want: "otel"},
		{name: "OTEL_TRACES_EXPORTER=jaeger keeps Jaeger with an endpoint set", env: map[string]string{"OTEL_TRACES_EXPORTER": "jaeger", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, want: "jaeger"},
		{name: "OTEL_TRACES_EXPORTER=none", env: map[string]string{"OTEL_TRACES_EXPORTER": "none"}, want: "noop"},
		{name: "OTEL_SDK_DISABLED", env: map[string]string{"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"}, want: "noop"},
		{name: "OTEL_SDK_DISABLED on Jaeger", env: map[string]string{"OTEL_SDK_DISABLED": "TRUE"}, want: "noop"},
		{name: "OTEL_SDK_DISABLED=false", env: map[string]string{"OTEL_SDK_DISABLED": "false"}, want: "jaeger"},
		{name: "JAEGER_DISABLED", env: map[string]string{"JAEGER_DISABLED": "true"}, want: "noop"},
		{name: "option beats env", env: map[string]string{"OTEL_TRACES_EXPORTER": "jaeger"}, opts: []Option{WithOpenTelemetry()}, want: "otel"},
		{name: "jaeger option beats env", env: map[string]string{"OTEL_TRACES_EXPORTER": "otlp"}, opts: []Option{WithReporter(jaeger.NewNullReporter())}, want: "jaeger"},
		{name: "both in code", opts: []Option{WithSpanExporter(mem), WithCollector("http://127.0.0.1:14268/api/traces")}, want: "error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clearOTelEnv(t)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			tr, closer, err := Init("precedence", append([]Option{WithoutGlobal(), WithLogger(&recordingLogger{}), WithCloseTimeout(time.Second)}, tc.opts...)...)
			got := "error"
			if err == nil {
				defer closer.Close()
				switch tr.(type) {
				case *jaeger.Tracer:
					got = "jaeger"
				case *otbridge.BridgeTracer:
					got = "otel"
				case opentracing.NoopTracer, *opentracing.NoopTracer:
					got = "noop"
				default:
					got = "?"
				}
			}
			if got != tc.want {
				t.Fatalf("got %s (%T, %v), want %s", got, tr, err, tc.want)
			}
		})
	}
}

// A process switched by environment says which JAEGER_* variables it no
// longer reads.
func TestOpenTelemetrySaysWhichJaegerVariablesAreIgnored(t *testing.T) {
	clearOTelEnv(t)
	t.Setenv("JAEGER_AGENT_HOST", "127.0.0.1")
	t.Setenv("OTEL_TRACES_EXPORTER", "otlp")
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1")
	log := &recordingLogger{}
	_, closer, err := Init("switched", WithoutGlobal(), WithLogger(log), WithCloseTimeout(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	closer.Close()
	if !strings.Contains(log.all(), "chosen by OTEL_TRACES_EXPORTER=otlp); JAEGER_AGENT_HOST are not read") {
		t.Fatalf("log %q", log.all())
	}
}

func TestOpenTelemetryConsoleOutput(t *testing.T) {
	clearOTelEnv(t)
	var out safeBuffer
	tr, closer, _ := initMemory(t, "console-otel", WithoutGlobal(), WithConsoleOutput(&out))
	parent := tr.StartSpan("parent")
	child := tr.StartSpan("child", opentracing.ChildOf(parent.Context()), ext.SpanKindRPCClient)
	child.SetTag("db.statement", "SELECT 1")
	child.LogKV("event", "error", "message", "boom")
	child.Finish()
	parent.Finish()
	closer.Close()
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "[console-otel] child ") || !strings.Contains(lines[0], `db.statement="SELECT 1"`) ||
		!strings.Contains(lines[0], "parent=") || !strings.Contains(lines[0], `span.kind="client"`) || !strings.Contains(lines[0], `log{event="error" message="boom"}`) {
		t.Fatalf("output %q", out.String())
	}
}

// hungCollector accepts connections and never answers; the listener and its
// connections are closed when the test ends.
func hungCollector(t *testing.T) (addr string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return ln.Addr().String()
}

// A hung collector (accepts, never answers) or a dead one (nothing listens)
// neither fails Init nor blocks spans; Close returns within its bound, says
// what was lost, and leaves no exporter goroutine behind (goleak).
func TestOpenTelemetryCloseIsBoundedOnADeadOrHungCollector(t *testing.T) {
	pc, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := pc.Addr().String()
	pc.Close()
	for _, protocol := range []string{"grpc", "http/protobuf"} {
		for name, addr := range map[string]string{"hung": hungCollector(t), "dead": dead} {
			t.Run(protocol+" "+name, func(t *testing.T) {
				clearOTelEnv(t)
				t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://"+addr)
				t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", protocol)
				log := &recordingLogger{}
				tr, closer, err := Init("stuck", WithoutGlobal(), WithLogger(log), WithCloseTimeout(300*time.Millisecond))
				if err != nil {
					t.Fatal(err)
				}
				start := time.Now()
				for i := 0; i < 5000; i++ {
					tr.StartSpan("x").Finish()
				}
				if d := time.Since(start); d > 2*time.Second {
					t.Fatalf("spans blocked for %v", d)
				}
				start = time.Now()
				err = closer.Close()
				if d := time.Since(start); d > 2*time.Second {
					t.Fatalf("Close took %v", d)
				}
				if err == nil {
					t.Fatal("Close said nothing of the lost spans")
				}
				if !strings.Contains(err.Error(), "300ms") && !strings.Contains(err.Error(), "not exported") {
					t.Fatalf("Close: %v", err)
				}
				// The abandoned flush ends promptly and reports the loss once.
				deadline := time.Now().Add(5 * time.Second)
				for !strings.Contains(log.all(), "spans not exported") && time.Now().Before(deadline) {
					time.Sleep(20 * time.Millisecond)
				}
				if got := strings.Count(log.all(), "spans not exported"); got == 0 || got > 3 {
					t.Fatalf("loss logged %d times: %q", got, log.all())
				}
			})
		}
	}
}

// W3C tracestate reaches the server's span and every onward call.
func TestOpenTelemetryCarriesTracestate(t *testing.T) {
	clearOTelEnv(t)
	tr, closer, exp := initMemory(t, "tracestate", WithoutGlobal())
	in := http.Header{}
	in.Set("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	in.Set("Tracestate", "vendor=opaque-1,other=x")
	onward := relayOnce(t, tr, in)
	closer.Close()
	if got := onward.Get("Tracestate"); got != "vendor=opaque-1,other=x" {
		t.Fatalf("onward tracestate %q (headers %v)", got, onward)
	}
	for _, s := range exp.GetSpans() {
		if s.SpanContext.TraceState().String() != "vendor=opaque-1,other=x" {
			t.Fatalf("span %s tracestate %q", s.Name, s.SpanContext.TraceState())
		}
	}
}

// gateExporter holds every export until its gate opens.
type gateExporter struct {
	gate chan struct{}
	mu   sync.Mutex
	n    int
}

func (g *gateExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	select {
	case <-g.gate:
	case <-ctx.Done():
		return ctx.Err()
	}
	g.mu.Lock()
	g.n += len(spans)
	g.mu.Unlock()
	return nil
}

func (g *gateExporter) Shutdown(context.Context) error { return nil }

// Spans the full batch queue drops are not lost silently: Close logs how many.
func TestOpenTelemetryReportsDroppedSpans(t *testing.T) {
	clearOTelEnv(t)
	t.Setenv("OTEL_BSP_MAX_QUEUE_SIZE", "10")
	t.Setenv("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "5")
	exp := &gateExporter{gate: make(chan struct{})}
	log := &recordingLogger{}
	tr, closer, err := Init("drops", WithoutGlobal(), WithSpanExporter(exp), WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 100; i++ {
		tr.StartSpan("x").Finish()
	}
	close(exp.gate)
	if err := closer.Close(); err != nil {
		t.Fatal(err)
	}
	exp.mu.Lock()
	sent := exp.n
	exp.mu.Unlock()
	if sent >= 100 || sent == 0 {
		t.Fatalf("%d of 100 exported through a queue of 10", sent)
	}
	want := fmt.Sprintf("%d finished spans were dropped", 100-sent)
	if !strings.Contains(log.all(), want) {
		t.Fatalf("log %q, want %q", log.all(), want)
	}
}

// Corrupt or hostile trace headers never fail a request on the OpenTelemetry
// backend: the server span is a new root (or a child of the one valid
// format), and nothing panics.
func TestOpenTelemetryHostileHeaders(t *testing.T) {
	clearOTelEnv(t)
	t.Setenv("OTEL_PROPAGATORS", "tracecontext,baggage,b3,b3multi,jaeger")
	tr, closer, exp := initMemory(t, "hostile", WithoutGlobal())
	srv := nethttp.Middleware(tr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		span := opentracing.SpanFromContext(r.Context())
		_ = span.BaggageItem("k")
		w.WriteHeader(http.StatusOK)
	}))
	long := strings.Repeat("a", 64<<10)
	for _, h := range []map[string]string{
		{"Traceparent": "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
		{"Traceparent": "00-00000000000000000000000000000000-00f067aa0ba902b7-01"},
		{"Traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "Tracestate": long},
		{"Traceparent": long},
		{"Baggage": strings.Repeat("k=v,", 5000)},
		{"Baggage": "k=%zz,=,;;;"},
		{"B3": "4bf92f3577b34da6a3ce929d0e0e4736-zz-1"},
		{"B3": long},
		{"X-B3-Traceid": long, "X-B3-Spanid": "1", "X-B3-Sampled": "yes"},
		{"Uber-Trace-Id": strings.Repeat(":", 10000)},
		{"Uber-Trace-Id": "4bf92f3577b34da6a3ce929d0e0e4736:0:0:1"},
		{"Uber-Trace-Id": "x:y:z:w", "Uberctx-K": long},
	} {
		req := httptest.NewRequest(http.MethodGet, "/x", nil)
		for k, v := range h {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("headers %.80v: status %d", h, rec.Code)
		}
	}
	closer.Close()
	spans := exp.GetSpans()
	if len(spans) != 12 {
		t.Fatalf("%d server spans, want 12", len(spans))
	}
	for _, s := range spans {
		if s.Parent.IsValid() && s.Parent.TraceID().String() == "4bf92f3577b34da6a3ce929d0e0e4736" && s.Parent.SpanID().String() != "00f067aa0ba902b7" {
			t.Errorf("span %s has a parent from a corrupt header: %v", s.Name, s.Parent)
		}
	}
}

// Varying error texts (the SDK's counts) cannot flood the log either.
func TestOTelLogBudget(t *testing.T) {
	inner := &recordingLogger{}
	l := newOTelLog(inner)
	for i := 0; i < 200; i++ {
		l.Error(fmt.Sprintf("partial success: %d spans rejected", i))
	}
	if n := strings.Count(inner.all(), "partial success"); n != otelLogBudget {
		t.Fatalf("%d messages logged, want %d", n, otelLogBudget)
	}
	l.mu.Lock()
	l.window = l.window.Add(-repeatEvery) // a minute later
	l.mu.Unlock()
	l.Error("next minute")
	if !strings.Contains(inner.all(), "180 more OpenTelemetry errors were not logged") || !strings.HasSuffix(inner.all(), "next minute") {
		t.Fatalf("log %q", inner.all())
	}
}

// With OTEL_BSP_SCHEDULE_DELAY unset finished spans are exported after
// defaultBatchDelay (a second, as on the Jaeger backend), not the SDK's five
// seconds: the README's "export every 1000 ms here when unset".
func TestOpenTelemetryDefaultBatchDelay(t *testing.T) {
	clearOTelEnv(t)
	tr, _, exp := initMemory(t, "batch-delay")
	tr.StartSpan("early").Finish()
	deadline := time.Now().Add(4 * time.Second) // under the SDK's 5 s, with room for a loaded machine
	for len(exp.GetSpans()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no span exported within 4 s of finishing, before Close")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
