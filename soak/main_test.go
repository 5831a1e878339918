package main

import (
	"testing"

	"github.com/apache/rocketmq-client-go/v2/rlog"
	"go.uber.org/goleak"
)

// Every server, client, proxy and tracer the cases open is closed again:
// no goroutine may survive them but those rocketmq-client-go v2.1.2 leaves
// behind after Shutdown whatever its caller does (the list mqtrace's tests
// keep, with the reasons).
func TestMain(m *testing.M) {
	rlog.SetLogLevel("fatal")
	const pkg = "github.com/apache/rocketmq-client-go/v2/"
	goleak.VerifyTestMain(m,
		goleak.IgnoreTopFunction("github.com/patrickmn/go-cache.(*janitor).Run"),
		goleak.IgnoreAnyFunction(pkg+"internal/remote.(*remotingClient).receiveResponse"),
		goleak.IgnoreAnyFunction(pkg+"consumer.(*pushConsumer).pullMessage"),
		goleak.IgnoreAnyFunction(pkg+"internal.(*rmqClient).Start.func1.1"),
		goleak.IgnoreAnyFunction(pkg+"internal.(*rmqClient).Start.func1.3"),
		goleak.IgnoreAnyFunction(pkg+"internal.(*rmqClient).Start.func1.4"),
		goleak.IgnoreAnyFunction(pkg+"consumer.(*statsItemSet).init.func4"),
		goleak.IgnoreAnyFunction(pkg+"consumer.(*statsItemSet).init.func5"),
		goleak.IgnoreAnyFunction(pkg+"consumer.(*statsItemSet).init.func6"),
		goleak.IgnoreAnyFunction(pkg+"consumer.(*pushConsumer).Start.func1.2"),
	)
}
