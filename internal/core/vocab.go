package core

import (
	"reflect"
	"sync"
	"sync/atomic"

	"github.com/opentracing/opentracing-go"
)

// The tag vocabulary. Every tag a wrapper sets goes through one semantic Key,
// and the tracer decides which name (and, where they differ, which value) the
// key gets:
//
//   - OpenTracing names (the ext package's semantic conventions and
//     tracewrap's own) for Jaeger, mocktracer and any other OpenTracing
//     tracer: what the wrappers have always set.
//   - OpenTelemetry semantic conventions for the OpenTelemetry SDK behind the
//     OpenTracing bridge: what OpenTelemetry backends build service maps and
//     RED metrics from (http.request.method, db.system.name, rpc.system,
//     messaging.destination.name, error.type, ...).
//
// The vocabulary is resolved from the tracer's type, once per type and
// without importing OpenTelemetry: the bridge's own type
// (go.opentelemetry.io/otel/bridge/opentracing.BridgeTracer, whoever built
// it) or any tracer that implements VocabularyProvider (a tracer that wraps
// the bridge says so that way).

// Key is a semantic tag key.
type Key uint8

// The semantic keys. Their names in each vocabulary are in vocabTable.
const (
	KeyPeerAddress            Key = iota // the remote end as given (host:port, unix:path)
	KeyPeerHostname                      // remote host name (peer.hostname / server.address)
	KeyPeerIPv4                          // remote IPv4 address (peer.ipv4 / server.address)
	KeyPeerIPv6                          // remote IPv6 address (peer.ipv6 / server.address)
	KeyPeerPort                          // remote port (peer.port / server.port)
	KeyClientAddress                     // a server's caller: host or IP (peer.* / client.address)
	KeyClientPort                        // a server's caller: port (peer.port / client.port)
	KeyPeerService                       // the remote service name
	KeyHTTPMethod                        // request method
	KeyHTTPURL                           // full URL, redacted (http.url / url.full)
	KeyHTTPPath                          // server: path (http.url / url.path)
	KeyHTTPQuery                         // server: query, redacted (in http.url / url.query)
	KeyHTTPStatusCode                    // response status code
	KeyHTTPRoute                         // the server's matched route
	KeyHTTPHijacked                      // the connection was hijacked
	KeyRPCSystem                         // "grpc" (OpenTelemetry only)
	KeyRPCService                        // package.Service (OpenTelemetry only)
	KeyRPCMethod                         // Method (OpenTelemetry only)
	KeyGRPCStatusCode                    // the status: its name (OpenTracing), its number (OpenTelemetry)
	KeyDBSystem                          // db.type (sql, redis, elasticsearch) / db.system.name (mysql, ...)
	KeyDBNamespace                       // db.instance / db.namespace
	KeyDBUser                            // database user
	KeyDBStatement                       // db.statement / db.query.text
	KeyDBStatementLength                 // full size of a capped statement, in bytes
	KeyDBOperation                       // db.operation.name (OpenTelemetry only)
	KeyDBRows                            // rows read by a query
	KeyDBRowsAffected                    // rows changed by an exec
	KeyDBArgs                            // statement arguments (opt-in)
	KeyMessagingSystem                   // "rocketmq" (OpenTelemetry only)
	KeyMessagingDestination              // topic
	KeyMessagingOperation                // send, process (OpenTelemetry only)
	KeyMessagingMessageID                // client-side message id
	KeyMessagingConsumerGroup            // consumer group
	KeyMessagingBatchSize                // messages in a batch
	KeyMessagingPartition                // queue id
	KeyMessagingPayload                  // message body (opt-in)
	KeyRocketMQTags                      // message tags
	KeyRocketMQKeys                      // message keys
	KeyRocketMQNamespace                 // client namespace of the topic
	KeyErrorType                         // class of a failure (OpenTelemetry only: error.type)
	numKeys
)

