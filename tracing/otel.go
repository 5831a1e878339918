package tracing

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/opentracing/opentracing-go"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	otbridge "go.opentelemetry.io/otel/bridge/opentracing"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// instrumentationName is the OpenTelemetry scope of the spans the wrappers
// start through the bridge.
const instrumentationName = "github.com/tracewrap/tracewrap"

// defaultBatchDelay is how long finished spans wait to be exported when
// OTEL_BSP_SCHEDULE_DELAY is unset: a second, as with the Jaeger backend,
// rather than the SDK's five.
const defaultBatchDelay = time.Second

// WithOpenTelemetry chooses the OpenTelemetry backend whatever the
// environment says: the OpenTelemetry SDK behind the OpenTracing bridge,
// exporting OTLP as the OTEL_EXPORTER_OTLP_* variables say. The same choice
// without a code change: OTEL_TRACES_EXPORTER=otlp, or an OTLP endpoint
// variable.
func WithOpenTelemetry() Option { return func(s *settings) { s.otel = true } }

// WithSpanExporter chooses the OpenTelemetry backend and sends finished spans
// to e instead of OTLP, e.g. tracetest.NewInMemoryExporter() from
// go.opentelemetry.io/otel/sdk/trace/tracetest in tests. e stays the
// caller's: the Closer flushes to it but does not shut it down (tracetest's
// in-memory exporter forgets its spans when shut down, and a test reads them
// after Close). A nil e means OTLP, as WithOpenTelemetry.
func WithSpanExporter(e sdktrace.SpanExporter) Option {
	return func(s *settings) {
		s.otel = true
		s.exporter = e
	}
}

// WithoutOpenTelemetryGlobals keeps Init's OpenTelemetry backend from
// installing its TracerProvider, propagator and error handler as
// OpenTelemetry's globals (otel.SetTracerProvider, ...), for an application
// that manages them itself. The OpenTracing global is still installed
// (WithoutGlobal leaves both alone). Without the globals, otel.Tracer spans
// and tracewrap spans do not join in one trace.
func WithoutOpenTelemetryGlobals() Option { return func(s *settings) { s.noOTelGlobals = true } }

