// Package conformance holds the cross-backend conformance suite: the main
// scenarios of every wrapper (HTTP and gRPC on both sides, SQL on MySQL,
// Redis single and cluster, Elasticsearch, RocketMQ send, consume and
// transaction check) run on three tracers: mocktracer, Jaeger
// (jaeger-client-go with an in-memory reporter), and the OpenTelemetry SDK
// behind the OpenTracing bridge with an in-memory exporter. Each scenario
// asserts the span kinds, the parents, the trace's continuity across the two
// "processes" of a call (two tracers of one backend, joined only by what the
// wrappers propagate), the error status and its description for a failing
// call, and the key attributes in the backend's vocabulary (OpenTracing
// names on mocktracer and Jaeger, OpenTelemetry semantic conventions on the
// bridge).
//
// The suite is tests only; this file exists so the directory is a package.
// It needs the real servers the other tests use: TRACEWRAP_REQUIRE_SERVICES=1
// makes a missing one a failure rather than a skip.
package conformance
