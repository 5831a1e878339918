// Package testenv tells tests where the real services of the project's stack
// (scripts/services) listen, and decides what a test does when one is not
// reachable: skip with a clear message, or fail when TRACEWRAP_REQUIRE_SERVICES=1
// (set by the README's test command and CI).
//
// Every address can be overridden with an environment variable so the same
// tests run against docker-compose.yml or any other deployment.
package testenv

import (
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"
)

// Defaults shared with scripts/services and docker-compose.yml. They are test
// credentials for a loopback-only stack, not secrets.
const (
	MySQLUser     = "tracewrap"
	MySQLPassword = "tw-mysql-S3cret"
	MySQLDatabase = "tracewrap"

	RedisACLUser     = "tracewrap"
	RedisACLPassword = "tw-redis-S3cret"
)

// RequireServices reports whether a missing service must fail the test
// instead of skipping it.
func RequireServices() bool { return os.Getenv("TRACEWRAP_REQUIRE_SERVICES") == "1" }

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// need checks that every host:port answers a TCP connect; otherwise the test
// is skipped, or failed when services are required.
func need(t testing.TB, service string, addrs ...string) {
	t.Helper()
	for _, a := range addrs {
		c, err := net.DialTimeout("tcp", a, 2*time.Second)
		if err != nil {
			msg := service + " is not reachable at " + a + " (" + err.Error() + "); start it with `scripts/services up`"
			if RequireServices() {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
		c.Close()
	}
}

// MySQLAddr is the host:port of the MariaDB/MySQL server.
func MySQLAddr(t testing.TB) string {
	a := env("TRACEWRAP_MYSQL_ADDR", "127.0.0.1:3306")
	need(t, "MariaDB", a)
	return a
}

// MySQLDSN is a go-sql-driver/mysql DSN for the test database, with a password.
func MySQLDSN(t testing.TB) string {
	a := MySQLAddr(t)
	return MySQLUser + ":" + MySQLPassword + "@tcp(" + a + ")/" + MySQLDatabase + "?parseTime=true"
}

// RedisAddr is the host:port of the single Redis server.
func RedisAddr(t testing.TB) string {
	a := env("TRACEWRAP_REDIS_ADDR", "127.0.0.1:6379")
	need(t, "Redis", a)
	return a
}

// RedisClusterAddrs are the seed nodes of the three-master Redis Cluster.
func RedisClusterAddrs(t testing.TB) []string {
	addrs := strings.Split(env("TRACEWRAP_REDIS_CLUSTER_ADDRS", "127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003"), ",")
	need(t, "Redis Cluster", addrs...)
	return addrs
}

// ElasticsearchURL is the base URL of the Elasticsearch node.
func ElasticsearchURL(t testing.TB) string {
	a := env("TRACEWRAP_ES_ADDR", "127.0.0.1:9200")
	need(t, "Elasticsearch", a)
	return "http://" + a
}

// RocketMQNameServer is the host:port of the RocketMQ name server; the broker
// it announces must answer too.
//
// Under the race detector the broker tests are skipped: rocketmq-client-go
// v2.1.2 has data races of its own between its rebalance goroutines and
// consumer start/shutdown (e.g. pushConsumer.messageQueueChanged against
// SubscriptionData.Clone), which the detector reports whatever the test does.
// `make test` runs these tests again without -race, services required.
func RocketMQNameServer(t testing.TB) string {
	t.Helper()
	if raceEnabled {
		t.Skip("RocketMQ broker tests run without -race (rocketmq-client-go v2.1.2 races internally); see `make test`")
	}
	ns := env("TRACEWRAP_ROCKETMQ_NAMESRV", "127.0.0.1:9876")
	need(t, "RocketMQ", ns, env("TRACEWRAP_ROCKETMQ_BROKER", "127.0.0.1:10911"))
	return ns
}

// RocketMQNameServerForProcesses is RocketMQNameServer for tests whose
// RocketMQ clients run in other processes, built without the race detector
// (integration_test's shop): the client library's own races cannot reach
// those tests, so they run under -race too.
func RocketMQNameServerForProcesses(t testing.TB) string {
	t.Helper()
	ns := env("TRACEWRAP_ROCKETMQ_NAMESRV", "127.0.0.1:9876")
	need(t, "RocketMQ", ns, env("TRACEWRAP_ROCKETMQ_BROKER", "127.0.0.1:10911"))
	return ns
}

// JaegerAgentAddr is the UDP host:port of the Jaeger agent (compact thrift).
// UDP cannot be probed, so this checks the query port of the same process.
func JaegerAgentAddr(t testing.TB) string {
	JaegerQueryURL(t)
	return env("TRACEWRAP_JAEGER_AGENT", "127.0.0.1:6831")
}

// JaegerCollectorURL is the HTTP collector endpoint (/api/traces).
func JaegerCollectorURL(t testing.TB) string {
	a := env("TRACEWRAP_JAEGER_COLLECTOR", "127.0.0.1:14268")
	need(t, "Jaeger collector", a)
	return "http://" + a + "/api/traces"
}

// JaegerQueryURL is the base URL of Jaeger v2's query API (/api/v3/traces/{id}).
func JaegerQueryURL(t testing.TB) string {
	a := env("TRACEWRAP_JAEGER_QUERY", "127.0.0.1:16686")
	need(t, "Jaeger query", a)
	return "http://" + a
}

// Serve starts a real HTTP server on 127.0.0.1 with h; it is closed, with its
// connections, when the test ends. Panics logged by net/http are discarded.
func Serve(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}
