// Package nethttp traces net/http servers and clients: the server span of a
// request is a child of the caller's client span, in the same trace, with
// baggage carried in the headers (opentracing.HTTPHeaders).
//
// The swap is one line on each side:
//
//	http.ListenAndServe(":8080", nethttp.Middleware(nil, mux))      // server spans
//	client := &http.Client{Transport: nethttp.NewTransport(nil)}    // client spans + injection
//	client = nethttp.WrapClient(existing)                            // or wrap a client you have
//
// Handlers find their span with opentracing.SpanFromContext(r.Context()), and
// requests they send with that context (req.WithContext, http.NewRequestWithContext)
// become its children.
//
// # Spans
//
// Span names are "HTTP GET", "HTTP POST", ...; on the server the name becomes
// "HTTP GET /items/{id}" once a Go 1.22 http.ServeMux has matched a route
// pattern (the pattern is also tagged as http.route), unless a name option is
// given. Frameworks that route inside their own middleware chain (gin, echo)
// use NewServerTracer instead, which names the span by the route they report
// (gintrace, a module of its own, does that for gin). Tags: component,
// span.kind, http.method, http.url, http.status_code,
// peer.* (the remote address on the server, the URL host on the client), and
// headers chosen with WithHeaderTags. 5xx responses, transport errors and
// handler panics are errors; 4xx are not (WithErrorPolicy changes that).
//
// # Secrets
//
// The http.url tag never contains userinfo, and query values are replaced by
// "REDACTED" unless WithQueryValues is given (parameter names are kept).
// Headers are only tagged when listed, and Authorization, Cookie, Set-Cookie,
// Proxy-Authorization and other credential-like names never are.
//
// # Options
//
// Option is one type for both sides. The options every tracewrap package
// shares (WithTracer, WithOperationName, WithOperationNameFunc,
// WithSpanFilter, WithSpanObserver, WithComponentName, WithChildSpansOnly,
// WithErrorPolicy, WithMaxStatementSize) wrap the shared core options; the
// package's own (WithQueryValues, WithClientTrace, WithHeaderTags) set fields
// of the package's configuration. Options are applied in order, later ones
// win. Middleware's tracer argument counts as a WithTracer before the others;
// nil means the global tracer, looked up on every request.
//
// # Cost
//
// With opentracing.NoopTracer (the global tracer before any Init) the
// wrappers pass requests straight through. Unsampled Jaeger spans skip
// building tags. When the caller's trace is, for good, not sampled (a Jaeger
// context that says so) and no span observer is set, Middleware starts no
// Jaeger span: the handler's span is a stand-in whose Context, SetBaggageItem
// or sampling.priority tag start the real one on demand (so baggage, children
// and forced sampling work as usual); Transport, under such a trace, sends the
// caller's context on instead of a child span's.
//
// # Server details
//
// The response writer the handler sees has exactly the optional interfaces of
// the one it wraps (http.Flusher, http.Hijacker, http.Pusher) and an Unwrap
// method, so http.ResponseController works; the deprecated
// http.CloseNotifier is kept too. A handler that never writes is a
// 200. A panic is recorded (as *PanicError) and re-panicked;
// http.ErrAbortHandler is not an error. A hijacked connection is tagged
// http.hijacked and its span ends when the handler returns. The route rename
// needs the mux to see the request Middleware passes on: a middleware in
// between that replaces the request (r.WithContext) hides the pattern.
//
// # Client details
//
// The request is never modified: headers are injected into a copy, and only
// those net/http sends without failing, never hop-by-hop or framing headers,
// with baggage up to 8 KiB (the rest is counted in one span log): whatever a
// request arrived with, its onward calls do not fail for being traced. The span
// ends exactly once: when the body is read to EOF, fails or is closed; at
// once for HEAD, empty bodies, 101 responses and transport errors; or when
// the request's context is done if the caller drops the body (for example
// after http.Client.Timeout). Every redirect hop is its own span, a child of
// the caller's span. WithClientTrace logs DNS, connect, TLS and first-byte
// events for sampled spans.
//
// On the OpenTelemetry backend (the OpenTracing bridge over the SDK) the tags
// follow the OpenTelemetry semantic conventions instead: http.request.method, http.response.status_code, http.route (the
// path template), url.full (client), url.path and url.query (server),
// server.address/server.port (client), client.address/client.port (server);
// a failed call's status is Error with the error's message and error.type
// (see the README's "Tag names and error status on the OpenTelemetry
// backend").
package nethttp
