// Package redistrace traces go-redis v8 (github.com/go-redis/redis/v8): every
// command and every pipeline becomes a client span, a child of the span in
// the ctx it is run with.
//
//	rdb := redistrace.NewClient(&redis.Options{Addr: "127.0.0.1:6379"}) // was redis.NewClient
//	rdb.Get(ctx, "cart:42")                                             // span "get"
//
// NewClusterClient, NewFailoverClient, NewRing and NewUniversalClient mirror
// go-redis's constructors; WrapClient adds tracing to a client built
// elsewhere; NewHook is the bare redis.Hook for AddHook.
//
// # Spans
//
// A command's span is named after the command ("get", "set"), a pipeline's
// (Pipelined, TxPipelined, Pipeline().Exec) is "pipeline". Tags: component
// "go-redis", span.kind client, db.type redis, db.instance (the database
// index), db.user, peer.address/peer.ipv4|ipv6|hostname/peer.port, and
// db.statement. Pipelines add db.redis.pipeline_length, db.redis.commands
// (the distinct command names), db.redis.tx for MULTI/EXEC and
// db.redis.failed_command. A failed call is tagged error=true with one error
// log; redis.Nil (a missing key) is an answer, not an error, in a command and
// in a pipeline alike. Context cancellation and deadlines, network failures
// and server errors are errors.
//
// The hook keeps its span in the ctx under a private key, not as the ctx's
// active span: its After side finishes exactly the span its Before side
// started, and never the caller's.
//
// # db.statement
//
// Arguments are shown the way go-redis sends them: plain printable words as
// they are, anything else (spaces, quotes, binary bytes, non-ASCII) quoted
// with Go escapes, so binary values are safe to read. Caps keep a 10 MB value
// from being copied: WithMaxArgLength bytes per argument (default 128, with
// the full length given), WithMaxArgs arguments per command (32),
// WithMaxPipelineCommands commands per pipeline (16), then
// WithMaxStatementSize for the whole tag (4096 bytes). Unsampled spans are
// never formatted, and a command whose parent span belongs to a trace that is
// known not to be sampled (jaeger, OpenTelemetry through the bridge) makes no
// span at all, unless a span observer is configured: nothing would record it
// and a command carries no trace context onward.
//
// Credentials are always replaced by "?": AUTH's password, HELLO ... AUTH,
// CONFIG SET requirepass/masterauth (any parameter naming a password or
// auth), ACL SETUSER password rules (>pass, <pass, #hash, !hash, selectors),
// MIGRATE ... AUTH / AUTH2, SENTINEL SET/CONFIG SET auth-pass; also in the
// error log when the server echoes them (an unknown CONFIG, a bad ACL rule).
// WithStatementMode(StatementKeysOnly) shows only command names, subcommands
// and keys; StatementOmitted sets no db.statement. In both, the arguments a
// server error echoes ("unknown command ... with args beginning with: ...")
// are dropped from the error log as well. WithCommandFilter leaves
// chosen commands untraced (and out of pipeline statements).
//
// # Cluster and ring clients
//
// go-redis runs a ClusterClient's (or Ring's) hooks and then the hooks of the
// node client that serves the command, so hooking both levels would trace
// every command twice. NewClusterClient and NewRing make the spans at the
// cluster level only, where the caller's view is (one span per command, even
// when MOVED/ASK redirections or retries visit several nodes), and give each
// node client, through ClusterOptions.NewClient, a hook that never starts a
// span for such a command: it finds the cluster's span in the ctx and tells
// it which node served it. The span's peer.* tags are that node's
// (db.redis.attempts counts the nodes tried when more than one); a pipeline
// served by several nodes lists them in db.redis.nodes.
//
// Commands sent straight to a node client (a cluster Watch transaction, a
// ForEachShard callback, MasterForKey's client) are traced by the node's hook
// when their ctx holds a span. go-redis's own bookkeeping (slot map reloads,
// COMMAND, latency probes, ring heartbeats) runs under a context without a
// span and is not traced. WrapClient on an existing ClusterClient or Ring
// traces at the cluster level but cannot learn the serving node.
//
// # Options
//
// Option is one type for the options every tracewrap package shares
// (WithTracer, WithOperationName, WithOperationNameFunc, WithSpanFilter,
// WithSpanObserver, WithComponentName, WithChildSpansOnly, WithErrorPolicy,
// WithMaxStatementSize) and this package's own (WithStatementMode,
// WithMaxArgs, WithMaxArgLength, WithMaxPipelineCommands, WithCommandFilter):
// an Option is a func over the package's config, which hands the shared ones
// to the common core. Filters, name funcs, observers and error policies
// receive a *Call describing the command or pipeline.
//
// # Not traced
//
// go-redis v8 gives no hooks to redis.Conn (Client.Conn) or to PubSub:
// commands on a Conn are traced only if NewHook is added to it, and PubSub
// traffic is not traced. The AUTH/SELECT that go-redis sends when it opens a
// connection runs on such an unhooked connection and never reaches a span.
//
// On the OpenTelemetry backend (the OpenTracing bridge over the SDK) the tags
// follow the OpenTelemetry semantic conventions instead: db.system.name=redis, db.namespace (the db index), db.query.text,
// db.operation.name (the command, or pipeline), server.address/port;
// a failed call's status is Error with the error's message and error.type
// (see the README's "Tag names and error status on the OpenTelemetry
// backend").
package redistrace
