// Package mqtrace traces github.com/apache/rocketmq-client-go/v2 (v2.1.2):
// producers, push consumers and transactional producers, with the span
// context carried inside each message's properties so that consumers and
// transaction callbacks join the producer's trace in whatever process, and
// after whatever restart, they run.
//
// The one-line swap:
//
//	p, err := mqtrace.NewProducer(producer.WithNameServer(ns))            // was rocketmq.NewProducer
//	c, err := mqtrace.NewPushConsumer(consumer.WithGroupName(g), ...)     // was rocketmq.NewPushConsumer
//	tp, err := mqtrace.NewTransactionProducer(listener, ...)              // listener methods take a ctx
//
// Sends (SendSync, SendAsync, SendOneWay, Request, RequestAsync) become
// "send <topic>" spans, ChildOf the span in ctx; the span context is added to
// every message's properties one by one (batches included), never replacing
// the user's, and never with a property separator, an empty entry, a name
// the client or broker acts on (DELAY, TAGS, ...) or baggage beyond 8 KiB
// (what is left out is counted in one span log). A consumed message becomes
// "consume <topic>", ChildOf its producer's span; a consumed batch one span
// that is ChildOf the first message's context and FollowsFrom every other
// message's (WithMessageSpans adds one span per message). The Subscribe
// callback's ctx
// holds the consume span. SendMessageInTransaction becomes "transaction
// <topic>" with the half-message send and "local-transaction <topic>" as
// children; each broker check a "check-transaction <topic>" span, ChildOf
// the half message's context. A missing or corrupt context in a message
// starts a new root span and never fails consumption.
//
// Why ChildOf: a span started by a message belongs to the trace of the
// message's producer on every backend. Jaeger makes the last of several
// FollowsFrom references a span's parent, and the OpenTelemetry bridge makes
// a span with no ChildOf reference the root of a new trace, linked to the
// rest; so the check and a batch's span name the (first) message they were
// started by as ChildOf. The other messages of a batch stay FollowsFrom
// references: Jaeger shows them as references, the bridge as links
// (attribute ot-span-reference-type=follows-from-ref), and each message's
// own trace reaches the batch through them (or through WithMessageSpans).
//
// Send spans are span.kind=producer, consume spans consumer. The
// "transaction" and "local-transaction" spans have no kind: they are the
// producer's own work around the half-message "send", which is the one
// producer span of the message (so links and per-kind counts see one send
// per message); "check-transaction" is consumer, since the broker delivers
// the check to whichever producer of the group it picks, like a message. All
// of them carry message_bus.destination, the message id, its tags and keys,
// the transaction id and the resulting state.
//
// Topics are named as the user passes them to the client. With
// producer.WithNamespace or consumer.WithNamespace the client sends to and
// receives from "<namespace>%<topic>", rewriting sent messages' topics in
// place; every span name, message_bus.destination and Call.Topic still show
// the plain topic, and the namespace is tagged rocketmq.namespace (and is
// Call.Namespace).
//
// # Options
//
// The constructors keep the client's own option types, so mqtrace's options
// live in a Tracing value: New(opts...) resolves them once and its methods
// (NewProducer, WrapProducer, NewPushConsumer, WrapPushConsumer,
// NewTransactionProducer, ProducerInterceptor, ConsumerInterceptor,
// StartConsumeSpan, Extract) use them. The package-level functions of the
// same names use New() with no options: the global tracer, looked up per call.
//
// # The client's built-in WithTrace and interceptors
//
// producer.WithTrace in v2.1.2 breaks SendAsync and SendOneWay (its
// interceptor demands a producer context only SendSync sets, so those sends
// fail with "ProducerCtx Not Exist"), and any producer interceptor makes
// Request return without waiting for the reply and RequestAsync send twice.
// mqtrace's producers therefore wrap the methods and install no interceptor;
// ProducerInterceptor is offered for clients users assemble themselves, with
// those caveats. The transactional producer does use it, for its half-message
// SendSync, the one path interceptors handle correctly.
//
// # Client facts worth knowing
//
// Producers and consumers in one process share a client per instance name;
// v2.1.2 hands broker transaction checks to the first producer that created
// that client, so give each transactional producer its own
// producer.WithInstanceName. A restarted transactional producer is asked by
// the broker only after its first heartbeat that knows the broker (the first
// comes 1 s after Start, then every 30 s): send something soon after Start.
//
// On the OpenTelemetry backend (the OpenTracing bridge over the SDK) the tags
// follow the OpenTelemetry semantic conventions instead: messaging.system=rocketmq, messaging.destination.name,
// messaging.operation.type (send, process), messaging.message.id,
// messaging.consumer.group.name, messaging.batch.message_count,
// messaging.rocketmq.message.tag/keys/namespace;
// a failed call's status is Error with the error's message and error.type
// (see the README's "Tag names and error status on the OpenTelemetry
// backend").
package mqtrace
