// Package tracetest holds the fixtures the wrappers' tests and benchmarks
// share: the set of tracers every benchmark compares, real jaeger tracers for
// propagation tests, and span assertions over mocktracer spans.
//
// It is imported only from _test.go files; the library itself never depends
// on it. What is specific to one wrapper (its fake servers, its goleak ignore
// list, its own span filters) stays in that wrapper's tests: only what was
// written the same way in several packages lives here.
package tracetest