// initOpenTelemetry builds the OpenTelemetry backend: an SDK TracerProvider
// (batch span processor, resource, sampler) exporting OTLP or to
// s.exporter, behind the OpenTracing bridge.
func initOpenTelemetry(service string, s settings, why string) (opentracing.Tracer, io.Closer, error) {
	names, err := propagatorNames(&s)
	if err != nil {
		return nil, nil, err
	}
	sampler, err := otelSampler()
	if err != nil {
		return nil, nil, err
	}
	res, service, err := otelResource(service, s.tags)
	if err != nil {
		return nil, nil, err
	}
	errLog := newOTelLog(s.logger) // SDK and exporter errors repeat with every batch
	exp := s.exporter
	dest := "the exporter given to WithSpanExporter"
	if exp == nil {
		if exp, dest, err = otlpExporter(); err != nil {
			return nil, nil, err
		}
	}
	guard := newExportGuard(exp, dest, errLog, s.exporter == nil)
	var bspOpts []sdktrace.BatchSpanProcessorOption
	if strings.TrimSpace(os.Getenv("OTEL_BSP_SCHEDULE_DELAY")) == "" {
		bspOpts = append(bspOpts, sdktrace.WithBatchTimeout(defaultBatchDelay))
	}
	counter := &endCounter{SpanProcessor: sdktrace.NewBatchSpanProcessor(guard, bspOpts...)}
	tpOpts := []sdktrace.TracerProviderOption{
		sdktrace.WithResource(res), sdktrace.WithSampler(sampler), sdktrace.WithSpanProcessor(counter),
	}
	if s.console != nil {
		tpOpts = append(tpOpts, sdktrace.WithSpanProcessor(&consoleProcessor{w: s.console, service: service}))
	}
	tp := sdktrace.NewTracerProvider(tpOpts...)

	// The codecs of the Jaeger backend, so both speak the same headers with
	// the same limits and log hostile input alike.
	prop, err := newOTelPropagator(names, newRemoteLog(s.logger))
	if err != nil {
		return nil, nil, err
	}
	bridge := otbridge.NewBridgeTracer()
	bridge.SetTextMapPropagator(prop) // its own, so it does not depend on the globals
	bridge.SetWarningHandler(func(msg string) {
		errLog.Error("tracing: OpenTracing bridge: " + strings.TrimSpace(msg))
	})
	// The bridge's tracer is a WrapperTracer: its DeferredContextSetupHook
	// puts the OpenTelemetry span of every OpenTracing span put in a ctx
	// (opentracing.ContextWithSpan) into that ctx too, so otel.Tracer spans
	// started from it are children. The same wrapper, installed as the
	// global TracerProvider, does the reverse: an otel span's ctx carries a
	// bridge span that the wrappers take as their parent.
	wrapped := otbridge.NewTracerProvider(bridge, tp)
	bridge.SetOpenTelemetryTracer(wrapped.Tracer(instrumentationName))

	if why != "an option" {
		if ignored := ignoredJaegerVars(); len(ignored) > 0 {
			s.logger.Infof("tracing: Init(%q) uses OpenTelemetry (chosen by %s); %s are not read", service, why, strings.Join(ignored, ", "))
		}
	}
	c := &otelCloser{tp: tp, guard: guard, counter: counter, logger: errLog}
	var og *otelGlobals
	if !s.noGlobal && !s.noOTelGlobals {
		og = &otelGlobals{provider: wrapped, propagator: prop, handler: otelErrorHandler{errLog}}
	}
	return install(service, bridge, c, s, og)
}

// otelSampler reads OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG as the
// SDK would, but fails on a value it cannot use instead of falling back
// silently; unset means parentbased_always_on.
func otelSampler() (sdktrace.Sampler, error) {
	name := strings.ToLower(strings.TrimSpace(os.Getenv("OTEL_TRACES_SAMPLER")))
	arg := strings.TrimSpace(os.Getenv("OTEL_TRACES_SAMPLER_ARG"))
	ratio := func() (sdktrace.Sampler, error) {
		if arg == "" {
			return sdktrace.TraceIDRatioBased(1), nil
		}
		r, err := strconv.ParseFloat(arg, 64)
		if err != nil || r < 0 || r > 1 {
			return nil, fmt.Errorf("tracing: OTEL_TRACES_SAMPLER_ARG=%q: want a ratio from 0 to 1", arg)
		}
		return sdktrace.TraceIDRatioBased(r), nil
	}
	switch name {
	case "", "parentbased_always_on":
		return sdktrace.ParentBased(sdktrace.AlwaysSample()), nil
	case "always_on":
		return sdktrace.AlwaysSample(), nil
	case "always_off":
		return sdktrace.NeverSample(), nil
	case "parentbased_always_off":
		return sdktrace.ParentBased(sdktrace.NeverSample()), nil
	case "traceidratio":
		return ratio()
	case "parentbased_traceidratio":
		r, err := ratio()
		if err != nil {
			return nil, err
		}
		return sdktrace.ParentBased(r), nil
	}
	return nil, fmt.Errorf("tracing: OTEL_TRACES_SAMPLER=%q: want always_on, always_off, traceidratio or their parentbased_ forms", name)
}

