// Package grpctrace traces gRPC clients and servers with interceptors: the
// server span of a call is a child of the caller's client span, in the same
// trace, with baggage carried in the metadata in the encoding of the gRPC
// OpenTracing interceptors (Go otgrpc, Python grpcio-opentracing), so either
// side can be one of those.
//
// The swap is one line on each side:
//
//	conn, err := grpc.NewClient(addr, append(grpctrace.DialOptions(), creds)...)
//	srv := grpc.NewServer(grpctrace.ServerOptions()...)
//
// or, to place them in a chain of your own, UnaryClientInterceptor,
// StreamClientInterceptor, UnaryServerInterceptor and
// StreamServerInterceptor. Handlers find their span with
// opentracing.SpanFromContext(ctx) (stream.Context() for streams); calls made
// with that context become its children.
//
// # Spans
//
// The span name is the full method, "/package.Service/Method". Tags:
// component, span.kind, grpc.status_code (always, the code's name), and peer.*
// — on the server from the connection (IPv4, IPv6 or unix socket), on the
// client from the connection's target. The error policy differs per side:
// the client flags every code but OK and Canceled; the server flags Unknown,
// DeadlineExceeded, Unimplemented, Internal, Unavailable and DataLoss, the
// codes that mean the server failed. error.kind is the code's name. A
// handler's panic is recorded as an Internal error and continues.
//
// # Streams
//
// A client stream's span finishes exactly once: when RecvMsg returns io.EOF
// (OK) or an error; after the first RecvMsg of a method whose server does not
// stream; when SendMsg fails with anything but io.EOF; or when the call's
// context is done, which is how an abandoned stream ends (gRPC requires the
// caller to cancel it). CloseSend never finishes it. No goroutine is started
// per stream: the context watch is a context.AfterFunc that is removed when
// the stream ends first.
//
// # Metadata
//
// The trace context is injected and extracted as opentracing.HTTPHeaders over
// metadata with lower-case keys, as otgrpc and grpcio-opentracing do (with
// jaeger, baggage values are URL-escaped on the wire and arrive unchanged).
// It is written into a copy of the outgoing metadata, replacing any earlier
// value. Entries gRPC would reject or drop (a key outside [0-9a-z._-], a
// non-printable value outside "-bin" keys, reserved and hop-by-hop keys) and
// baggage beyond 8 KiB are left out, counted in one span log, instead of
// failing the call: whatever arrived with a request, the onward calls of its
// handler do not fail because they are traced. On the server a missing,
// corrupt or oversized context starts a new trace.
//
// # Options
//
// Option is one type for both sides. The options every tracewrap package
// shares (WithTracer, WithOperationName, WithOperationNameFunc,
// WithSpanFilter, WithSpanObserver, WithComponentName, WithChildSpansOnly,
// WithErrorPolicy, WithMaxStatementSize) wrap the shared core options and
// see the call as a Call; the package's own (WithPayloadCapture,
// WithMetadataTags, WithSpanDecorator) set fields of the package's
// configuration. ExceptHealthChecks is a ready filter for the standard
// health service. Metadata tags are opt-in and never include credentials
// (authorization, cookie, x-api-key, keys that look like tokens, secrets,
// passwords or sessions), even when listed.
//
// # Cost
//
// With opentracing.NoopTracer (the global tracer before any Init) the
// interceptors call straight through. Unsampled Jaeger spans skip peer,
// metadata and payload tags. When the caller's trace is, for good, not
// sampled (a Jaeger context that says so) and no span observer is set, the
// server interceptors start no Jaeger span: the handler's span is a stand-in
// whose Context, SetBaggageItem or sampling.priority tag start the real one
// on demand; the client interceptors (without a span decorator) send the
// caller's context on instead of a child span's.
//
// On the OpenTelemetry backend (the OpenTracing bridge over the SDK) the tags
// follow the OpenTelemetry semantic conventions instead: rpc.system=grpc, rpc.service, rpc.method, rpc.grpc.status_code (the
// number), server.address/server.port (client), client.address (server);
// a failed call's status is Error with the error's message and error.type
// (see the README's "Tag names and error status on the OpenTelemetry
// backend").
package grpctrace
