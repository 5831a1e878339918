// Command shop is a small shop split into four processes, traced end to end
// with tracewrap and nothing else than its public API:
//
//	web        HTTP (gin, gintrace.Middleware) -> gRPC clients (grpctrace)
//	goods      gRPC server: MySQL (sqltrace), Redis cache (redistrace),
//	           Elasticsearch search (estrace)
//	order      gRPC server: a RocketMQ transactional message (mqtrace) whose
//	           local transaction writes the order to MySQL with the ctx it gets
//	inventory  RocketMQ push consumer (mqtrace) reserving stock in MySQL
//
// One binary, one role per process:
//
//	shop goods     -listen 127.0.0.1:7071
//	shop order     -listen 127.0.0.1:7072
//	shop inventory
//	shop web       -listen 127.0.0.1:8080 -goods 127.0.0.1:7071 -order 127.0.0.1:7072
//
// Every process calls tracing.Init with its role as the service name (so
// JAEGER_AGENT_HOST/JAEGER_AGENT_PORT and the other JAEGER_* variables
// apply) and closes the tracer on SIGTERM or SIGINT, after its servers and
// clients have stopped, so no span is lost. The web process answers every
// request with its trace id in the X-Trace-Id header. Every process logs
// through tracelog.NewHandler, so log lines written with a request's
// context carry its trace_id and span_id.
//
// The data stores are configured from the environment (defaults: the
// project's service stack, scripts/services):
//
//	SHOP_MYSQL_DSN         tracewrap:...@tcp(127.0.0.1:3306)/tracewrap?parseTime=true&interpolateParams=true
//	SHOP_REDIS_ADDR        127.0.0.1:6379
//	SHOP_REDIS_USER        tracewrap
//	SHOP_REDIS_PASSWORD    (the stack's test password)
//	SHOP_ES_URL            http://127.0.0.1:9200
//	SHOP_ROCKETMQ_NAMESRV  127.0.0.1:9876
//
// -run names this shop's RocketMQ topic and groups and its cache keys, so
// several shops (a test run, the demo) can share one stack.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/apache/rocketmq-client-go/v2/rlog"

	"github.com/tracewrap/tracewrap/tracelog"
	"github.com/tracewrap/tracewrap/tracing"
)

// settings are the flags every role accepts (each role reads the ones it needs).
type settings struct {
	role      string
	listen    string // host:port to serve on; port 0 picks a free one
	goods     string // goods gRPC address (web)
	order     string // order gRPC address (web)
	run       string // names the topic, groups and cache keys of this shop
	readyFile string // written with the listen address once serving
	env       environment
}

// environment is the data-store configuration from SHOP_* variables.
type environment struct {
	mysqlDSN      string
	redisAddr     string
	redisUser     string
	redisPassword string
	esURL         string
	nameServer    string
}

// Defaults are the stack's loopback test credentials (internal/testenv), not
// secrets.
func readEnvironment() environment {
	get := func(k, def string) string {
		if v, ok := os.LookupEnv(k); ok {
			return v
		}
		return def
	}
	return environment{
		mysqlDSN:      get("SHOP_MYSQL_DSN", "tracewrap:tw-mysql-S3cret@tcp(127.0.0.1:3306)/tracewrap?parseTime=true&interpolateParams=true"),
		redisAddr:     get("SHOP_REDIS_ADDR", "127.0.0.1:6379"),
		redisUser:     get("SHOP_REDIS_USER", "tracewrap"),
		redisPassword: get("SHOP_REDIS_PASSWORD", "tw-redis-S3cret"),
		esURL:         get("SHOP_ES_URL", "http://127.0.0.1:9200"),
		nameServer:    get("SHOP_ROCKETMQ_NAMESRV", "127.0.0.1:9876"),
	}
}

// role is one process of the shop: start serves in the background and
// returns what to stop, in order, on shutdown.
type role func(ctx context.Context, s settings, ln net.Listener) (stop func(), err error)

var roles = map[string]struct {
	run    role
	listen bool // needs a listener
}{
	"web":       {runWeb, true},
	"goods":     {runGoods, true},
	"order":     {runOrder, true},
	"inventory": {runInventory, false},
}

func usage() {
	fmt.Fprintf(os.Stderr, "usage: shop web|goods|order|inventory [flags]\n\n")
	fmt.Fprintf(os.Stderr, "See the package documentation (cd examples && go doc ./shop) for the environment.\n")
}

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	s := settings{role: os.Args[1]}
	r, ok := roles[s.role]
	if !ok {
		usage()
		os.Exit(2)
	}
	fs := flag.NewFlagSet(s.role, flag.ExitOnError)
	fs.StringVar(&s.listen, "listen", "127.0.0.1:0", "host:port to serve on (port 0: any free port)")
	fs.StringVar(&s.goods, "goods", "127.0.0.1:7071", "goods service address")
	fs.StringVar(&s.order, "order", "127.0.0.1:7072", "order service address")
	fs.StringVar(&s.run, "run", "demo", "name of this shop's topic, groups and cache keys ([a-zA-Z0-9_-])")
	fs.StringVar(&s.readyFile, "ready-file", "", "file to write the listen address to once ready")
	_ = fs.Parse(os.Args[2:])
	s.env = readEnvironment()
	// Every line is logged through tracelog's slog handler: lines logged
	// with a context that holds a span carry its trace_id and span_id (the
	// log package's output goes through it too, without ids).
	slog.SetDefault(slog.New(tracelog.NewHandler(slog.NewTextHandler(os.Stderr, nil))).With("role", s.role))
	rlog.SetLogLevel("error") // the RocketMQ client is chatty at info level
	if err := serve(s, r.run, r.listen); err != nil {
		log.Fatal(err)
	}
}

func serve(s settings, run role, listen bool) error {
	// One tracer per process, named after the role; closed last, after
	// everything that makes spans has stopped.
	_, closer, err := tracing.Init(s.role)
	if err != nil {
		return err
	}
	defer closer.Close()

	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer cancel()

	var ln net.Listener
	addr := ""
	if listen {
		if ln, err = net.Listen("tcp", s.listen); err != nil {
			return err
		}
		addr = ln.Addr().String()
	}
	stop, err := run(ctx, s, ln)
	if err != nil {
		if ln != nil {
			ln.Close()
		}
		return err
	}
	if err := writeReady(s.readyFile, addr); err != nil {
		stop()
		return err
	}
	log.Printf("ready %s", addr)
	<-ctx.Done()
	log.Printf("stopping")
	stop()
	log.Printf("stopped")
	return nil
}

// writeReady writes the file in one rename, so a reader never sees it half
// written.
func writeReady(path, addr string) error {
	if path == "" {
		return nil
	}
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err := os.WriteFile(tmp, []byte(addr+"\n"), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// closeAll closes in order and logs failures; used by the roles' stop funcs.
func closeAll(cs ...io.Closer) {
	for _, c := range cs {
		if c == nil {
			continue
		}
		if err := c.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			log.Printf("close: %v", err)
		}
	}
}

// closerFunc adapts a func to io.Closer.
type closerFunc func() error

func (f closerFunc) Close() error { return f() }
