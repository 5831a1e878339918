// Package propagation holds the trace-context and baggage codecs of every
// format tracewrap speaks across process boundaries: W3C Trace Context
// (traceparent, tracestate), W3C baggage, Zipkin B3 (single header and
// X-B3-*), and Jaeger (uber-trace-id, uberctx-*, jaeger-debug-id,
// jaeger-baggage).
//
// The codecs are pure: they read and write an abstract carrier (the method
// sets of opentracing's TextMapReader and TextMapWriter, so those carriers
// are used as they are) and exchange plain values (SpanContext, []Member),
// so a tracer of any kind can use them: tracing wires them into the Jaeger
// tracer it builds, and an OpenTelemetry TextMapPropagator can wrap them.
//
// Remote input is hostile until proven otherwise. Nothing here panics or
// fails on bad input: what cannot be used is left out, bounded, and reported
// as a Problem for the caller to count and log (rate-limited).
package propagation
