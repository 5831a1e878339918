// Command demo is the first thing to run: it brings the service stack up
// (scripts/services), builds and starts the example shop (examples/shop) as
// four processes, sends a handful of requests, fetches each request's trace
// from Jaeger's query API and prints it as an indented tree and as a
// waterfall on a time axis, then stops the shop and the services it started
// itself.
//
//	make demo                                # or: go run -C examples ./demo
//	go run -C examples ./demo -keep          # leave the services up (to browse Jaeger)
//	go run -C examples ./demo -stack=false   # services already running elsewhere
//
// Run it from the repository (examples/ is a Go module of its own).
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/tracewrap/tracewrap/internal/jaegerquery"
	"github.com/tracewrap/tracewrap/internal/shoprun"
)

// The services the shop needs (the Redis Cluster is for the tests only).
var services = []string{"mariadb", "redis", "jaeger", "elasticsearch", "rocketmq"}

// authToken is sent with every request, and checked to be absent from every
// trace, as are the stack's passwords.
const authToken = "demo-bearer-T0ken"

var secrets = map[string]string{
	"MySQL password":       "tw-mysql-S3cret",
	"Redis password":       "tw-redis-S3cret",
	"Authorization header": authToken,
}

type demo struct {
	stack   bool
	keep    bool
	jaeger  string // query API base URL
	root    string
	started []string // services this demo brought up
	t0      time.Time
	failed  bool
}

func main() {
	d := &demo{t0: time.Now()}
	flag.BoolVar(&d.stack, "stack", true, "bring the services up with scripts/services (false: use what is running)")
	flag.BoolVar(&d.keep, "keep", false, "leave the services this demo started running")
	flag.StringVar(&d.jaeger, "jaeger", "http://127.0.0.1:16686", "Jaeger query API")
	flag.Parse()
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := d.run(ctx)
	interrupted := ctx.Err() != nil
	cancel()
	switch {
	case interrupted:
		fmt.Fprintf(os.Stderr, "\ndemo interrupted after %s; what it started is stopped\n", d.since())
		os.Exit(130)
	case err != nil:
		fmt.Fprintf(os.Stderr, "\ndemo FAILED: %v\n", err)
		os.Exit(1)
	case d.failed:
		fmt.Fprintf(os.Stderr, "\ndemo finished with failures (see above) in %s\n", d.since())
		os.Exit(1)
	}
	fmt.Printf("\ndemo finished in %s\n", d.since())
}

func (d *demo) since() string { return time.Since(d.t0).Round(100 * time.Millisecond).String() }

func (d *demo) step(n int, format string, args ...any) {
	fmt.Printf("\n[%d/6] %s  (%s)\n", n, fmt.Sprintf(format, args...), d.since())
}

func (d *demo) run(ctx context.Context) (err error) {
	if d.root, err = repoRoot(); err != nil {
		return err
	}

	d.step(1, "service stack: %s", strings.Join(services, ", "))
	var shop *shoprun.Shop
	// Whatever happens from here on, stop what the demo started.
	defer func() {
		d.step(6, "stopping the shop and the services this demo started")
		if shop != nil {
			if err := shop.Stop(); err != nil {
				fmt.Printf("      %v\n", err)
				d.failed = true
			}
		}
		d.stopServices()
	}()
	if d.stack {
		if err := d.startServices(ctx); err != nil {
			return err
		}
	} else {
		fmt.Println("      -stack=false: using the services already running")
	}
	if err := d.checkJaeger(ctx); err != nil {
		return err
	}

	d.step(2, "building the shop (%s)", shoprun.ShopPackage)
	dir, err := os.MkdirTemp("", "tracewrap-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	bin, err := shoprun.Build(bctx, dir)
	cancel()
	if err != nil {
		return err
	}

	d.step(3, "starting the shop: goods, order (gRPC), inventory (RocketMQ consumer), web (HTTP)")
	logDir := filepath.Join(d.root, ".services", "demo-shop")
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return err
	}
	old, _ := filepath.Glob(filepath.Join(logDir, "*.log"))
	for _, f := range old {
		os.Remove(f)
	}
	r := &shoprun.Runner{
		Binary: bin, Dir: logDir, Run: fmt.Sprintf("demo-%04x", time.Now().UnixNano()&0xffff),
		Env:  d.shopEnv(),
		Logf: func(f string, a ...any) { fmt.Printf("      "+f+"\n", a...) },
	}
	sctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	shop, err = r.StartShop(sctx)
	cancel()
	if err != nil {
		return fmt.Errorf("starting the shop: %w\n(process logs: %s)", err, rel(d.root, logDir))
	}
	fmt.Printf("      logs: %s/*.log\n", rel(d.root, logDir))

	d.step(4, "sending requests to %s (each answers with its trace id in X-Trace-Id)", shop.URL)
	reqs := requests()
	for _, q := range reqs {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		d.send(ctx, shop.URL, q)
	}

	d.step(5, "the traces, read back from Jaeger (%s/api/v3/traces/{id})", d.jaeger)
	client := &jaegerquery.Client{BaseURL: d.jaeger}
	leaks := 0
	for _, q := range reqs {
		if q.traceID == "" {
			continue
		}
		tr := d.fetch(ctx, client, q)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if tr == nil {
			continue
		}
		for what, s := range secrets {
			if bytes.Contains(tr.Raw, []byte(s)) {
				fmt.Printf("      !! the trace contains the %s\n", what)
				leaks++
				d.failed = true
			}
		}
	}
	if leaks == 0 {
		fmt.Printf("\n      no secret in any trace (checked: MySQL password, Redis password, Authorization header)\n")
	}
	fmt.Printf("      Jaeger's UI (docker compose, see the README) shows the same traces: %s/trace/<trace id>\n", d.jaeger)
	return nil
}

