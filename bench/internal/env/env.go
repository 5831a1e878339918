// Package env tells the benchmarks where the real services of the project's
// stack listen. It mirrors the root module's internal/testenv (which bench/,
// a module of its own, cannot import): the same defaults and the same
// environment variable overrides. A benchmark whose service does not answer
// is skipped, or fails when TRACEWRAP_REQUIRE_SERVICES=1.
package env

import (
	"net"
	"os"
	"testing"
	"time"
)

// Test credentials of the loopback-only stack, as in internal/testenv.
const (
	MySQLUser     = "tracewrap"
	MySQLPassword = "tw-mysql-S3cret"
	MySQLDatabase = "tracewrap"
)

func get(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func need(b testing.TB, service string, addrs ...string) {
	b.Helper()
	for _, a := range addrs {
		c, err := net.DialTimeout("tcp", a, 2*time.Second)
		if err != nil {
			msg := service + " is not reachable at " + a + " (" + err.Error() + "); start it with `scripts/services up`"
			if os.Getenv("TRACEWRAP_REQUIRE_SERVICES") == "1" {
				b.Fatal(msg)
			}
			b.Skip(msg)
		}
		c.Close()
	}
}

// MySQLDSN is a go-sql-driver/mysql DSN for the test database; extra is
// appended to its parameters (e.g. "&interpolateParams=true").
func MySQLDSN(b testing.TB, extra string) string {
	a := get("TRACEWRAP_MYSQL_ADDR", "127.0.0.1:3306")
	need(b, "MariaDB", a)
	return MySQLUser + ":" + MySQLPassword + "@tcp(" + a + ")/" + MySQLDatabase + "?parseTime=true" + extra
}

// RedisAddr is the host:port of the single Redis server.
func RedisAddr(b testing.TB) string {
	a := get("TRACEWRAP_REDIS_ADDR", "127.0.0.1:6379")
	need(b, "Redis", a)
	return a
}

// ElasticsearchURL is the base URL of the Elasticsearch node.
func ElasticsearchURL(b testing.TB) string {
	a := get("TRACEWRAP_ES_ADDR", "127.0.0.1:9200")
	need(b, "Elasticsearch", a)
	return "http://" + a
}

// RocketMQNameServer is the host:port of the RocketMQ name server; the broker
// must answer too.
func RocketMQNameServer(b testing.TB) string {
	ns := get("TRACEWRAP_ROCKETMQ_NAMESRV", "127.0.0.1:9876")
	need(b, "RocketMQ", ns, get("TRACEWRAP_ROCKETMQ_BROKER", "127.0.0.1:10911"))
	return ns
}