// vocabTable is the one table of tag names: {OpenTracing, OpenTelemetry}.
// An empty name means the key is not set in that vocabulary. Tags that have
// no standard name in either keep tracewrap's own name in both (es.*,
// db.redis.*, rocketmq.*: set by the wrappers directly).
var vocabTable = [numKeys][2]string{
	KeyPeerAddress:            {"peer.address", "network.peer.address"},
	KeyPeerHostname:           {"peer.hostname", "server.address"},
	KeyPeerIPv4:               {"peer.ipv4", "server.address"},
	KeyPeerIPv6:               {"peer.ipv6", "server.address"},
	KeyPeerPort:               {"peer.port", "server.port"},
	KeyClientAddress:          {"", "client.address"}, // OpenTracing: peer.* (Peer.ApplyClient)
	KeyClientPort:             {"", "client.port"},
	KeyPeerService:            {"peer.service", "peer.service"},
	KeyHTTPMethod:             {"http.method", "http.request.method"},
	KeyHTTPURL:                {"http.url", "url.full"},
	KeyHTTPPath:               {"http.url", "url.path"},
	KeyHTTPQuery:              {"", "url.query"},
	KeyHTTPStatusCode:         {"http.status_code", "http.response.status_code"},
	KeyHTTPRoute:              {"http.route", "http.route"},
	KeyHTTPHijacked:           {"http.hijacked", "http.hijacked"},
	KeyRPCSystem:              {"", "rpc.system"},
	KeyRPCService:             {"", "rpc.service"},
	KeyRPCMethod:              {"", "rpc.method"},
	KeyGRPCStatusCode:         {"grpc.status_code", "rpc.grpc.status_code"},
	KeyDBSystem:               {"db.type", "db.system.name"},
	KeyDBNamespace:            {"db.instance", "db.namespace"},
	KeyDBUser:                 {"db.user", "db.user"},
	KeyDBStatement:            {"db.statement", "db.query.text"},
	KeyDBStatementLength:      {"db.statement.length", "db.query.text.length"},
	KeyDBOperation:            {"", "db.operation.name"},
	KeyDBRows:                 {"db.rows", "db.response.returned_rows"},
	KeyDBRowsAffected:         {"db.rows_affected", "db.rows_affected"},
	KeyDBArgs:                 {"db.args", "db.query.parameters"},
	KeyMessagingSystem:        {"", "messaging.system"},
	KeyMessagingDestination:   {"message_bus.destination", "messaging.destination.name"},
	KeyMessagingOperation:     {"", "messaging.operation.type"},
	KeyMessagingMessageID:     {"rocketmq.message_id", "messaging.message.id"},
	KeyMessagingConsumerGroup: {"rocketmq.consumer_group", "messaging.consumer.group.name"},
	KeyMessagingBatchSize:     {"rocketmq.batch_size", "messaging.batch.message_count"},
	KeyMessagingPartition:     {"rocketmq.queue_id", "messaging.destination.partition.id"},
	KeyMessagingPayload:       {"message_bus.payload", "messaging.message.body"},
	KeyRocketMQTags:           {"rocketmq.tags", "messaging.rocketmq.message.tag"},
	KeyRocketMQKeys:           {"rocketmq.keys", "messaging.rocketmq.message.keys"},
	KeyRocketMQNamespace:      {"rocketmq.namespace", "messaging.rocketmq.namespace"},
	KeyErrorType:              {"", "error.type"},
}

// Vocab is one vocabulary: the names of the semantic keys. The two values
// are OpenTracing and OpenTelemetry; compare pointers or ask OTel.
type Vocab struct {
	otel  bool
	names [numKeys]string
}

// The vocabularies.
var (
	OpenTracing   = newVocab(0)
	OpenTelemetry = newVocab(1)
)

func newVocab(col int) *Vocab {
	v := &Vocab{otel: col == 1}
	for k := range v.names {
		v.names[k] = vocabTable[k][col]
	}
	return v
}

// OTel reports whether v is the OpenTelemetry semantic conventions.
func (v *Vocab) OTel() bool { return v.otel }

// Name is k's tag name in v, "" when v does not set k.
func (v *Vocab) Name(k Key) string { return v.names[k] }

// Set sets k on span under v's name; a key v does not have is skipped, as is
// a nil span. value is what the tag holds: callers pass values already boxed
// (constants, precomputed tags) on hot paths.
func (v *Vocab) Set(span opentracing.Span, k Key, value any) {
	if span == nil {
		return
	}
	if n := v.names[k]; n != "" {
		span.SetTag(n, value)
	}
}

// VocabularyProvider is implemented by tracers that choose their tag
// vocabulary: a tracer that wraps the OpenTelemetry bridge returns
// OpenTelemetryVocabulary, so its spans get the semantic conventions.
type VocabularyProvider interface {
	TagVocabulary() string
}

// The answers of VocabularyProvider.
const (
	OpenTracingVocabulary   = "opentracing"
	OpenTelemetryVocabulary = "opentelemetry"
)

// bridgePkgPath is the package of the OpenTelemetry OpenTracing bridge,
// whose tracer type (BridgeTracer) is recognised without importing it.
const bridgePkgPath = "go.opentelemetry.io/otel/bridge/opentracing"

// lastVocab caches the answer for the tracer type seen last: a process has
// one tracer, so the common lookup is one atomic load and a comparison.
type vocabEntry struct {
	t reflect.Type
	v *Vocab
}

var (
	lastVocab   atomic.Pointer[vocabEntry]
	vocabByType sync.Map // reflect.Type -> *vocabEntry, kept for good
)

// VocabFor returns the vocabulary of tr's spans. nil gives OpenTracing.
func VocabFor(tr opentracing.Tracer) *Vocab {
	if tr == nil {
		return OpenTracing
	}
	if p, ok := tr.(VocabularyProvider); ok {
		if p.TagVocabulary() == OpenTelemetryVocabulary {
			return OpenTelemetry
		}
		return OpenTracing
	}
	t := reflect.TypeOf(tr)
	if e := lastVocab.Load(); e != nil && e.t == t {
		return e.v
	}
	var e *vocabEntry
	if cached, ok := vocabByType.Load(t); ok {
		e = cached.(*vocabEntry)
	} else {
		cached, _ := vocabByType.LoadOrStore(t, &vocabEntry{t: t, v: vocabOfType(t)})
		e = cached.(*vocabEntry)
	}
	lastVocab.Store(e)
	return e.v
}

func vocabOfType(t reflect.Type) *Vocab {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.PkgPath() == bridgePkgPath {
		return OpenTelemetry
	}
	return OpenTracing
}

// VocabOf returns the vocabulary of span's tracer: what a wrapper asks once
// per call before it sets tags. A nil span gives OpenTracing.
func VocabOf(span opentracing.Span) *Vocab {
	if span == nil {
		return OpenTracing
	}
	if u, ok := span.(*unsampledSpan); ok {
		return VocabFor(u.tracer)
	}
	return VocabFor(span.Tracer())
}
