package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/apache/rocketmq-client-go/v2/rlog"

	"github.com/tracewrap/tracewrap/mqtrace"
)

// mqSeen is what one consumer did with the messages of the hostile cases.
type mqSeen struct {
	mu      sync.Mutex
	outcome map[int][]string // case index -> outcome of each message
}

func (s *mqSeen) add(i int, outcome string) {
	s.mu.Lock()
	s.outcome[i] = append(s.outcome[i], outcome)
	s.mu.Unlock()
}

func (s *mqSeen) get(i int) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.outcome[i]...)
}

const caseProperty = "soak-case"

// runHostileMQ sends each case as message properties through the real
// broker to a bare and a traced push consumer (two groups of one topic),
// whose callbacks make the onward calls with the callback's ctx.
func runHostileMQ(ctx context.Context, rig *hostileRig, nameServer string, cases []hostileCase, reps int, stdlog *lineCounter) ([]caseResult, error) {
	rlog.SetLogLevel("fatal") // the client logs every heartbeat and rebalance
	ns := primitive.NamesrvAddr{nameServer}
	id := strconv.FormatInt(time.Now().UnixNano()%1e9, 10)
	topic := "soak_hostile_" + id
	p, err := rocketmq.NewProducer(producer.WithNameServer(ns), producer.WithGroupName("soak_pg_"+id),
		producer.WithInstanceName("soak_pi_"+id), producer.WithRetry(2))
	if err != nil {
		return nil, err
	}
	if err := p.Start(); err != nil {
		return nil, err
	}
	defer p.Shutdown()
	// the topic is created by its first message
	if _, err := p.SendSync(ctx, primitive.NewMessage(topic, []byte("warm-up"))); err != nil {
		return nil, fmt.Errorf("RocketMQ: first send: %w", err)
	}
	bare, traced := &mqSeen{outcome: map[int][]string{}}, &mqSeen{outcome: map[int][]string{}}
	handler := func(seen *mqSeen, o *onward) func(context.Context, ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		return func(ctx context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
			for _, m := range msgs {
				i, err := strconv.Atoi(m.GetProperty(caseProperty))
				if err != nil {
					continue // the warm-up message
				}
				if err := o.call(ctx); err != nil {
					seen.add(i, err.Error())
				} else {
					seen.add(i, "ok")
				}
			}
			return consumer.ConsumeSuccess, nil
		}
	}
	start := func(group string, traced bool, f func(context.Context, ...*primitive.MessageExt) (consumer.ConsumeResult, error)) (rocketmq.PushConsumer, error) {
		deadline := time.Now().Add(30 * time.Second)
		for {
			opts := []consumer.Option{consumer.WithNameServer(ns), consumer.WithGroupName(group),
				consumer.WithInstance(group + "_i"), consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset)}
			var c rocketmq.PushConsumer
			var err error
			if traced {
				c, err = mqtrace.New(mqtrace.WithTracer(rig.tracer)).NewPushConsumer(opts...)
			} else {
				c, err = rocketmq.NewPushConsumer(opts...)
			}
			if err != nil {
				return nil, err
			}
			if err := c.Subscribe(topic, consumer.MessageSelector{}, f); err != nil {
				return nil, err
			}
			err = c.Start()
			if err == nil {
				return c, nil
			}
			_ = c.Shutdown()
			if !strings.Contains(err.Error(), "route info not found") || time.Now().After(deadline) {
				return nil, err
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	cb, err := start("soak_cg_bare_"+id, false, handler(bare, rig.onwardBare))
	if err != nil {
		return nil, err
	}
	defer cb.Shutdown()
	ct, err := start("soak_cg_traced_"+id, true, handler(traced, rig.onwardTraced))
	if err != nil {
		return nil, err
	}
	defer ct.Shutdown()

	var out []caseResult
	for i, c := range cases {
		rig.rec.reset()
		rig.logs.reset()
		stdlog.reset()
		res := caseResult{proto: "RocketMQ", name: c.name, calls: reps}
		sendErr := ""
		for r := 0; r < reps; r++ {
			m := primitive.NewMessage(topic, []byte("hostile case "+strconv.Itoa(i)))
			for _, p := range c.pairs {
				m.WithProperty(p[0], p[1])
			}
			m.WithProperty(caseProperty, strconv.Itoa(i))
			if _, err := p.SendSync(ctx, m); err != nil && sendErr == "" {
				sendErr = err.Error()
			}
		}
		// both consumers get every message (two groups), or the time is up
		deadline := time.Now().Add(20 * time.Second)
		for (len(bare.get(i)) < reps || len(traced.get(i)) < reps) && time.Now().Before(deadline) && ctx.Err() == nil {
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(20 * time.Millisecond) // the consume span ends after the callback
		res.bare, res.traced = mqOutcome(bare.get(i), reps, sendErr), mqOutcome(traced.get(i), reps, sendErr)
		res.failedByUs = res.bare == "ok" && res.traced != "ok"
		res.rejectedByPeer = res.bare != "ok"
		for _, s := range rig.rec.all() {
			res.spans++
			if s.bytes > res.largestSpan {
				res.largestSpan = s.bytes
			}
		}
		res.logLines = rig.logs.count() + stdlog.count()
		out = append(out, res)
	}
	return out, nil
}

// mqOutcome sums up a consumer's results for one case: "ok" when every
// message was consumed and its onward calls worked.
func mqOutcome(got []string, want int, sendErr string) string {
	if sendErr != "" && len(got) == 0 {
		return "not sent: " + sendErr
	}
	for _, g := range got {
		if g != "ok" {
			return g
		}
	}
	if len(got) < want {
		return fmt.Sprintf("%d of %d messages consumed", len(got), want)
	}
	return "ok"
}
