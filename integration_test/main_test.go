// Package integration_test proves the wrappers end to end: the example shop
// (examples/shop) runs as four OS processes over loopback against the real
// service stack, each reporting to the real Jaeger, and every test reads the
// traces of its requests back from Jaeger v2's query API and asserts the whole
// tree: one trace per request, operations, services, parents, span kinds,
// statements, the message consumer and transaction checks joined to the
// producer, no orphans, and no secret anywhere in what Jaeger stored.
//
// TestMain builds the shop once; the first test that needs it starts it
// (skipping, or failing with TRACEWRAP_REQUIRE_SERVICES=1, when a service is
// missing), and TestMain stops every process at the end. Process logs are
// kept in a temporary directory when a test fails.
package integration_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/tracewrap/tracewrap/internal/jaegerquery"
	"github.com/tracewrap/tracewrap/internal/shoprun"
	"github.com/tracewrap/tracewrap/internal/testenv"
)

var (
	workDir string // binary, logs, ready files
	binary  string
	runName = "it-" + randomHex(4) // this run's topic, groups and cache keys

	mu       sync.Mutex
	runner   *shoprun.Runner
	shared   *shoprun.Shop
	startErr error
	started  []*shoprun.Process // every process any test started, stopped at the end
)

// authToken is sent by the tests as a bearer token; the web process forwards
// it to the services as gRPC metadata. It must never reach a span.
const authToken = "e2e-bearer-T0ken-9f3a"

func TestMain(m *testing.M) {
	code := run(m)
	os.Exit(code)
}

