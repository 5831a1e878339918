// Package shoprun builds the example shop (examples/shop) and runs its
// processes for the end-to-end tests and the demo: each process gets its own
// log file, is ready when it has written its listen address to a ready file,
// and is stopped with SIGTERM (so it flushes its spans) and, if it hangs,
// SIGKILL. Processes also get SIGTERM when the program that started them
// dies (Linux), so an interrupted test leaves nothing behind.
package shoprun

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ShopPackage is the import path of the shop's main package. It is in the
// examples module (examples/go.mod), which keeps gin and the other
// dependencies of the examples out of the library's go.mod.
const ShopPackage = "github.com/tracewrap/tracewrap/examples/shop"

// Build compiles the shop into dir and returns the binary's path. It runs
// the go command found on PATH in the examples module's directory, found
// from the current directory (see RepoRoot).
func Build(ctx context.Context, dir string) (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "shop")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./shop")
	cmd.Dir = filepath.Join(root, "examples")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build %s (in %s): %w\n%s", ShopPackage, cmd.Dir, err, out)
	}
	return bin, nil
}

// rootModule is the first line of the repository's go.mod.
const rootModule = "module github.com/tracewrap/tracewrap\n"

// RepoRoot is the repository's root directory: the current directory or
// the nearest one above it whose go.mod is the library module's and that
// holds the examples module. Tests and the demo run inside the repository
// (integration_test/, examples/), so it finds the root from either module.
func RepoRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; {
		mod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.HasPrefix(mod, []byte(rootModule)) {
			if _, err := os.Stat(filepath.Join(dir, "examples", "go.mod")); err == nil {
				return dir, nil
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("%s is not inside the tracewrap repository (no go.mod of %s with examples/go.mod above it)", wd, strings.TrimSpace(strings.TrimPrefix(rootModule, "module ")))
		}
		dir = parent
	}
}

// Runner starts shop processes from one binary.
type Runner struct {
	Binary string // from Build
	Dir    string // log and ready files
	Run    string // the shop's -run name (topic, groups, cache keys)
	// Env is added to the environment of every process (SHOP_*, JAEGER_*).
	Env []string
	// StartTimeout bounds each process's start (default 90 s: a first
	// Elasticsearch index creation or RocketMQ route lookup can be slow).
	StartTimeout time.Duration
	// StopTimeout is how long a process may take to exit after SIGTERM
	// before it is killed (default 20 s).
	StopTimeout time.Duration
	// Logf, if set, gets one progress line per process start and stop.
	Logf func(format string, args ...any)
}

// Process is one running shop process.
type Process struct {
	Name string // unique within the runner, e.g. "goods" or "goods-private-redis"
	Role string // web, goods, order, inventory
	Addr string // listen address, once ready ("" for inventory)

	r    *Runner
	args []string // role flags other than -run, -listen and -ready-file
	env  []string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	err    error // from Wait
}

func (r *Runner) logf(format string, args ...any) {
	if r.Logf != nil {
		r.Logf(format, args...)
	}
}

// Start starts one process and waits until it is ready. name must be unique
// within the runner (it names the log file). env is added to the runner's;
// args are role flags such as -goods ADDR.
func (r *Runner) Start(ctx context.Context, name, role string, env []string, args ...string) (*Process, error) {
	p := &Process{Name: name, Role: role, r: r, args: args, env: env}
	if err := p.start(ctx, "127.0.0.1:0"); err != nil {
		return nil, err
	}
	return p, nil
}

// LogPath is the file the process's output goes to (kept across restarts).
func (p *Process) LogPath() string { return filepath.Join(p.r.Dir, p.Name+".log") }

func (p *Process) readyPath() string { return filepath.Join(p.r.Dir, p.Name+".ready") }

