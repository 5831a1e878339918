package gintrace_test

import (
	"io"
	"net/http"
	"testing"

	"github.com/apache/rocketmq-client-go/v2/rlog"
	"github.com/gin-gonic/gin"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode)
	rlog.SetLogLevel("fatal")
	goleak.VerifyTestMain(m, rocketmqLeftovers()...)
}

// rocketmqLeftovers are goroutines rocketmq-client-go v2.1.2 leaves behind
// after its producer was shut down (see mqtrace's tests); none is ours.
func rocketmqLeftovers() []goleak.Option {
	const pkg = "github.com/apache/rocketmq-client-go/v2/"
	return []goleak.Option{
		goleak.IgnoreTopFunction("github.com/patrickmn/go-cache.(*janitor).Run"),
		goleak.IgnoreAnyFunction(pkg + "internal/remote.(*remotingClient).receiveResponse"),
		goleak.IgnoreAnyFunction(pkg + "internal.(*rmqClient).Start.func1.1"),
		goleak.IgnoreAnyFunction(pkg + "internal.(*rmqClient).Start.func1.3"),
		goleak.IgnoreAnyFunction(pkg + "internal.(*rmqClient).Start.func1.4"),
	}
}

// client is a plain HTTP client whose idle connections close with the test.
func client(t testing.TB) *http.Client {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

func do(t *testing.T, c *http.Client, req *http.Request) (int, string) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}
