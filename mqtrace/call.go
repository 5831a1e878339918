package mqtrace

import (
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/opentracing/opentracing-go"

	"github.com/tracewrap/tracewrap/internal/core"
)

// Operations of a Call; the default span name is "<operation> <topic>".
const (
	OpSend             = "send"              // a produced message or batch
	OpConsume          = "consume"           // a consumed message or batch
	OpTransaction      = "transaction"       // SendMessageInTransaction as a whole
	OpLocalTransaction = "local-transaction" // TransactionListener.ExecuteLocalTransaction
	OpCheckTransaction = "check-transaction" // TransactionListener.CheckLocalTransaction
)

// Send methods (Call.Method of an OpSend).
const (
	MethodSync         = "sync"
	MethodAsync        = "async"
	MethodOneWay       = "oneway"
	MethodRequest      = "request"
	MethodRequestAsync = "request-async"
)

// Tags set by mqtrace beyond component, span.kind and message_bus.destination.
const (
	TagMethod         = "rocketmq.method"
	TagMessageID      = "rocketmq.message_id"        // client-side unique id (UNIQ_KEY)
	TagOffsetMsgID    = "rocketmq.offset_message_id" // broker-side id
	TagTags           = "rocketmq.tags"
	TagKeys           = "rocketmq.keys"
	TagBatchSize      = "rocketmq.batch_size"
	TagQueueID        = "rocketmq.queue_id"
	TagQueueOffset    = "rocketmq.queue_offset"
	TagBroker         = "rocketmq.broker"
	TagSendStatus     = "rocketmq.send_status"
	TagConsumerGroup  = "rocketmq.consumer_group"
	TagReconsumeTimes = "rocketmq.reconsume_times"
	TagStoreLatency   = "rocketmq.store_to_consume_ms" // now minus the broker's store time
	TagConsumeResult  = "rocketmq.consume_result"
	TagTxState        = "rocketmq.transaction.state"
	TagTxCheckTimes   = "rocketmq.transaction.check_times"
	TagTxID           = "rocketmq.transaction.id"
	TagTxHalf         = "rocketmq.transaction.half" // the prepared (half) message send
	TagPayload        = "message_bus.payload"
	TagNamespace      = "rocketmq.namespace" // the client namespace of the topic, when it has one
)

// ConsumePanicked is Call.ConsumeResult (and rocketmq.consume_result
// "PANIC") of a consume callback that panicked. It is mqtrace's, never handed
// to the client: the client gets the panic, and does not retry the messages
// (see finishOnPanic).
const ConsumePanicked consumer.ConsumeResult = -1

// Consumer results that are not success, handed to Finish (and so to the
// error policy) when the callback returned no error of its own.
var (
	ErrRetryLater   = errors.New("mqtrace: consumer asked to retry later")
	ErrSuspendQueue = errors.New("mqtrace: consumer suspended the queue for a moment")
)

// Call describes one traced operation to name funcs, filters, observers and
// error policies. Fields that do not apply to the operation are zero. Treat it
// as read-only.
type Call struct {
	Operation string // OpSend, OpConsume, ...
	Method    string // for OpSend: MethodSync, MethodAsync, ...
	// Topic is the topic as the user names it: without the namespace the
	// client prefixes to it (producer/consumer WithNamespace), which is
	// Namespace.
	Topic     string
	Namespace string

	// Messages are the produced messages (OpSend, OpTransaction,
	// OpLocalTransaction); Received the consumed or checked ones.
	Messages []*primitive.Message
	Received []*primitive.MessageExt

	ConsumerGroup string // OpConsume, when the client says

	// Outcomes, set before the span finishes.
	Result        *primitive.SendResult           // OpSend when the broker answered
	ConsumeResult consumer.ConsumeResult          // OpConsume; ConsumePanicked when the callback panicked
	State         primitive.LocalTransactionState // transaction operations
}