func run(m *testing.M) int {
	var err error
	workDir, err = os.MkdirTemp("", "tracewrap-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	binary, err = shoprun.Build(ctx, workDir)
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	code := m.Run()
	if err := stopAll(); err != nil {
		fmt.Fprintln(os.Stderr, "stopping the shop:", err)
		code = 1
	}
	// The tests' HTTP clients share the default transport; its idle
	// keep-alive connections are the only goroutines allowed to outlive them.
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	if err := goleak.Find(); err != nil {
		fmt.Fprintln(os.Stderr, "goroutines left behind:", err)
		code = 1
	}
	if code != 0 {
		fmt.Fprintf(os.Stderr, "shop process logs kept in %s\n", workDir)
	} else {
		os.RemoveAll(workDir)
	}
	return code
}

// stopAll stops every process still running, newest first, and checks that
// none is left.
func stopAll() error {
	mu.Lock()
	defer mu.Unlock()
	var errs []string
	for i := len(started) - 1; i >= 0; i-- {
		if err := started[i].Stop(); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return nil
}

// stackEnv is the environment of every shop process: the stack's addresses
// and credentials from testenv (which skips or fails the test when a service
// is missing) and Jaeger settings that leave nothing to the developer's
// environment.
func stackEnv(t *testing.T) []string {
	t.Helper()
	agentHost, agentPort, err := net.SplitHostPort(testenv.JaegerAgentAddr(t))
	if err != nil {
		t.Fatal(err)
	}
	return []string{
		"SHOP_MYSQL_DSN=" + testenv.MySQLDSN(t) + "&interpolateParams=true",
		"SHOP_REDIS_ADDR=" + testenv.RedisAddr(t),
		"SHOP_REDIS_USER=" + testenv.RedisACLUser,
		"SHOP_REDIS_PASSWORD=" + testenv.RedisACLPassword,
		"SHOP_ES_URL=" + testenv.ElasticsearchURL(t),
		"SHOP_ROCKETMQ_NAMESRV=" + testenv.RocketMQNameServerForProcesses(t),
		"JAEGER_AGENT_HOST=" + agentHost,
		"JAEGER_AGENT_PORT=" + agentPort,
		"JAEGER_ENDPOINT=",
		"JAEGER_DISABLED=false",
		"JAEGER_SAMPLER_TYPE=const",
		"JAEGER_SAMPLER_PARAM=1",
		"JAEGER_TAGS=",
		// Spans reach Jaeger a fifth of a second after they finish, so the
		// tests wait less.
		"JAEGER_REPORTER_FLUSH_INTERVAL=200ms",
	}
}

// shop returns the shared shop, starting it on first use.
func shop(t *testing.T) *shoprun.Shop {
	t.Helper()
	env := stackEnv(t)
	mu.Lock()
	defer mu.Unlock()
	if shared == nil && startErr == nil {
		runner = &shoprun.Runner{Binary: binary, Dir: workDir, Run: runName, Env: env, Logf: t.Logf}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		shared, startErr = runner.StartShop(ctx)
		cancel()
		if shared != nil {
			started = append(started, shared.Goods, shared.Order, shared.Inventory, shared.Web)
			runner.Logf = nil // t.Logf must not outlive the test that set it
		}
	}
	if startErr != nil {
		t.Fatalf("starting the shop: %v", startErr)
	}
	return shared
}

// startProcess starts an extra process with the shared runner's settings;
// it is stopped when the test ends (and by TestMain if that fails).
func startProcess(t *testing.T, name, role string, env []string, args ...string) *shoprun.Process {
	t.Helper()
	shop(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	p, err := runner.Start(ctx, name, role, env, args...)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	started = append(started, p)
	mu.Unlock()
	t.Cleanup(func() {
		if err := p.Stop(); err != nil {
			t.Error(err)
		}
	})
	return p
}

// response is one answer of the web front.
type response struct {
	status  int
	body    map[string]any
	traceID string
}

// call sends a request with the bearer token and decodes the JSON answer.
func call(t *testing.T, method, url, body string) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+authToken)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	client := &http.Client{Timeout: 30 * time.Second}
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := response{status: res.StatusCode, traceID: res.Header.Get("X-Trace-Id")}
	if err := json.Unmarshal(raw, &r.body); err != nil {
		t.Fatalf("%s %s: %s: %q is not JSON", method, url, res.Status, raw)
	}
	if r.traceID == "" {
		t.Fatalf("%s %s: no X-Trace-Id header", method, url)
	}
	return r
}

// want describes spans that must have arrived: "operation@service" entries,
// repeated for as many spans as are expected.
func want(entries ...string) func(*jaegerquery.Trace) error {
	return func(tr *jaegerquery.Trace) error {
		have := map[string]int{}
		for _, s := range tr.Spans {
			have[s.OperationName+"@"+s.Service]++
		}
		var missing []string
		for _, e := range entries {
			if have[e] == 0 {
				missing = append(missing, e)
			}
			have[e]--
		}
		if len(missing) > 0 {
			return fmt.Errorf("missing %s", strings.Join(missing, ", "))
		}
		return nil
	}
}

// fetch waits for the request's trace to hold the spans ready asks for (and
// to stop growing), then checks what every trace must satisfy.
func fetch(t *testing.T, traceID string, ready func(*jaegerquery.Trace) error) *jaegerquery.Trace {
	t.Helper()
	return fetchFrom(t, testenv.JaegerQueryURL(t), traceID, ready)
}

// checkWholeTrace: one trace, one root (the web server span), no orphans,
// and none of the secrets the shop handles anywhere in the stored JSON.
func checkWholeTrace(t *testing.T, tr *jaegerquery.Trace, traceID string) {
	t.Helper()
	for _, s := range tr.Spans {
		if s.TraceID != tr.TraceID {
			t.Errorf("span %s %s belongs to trace %s, not %s", s.OperationName, s.SpanID, s.TraceID, tr.TraceID)
		}
	}
	if strings.TrimLeft(tr.TraceID, "0") != strings.TrimLeft(traceID, "0") {
		t.Errorf("asked for trace %s, got %s", traceID, tr.TraceID)
	}
	if o := tr.Orphans(); len(o) > 0 {
		t.Errorf("%d orphan spans, first %s [%s]\n%s", len(o), o[0].OperationName, o[0].Service, render(tr))
	}
	if roots := tr.Tree(); len(roots) != 1 {
		t.Errorf("%d roots, want 1\n%s", len(roots), render(tr))
	}
	for _, secret := range []string{testenv.MySQLPassword, testenv.RedisACLPassword, privateRedisPassword, authToken} {
		if bytes.Contains(tr.Raw, []byte(secret)) {
			t.Errorf("the trace stored in Jaeger contains the secret %q", secret)
		}
	}
}

func render(tr *jaegerquery.Trace) string {
	var b strings.Builder
	tr.Print(&b, nil)
	return b.String()
}

// root is the trace's web server span, checked.
func root(t *testing.T, tr *jaegerquery.Trace, op string, status int) *jaegerquery.Span {
	t.Helper()
	roots := tr.Tree()
	if len(roots) == 0 {
		t.Fatal("empty trace")
	}
	s := roots[0].Span
	expect(t, tr, s, op, "web", "server")
	if got := s.TagString("http.status_code"); got != fmt.Sprint(status) {
		t.Errorf("%s: http.status_code %s, want %d", op, got, status)
	}
	return s
}

// child is the one child of parent with that operation and service.
func child(t *testing.T, tr *jaegerquery.Trace, parent *jaegerquery.Span, op, service string) *jaegerquery.Span {
	t.Helper()
	var found []*jaegerquery.Span
	for _, c := range tr.Children(parent) {
		if c.OperationName == op && c.Service == service {
			found = append(found, c)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d spans %q [%s] under %q [%s], want 1\n%s", len(found), op, service, parent.OperationName, parent.Service, render(tr))
	}
	return found[0]
}

// children are the children of parent with that operation and service.
func children(tr *jaegerquery.Trace, parent *jaegerquery.Span, op, service string) []*jaegerquery.Span {
	var found []*jaegerquery.Span
	for _, c := range tr.Children(parent) {
		if c.OperationName == op && c.Service == service {
			found = append(found, c)
		}
	}
	return found
}

// expect checks a span's operation, service and kind ("" for no kind tag).
func expect(t *testing.T, tr *jaegerquery.Trace, s *jaegerquery.Span, op, service, kind string) {
	t.Helper()
	if s.OperationName != op || s.Service != service || s.Kind() != kind {
		t.Errorf("span %q [%s] kind %q, want %q [%s] kind %q\n%s", s.OperationName, s.Service, s.Kind(), op, service, kind, render(tr))
	}
}

// tagIs checks a tag's value.
func tagIs(t *testing.T, s *jaegerquery.Span, key, want string) {
	t.Helper()
	if got := s.TagString(key); got != want {
		t.Errorf("%s [%s]: %s=%q, want %q", s.OperationName, s.Service, key, got, want)
	}
}

// statement checks a data-store span's db.statement prefix and db.type.
func statement(t *testing.T, s *jaegerquery.Span, dbType, prefix string) {
	t.Helper()
	tagIs(t, s, "db.type", dbType)
	if got := s.TagString("db.statement"); !strings.HasPrefix(got, prefix) {
		t.Errorf("%s [%s]: db.statement %q, want it to start with %q", s.OperationName, s.Service, got, prefix)
	}
}

// noError checks that no span of the trace is an error.
func noError(t *testing.T, tr *jaegerquery.Trace) {
	t.Helper()
	for _, s := range tr.Spans {
		if s.IsError() {
			t.Errorf("unexpected error span %s [%s]\n%s", s.OperationName, s.Service, render(tr))
		}
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
