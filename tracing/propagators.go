package tracing

import (
	"fmt"
	"os"
	"strings"
)

// The propagation formats, by their OpenTelemetry names (the values of
// OTEL_PROPAGATORS).
const (
	PropagatorTraceContext = "tracecontext" // W3C traceparent and tracestate
	PropagatorBaggage      = "baggage"      // W3C baggage
	PropagatorB3           = "b3"           // Zipkin B3, the single b3 header
	PropagatorB3Multi      = "b3multi"      // Zipkin B3, the X-B3-* headers
	PropagatorJaeger       = "jaeger"       // uber-trace-id and uberctx-*
	PropagatorNone         = "none"         // propagate nothing
)

// DefaultPropagators are injected when neither WithPropagators nor
// OTEL_PROPAGATORS says otherwise: Jaeger for the services that speak it,
// W3C Trace Context and baggage for OpenTelemetry ones.
var DefaultPropagators = []string{PropagatorJaeger, PropagatorTraceContext, PropagatorBaggage}

var knownPropagators = map[string]bool{
	PropagatorTraceContext: true, PropagatorBaggage: true, PropagatorB3: true,
	PropagatorB3Multi: true, PropagatorJaeger: true, PropagatorNone: true,
}

// WithPropagators sets the propagation formats the tracer injects and
// extracts, in order of preference for extraction (see the README's "Mixed
// fleets"). It wins over OTEL_PROPAGATORS. Unknown names make Init fail.
func WithPropagators(names ...string) Option {
	return func(s *settings) { s.propagators, s.propagatorsSet = append([]string(nil), names...), true }
}

// propagatorNames resolves the formats: the option, else OTEL_PROPAGATORS,
// else DefaultPropagators. Names are trimmed, lower-cased and deduplicated;
// "none" (alone) means no propagation.
func propagatorNames(s *settings) ([]string, error) {
	names := s.propagators
	source := "WithPropagators"
	if !s.propagatorsSet {
		env := strings.TrimSpace(os.Getenv("OTEL_PROPAGATORS"))
		if env == "" {
			return append([]string(nil), DefaultPropagators...), nil
		}
		names, source = strings.Split(env, ","), "OTEL_PROPAGATORS"
	}
	var out []string
	seen := map[string]bool{}
	for _, n := range names {
		n = strings.ToLower(strings.TrimSpace(n))
		if n == "" || seen[n] {
			continue
		}
		if !knownPropagators[n] {
			return nil, fmt.Errorf("tracing: %s: unknown propagator %q (known: tracecontext, baggage, b3, b3multi, jaeger, none)", source, n)
		}
		seen[n] = true
		out = append(out, n)
	}
	if seen[PropagatorNone] {
		if len(out) > 1 {
			return nil, fmt.Errorf("tracing: %s: %q cannot be combined with other propagators", source, PropagatorNone)
		}
		return nil, nil
	}
	if len(out) == 0 {
		return append([]string(nil), DefaultPropagators...), nil
	}
	return out, nil
}