// opNames caches "<op> <topic>" so that naming a span does not allocate on
// every call. It is bounded: past maxCachedTopics the name is built per call.
type opNames struct {
	mu sync.RWMutex
	m  map[string]map[string]string
}

const maxCachedTopics = 1024

func (o *opNames) get(op, topic string) string {
	o.mu.RLock()
	n, ok := o.m[op][topic]
	o.mu.RUnlock()
	if ok {
		return n
	}
	n = op + " " + topic
	o.mu.Lock()
	if o.m == nil {
		o.m = make(map[string]map[string]string)
	}
	byTopic := o.m[op]
	if byTopic == nil {
		byTopic = make(map[string]string)
		o.m[op] = byTopic
	}
	if len(byTopic) < maxCachedTopics {
		byTopic[topic] = n
	}
	o.mu.Unlock()
	return n
}

func sendStatus(s primitive.SendStatus) string {
	switch s {
	case primitive.SendOK:
		return "SEND_OK"
	case primitive.SendFlushDiskTimeout:
		return "FLUSH_DISK_TIMEOUT"
	case primitive.SendFlushSlaveTimeout:
		return "FLUSH_SLAVE_TIMEOUT"
	case primitive.SendSlaveNotAvailable:
		return "SLAVE_NOT_AVAILABLE"
	}
	return "UNKNOWN"
}

func consumeResult(r consumer.ConsumeResult) string {
	switch r {
	case consumer.ConsumeSuccess:
		return "SUCCESS"
	case consumer.ConsumeRetryLater:
		return "RETRY_LATER"
	case consumer.Commit:
		return "COMMIT"
	case consumer.Rollback:
		return "ROLLBACK"
	case consumer.SuspendCurrentQueueAMoment:
		return "SUSPEND_CURRENT_QUEUE_A_MOMENT"
	case ConsumePanicked:
		return "PANIC"
	}
	return "UNKNOWN(" + strconv.Itoa(int(r)) + ")"
}

// consumeError turns a non-success result into an error for Finish.
func consumeError(r consumer.ConsumeResult, err error) error {
	switch {
	case err != nil:
		return err
	case r == consumer.ConsumeRetryLater:
		return ErrRetryLater
	case r == consumer.SuspendCurrentQueueAMoment:
		return ErrSuspendQueue
	}
	return nil
}

func txState(s primitive.LocalTransactionState) string {
	switch s {
	case primitive.CommitMessageState:
		return "COMMIT"
	case primitive.RollbackMessageState:
		return "ROLLBACK"
	case primitive.UnknowState:
		return "UNKNOWN"
	}
	return "UNKNOWN(" + strconv.Itoa(int(s)) + ")"
}

// tagMessage sets the tags of one produced message.
func (t *Tracing) tagMessage(span opentracing.Span, m *primitive.Message, max int) {
	tagTagsAndKeys(span, m)
	if t.payload {
		core.VocabOf(span).Set(span, core.KeyMessagingPayload, payload(m.Body, max))
	}
}

// tagReceived sets the tags of one consumed (or checked) message.
func (t *Tracing) tagReceived(span opentracing.Span, m *primitive.MessageExt, now time.Time, max int) {
	t.tagMessage(span, &m.Message, max)
	v := core.VocabOf(span)
	v.Set(span, core.KeyMessagingMessageID, m.MsgId)
	if m.OffsetMsgId != "" {
		span.SetTag(TagOffsetMsgID, m.OffsetMsgId)
	}
	span.SetTag(TagReconsumeTimes, m.ReconsumeTimes)
	if m.Queue != nil {
		v.Set(span, core.KeyMessagingPartition, m.Queue.QueueId)
		if m.Queue.BrokerName != "" {
			span.SetTag(TagBroker, m.Queue.BrokerName)
		}
	}
	span.SetTag(TagQueueOffset, m.QueueOffset)
	if m.StoreTimestamp > 0 {
		span.SetTag(TagStoreLatency, now.Sub(time.UnixMilli(m.StoreTimestamp)).Milliseconds())
	}
}

