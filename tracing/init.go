package tracing

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/uber/jaeger-client-go"
	jaegercfg "github.com/uber/jaeger-client-go/config"
)

// ErrNoServiceName is returned by Init when neither its argument nor the
// environment (JAEGER_SERVICE_NAME; for the OpenTelemetry backend also
// OTEL_SERVICE_NAME or service.name in OTEL_RESOURCE_ATTRIBUTES) names the
// service.
var ErrNoServiceName = errors.New("tracing: service name is empty (pass one to Init or set OTEL_SERVICE_NAME or JAEGER_SERVICE_NAME)")

// global remembers which Init installed the global tracer, so a second Init
// can say what it replaced and a Close only uninstalls its own tracer.
var global struct {
	sync.Mutex
	service string
	tracer  opentracing.Tracer
	otel    *otelGlobals // what the OpenTelemetry backend installed; nil: none
}

// Init builds the tracer for service and installs it as the global tracer
// (unless WithoutGlobal), and returns it with a Closer that flushes buffered
// spans. The tracer is Jaeger's (jaeger-client-go, from the JAEGER_*
// variables) unless WithOpenTelemetry, WithSpanExporter, OTEL_TRACES_EXPORTER
// or an OTLP endpoint variable choose the OpenTelemetry SDK behind its
// OpenTracing bridge (see the README's "OpenTelemetry backend" for the
// precedence); OTEL_SDK_DISABLED=true gives a no-op tracer. Closing twice is
// safe. Calling Init again replaces the global tracer and logs which one it
// replaced; the old one keeps working until its own Closer is called.
func Init(service string, opts ...Option) (opentracing.Tracer, io.Closer, error) {
	var s settings
	for _, o := range opts {
		if o != nil {
			o(&s)
		}
	}
	if s.logger == nil {
		s.logger = newQuietLogger(jaeger.StdLogger)
	}
	b, why, err := chooseBackend(&s)
	if err != nil {
		return nil, nil, err
	}
	switch b {
	case backendOTel:
		return initOpenTelemetry(service, s, why)
	case backendDisabled:
		if service = strings.TrimSpace(service); service == "" {
			service = firstEnv("OTEL_SERVICE_NAME", "JAEGER_SERVICE_NAME")
		}
		return install(service, opentracing.NoopTracer{}, nopCloser{}, s, nil)
	}
	cfg, err := jaegercfg.FromEnv()
	if err != nil {
		return nil, nil, fmt.Errorf("tracing: reading JAEGER_* environment: %w", err)
	}
	if service = strings.TrimSpace(service); service != "" {
		cfg.ServiceName = service
	}
	if cfg.ServiceName == "" {
		return nil, nil, ErrNoServiceName
	}
	if os.Getenv("JAEGER_SAMPLER_TYPE") == "" && os.Getenv("JAEGER_SAMPLER_PARAM") == "" {
		cfg.Sampler.Type, cfg.Sampler.Param = jaeger.SamplerTypeConst, 1
	}
	if s.sampler != nil {
		cfg.Sampler.Type, cfg.Sampler.Param = s.sampler.Type, s.sampler.Param
	}
	switch {
	case s.collector != "":
		cfg.Reporter.CollectorEndpoint, cfg.Reporter.LocalAgentHostPort = s.collector, ""
	case s.agent != "":
		cfg.Reporter.LocalAgentHostPort, cfg.Reporter.CollectorEndpoint = s.agent, ""
	}
	for k, v := range s.tags {
		cfg.Tags = append(cfg.Tags, opentracing.Tag{Key: k, Value: v})
	}
	defaultTraceID128(cfg)
	for _, f := range s.configure {
		f(cfg)
	}

	jopts := []jaegercfg.Option{jaegercfg.Logger(s.logger)}
	popts, err := propagationOptions(&s, cfg)
	if err != nil {
		return nil, nil, err
	}
	jopts = append(jopts, popts...)
	if cfg.Disabled {
		// jaeger-client-go hands out a NoopTracer; keep that, but still honour
		// the global and Close contracts.
		return install(cfg.ServiceName, opentracing.NoopTracer{}, nopCloser{}, s, nil)
	}
	applyReporterDefaults(cfg)
	stats := newSpanStats(s.logger, cfg.Reporter.QueueSize, s.statsEvery)
	reporter := s.reporter
	if reporter == nil {
		r, err := cfg.Reporter.NewReporter(cfg.ServiceName, stats.jaegerMetrics(), s.logger)
		if err != nil {
			return nil, nil, fmt.Errorf("tracing: reporter for %q: %w", cfg.ServiceName, err)
		}
		reporter = r
	}
	if s.console != nil {
		reporter = jaeger.NewCompositeReporter(reporter, NewConsoleReporter(s.console, cfg.ServiceName))
	}
	jopts = append(jopts, jaegercfg.Reporter(reporter), jaegercfg.Metrics(stats), jaegercfg.MaxTagValueLength(MaxTagValueLength))
	tr, closer, err := cfg.NewTracer(jopts...)
	if err != nil {
		reporter.Close()
		return nil, nil, fmt.Errorf("tracing: tracer for %q: %w", cfg.ServiceName, err)
	}
	return install(cfg.ServiceName, tr, stats.register(tr, closer), s, nil)
}

