// Package estrace traces github.com/elastic/go-elasticsearch/v8 with
// OpenTracing: swap elasticsearch.NewClient for estrace.NewClient and every
// request becomes a child span of the span in its context.
//
//	es, err := estrace.NewClient(elasticsearch.Config{Addresses: addrs})
//	res, err := es.Search(es.Search.WithContext(ctx), es.Search.WithBody(q))
//
// # One logical request, one span
//
// A request goes through up to three hooks, and they agree on one span:
//
//   - The client's Instrumentation hooks (every esapi and typedapi function
//     calls them with the endpoint name and path parts). Start puts the
//     request's state in the context; the span starts when the request is
//     about to be sent and ends when the API function returns.
//   - A Perform wrapper for raw es.Perform(req) calls, which no
//     Instrumentation hook sees: same span, named from the path template.
//   - A per-attempt hook (an elastictransport interceptor installed by
//     NewClient, or Transport): it finds the state in the request context and
//     only adds to the span. Retries are one "attempt" log each (attempt,
//     peer.address, http.status_code or message, duration_us) plus the tag
//     es.attempts; a request answered at the first attempt logs nothing.
//
// Transport used on its own (elasticsearch.Config.Transport of a client
// built without estrace, or any http.Client) makes one span per round trip;
// under the client's retries that is one span per attempt, since a transport
// cannot know which attempt is the last.
//
// # Tags
//
// component=go-elasticsearch, span.kind=client, db.type=elasticsearch,
// es.endpoint, es.index, es.id (and other path parts as es.<part>), es.path
// (template, raw requests), http.method, http.url (no userinfo; query values
// replaced by REDACTED), http.status_code, peer.address/ipv4/ipv6/hostname/
// port of the node that answered. Tags beyond the static ones are only
// formatted for sampled spans.
//
// db.statement is the request body of search-like endpoints (search, count,
// msearch, delete/update by query, templates, async/eql/sql searches, ...),
// capped by WithMaxStatementSize (default 4 KiB), decoded when gzip, read
// from the request's GetBody or peeked and put back, so the client sends the
// whole body; db.statement.length gives the full size when it was cut. Bulk
// bodies are summarised while they are sent (es.bulk.operations,
// es.bulk.bytes), never copied. No other endpoint's body is read, so
// documents and credentials sent to other APIs never reach a span.
// WithStatementCapture(false) turns capture off, WithStatementRedactor rewrites
// what is recorded.
//
// # Errors
//
// Transport errors and 5xx answers are errors; 4xx too, except a 404 on
// GET/HEAD and a 409 (WithErrorPolicy overrides). The error log's error.kind
// and message are Elasticsearch's root-cause type and reason, read from the
// first 2 KiB of the response body, which the caller still reads whole and
// unchanged; the document value a mapping error quotes is replaced by
// REDACTED. Policies see *StatusError for 4xx/5xx answers.
//
// # Propagation
//
// The span context is injected into the request headers (only entries
// net/http sends without failing; see nethttp), and X-Opaque-Id
// carries the trace id (unless the caller set one, on the request or in the
// elasticsearch.Config.Header given to NewClient, or WithOpaqueID(false)),
// so Elasticsearch's slow logs and tasks API name the trace.
//
// # Options
//
// Option is a func over the package's config; the options every tracewrap
// package shares (WithTracer, WithOperationName, WithOperationNameFunc,
// WithSpanFilter, WithSpanObserver, WithComponentName, WithChildSpansOnly,
// WithErrorPolicy, WithMaxStatementSize) forward to the shared core, the
// estrace ones (WithStatementCapture, WithCapturedEndpoints,
// WithStatementRedactor, WithOpaqueID) set estrace's own fields. Name funcs,
// filters, observers and policies see a *Request.
//
// # Elasticsearch 7.17
//
// Tested against a 7.17 node. The 8.x client's product check passes (7.14+
// sends X-Elastic-Product) and 7.17 accepts the "compatible-with=8" media
// types the typed client sends; the typed APIs used in the tests (index,
// get, search, count, indices, cluster, cat, nodes) decode 7.17 answers.
// APIs newer than the server (ES|QL, inference, connectors, ...) are
// answered 4xx and traced as errors with the status as error.kind.
//
// On the OpenTelemetry backend (the OpenTracing bridge over the SDK) the tags
// follow the OpenTelemetry semantic conventions instead: db.system.name=elasticsearch, db.operation.name (the endpoint),
// db.query.text, http.request.method, http.response.status_code, url.full,
// server.address/port;
// a failed call's status is Error with the error's message and error.type
// (see the README's "Tag names and error status on the OpenTelemetry
// backend").
package estrace