func (p *Process) start(ctx context.Context, listen string) error {
	t0 := time.Now()
	if err := os.Remove(p.readyPath()); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	logf, err := os.OpenFile(p.LogPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close() // the child has its own copy
	args := append([]string{p.Role, "-run", p.r.Run, "-listen", listen, "-ready-file", p.readyPath()}, p.args...)
	cmd := exec.Command(p.r.Binary, args...)
	cmd.Env = append(append(os.Environ(), p.r.Env...), p.env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = SysProcAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%s: %w", p.Name, err)
	}
	exited := make(chan struct{})
	p.mu.Lock()
	p.cmd, p.exited, p.err = cmd, exited, nil
	p.mu.Unlock()
	go func() {
		err := cmd.Wait()
		p.mu.Lock()
		p.err = err
		p.mu.Unlock()
		close(exited)
	}()

	timeout := p.r.StartTimeout
	if timeout <= 0 {
		timeout = 90 * time.Second
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if b, err := os.ReadFile(p.readyPath()); err == nil {
			p.Addr = strings.TrimSpace(string(b))
			where := ""
			if p.Addr != "" {
				where = " on " + p.Addr
			}
			p.r.logf("%s: ready%s (pid %d) in %.1fs", p.Name, where, cmd.Process.Pid, time.Since(t0).Seconds())
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("%s exited before it was ready (%v); last lines of %s:\n%s", p.Name, p.exitErr(), p.LogPath(), p.LogTail(20))
		case <-deadline.C:
			_ = p.Stop()
			return fmt.Errorf("%s not ready after %s; last lines of %s:\n%s", p.Name, timeout, p.LogPath(), p.LogTail(20))
		case <-ctx.Done():
			_ = p.Stop()
			return fmt.Errorf("%s: %w", p.Name, ctx.Err())
		case <-tick.C:
		}
	}
}

func (p *Process) exitErr() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// Pid is the process id of the current run (0 before Start).
func (p *Process) Pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil || p.cmd.Process == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// Stop sends SIGTERM, waits for the process to flush its spans and exit,
// and kills it after the runner's StopTimeout. It returns an error when the
// process had to be killed or did not exit cleanly. Stopping a stopped
// process does nothing.
func (p *Process) Stop() error {
	p.mu.Lock()
	cmd, exited := p.cmd, p.exited
	p.mu.Unlock()
	if cmd == nil {
		return nil
	}
	select {
	case <-exited:
		return nil
	default:
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	timeout := p.r.StopTimeout
	if timeout <= 0 {
		timeout = 20 * time.Second
	}
	select {
	case <-exited:
	case <-time.After(timeout):
		_ = cmd.Process.Kill()
		<-exited
		return fmt.Errorf("%s did not exit %s after SIGTERM; killed", p.Name, timeout)
	}
	if err := p.exitErr(); err != nil {
		return fmt.Errorf("%s: %v; last lines of %s:\n%s", p.Name, err, p.LogPath(), p.LogTail(10))
	}
	p.r.logf("%s: stopped", p.Name)
	return nil
}

// Restart stops the process and starts it again on the same address.
func (p *Process) Restart(ctx context.Context) error {
	if err := p.Stop(); err != nil {
		return err
	}
	listen := p.Addr
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	return p.start(ctx, listen)
}

// LogTail returns the last n lines of the process's log.
func (p *Process) LogTail(n int) string {
	b, err := os.ReadFile(p.LogPath())
	if err != nil {
		return err.Error()
	}
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// Shop is the four processes wired together.
type Shop struct {
	Goods, Order, Inventory, Web *Process
	URL                          string // the web front, http://host:port
}

// StartShop starts goods and order, then inventory (the order process has
// created the topic by then) and web (which needs both addresses). On error
// whatever was started is stopped again.
func (r *Runner) StartShop(ctx context.Context) (*Shop, error) {
	s := &Shop{}
	var err error
	s.Goods, s.Order, err = startPair(ctx,
		func() (*Process, error) { return r.Start(ctx, "goods", "goods", nil) },
		func() (*Process, error) { return r.Start(ctx, "order", "order", nil) })
	if err == nil {
		s.Inventory, s.Web, err = startPair(ctx,
			func() (*Process, error) { return r.Start(ctx, "inventory", "inventory", nil) },
			func() (*Process, error) {
				return r.Start(ctx, "web", "web", nil, "-goods", s.Goods.Addr, "-order", s.Order.Addr)
			})
	}
	if err != nil {
		s.Stop()
		return nil, err
	}
	s.URL = "http://" + s.Web.Addr
	return s, nil
}

// startPair starts two processes at once (their start-ups are independent
// and each takes a moment).
func startPair(ctx context.Context, a, b func() (*Process, error)) (*Process, *Process, error) {
	var pb *Process
	var errB error
	done := make(chan struct{})
	go func() {
		defer close(done)
		pb, errB = b()
	}()
	pa, errA := a()
	<-done
	return pa, pb, errors.Join(errA, errB)
}

// Stop stops the processes front to back: web first, so no new work comes
// in, goods last. It returns every process's stop error.
func (s *Shop) Stop() error {
	var errs []error
	for _, p := range []*Process{s.Web, s.Inventory, s.Order, s.Goods} {
		if p != nil {
			errs = append(errs, p.Stop())
		}
	}
	return errors.Join(errs...)
}