// tagTagsAndKeys sets the message's tags and keys, as the user set them.
func tagTagsAndKeys(span opentracing.Span, m *primitive.Message) {
	v := core.VocabOf(span)
	if s := m.GetProperty(primitive.PropertyTags); s != "" {
		v.Set(span, core.KeyRocketMQTags, s)
	}
	if s := m.GetProperty(primitive.PropertyKeys); s != "" {
		v.Set(span, core.KeyRocketMQKeys, s)
	}
}

func tagSendResult(span opentracing.Span, r *primitive.SendResult) {
	if r == nil {
		return
	}
	v := core.VocabOf(span)
	span.SetTag(TagSendStatus, sendStatus(r.Status))
	if r.MsgID != "" {
		v.Set(span, core.KeyMessagingMessageID, r.MsgID)
	}
	if r.OffsetMsgID != "" {
		span.SetTag(TagOffsetMsgID, r.OffsetMsgID)
	}
	if r.TransactionID != "" {
		span.SetTag(TagTxID, r.TransactionID)
	}
	if q := r.MessageQueue; q != nil {
		v.Set(span, core.KeyMessagingPartition, q.QueueId)
		span.SetTag(TagBroker, q.BrokerName)
	}
	span.SetTag(TagQueueOffset, r.QueueOffset)
}

// setDestination sets the topic and namespace, and in OpenTelemetry's
// vocabulary messaging.system and messaging.operation.type (send for
// producer spans, process for consumer spans).
func setDestination(span opentracing.Span, c *Call) {
	v := core.VocabOf(span)
	v.Set(span, core.KeyMessagingDestination, c.Topic)
	if c.Namespace != "" {
		v.Set(span, core.KeyRocketMQNamespace, c.Namespace)
	}
	if v.OTel() {
		v.Set(span, core.KeyMessagingSystem, "rocketmq")
		switch c.Operation {
		case OpSend:
			v.Set(span, core.KeyMessagingOperation, "send")
		case OpConsume, OpCheckTransaction:
			v.Set(span, core.KeyMessagingOperation, "process")
		}
	}
}

// Prefixes of the topics the broker makes for a consumer group's retries and
// dead letters.
const (
	retryTopicPrefix = "%RETRY%"
	dlqTopicPrefix   = "%DLQ%"
)

// splitTopic separates a topic the client has qualified with its namespace,
// "<namespace>%<topic>", into the topic the user names and the namespace,
// the way the client itself strips it. The client rewrites the topic of a
// message it sends in place, and consumers and transaction checks receive
// the qualified one: spans use the user's topic everywhere.
func splitTopic(qualified string) (topic, namespace string) {
	prefix := ""
	switch {
	case strings.HasPrefix(qualified, retryTopicPrefix):
		prefix = retryTopicPrefix
	case strings.HasPrefix(qualified, dlqTopicPrefix):
		prefix = dlqTopicPrefix
	}
	rest := qualified[len(prefix):]
	i := strings.LastIndexByte(rest, '%')
	if i <= 0 {
		return qualified, ""
	}
	return prefix + rest[i+1:], rest[:i]
}

// learnNamespace notes the namespace of a call that started with the user's
// topic, once the client has qualified the message's topic with it.
func (c *Call) learnNamespace(span opentracing.Span, qualified string) {
	if c.Namespace != "" {
		return
	}
	if _, ns := splitTopic(qualified); ns != "" {
		c.Namespace = ns
		if isSampled(span) {
			core.VocabOf(span).Set(span, core.KeyRocketMQNamespace, ns)
		}
	}
}

// newCall describes an operation on the (possibly qualified) topic.
func newCall(op, qualified string) *Call {
	c := &Call{Operation: op}
	c.Topic, c.Namespace = splitTopic(qualified)
	return c
}
