//go:build unix

package pypeer

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fakePython installs a shell script as the peers' interpreter: Start runs
// it with "-u <script> args...", which it ignores.
func fakePython(t *testing.T, body string) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "python")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TRACEWRAP_PEERS_PYTHON", p)
}

func TestStartReadsReadyLineAndStopsOnEOF(t *testing.T) {
	fakePython(t, `echo '{"http": 4242, "grpc": 4343}'; cat >/dev/null; exit 0`)
	p, err := Start("any", nil, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if p.Port("http") != 4242 || p.Addr("grpc") != "127.0.0.1:4343" {
		t.Errorf("ready line read as %v", p.Ready)
	}
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.Exited():
	default:
		t.Fatal("Stop returned before the peer exited")
	}
}

func TestStopKillsWhatThePeerLeftBehind(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	fakePython(t, `sleep 300 & echo $! >`+pidFile+`; echo '{"http": 1}'; cat >/dev/null; exit 0`)
	p, err := Start("any", nil, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	child, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Stop(); err == nil || !strings.Contains(err.Error(), "left processes behind") {
		t.Errorf("Stop: %v, want the leftover reported", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for syscall.Kill(child, 0) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("the peer's child %d still runs after Stop", child)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestStartFailsWithTheStderrOfAPeerThatDies(t *testing.T) {
	fakePython(t, `echo "ImportError: no module named grpc" >&2; exit 1`)
	_, err := Start("any", nil, 10*time.Second)
	if err == nil || !strings.Contains(err.Error(), "no module named grpc") {
		t.Fatalf("Start: %v, want the peer's stderr", err)
	}
}

func TestMissingVirtualenvIsErrNoEnv(t *testing.T) {
	t.Setenv("TRACEWRAP_PEERS_PYTHON", filepath.Join(t.TempDir(), "nope", "python"))
	if _, err := Start("any", nil, time.Second); !errors.Is(err, ErrNoEnv) {
		t.Fatalf("Start: %v, want ErrNoEnv", err)
	}
}
