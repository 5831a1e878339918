package tracing

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/uber/jaeger-client-go"
	"github.com/uber/jaeger-client-go/thrift"
	"github.com/uber/jaeger-client-go/thrift-gen/agent"
	jaegerthrift "github.com/uber/jaeger-client-go/thrift-gen/jaeger"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// clearJaegerEnv keeps the developer's JAEGER_* settings out of the tests.
func clearJaegerEnv(t *testing.T) {
	for _, k := range []string{"JAEGER_SERVICE_NAME", "JAEGER_AGENT_HOST", "JAEGER_AGENT_PORT", "JAEGER_ENDPOINT",
		"JAEGER_SAMPLER_TYPE", "JAEGER_SAMPLER_PARAM", "JAEGER_TAGS", "JAEGER_DISABLED"} {
		t.Setenv(k, "")
	}
	for _, k := range []string{"OTEL_SDK_DISABLED", "OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"} {
		t.Setenv(k, "") // these would choose the OpenTelemetry backend
	}
}

// A span really leaves the process in the agent's protocol: compact thrift
// emitBatch over UDP, decoded here as the agent would.
func TestInitSendsSpansToAgentOverUDP(t *testing.T) {
	clearJaegerEnv(t)
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	host, port, _ := net.SplitHostPort(pc.LocalAddr().String())
	t.Setenv("JAEGER_AGENT_HOST", host)
	t.Setenv("JAEGER_AGENT_PORT", port)
	t.Setenv("JAEGER_TAGS", "env=test")

	tr, closer, err := Init("udp-test-svc", WithoutGlobal())
	if err != nil {
		t.Fatal(err)
	}
	span := tr.StartSpan("checkout")
	span.SetTag("order.id", 42)
	want := span.Context().(jaeger.SpanContext)
	span.Finish()
	if err := closer.Close(); err != nil {
		t.Fatal(err)
	}

	buf := make([]byte, 65000)
	_ = pc.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, _, err := pc.ReadFrom(buf)
	if err != nil {
		t.Fatalf("no packet reached the agent port: %v", err)
	}
	batch := decodeEmitBatch(t, buf[:n])
	if batch.Process.ServiceName != "udp-test-svc" {
		t.Fatalf("service %q", batch.Process.ServiceName)
	}
	var envTag bool
	for _, tag := range batch.Process.Tags {
		envTag = envTag || (tag.Key == "env" && tag.GetVStr() == "test")
	}
	if !envTag {
		t.Fatal("JAEGER_TAGS not honoured")
	}
	if len(batch.Spans) != 1 {
		t.Fatalf("%d spans", len(batch.Spans))
	}
	got := batch.Spans[0]
	if got.OperationName != "checkout" || uint64(got.SpanId) != uint64(want.SpanID()) || uint64(got.TraceIdLow) != want.TraceID().Low {
		t.Fatalf("span %+v, want op checkout ids %v", got, want)
	}
}

func decodeEmitBatch(t *testing.T, pkt []byte) *jaegerthrift.Batch {
	t.Helper()
	buf := thrift.NewTMemoryBuffer()
	buf.Buffer = bytes.NewBuffer(pkt)
	proto := thrift.NewTCompactProtocol(buf)
	ctx := context.Background()
	name, _, _, err := proto.ReadMessageBegin(ctx)
	if err != nil || name != "emitBatch" {
		t.Fatalf("message %q: %v", name, err)
	}
	args := agent.NewAgentEmitBatchArgs()
	if err := args.Read(ctx, proto); err != nil {
		t.Fatal(err)
	}
	return args.Batch
}

func TestInitRejectsEmptyServiceName(t *testing.T) {
	clearJaegerEnv(t)
	_, _, err := Init("  ")
	if !errors.Is(err, ErrNoServiceName) {
		t.Fatalf("err %v", err)
	}
	t.Setenv("JAEGER_SERVICE_NAME", "from-env")
	tr, closer, err := Init("", WithoutGlobal(), WithReporter(jaeger.NewNullReporter()))
	if err != nil || tr == nil {
		t.Fatalf("JAEGER_SERVICE_NAME not used: %v", err)
	}
	closer.Close()
}

