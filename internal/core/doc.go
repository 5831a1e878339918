// Package core is the one shared piece behind every tracewrap wrapper: the
// option set all packages expose under the same names, span start from a
// context (ChildOf the span in ctx, optional FollowsFrom references), error
// recording behind an overridable policy, statement truncation, peer tags
// from host:port, bounded trace-context extraction, filtered injection
// (only what the next carrier can hold: InjectFilter, InjectHeaders), a cheap
// "is this span sampled" check, and, for leaf calls (Defaults.Leaf), no span
// at all under a parent whose trace is known not to be sampled. For calls that carry the
// trace on (unsampled.go): a server's span in a trace its caller did not
// sample is a stand-in that starts a real span only when needed
// (StartRemote), and Config.Parent tells a client to send its parent's
// context on in place of a child's.
//
// Tag names come from one vocabulary table (vocab.go): OpenTracing names on
// OpenTracing tracers, the OpenTelemetry semantic conventions on the
// OpenTelemetry bridge, chosen per tracer type (VocabFor, VocabOf). A failed
// span on the bridge gets its status description through the
// ErrorStatusSetter the tracing package registers (RegisterErrorStatus).
//
// A wrapper instantiates Config with the type that describes one traced call
// (an *http.Request, a SQL call, a Redis command, ...) so that name funcs,
// filters, observers and error policies see exactly what the user expects,
// while the logic exists only here.
//
// core depends only on opentracing-go.
package core