func firstEnv(keys ...string) string {
	for _, k := range keys {
		if v := strings.TrimSpace(os.Getenv(k)); v != "" {
			return v
		}
	}
	return ""
}

// install wraps closer in the Closer Init returns and installs tr as the
// OpenTracing global, and og (the OpenTelemetry backend's provider,
// propagator and error handler) as OpenTelemetry's, unless WithoutGlobal.
func install(service string, tr opentracing.Tracer, closer io.Closer, s settings, og *otelGlobals) (opentracing.Tracer, io.Closer, error) {
	c := &onceCloser{closer: closer, tracer: tr, timeout: DefaultCloseTimeout}
	if s.closeSet {
		c.timeout = s.closeWait
	}
	if s.noGlobal {
		return tr, c, nil
	}
	global.Lock()
	defer global.Unlock()
	if og != nil {
		og.install()
		global.otel, c.otel = og, og
	}
	if global.tracer != nil {
		s.logger.Infof("tracing: Init(%q) replaces the global tracer installed by Init(%q); "+
			"spans started from now on go to the new one, and the old one still needs its own Close to flush", service, global.service)
	} else if _, noop := opentracing.GlobalTracer().(opentracing.NoopTracer); !noop {
		// A no-op (the default, or what a Close put back) is nothing to replace.
		s.logger.Infof("tracing: Init(%q) replaces a global tracer that was installed without tracing.Init", service)
	}
	global.service, global.tracer = service, tr
	opentracing.SetGlobalTracer(tr)
	c.global = true
	return tr, c, nil
}

// onceCloser flushes once; later calls return the first result. If its tracer
// is still the global one it uninstalls it, so calls made after Close are not
// reported to a closed tracer.
type onceCloser struct {
	once    sync.Once
	closer  io.Closer
	tracer  opentracing.Tracer
	global  bool
	otel    *otelGlobals  // installed with tracer; nil: none
	timeout time.Duration // <= 0: no bound
	err     error
}

func (c *onceCloser) Close() error {
	c.once.Do(func() {
		if c.global {
			global.Lock()
			if global.tracer == c.tracer {
				global.service, global.tracer = "", nil
				opentracing.SetGlobalTracer(opentracing.NoopTracer{})
			}
			if c.otel != nil && global.otel == c.otel {
				c.otel.uninstall()
				global.otel = nil
			}
			global.Unlock()
		}
		c.err = c.closeWithin()
	})
	return c.err
}

// closeWithin closes the tracer, giving up waiting after c.timeout; the
// flush then goes on in the background (jaeger's reporter cannot be
// interrupted), or, on the OpenTelemetry backend, is abandoned: what is still
// queued fails at once and is counted in the logged loss.
func (c *onceCloser) closeWithin() error {
	if c.timeout <= 0 {
		return c.closer.Close()
	}
	done := make(chan error, 1)
	go func() { done <- c.closer.Close() }()
	t := time.NewTimer(c.timeout)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		if a, ok := c.closer.(interface{ abandon() }); ok {
			a.abandon()
		}
		return fmt.Errorf("tracing: Close gave up after %v: the collector or agent is not taking spans; those still queued are sent in the background or lost", c.timeout)
	}
}

type nopCloser struct{}

func (nopCloser) Close() error { return nil }