func TestInitBadEnvironmentIsAClearError(t *testing.T) {
	clearJaegerEnv(t)
	t.Setenv("JAEGER_SAMPLER_PARAM", "lots")
	_, _, err := Init("svc")
	if err == nil || !strings.Contains(err.Error(), "JAEGER_SAMPLER_PARAM") {
		t.Fatalf("err %v", err)
	}
}

type recordingLogger struct {
	mu   sync.Mutex
	msgs []string
}

func (l *recordingLogger) Error(msg string)                      { l.mu.Lock(); l.msgs = append(l.msgs, msg); l.mu.Unlock() }
func (l *recordingLogger) Infof(msg string, args ...interface{}) { l.Error(fmt.Sprintf(msg, args...)) }
func (l *recordingLogger) all() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.msgs, "\n")
}

func TestSecondInitReplacesGlobalAndSaysSo(t *testing.T) {
	clearJaegerEnv(t)
	defer opentracing.SetGlobalTracer(opentracing.NoopTracer{})
	log := &recordingLogger{}
	r1, r2 := jaeger.NewInMemoryReporter(), jaeger.NewInMemoryReporter()
	tr1, c1, err := Init("first", WithReporter(r1), WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	if opentracing.GlobalTracer() != tr1 {
		t.Fatal("global tracer not installed")
	}
	tr2, c2, err := Init("second", WithReporter(r2), WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	if opentracing.GlobalTracer() != tr2 {
		t.Fatal("second Init did not replace the global tracer")
	}
	if !strings.Contains(log.all(), `Init("second") replaces the global tracer installed by Init("first")`) {
		t.Fatalf("replacement not reported: %s", log.all())
	}
	// The first tracer still works until closed; closing it leaves the second installed.
	tr1.StartSpan("old").Finish()
	if r1.SpansSubmitted() != 1 {
		t.Fatal("the replaced tracer stopped working")
	}
	if err := c1.Close(); err != nil {
		t.Fatal(err)
	}
	if opentracing.GlobalTracer() != tr2 {
		t.Fatal("closing the old tracer uninstalled the new one")
	}
	// Close is safe twice; after it the global tracer is a no-op, and
	// starting spans on the closed tracer neither panics nor blocks.
	opentracing.StartSpan("new").Finish()
	if r2.SpansSubmitted() != 1 {
		t.Fatal("global span did not reach the new tracer")
	}
	if err := c2.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c2.Close(); err != nil {
		t.Fatal(err)
	}
	if _, ok := opentracing.GlobalTracer().(opentracing.NoopTracer); !ok {
		t.Fatal("closed tracer left installed")
	}
	for i := 0; i < 1000; i++ {
		tr2.StartSpan("after-close").Finish()
	}
}

// A dead agent (nothing listening) and an unroutable collector neither fail
// Init nor block spans; Close returns within the reporter's own bounds.
func TestUnreachableBackendNeverBlocks(t *testing.T) {
	clearJaegerEnv(t)
	pc, _ := net.ListenPacket("udp", "127.0.0.1:0")
	dead := pc.LocalAddr().String()
	pc.Close() // nothing listens there any more
	for _, opt := range []Option{WithAgent(dead), WithCollector("http://127.0.0.1:1/api/traces")} {
		tr, closer, err := Init("dead-backend", WithoutGlobal(), opt, WithLogger(&recordingLogger{}))
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		for i := 0; i < 5000; i++ {
			tr.StartSpan("x").Finish()
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("spans blocked for %v", d)
		}
		done := make(chan struct{})
		go func() { closer.Close(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Fatal("Close blocked on a dead backend")
		}
	}
}

func TestConsoleOutput(t *testing.T) {
	clearJaegerEnv(t)
	var out safeBuffer
	tr, closer, err := Init("console-svc", WithoutGlobal(), WithReporter(jaeger.NewNullReporter()), WithConsoleOutput(&out))
	if err != nil {
		t.Fatal(err)
	}
	parent := tr.StartSpan("parent")
	child := tr.StartSpan("child", opentracing.ChildOf(parent.Context()))
	child.SetTag("db.statement", "SELECT 1")
	child.LogKV("event", "error")
	child.Finish()
	parent.Finish()
	closer.Close()
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("output %q", out.String())
	}
	if !strings.HasPrefix(lines[0], "[console-svc] child ") || !strings.Contains(lines[0], `db.statement="SELECT 1"`) ||
		!strings.Contains(lines[0], "parent=") || !strings.Contains(lines[0], `log{event="error"}`) {
		t.Fatalf("line %q", lines[0])
	}
}

func TestQuietLoggerDropsRepeats(t *testing.T) {
	inner := &recordingLogger{}
	l := newQuietLogger(inner)
	for i := 0; i < 100; i++ {
		l.Error("failed to flush")
	}
	l.Error("other")
	if got := inner.all(); got != "failed to flush\nother" {
		t.Fatalf("logged %q", got)
	}
}

type safeBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *safeBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *safeBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// Init after a Close replaces nothing: Close put the no-op tracer back, and
// the second Init must not claim it replaced a foreign tracer.
func TestInitAfterCloseReplacesNothing(t *testing.T) {
	clearJaegerEnv(t)
	defer opentracing.SetGlobalTracer(opentracing.NoopTracer{})
	log := &recordingLogger{}
	_, c1, err := Init("first", WithReporter(jaeger.NewNullReporter()), WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	c1.Close()
	_, c2, err := Init("second", WithReporter(jaeger.NewNullReporter()), WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if strings.Contains(log.all(), "replaces") {
		t.Fatalf("nothing was replaced, yet: %s", log.all())
	}
}

// A collector that accepts connections and never answers (a black-holed
// address, a hung proxy) holds each batch for jaeger's 5 s HTTP timeout, and
// the reporter's Close drains the whole queue that way: minutes with a larger
// JAEGER_REPORTER_MAX_QUEUE_SIZE. Close must give up within its bound and say
// so, rather than hang a service's shutdown.
func TestCloseIsBoundedOnAHungCollector(t *testing.T) {
	clearJaegerEnv(t)
	t.Setenv("JAEGER_REPORTER_MAX_QUEUE_SIZE", "1000")
	addr := hungCollector(t) // closed, with its connections, when the test ends
	tr, closer, err := Init("hung-collector", WithoutGlobal(), WithCollector("http://"+addr+"/api/traces"),
		WithLogger(&recordingLogger{}), WithCloseTimeout(300*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2000; i++ {
		tr.StartSpan("x").Finish()
	}
	start := time.Now()
	err = closer.Close()
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("Close took %v", d)
	}
	if err == nil || !strings.Contains(err.Error(), "300ms") {
		t.Fatalf("Close did not say it gave up: %v", err)
	}
	if err2 := closer.Close(); err2 != err {
		t.Fatalf("second Close: %v", err2)
	}
}

// Every trace is sampled when no sampler variable is set; JAEGER_SAMPLER_PARAM
// alone is not ignored.
func TestDefaultSamplingAndParamAlone(t *testing.T) {
	clearJaegerEnv(t)
	sampled := func() bool {
		tr, closer, err := Init("sampling", WithoutGlobal(), WithReporter(jaeger.NewNullReporter()), WithLogger(&recordingLogger{}))
		if err != nil {
			t.Fatal(err)
		}
		defer closer.Close()
		return tr.StartSpan("x").Context().(jaeger.SpanContext).IsSampled()
	}
	if !sampled() {
		t.Fatal("default: want every trace sampled")
	}
	t.Setenv("JAEGER_SAMPLER_PARAM", "0")
	t.Setenv("JAEGER_SAMPLER_MANAGER_HOST_PORT", "127.0.0.1:1") // nothing answers: the initial probability stays
	if sampled() {
		t.Fatal("JAEGER_SAMPLER_PARAM=0 ignored")
	}
}
