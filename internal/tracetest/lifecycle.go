package tracetest

import "testing"

// Lifecycle is a client that is started and shut down, as RocketMQ producers
// and consumers are.
type Lifecycle interface {
	Start() error
	Shutdown() error
}

// Started takes the result of a client constructor, starts the client and
// shuts it down when tb ends; a constructor or Start error fails tb:
//
//	p, err := rocketmq.NewProducer(opts...)
//	p = tracetest.Started(t, p, err)
func Started[C Lifecycle](tb testing.TB, c C, err error) C {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
	if err := c.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = c.Shutdown() })
	return c
}