// otelResource is the process's resource: the SDK's own attributes,
// OTEL_RESOURCE_ATTRIBUTES, WithTags, and service.name from service, else
// OTEL_SERVICE_NAME, else JAEGER_SERVICE_NAME, else service.name in
// OTEL_RESOURCE_ATTRIBUTES. It returns the name it chose.
func otelResource(service string, tags map[string]string) (*resource.Resource, string, error) {
	ctx := context.Background()
	env, err := resource.New(ctx, resource.WithFromEnv())
	if err != nil {
		return nil, "", fmt.Errorf("tracing: OTEL_RESOURCE_ATTRIBUTES or OTEL_SERVICE_NAME: %w", err)
	}
	if service = strings.TrimSpace(service); service == "" {
		if v, ok := env.Set().Value("service.name"); ok && strings.TrimSpace(os.Getenv("OTEL_SERVICE_NAME")) != "" {
			service = v.AsString()
		} else if j := strings.TrimSpace(os.Getenv("JAEGER_SERVICE_NAME")); j != "" {
			service = j
		} else if ok {
			service = v.AsString()
		}
	}
	if service == "" {
		return nil, "", ErrNoServiceName
	}
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	attrs := make([]attribute.KeyValue, 0, len(tags)+1)
	for _, k := range keys {
		attrs = append(attrs, attribute.String(k, tags[k]))
	}
	attrs = append(attrs, attribute.String("service.name", service))
	// Later detectors win: the service name over everything, WithTags over
	// the environment.
	res, err := resource.New(ctx, resource.WithTelemetrySDK(), resource.WithFromEnv(), resource.WithAttributes(attrs...))
	if err != nil {
		return nil, "", fmt.Errorf("tracing: resource for %q: %w", service, err)
	}
	return res, service, nil
}

