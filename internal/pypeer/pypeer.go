//go:build unix

// Package pypeer runs the Python peers of the cross-language tests
// (interop/peers/*.py) from the virtualenv that scripts/peers/setup builds
// under .services/peers (the versions pinned in interop/peers/requirements.txt).
//
// A peer prints one JSON line on stdout when it is ready (the ports it chose
// on 127.0.0.1) and exits when its standard input closes. Start gives it a
// process group of its own and, on Linux, SIGTERM when the starting process
// dies; Stop closes its stdin, waits, and kills the group if anything is left.
package pypeer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/tracewrap/tracewrap/internal/shoprun"
)

// ErrNoEnv means the peers' virtualenv is missing: the caller skips, or
// fails when services are required.
var ErrNoEnv = errors.New("the Python peers' virtualenv is missing")

// Root is the repository root: the nearest directory, from the working
// directory up, holding scripts/peers/setup.
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "scripts", "peers", "setup")); err == nil {
			return dir, nil
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", errors.New("pypeer: no scripts/peers/setup above the working directory")
		}
		dir = up
	}
}

// Python is the virtualenv's interpreter (TRACEWRAP_PEERS_PYTHON overrides it).
func Python() (string, error) {
	py := os.Getenv("TRACEWRAP_PEERS_PYTHON")
	if py == "" {
		root, err := Root()
		if err != nil {
			return "", err
		}
		py = filepath.Join(root, ".services", "peers", "venv", "bin", "python")
	}
	if _, err := os.Stat(py); err != nil {
		return "", fmt.Errorf("%w: %s not found; run scripts/peers/setup (make test does)", ErrNoEnv, py)
	}
	return py, nil
}

// Peer is one running peer.
type Peer struct {
	Name  string
	Ready map[string]any // its ready line, e.g. {"http": 41234, "grpc": 41235}

	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr *syncBuffer
	exited chan struct{}
	once   sync.Once
	err    error
}

// Start runs interop/peers/NAME.py with args and extra env, and waits (at
// most timeout) for its ready line.
func Start(name string, env []string, timeout time.Duration, args ...string) (*Peer, error) {
	py, err := Python()
	if err != nil {
		return nil, err
	}
	root, err := Root()
	if err != nil {
		return nil, err
	}
	p := &Peer{Name: name, stderr: &syncBuffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(py, append([]string{"-u", filepath.Join(root, "interop", "peers", name+".py")}, args...)...)
	p.cmd.Env = append(append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1"), env...)
	p.cmd.Stderr = p.stderr
	p.cmd.SysProcAttr = shoprun.SysProcAttr()
	// A child the peer left behind may hold its stderr open: do not wait
	// for it longer than this once the peer itself has exited (Stop then
	// kills the group).
	p.cmd.WaitDelay = 2 * time.Second
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("peer %s: %w", name, err)
	}
	go func() { _ = p.cmd.Wait(); close(p.exited) }()

	type first struct {
		ready map[string]any
		err   error
	}
	line := make(chan first, 1)
	go func() {
		var f first
		s, err := bufio.NewReader(stdout).ReadString('\n')
		if err == nil {
			err = json.Unmarshal([]byte(s), &f.ready)
		}
		f.err = err
		line <- f
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case f := <-line:
		if f.err != nil {
			_ = p.Stop()
			return nil, fmt.Errorf("peer %s did not start (%v); its stderr:\n%s", name, f.err, p.Stderr())
		}
		p.Ready = f.ready
		return p, nil
	case <-time.After(timeout):
		_ = p.Stop()
		return nil, fmt.Errorf("peer %s not ready after %s; its stderr:\n%s", name, timeout, p.Stderr())
	}
}

// Port is a port from the ready line ("http", "grpc").
func (p *Peer) Port(key string) int {
	f, _ := p.Ready[key].(float64)
	return int(f)
}

// Addr is 127.0.0.1:Port(key).
func (p *Peer) Addr(key string) string { return fmt.Sprintf("127.0.0.1:%d", p.Port(key)) }

// Pid is the peer's process id.
func (p *Peer) Pid() int { return p.cmd.Process.Pid }

// Exited is closed when the peer's process has exited.
func (p *Peer) Exited() <-chan struct{} { return p.exited }

// Stderr is what the peer wrote to its standard error so far.
func (p *Peer) Stderr() string { return p.stderr.String() }

// Stop closes the peer's stdin (it exits on EOF), kills its process group
// if it has not exited after a few seconds, and reports anything left over.
// Calling it again returns the first result.
func (p *Peer) Stop() error {
	p.once.Do(func() {
		_ = p.stdin.Close()
		select {
		case <-p.exited:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
			<-p.exited
			p.err = fmt.Errorf("peer %s ignored EOF on its stdin and was killed", p.Name)
			return
		}
		// Nothing of the group may outlive the peer.
		if err := syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL); err == nil {
			p.err = fmt.Errorf("peer %s left processes behind (killed)", p.Name)
		}
	})
	return p.err
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
