package integration_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tracewrap/tracewrap/internal/jaegerquery"
	"github.com/tracewrap/tracewrap/internal/shoprun"
	"github.com/tracewrap/tracewrap/internal/testenv"
)

// The production profile: Jaeger v2 storing spans in Elasticsearch
// (scripts/jaeger/elasticsearch.yaml, the configuration `scripts/services up
// jaeger-es` runs) keeps a trace across a restart of Jaeger. The test runs
// its own Jaeger with that configuration, the binary scripts/services built,
// on free ports and with an index prefix of its own in the stack's
// Elasticsearch (the shared Jaeger is not touched); a goods and a web
// process report to it. The trace of a request is read back, Jaeger is
// stopped and started again, and the same trace, every span of it, is read
// back from the new process; a request after the restart is stored too. The
// test's indices are deleted at the end.
func TestJaegerOnElasticsearchKeepsTracesAcrossRestart(t *testing.T) {
	s := shop(t)
	j := startPrivateJaeger(t, "elasticsearch.yaml", testenv.ElasticsearchURL(t))
	goods := startProcess(t, "goods-jaeger-es", "goods", j.shopEnv())
	web := startProcess(t, "web-jaeger-es", "web", j.shopEnv(), "-goods", goods.Addr, "-order", s.Order.Addr)
	url := "http://" + web.Addr + "/goods/3"

	ready := want("HTTP GET /goods/:id@web", "/shop.Goods/Get@web", "/shop.Goods/Get@goods", "get@goods")
	first := call(t, "GET", url, "")
	if first.status != 200 {
		t.Fatalf("GET: %d %v", first.status, first.body)
	}
	before := fetchFrom(t, j.queryURL, first.traceID, ready)
	goodsServer(t, before, "HTTP GET /goods/:id", "/shop.Goods/Get")

	j.restart(t)

	after := fetchFrom(t, j.queryURL, first.traceID, ready)
	if got, wantIDs := spanIDs(after), spanIDs(before); got != wantIDs {
		t.Errorf("after the restart the trace has spans %s, before %s\n%s", got, wantIDs, render(after))
	}
	for _, b := range before.Spans {
		a := after.Span(b.SpanID)
		if a == nil {
			continue
		}
		if a.OperationName != b.OperationName || a.Service != b.Service || a.StartTime != b.StartTime ||
			a.Duration != b.Duration || a.Kind() != b.Kind() || a.TagString("db.statement") != b.TagString("db.statement") {
			t.Errorf("span %s changed across the restart: %+v, was %+v", b.SpanID, a, b)
		}
	}
	goodsServer(t, after, "HTTP GET /goods/:id", "/shop.Goods/Get")

	second := call(t, "GET", url, "")
	if second.status != 200 || second.traceID == first.traceID {
		t.Fatalf("GET after the restart: %d %v", second.status, second.body)
	}
	goodsServer(t, fetchFrom(t, j.queryURL, second.traceID, ready), "HTTP GET /goods/:id", "/shop.Goods/Get")
}

func spanIDs(tr *jaegerquery.Trace) string {
	var ids []string
	for _, s := range tr.Spans {
		ids = append(ids, s.SpanID)
	}
	sort.Strings(ids)
	return strings.Join(ids, ",")
}

// privateJaeger is a Jaeger v2 process of this test's own.
type privateJaeger struct {
	bin, config, logFile string
	env                  []string // the config's ${env:...} settings
	agent, queryURL      string
	cmd                  *exec.Cmd
	done                 chan struct{}
}

