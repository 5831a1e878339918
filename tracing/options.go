package tracing

import (
	"io"
	"time"

	"github.com/uber/jaeger-client-go"
	jaegercfg "github.com/uber/jaeger-client-go/config"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Option adjusts Init. A nil Option is ignored.
type Option func(*settings)

type settings struct {
	noGlobal  bool
	agent     string
	collector string
	sampler   *jaegercfg.SamplerConfig
	reporter  jaeger.Reporter
	console   io.Writer
	logger    jaeger.Logger
	tags      map[string]string
	configure []func(*jaegercfg.Configuration)
	closeWait time.Duration
	closeSet  bool

	statsEvery time.Duration // how often lost spans are logged (tests shorten it)

	propagators    []string
	propagatorsSet bool

	otel          bool                  // WithOpenTelemetry, WithSpanExporter
	exporter      sdktrace.SpanExporter // nil: OTLP from the environment
	noOTelGlobals bool
}

// DefaultCloseTimeout bounds how long the Closer waits for buffered spans to
// be sent.
const DefaultCloseTimeout = 5 * time.Second

// WithoutGlobal keeps Init from installing the tracer as opentracing's global
// tracer (useful for tests and for processes hosting several services), and
// the OpenTelemetry backend from touching OpenTelemetry's globals.
func WithoutGlobal() Option { return func(s *settings) { s.noGlobal = true } }

// WithAgent sends spans to a Jaeger agent at host:port over UDP, overriding
// JAEGER_AGENT_HOST/JAEGER_AGENT_PORT.
func WithAgent(hostPort string) Option { return func(s *settings) { s.agent = hostPort } }

// WithCollector sends spans over HTTP to a collector endpoint such as
// http://127.0.0.1:14268/api/traces, overriding JAEGER_ENDPOINT.
func WithCollector(url string) Option { return func(s *settings) { s.collector = url } }

// WithSampler sets the sampler type ("const", "probabilistic", "ratelimiting",
// "remote") and its parameter, overriding JAEGER_SAMPLER_TYPE/PARAM.
func WithSampler(samplerType string, param float64) Option {
	return func(s *settings) { s.sampler = &jaegercfg.SamplerConfig{Type: samplerType, Param: param} }
}

// WithReporter replaces the network reporter, e.g. with
// jaeger.NewInMemoryReporter() in tests or jaeger.NewNullReporter().
func WithReporter(r jaeger.Reporter) Option { return func(s *settings) { s.reporter = r } }

// WithConsoleOutput also prints every finished span, one line each, to w.
func WithConsoleOutput(w io.Writer) Option { return func(s *settings) { s.console = w } }

// WithLogger receives the tracer's own messages (dropped spans, unreachable
// agent, a replaced global tracer, unusable remote trace headers: at most
// one line per kind per minute; on the OpenTelemetry backend, failed exports
// and the SDK's errors too). Default: the standard logger, with a repeated
// message printed at most once a minute.
func WithLogger(l jaeger.Logger) Option { return func(s *settings) { s.logger = l } }

// WithCloseTimeout bounds how long Close waits for buffered spans to be sent
// (default DefaultCloseTimeout). A collector that accepts connections but
// never answers would otherwise hold Close for jaeger's 5 s HTTP timeout per
// batch of queued spans. After the bound Close returns an error and the
// flush goes on in the background. d <= 0 waits for as long as it takes.
func WithCloseTimeout(d time.Duration) Option {
	return func(s *settings) { s.closeWait, s.closeSet = d, true }
}

// WithTags adds process tags (like JAEGER_TAGS) to every span of the service;
// on the OpenTelemetry backend, resource attributes (like
// OTEL_RESOURCE_ATTRIBUTES, which they win over).
func WithTags(tags map[string]string) Option {
	return func(s *settings) {
		if s.tags == nil {
			s.tags = map[string]string{}
		}
		for k, v := range tags {
			s.tags[k] = v
		}
	}
}

// WithConfig edits jaeger-client-go's configuration after the environment
// was read, for anything the other options do not cover.
func WithConfig(f func(*jaegercfg.Configuration)) Option {
	return func(s *settings) {
		if f != nil {
			s.configure = append(s.configure, f)
		}
	}
}
