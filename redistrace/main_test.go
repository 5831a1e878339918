package redistrace_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/mocktracer"
	"go.uber.org/goleak"

	"github.com/tracewrap/tracewrap/internal/testenv"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// go-redis v8.11.5's Ring starts a heartbeat goroutine per ring that
		// has no way to stop, even after Close.
		goleak.IgnoreTopFunction("github.com/go-redis/redis/v8.(*ringShards).Heartbeat"),
		// A ClusterClient's lazy slot reload sleeps 200ms after reloading,
		// in a goroutine Close does not wait for.
		goleak.IgnoreAnyFunction("github.com/go-redis/redis/v8.(*clusterStateHolder).LazyReload.func1"),
	)
}

// uniqueKey names a key no other test (or engineer sharing the server) uses.
func uniqueKey(t testing.TB, name string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "redistrace:" + strings.ReplaceAll(t.Name(), "/", ":") + ":" + name + ":" + hex.EncodeToString(b[:])
}

// withParent returns a ctx holding a fresh parent span of tr.
func withParent(tr opentracing.Tracer) (context.Context, opentracing.Span) {
	p := tr.StartSpan("parent")
	return opentracing.ContextWithSpan(context.Background(), p), p
}

// redisSpans returns the finished spans other than "parent".
func redisSpans(tr *mocktracer.MockTracer) []*mocktracer.MockSpan {
	var out []*mocktracer.MockSpan
	for _, s := range tr.FinishedSpans() {
		if s.OperationName != "parent" {
			out = append(out, s)
		}
	}
	return out
}

// redisServer is a private redis-server this test starts and may stop, so
// the shared one is never touched.
type redisServer struct {
	t     testing.TB
	port  int
	dir   string
	extra []string // more redis-server arguments
	cmd   *exec.Cmd
}

func (s *redisServer) addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// newRedisServer starts redis-server on a free loopback port with no
// persistence. Without the binary the test is skipped, or failed when
// services are required.
func newRedisServer(t testing.TB, extra ...string) *redisServer {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		msg := "redis-server binary not found (installed by `scripts/services up`): " + err.Error()
		if testenv.RequireServices() {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	s := &redisServer{t: t, port: port, dir: t.TempDir(), extra: extra}
	s.start()
	t.Cleanup(s.stop)
	return s
}

func (s *redisServer) start() {
	s.t.Helper()
	s.cmd = exec.Command("redis-server", "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", s.dir,
		"--logfile", filepath.Join(s.dir, "redis.log"))
	s.cmd.Args = append(s.cmd.Args, s.extra...)
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", s.addr(), 200*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(s.dir, "redis.log"))
			s.t.Fatalf("private redis-server on %s did not start: %v\n%s", s.addr(), err, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop kills this test's own server and waits for it.
func (s *redisServer) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}