// startPrivateJaeger runs the Jaeger binary that scripts/services builds
// ($ROOT/.services/bin/jaeger, or TRACEWRAP_JAEGER_BIN) with a configuration
// of scripts/jaeger, on free loopback ports; stopped when the test ends.
// Without the binary the test is skipped, unless services are required and
// scripts/services runs Jaeger here (or TRACEWRAP_JAEGER_BIN names it).
// With Elasticsearch storage its indices are named after this run and
// deleted at the end.
func startPrivateJaeger(t *testing.T, config, esURL string) *privateJaeger {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	bin := os.Getenv("TRACEWRAP_JAEGER_BIN")
	if bin == "" {
		bin = filepath.Join(root, ".services", "bin", "jaeger")
	}
	if _, err := os.Stat(bin); err != nil {
		msg := fmt.Sprintf("no Jaeger v2 binary at %s (scripts/services up jaeger builds it; or set TRACEWRAP_JAEGER_BIN)", bin)
		// Required where scripts/services runs Jaeger (it builds the
		// binary there); with Jaeger in a container there is none.
		_, native := os.Stat(filepath.Join(root, ".services", "jaeger"))
		if testenv.RequireServices() && (native == nil || os.Getenv("TRACEWRAP_JAEGER_BIN") != "") {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	j := &privateJaeger{
		bin:     bin,
		config:  filepath.Join(root, "scripts", "jaeger", config),
		logFile: filepath.Join(workDir, "jaeger-"+runName+".log"),
	}
	compact, binary := freeUDPPort(t), freeUDPPort(t)
	query := freeTCPPort(t)
	j.agent = "127.0.0.1:" + compact
	j.queryURL = "http://127.0.0.1:" + query
	prefix := "tracewrap-" + runName
	j.env = []string{
		"JAEGER_LISTEN_HOST=127.0.0.1",
		"JAEGER_COMPACT_PORT=" + compact,
		"JAEGER_BINARY_PORT=" + binary,
		"JAEGER_COLLECTOR_PORT=" + freeTCPPort(t),
		"JAEGER_OTLP_GRPC_PORT=" + freeTCPPort(t),
		"JAEGER_OTLP_HTTP_PORT=" + freeTCPPort(t),
		"JAEGER_QUERY_HTTP_PORT=" + query,
		"JAEGER_QUERY_GRPC_PORT=" + freeTCPPort(t),
		"JAEGER_ES_URL=" + esURL,
		"JAEGER_ES_INDEX_PREFIX=" + prefix,
	}
	if esURL != "" {
		t.Cleanup(func() { deleteIndices(t, esURL, prefix+"-*") })
	}
	j.start(t)
	t.Cleanup(func() { j.stop(t) })
	return j
}

// shopEnv sends a shop process's spans to this Jaeger's agent port.
func (j *privateJaeger) shopEnv() []string {
	host, port, _ := net.SplitHostPort(j.agent)
	return []string{"JAEGER_AGENT_HOST=" + host, "JAEGER_AGENT_PORT=" + port}
}

func (j *privateJaeger) start(t *testing.T) {
	t.Helper()
	logf, err := os.OpenFile(j.logFile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	j.cmd = exec.Command(j.bin, "--config", "file:"+j.config)
	j.cmd.Env = append(os.Environ(), j.env...)
	j.cmd.Stdout, j.cmd.Stderr = logf, logf
	j.cmd.SysProcAttr = shoprun.SysProcAttr()
	if err := j.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	j.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) {
		_ = cmd.Wait()
		close(done)
	}(j.cmd, j.done)
	c := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := c.Get(j.queryURL + "/api/v3/services")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-j.done:
			t.Fatalf("Jaeger (%s) exited at start; log: %s", filepath.Base(j.config), j.logFile)
		default:
		}
		if time.Now().After(deadline) {
			j.stop(t)
			t.Fatalf("Jaeger (%s) not ready after 60s; log: %s", filepath.Base(j.config), j.logFile)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// stop ends the process with SIGTERM (Jaeger flushes what it holds), KILL
// after 20 s.
func (j *privateJaeger) stop(t *testing.T) {
	t.Helper()
	if j.cmd == nil {
		return
	}
	if terminate(j.cmd, j.done, 20*time.Second) {
		t.Errorf("Jaeger did not stop within 20s of SIGTERM; killed")
	}
	j.cmd = nil
}

func (j *privateJaeger) restart(t *testing.T) {
	t.Helper()
	j.stop(t)
	j.start(t)
}

// fetchFrom is fetch against another Jaeger's query API.
func fetchFrom(t *testing.T, queryURL, traceID string, ready func(*jaegerquery.Trace) error) *jaegerquery.Trace {
	t.Helper()
	q := &jaegerquery.Client{BaseURL: queryURL}
	// Elasticsearch makes new documents searchable after its refresh
	// interval (1 s), so the trace is polled for, never read once.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	tr, err := q.WaitUntil(ctx, traceID, ready, time.Second)
	if err != nil {
		if tr != nil {
			t.Logf("trace so far:\n%s", render(tr))
		}
		t.Fatal(err)
	}
	checkWholeTrace(t, tr, traceID)
	return tr
}

func deleteIndices(t *testing.T, esURL, pattern string) {
	req, err := http.NewRequest(http.MethodDelete, esURL+"/"+pattern, nil)
	if err != nil {
		t.Error(err)
		return
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Errorf("deleting the test's indices %s: %v", pattern, err)
		return
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("deleting the test's indices %s: %s", pattern, resp.Status)
	}
}

func freeTCPPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

func freeUDPPort(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	_, port, _ := net.SplitHostPort(pc.LocalAddr().String())
	return port
}