// request is one demo request and what it should show.
type request struct {
	title, method, path, body string
	wantStatus                int
	ready                     func(*jaegerquery.Trace) error // which spans must have arrived
	traceID                   string
}

func requests() []*request {
	return []*request{
		{title: "browse an item (cache miss: Redis GET, MySQL SELECT, Redis SET)", method: "GET", path: "/goods/2",
			wantStatus: 200, ready: has("set")},
		{title: "browse it again (cache hit: Redis GET only)", method: "GET", path: "/goods/2",
			wantStatus: 200, ready: has("get")},
		{title: "search (Elasticsearch)", method: "GET", path: "/search?q=coffee",
			wantStatus: 200, ready: has("search")},
		{title: "search with a query Elasticsearch rejects (error span, MySQL fallback)", method: "GET",
			path: "/search?q=" + strings.ReplaceAll("coffee AND (grinder", " ", "%20"), wantStatus: 200, ready: has("search", "sql.query")},
		{title: "place an order (RocketMQ transaction, local SQL, inventory consumer)", method: "POST", path: "/orders",
			body: `{"goods_id": 2, "qty": 1}`, wantStatus: 201, ready: has("local-transaction", "consume", "sql.commit")},
	}
}

// has: spans whose operation starts with each prefix have arrived.
func has(prefixes ...string) func(*jaegerquery.Trace) error {
	return func(tr *jaegerquery.Trace) error {
		for _, p := range prefixes {
			found := false
			for _, s := range tr.Spans {
				found = found || strings.HasPrefix(s.OperationName, p)
			}
			if !found {
				return fmt.Errorf("no %q span yet", p)
			}
		}
		return nil
	}
}

func (d *demo) send(ctx context.Context, base string, q *request) {
	var body io.Reader
	if q.body != "" {
		body = strings.NewReader(q.body)
	}
	req, err := http.NewRequestWithContext(ctx, q.method, base+q.path, body)
	if err != nil {
		panic(err)
	}
	req.Header.Set("Authorization", "Bearer "+authToken)
	if q.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	c := &http.Client{Timeout: 30 * time.Second}
	res, err := c.Do(req)
	if err != nil {
		fmt.Printf("      %-4s %-32s FAILED: %v\n", q.method, q.path, err)
		d.failed = true
		return
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(res.Body, 1<<16))
	q.traceID = res.Header.Get("X-Trace-Id")
	var compact bytes.Buffer
	if json.Compact(&compact, raw) != nil {
		compact.Write(bytes.TrimSpace(raw))
	}
	answer := compact.String()
	if len(answer) > 90 {
		answer = answer[:87] + "..."
	}
	mark := ""
	if res.StatusCode != q.wantStatus {
		mark = fmt.Sprintf("  !! want %d", q.wantStatus)
		d.failed = true
	}
	fmt.Printf("      %-4s %-32s %d %s  trace %s%s\n", q.method, q.path, res.StatusCode, answer, q.traceID, mark)
}

func (d *demo) fetch(ctx context.Context, c *jaegerquery.Client, q *request) *jaegerquery.Trace {
	fmt.Printf("\n   %s\n   %s %s\n", q.title, q.method, q.path)
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	tr, err := c.WaitUntil(wctx, q.traceID, q.ready, 500*time.Millisecond)
	if ctx.Err() != nil {
		return nil
	}
	if err != nil {
		fmt.Printf("      !! %v\n", err)
		fmt.Println("      (spans reach Jaeger over UDP: is JAEGER_AGENT_HOST/PORT pointing at it?)")
		d.failed = true
		if tr == nil {
			return nil
		}
	}
	var b strings.Builder
	tr.Print(&b, nil)
	printIndented(b.String())
	printWaterfall(tr)
	if o := tr.Orphans(); len(o) > 0 {
		fmt.Printf("      !! %d orphan spans\n", len(o))
		d.failed = true
	}
	return tr
}

