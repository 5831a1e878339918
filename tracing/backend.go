package tracing

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// The backends Init can build.
type backend int

const (
	backendJaeger   backend = iota // jaeger-client-go, from JAEGER_*
	backendOTel                    // OpenTelemetry SDK + OpenTracing bridge, OTLP
	backendDisabled                // OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none
)

// jaegerOnly names the options that configure a part only the Jaeger backend
// has; they choose it, and contradict WithOpenTelemetry.
func (s *settings) jaegerOnly() []string {
	var names []string
	if s.agent != "" {
		names = append(names, "WithAgent")
	}
	if s.collector != "" {
		names = append(names, "WithCollector")
	}
	if s.sampler != nil {
		names = append(names, "WithSampler")
	}
	if s.reporter != nil {
		names = append(names, "WithReporter")
	}
	if len(s.configure) > 0 {
		names = append(names, "WithConfig")
	}
	return names
}

// otlpEndpointVars select the OpenTelemetry backend when set (and
// OTEL_TRACES_EXPORTER is not).
var otlpEndpointVars = []string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"}

// chooseBackend applies the precedence documented in the README ("Which
// backend"): code before environment, an explicit variable before an implied
// one, OpenTelemetry's switch-off before everything. why says what chose it,
// for the log.
func chooseBackend(s *settings) (b backend, why string, err error) {
	if v := strings.TrimSpace(os.Getenv("OTEL_SDK_DISABLED")); v != "" {
		off, perr := strconv.ParseBool(v)
		if perr != nil {
			return 0, "", fmt.Errorf("tracing: OTEL_SDK_DISABLED=%q: want true or false", v)
		}
		if off {
			return backendDisabled, "OTEL_SDK_DISABLED=true", nil
		}
	}
	jaegerOpts := s.jaegerOnly()
	if s.otel {
		if len(jaegerOpts) > 0 {
			return 0, "", fmt.Errorf("tracing: %s configure the Jaeger backend, but WithOpenTelemetry/WithSpanExporter choose OpenTelemetry", strings.Join(jaegerOpts, ", "))
		}
		return backendOTel, "an option", nil
	}
	if len(jaegerOpts) > 0 {
		return backendJaeger, strings.Join(jaegerOpts, ", "), nil
	}
	switch v := strings.ToLower(strings.TrimSpace(os.Getenv("OTEL_TRACES_EXPORTER"))); v {
	case "":
	case "otlp":
		return backendOTel, "OTEL_TRACES_EXPORTER=otlp", nil
	case "jaeger":
		return backendJaeger, "OTEL_TRACES_EXPORTER=jaeger", nil
	case "none":
		return backendDisabled, "OTEL_TRACES_EXPORTER=none", nil
	default:
		return 0, "", fmt.Errorf("tracing: OTEL_TRACES_EXPORTER=%q: tracewrap knows otlp (OpenTelemetry SDK), jaeger (jaeger-client-go) and none", v)
	}
	for _, k := range otlpEndpointVars {
		if strings.TrimSpace(os.Getenv(k)) != "" {
			return backendOTel, k, nil
		}
	}
	return backendJaeger, "default", nil
}

// ignoredJaegerVars lists the JAEGER_* variables set in the environment, which
// the OpenTelemetry backend does not read (JAEGER_SERVICE_NAME aside), so the
// log can say they are ignored rather than leave an operator guessing.
func ignoredJaegerVars() []string {
	var out []string
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "JAEGER_") && k != "JAEGER_SERVICE_NAME" && strings.TrimSpace(v) != "" {
			out = append(out, k)
		}
	}
	return out
}
