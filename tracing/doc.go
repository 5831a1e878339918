// Package tracing sets up the tracer the wrappers report to: a Jaeger tracer
// configured from the standard JAEGER_* environment variables, or the
// OpenTelemetry SDK behind its OpenTracing bridge, exporting OTLP as the
// standard OTEL_* variables say (chosen by OTEL_TRACES_EXPORTER=otlp, an OTLP
// endpoint variable, or WithOpenTelemetry), installed as the OpenTracing
// global tracer, with a Closer that flushes buffered spans.
//
//	tr, closer, err := tracing.Init("order-srv")
//	if err != nil { log.Fatal(err) }
//	defer closer.Close() // without it the last second of spans is lost
//
// Init never blocks on, or fails because of, an unreachable agent or
// collector: spans are sent in the background and dropped when nobody listens
// (the OpenTelemetry backend logs how many at Close).
// Close waits for the flush at most WithCloseTimeout (5 s by default).
// Spans the reporter drops (its queue of DefaultQueueSize full) or cannot
// send are counted (Stats) and logged at most once a minute; tag values are
// sent as the wrappers capped them (the tracer cuts none).
// Unlike jaeger-client-go's own default (a remote sampler that samples one
// trace in a thousand until it reaches an agent), Init samples every trace
// unless JAEGER_SAMPLER_TYPE or JAEGER_SAMPLER_PARAM says otherwise, so a
// first run shows its traces. PARAM alone keeps jaeger-client-go's meaning: a
// remote sampler with PARAM as its initial probability.
//
// The tracer speaks the propagation formats of a mixed fleet (see the
// README's "Mixed fleets"): by default it injects Jaeger, W3C Trace Context
// and W3C baggage, and extracts whichever arrives; WithPropagators or
// OTEL_PROPAGATORS changes the list. Trace ids are 128-bit unless
// JAEGER_TRACEID_128BIT=false.
//
// Importing the package also installs, for every wrapper, the setter that
// gives a failed span of the OpenTelemetry bridge the status Error with the
// error's message as its description (otelstatus.go; SetErrorStatus,
// OTelSpan).
package tracing