// printIndented prints text under the current step.
func printIndented(text string) {
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		if sc.Text() == "" {
			fmt.Println()
			continue
		}
		fmt.Printf("      %s\n", sc.Text())
	}
}

// printWaterfall prints the trace on a time axis, as Jaeger's UI draws it,
// in 80 columns with the indent; coloured only on a terminal without NO_COLOR.
func printWaterfall(tr *jaegerquery.Trace) {
	const indent = 6
	var b strings.Builder
	fmt.Fprintln(&b)
	tr.Waterfall(&b, jaegerquery.WaterfallOptions{Width: 80 - indent, Color: jaegerquery.UseColor(os.Stdout)})
	printIndented(b.String())
}

// shopEnv points the shop at Jaeger's agent on loopback unless the user
// configured a destination, and makes spans arrive quickly.
func (d *demo) shopEnv() []string {
	var env []string
	if os.Getenv("JAEGER_AGENT_HOST") == "" && os.Getenv("JAEGER_ENDPOINT") == "" {
		env = append(env, "JAEGER_AGENT_HOST=127.0.0.1", "JAEGER_AGENT_PORT=6831")
	}
	return append(env, "JAEGER_REPORTER_FLUSH_INTERVAL=200ms", "JAEGER_SAMPLER_TYPE=const", "JAEGER_SAMPLER_PARAM=1")
}

func (d *demo) checkJaeger(ctx context.Context) error {
	c := &jaegerquery.Client{BaseURL: d.jaeger, HTTP: &http.Client{Timeout: 5 * time.Second}}
	if _, err := c.Services(ctx); err != nil {
		return fmt.Errorf("Jaeger's query API at %s does not answer (%v); start it with `scripts/services up jaeger`", d.jaeger, err)
	}
	return nil
}

// startServices brings up what is not running yet and remembers it, so the
// end of the demo stops exactly that (scripts/services down NAME... stops
// only what scripts/services started; services running before are kept).
func (d *demo) startServices(ctx context.Context) error {
	running, err := d.readyServices(ctx)
	if err != nil {
		return err
	}
	var missing []string
	for _, s := range services {
		if running[s] {
			fmt.Printf("      %s: already running\n", s)
		} else {
			missing = append(missing, s)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	fmt.Printf("      starting %s (the first run also installs them, for several minutes)\n", strings.Join(missing, ", "))
	d.started = missing
	if err := d.services(ctx, append([]string{"up"}, missing...)...); err != nil {
		return fmt.Errorf("scripts/services up %s failed (see above; logs in .services/<name>/log): %w", strings.Join(missing, " "), err)
	}
	return nil
}

func (d *demo) stopServices() {
	if !d.stack {
		return
	}
	if len(d.started) == 0 {
		fmt.Println("      services: all were running before the demo; left running")
		return
	}
	if d.keep {
		fmt.Printf("      -keep: leaving %s running (stop them with: scripts/services down %s)\n",
			strings.Join(d.started, ", "), strings.Join(d.started, " "))
		return
	}
	// A fresh context: the demo's own may be cancelled by Ctrl-C.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := d.services(ctx, append([]string{"down"}, d.started...)...); err != nil {
		fmt.Printf("      scripts/services down: %v\n", err)
		d.failed = true
	}
}

// readyServices parses `scripts/services status` ("NAME  ready, ...").
func (d *demo) readyServices(ctx context.Context) (map[string]bool, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(d.root, "scripts", "services"), "status")
	cmd.Dir = d.root
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("scripts/services status: %w", err)
	}
	ready := map[string]bool{}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && strings.HasPrefix(f[1], "ready") {
			ready[f[0]] = true
		}
	}
	return ready, nil
}

// services runs scripts/services, its output indented under the step.
func (d *demo) services(ctx context.Context, args ...string) error {
	cmd := exec.CommandContext(ctx, filepath.Join(d.root, "scripts", "services"), args...)
	cmd.Dir = d.root
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	// Its own process group: a Ctrl-C reaches only the demo, which then
	// sends the script SIGTERM (its exit trap stops a half-started service)
	// rather than killing it half-way.
	cmd.SysProcAttr = shoprun.SysProcAttr()
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = time.Minute
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			fmt.Printf("      %s\n", sc.Text())
		}
	}()
	err := cmd.Run()
	pw.Close()
	<-done
	return err
}

// repoRoot is the module's directory (the demo runs scripts/services from it).
func repoRoot() (string, error) {
	root, err := shoprun.RepoRoot() // the demo runs in the examples module
	if err != nil {
		return "", fmt.Errorf("run the demo from the tracewrap repository (make demo): %w", err)
	}
	if _, err := os.Stat(filepath.Join(root, "scripts", "services")); err != nil {
		return "", fmt.Errorf("%s has no scripts/services: run the demo from the tracewrap repository", root)
	}
	return root, nil
}

func rel(root, p string) string {
	if r, err := filepath.Rel(root, p); err == nil {
		return r
	}
	return p
}