// otlpExporter builds the OTLP exporter OTEL_EXPORTER_OTLP_TRACES_PROTOCOL
// (else OTEL_EXPORTER_OTLP_PROTOCOL, else http/protobuf, the specification's
// default) names. The exporters read the endpoint, headers, timeout,
// compression, TLS and insecure variables themselves. With no endpoint and
// no insecure variable set, the specification's default endpoint is plain
// text (http://localhost:4318, or :4317 for grpc), where the Go exporters'
// own default is TLS, which a local collector or Jaeger does not speak.
func otlpExporter() (sdktrace.SpanExporter, string, error) {
	protocol, source := "http/protobuf", ""
	for _, k := range []string{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"} {
		if v := strings.TrimSpace(os.Getenv(k)); v != "" {
			protocol, source = v, k
			break
		}
	}
	for _, k := range otlpEndpointVars {
		// The exporters skip an endpoint they cannot parse and fall back to
		// localhost over TLS: say so at Init instead.
		if v := strings.TrimSpace(os.Getenv(k)); v != "" {
			if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return nil, "", fmt.Errorf("tracing: %s=%q: want a URL such as http://127.0.0.1:4318", k, v)
			}
		}
	}
	plain := true
	for _, k := range append([]string{"OTEL_EXPORTER_OTLP_INSECURE", "OTEL_EXPORTER_OTLP_TRACES_INSECURE"}, otlpEndpointVars...) {
		if strings.TrimSpace(os.Getenv(k)) != "" {
			plain = false
		}
	}
	endpoint := strings.TrimSpace(os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
	if endpoint == "" {
		endpoint = strings.TrimSpace(os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT"))
	}
	// New only builds the client: gRPC connects lazily, HTTP per request, so a
	// dead collector never fails or blocks Init.
	ctx := context.Background()
	switch protocol {
	case "grpc":
		var opts []otlptracegrpc.Option
		if plain {
			opts, endpoint = append(opts, otlptracegrpc.WithInsecure()), "http://localhost:4317"
		}
		exp, err := otlptracegrpc.New(ctx, opts...)
		if err != nil {
			return nil, "", fmt.Errorf("tracing: OTLP/gRPC exporter: %w", err)
		}
		return exp, "OTLP/gRPC " + endpoint, nil
	case "http/protobuf":
		var opts []otlptracehttp.Option
		if plain {
			opts, endpoint = append(opts, otlptracehttp.WithInsecure()), "http://localhost:4318"
		}
		exp, err := otlptracehttp.New(ctx, opts...)
		if err != nil {
			return nil, "", fmt.Errorf("tracing: OTLP/HTTP exporter: %w", err)
		}
		return exp, "OTLP/HTTP " + endpoint, nil
	}
	return nil, "", fmt.Errorf("tracing: %s=%q: tracewrap exports OTLP over grpc or http/protobuf", source, protocol)
}

// otelErrorHandler sends the errors the SDK hands to otel.Handle (partial
// successes, resource and propagation trouble, the user's own otel code)
// to the configured logger, rate-limited.
type otelErrorHandler struct{ log *otelLog }

func (h otelErrorHandler) Handle(err error) {
	if err != nil {
		h.log.Error("tracing: OpenTelemetry: " + err.Error())
	}
}

// otelCloser flushes and shuts the provider down within the close timeout.
type otelCloser struct {
	tp      *sdktrace.TracerProvider
	guard   *exportGuard
	counter *endCounter
	logger  *otelLog
}

// Close implements io.Closer; onceCloser calls it once, within its bound.
func (c *otelCloser) Close() error {
	ctx := context.Background()
	failedBefore := c.guard.failed.Load()
	err := errors.Join(c.tp.ForceFlush(ctx), c.tp.Shutdown(ctx))
	if n := c.guard.failed.Load() - failedBefore; n > 0 && err == nil {
		err = fmt.Errorf("tracing: %d spans not exported to %s: %v", n, c.guard.dest, c.guard.lastError())
	}
	if lost := c.counter.ended.Load() - c.guard.exported.Load() - c.guard.failed.Load(); lost > 0 {
		// The batch processor drops what does not fit its queue
		// (OTEL_BSP_MAX_QUEUE_SIZE) without a word; say it once, at the end.
		c.logger.Error(fmt.Sprintf("tracing: %d finished spans were dropped before export: the queue (OTEL_BSP_MAX_QUEUE_SIZE) was full", lost))
	}
	return err
}

// abandon makes exports still running, and those the batch processor still
// has queued, fail at once: after Close gave up, a hung collector must not
// hold the background flush (and its goroutines) for the exporter's timeout
// per batch.
func (c *otelCloser) abandon() { c.guard.abandon() }

// endCounter counts the sampled spans that end, for the dropped-span count.
type endCounter struct {
	sdktrace.SpanProcessor
	ended atomic.Int64
}

func (p *endCounter) OnEnd(s sdktrace.ReadOnlySpan) {
	if s.SpanContext().IsSampled() {
		p.ended.Add(1)
	}
	p.SpanProcessor.OnEnd(s)
}

// otelGlobals is what the OpenTelemetry backend installs as OpenTelemetry's
// globals, so otel.Tracer spans and tracewrap spans join in one trace; the
// error handler goes with them (an application with globals of its own keeps
// its handler: WithoutOpenTelemetryGlobals).
type otelGlobals struct {
	provider    trace.TracerProvider
	propagator  propagation.TextMapPropagator
	handler     otel.ErrorHandler
	prevHandler otel.ErrorHandler
}

func (g *otelGlobals) install() {
	g.prevHandler = otel.GetErrorHandler()
	otel.SetTracerProvider(g.provider)
	otel.SetTextMapPropagator(g.propagator)
	otel.SetErrorHandler(g.handler)
}

// uninstall leaves no-ops in place of the provider and the propagator, as
// Close does with the OpenTracing global (after Close, otel.Tracer spans
// record nothing rather than reach a shut-down provider), and puts the
// previous error handler back. Each is only replaced while still Init's.
func (g *otelGlobals) uninstall() {
	if otel.GetTracerProvider() == g.provider {
		otel.SetTracerProvider(noop.NewTracerProvider())
	}
	if otel.GetTextMapPropagator() == g.propagator {
		otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator())
	}
	if otel.GetErrorHandler() == otel.ErrorHandler(g.handler) {
		otel.SetErrorHandler(g.prevHandler)
	}
}
