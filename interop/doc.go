// Package interop holds no code: its tests (package interop_test) prove that
// a trace stays one trace between tracewrap's wrappers, on the tracer that
// tracing.Init builds, and services in another language that use the real
// tracing libraries of that language:
//
//   - an OpenTelemetry Python service with the W3C propagators only
//     (traceparent, baggage), over HTTP and gRPC, both ways;
//   - a Python gRPC service on jaeger-client with grpcio-opentracing's
//     interceptors (uber-trace-id, uberctx-* metadata), both ways;
//   - the W3C-only OpenTelemetry gateway that integration_test puts in front
//     of the example shop, here in front of a Go server, its OTLP export
//     caught by the test.
//
// Each test asserts what the other side saw: the whole 128-bit trace id, the
// parent span id, the sampling decision (sampled and not) and the baggage,
// including values that need escaping.
//
// The peers are Python programs in interop/peers, run from the virtualenv
// that scripts/peers/setup builds under .services/peers (pinned versions in
// interop/peers/requirements.txt; `make test` runs the setup first). Each peer
// starts once per test binary, on 127.0.0.1 ports of its choosing, and stops
// when the tests end (or when the test process dies: it reads its standard
// input until EOF). Without the virtualenv the tests skip, or fail when
// TRACEWRAP_REQUIRE_SERVICES=1.
package interop
