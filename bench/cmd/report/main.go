// Command report writes bench/RESULTS.md from the raw `go test -bench`
// outputs in bench/results: the machine and settings, the targets of the
// benchmarks issue checked against the medians, one benchstat table per
// wrapper, and the hand-written notes of bench/notes.md.
//
// It is run by bench/run.sh (make bench) from the bench directory:
//
//	go run ./cmd/report -benchstat "go run golang.org/x/perf/cmd/benchstat@<version>" > RESULTS.md
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
)

// wrapper is one results file and what the targets say about it.
type wrapper struct {
	file, title, pkg string
	// peers are the other implementations, in table order.
	peers []string
	// noopTarget: NoopTracer within 1 alloc and 100 ns of bare.
	noopTarget bool
}

var wrappers = []wrapper{
	{"http", "nethttp vs opentracing-contrib/go-stdlib/nethttp", "httpbench", []string{"otstdlib"}, true},
	{"grpc", "grpctrace vs otgrpc and go-grpc-middleware v1", "grpcbench", []string{"otgrpc", "grpcmw"}, true},
	{"sql", "sqltrace vs instrumentedsql", "sqlbench", []string{"instrumentedsql"}, true},
	{"redis", "redistrace vs redisotel v8", "redisbench", []string{"redisotel"}, true},
	{"es", "estrace vs go-elasticsearch's OpenTelemetry instrumentation", "esbench", []string{"esotel"}, false},
	{"mq", "mqtrace vs the bare RocketMQ client", "mqbench", nil, false},
	{"tracer", "The tracers' own floor (reference)", "tracerbench", nil, false},
}

// inProcess names the benchmarks that measure the wrapper alone (no network):
// the targets are checked on these; the others are shown for the whole
// picture, where the network's noise dominates.
var inProcess = map[string]bool{
	"HTTPServer": true, "HTTPClient": true,
	"GRPCUnaryClient": true, "GRPCUnaryServer": true,
	"SQLMemExec": true, "SQLMemQueryRow": true, "SQLMemTx": true,
	"RedisHookGet": true, "RedisHookPipeline": true,
	"ESGet": true, "ESSearch": true,
	"MQSend": true, "MQConsume": true,
}

var tracerOrder = []string{"noop", "mock", "jaeger-sampled", "jaeger-unsampled", "init-sampled", "otel-sampled", "otel-unsampled"}

// key identifies one sub-benchmark.
type key struct{ bench, tracer, impl string }

type samples struct{ ns, allocs, bytes []float64 }

func main() {
	dir := flag.String("dir", "results", "folder of the raw outputs")
	benchstat := flag.String("benchstat", "benchstat", "benchstat command line")
	notes := flag.String("notes", "notes.md", "hand-written notes to append")
	flag.Parse()

	var out bytes.Buffer
	w := func(format string, a ...any) { fmt.Fprintf(&out, format, a...) }

	w("# Benchmark results\n\n")
	w("Written by `make bench` (bench/run.sh); do not edit by hand: the analysis lives in bench/notes.md and is appended below.\n\n")
	w("## Machine and settings\n\n")
	w("| | |\n|---|---|\n")
	w("| date | %s |\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	w("| Go | %s %s/%s |\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	w("| CPU | %s |\n", cpuModel())
	w("| cores (nproc) | %d |\n", runtime.NumCPU())
	w("| memory | %s |\n", memTotal())
	for _, wr := range wrappers {
		if m := readLines(filepath.Join(*dir, wr.file+".meta")); len(m) > 0 {
			w("| bench/%s run | %s |\n", wr.pkg, m[0])
		}
	}
	w("\n")

	data := map[string]map[key]*samples{}
	for _, wr := range wrappers {
		data[wr.file] = parse(filepath.Join(*dir, wr.file+".txt"))
	}

	w("## Targets\n\n")
	w("Checked on the in-process benchmarks (the wrapper's own cost; the network ones below vary far more than the wrappers do on a shared machine): ")
	w("ns/op is the median of the runs; ours/peer and the overheads are medians of paired runs (the i-th run of each sub-benchmark is taken in the same round, moments apart, so pairing cancels most of the drift from other work on the machine); allocs/op the median (they do not vary). ")
	w("\"overhead\" is a wrapper's figure minus the bare client's. ✅ met, ❌ missed, ≈ as many allocations or fewer and within 10%% of the peer's time, which is within the spread between runs here.\n\n")
	targets(w, data)

	for _, wr := range wrappers {
		w("## %s\n\n", wr.title)
		f := filepath.Join(*dir, wr.file+".txt")
		if len(data[wr.file]) == 0 {
			w("No results (bench/%s did not run or its service was not reachable; see %s).\n\n", wr.pkg, f)
			continue
		}
		args := []string{f}
		about := "one row per tracer stack: what the tracer alone costs a client or a server, whatever the instrumentation."
		if wr.file != "tracer" {
			cols := append([]string{"tracewrap"}, wr.peers...)
			cols = append(cols, "bare")
			args = []string{"-col", "/impl@(" + strings.Join(cols, " ") + ")", f}
			about = "columns are implementations, the first (ours) is the base, so a peer's \"vs base\" above +0% means ours is cheaper; the bare client is the tracer=none row."
		}
		table, err := run(*benchstat, args...)
		if err != nil {
			w("benchstat failed: %v\n\n", err)
			continue
		}
		w("`benchstat %s` — %s\n\n", strings.Join(args, " "), about)
		w("```text\n%s```\n\n", table)
	}

	if b, err := os.ReadFile(*notes); err == nil {
		out.Write(b)
	}
	os.Stdout.Write(out.Bytes())
}

func targets(w func(string, ...any), data map[string]map[key]*samples) {
	w("| benchmark | tracer | ours ns/op | best peer ns/op | ours/peer | ours allocs | best peer allocs | ours ≤ best peer |\n")
	w("|---|---|---:|---:|---:|---:|---:|:---:|\n")
	var noop, unsampled []string
	for _, wr := range wrappers {
		d := data[wr.file]
		for _, bench := range benches(d) {
			if !inProcess[bench] {
				continue
			}
			bare := d[key{bench, "none", "bare"}]
			for _, tr := range tracerOrder {
				ours := d[key{bench, tr, "tracewrap"}]
				if ours == nil {
					continue
				}
				// The best peer is the one ours compares worst with.
				var peer *samples
				bestRatio, bestAllocs, bestName := math.Inf(1), math.Inf(1), ""
				for _, p := range wr.peers {
					if s := d[key{bench, tr, p}]; s != nil {
						if r := pairedRatio(ours.ns, s.ns); bestName == "" || r > bestRatio || math.IsInf(bestRatio, 1) {
							peer, bestRatio, bestName = s, r, p
						}
						bestAllocs = math.Min(bestAllocs, median(s.allocs))
					}
				}
				if bestName == "" {
					continue
				}
				verdict := mark(bestRatio <= 1 && median(ours.allocs) <= bestAllocs)
				if bestRatio > 1 && bestRatio <= tie && median(ours.allocs) <= bestAllocs {
					verdict = "≈"
				}
				w("| %s | %s | %s | %s (%s) | %.2f | %.0f | %.0f | %s |\n", bench, tr, ns(median(ours.ns)), ns(median(peer.ns)), bestName,
					bestRatio, median(ours.allocs), bestAllocs, verdict)
			}
			if bare == nil {
				continue
			}
			if o := d[key{bench, "noop", "tracewrap"}]; o != nil && wr.noopTarget {
				// Per call (a transaction benchmark is three), best run
				// against best run: the overhead sought is a few ns, far
				// below the drift between runs, and interference only ever
				// adds time.
				n := float64(callsPerOp(bench))
				dns, dal := (fastest(o.ns)-fastest(bare.ns))/n, (median(o.allocs)-median(bare.allocs))/n
				noop = append(noop, fmt.Sprintf("| %s | %.0f | %s | %+.1f | %s |", bench, n, ns(dns), dal, mark(dns <= 100 && dal <= 1)))
			}
			for _, stack := range []string{"jaeger", "otel"} {
				s, u := d[key{bench, stack + "-sampled", "tracewrap"}], d[key{bench, stack + "-unsampled", "tracewrap"}]
				if s == nil || u == nil {
					continue
				}
				cs, cu := pairedDiff(s.ns, bare.ns), pairedDiff(u.ns, bare.ns)
				if cs <= 0 || cu < 0 {
					// A traced call measured faster than the bare one: noise,
					// no ratio to speak of.
					unsampled = append(unsampled, fmt.Sprintf("| %s | %s | %s | %s | ~ | ~ |", bench, stack, ns(cs), ns(cu)))
					continue
				}
				r := cu / cs
				unsampled = append(unsampled, fmt.Sprintf("| %s | %s | %s | %s | %.0f%% | %s |", bench, stack, ns(cs), ns(cu), 100*r, mark(r <= 0.5)))
			}
		}
	}
	w("\nNoopTracer: at most 1 allocation and 100 ns over the bare client (nethttp, grpctrace, sqltrace, redistrace).\n\n")
	w("Per call, from the fastest run of each (the overhead sought is a few ns, far below the drift between runs; interference only ever adds time).\n\n")
	w("| benchmark | calls per op | overhead ns/call | overhead allocs/call | met |\n|---|---:|---:|---:|:---:|\n")
	for _, l := range noop {
		w("%s\n", l)
	}
	w("\nUnsampled cost at most 50%% of sampled (overheads over bare; jaeger is the target, OpenTelemetry through the bridge for reference).\n\n")
	w("| benchmark | stack | sampled overhead | unsampled overhead | ratio | met |\n|---|---|---:|---:|---:|:---:|\n")
	for _, l := range unsampled {
		w("%s\n", l)
	}
	w("\n")
}

// callsPerOp is how many wrapped calls one iteration of bench makes.
func callsPerOp(bench string) int {
	if bench == "SQLMemTx" {
		return 3 // begin, exec, commit
	}
	return 1
}

// fastest is the fastest run.
func fastest(v []float64) float64 {
	m := math.Inf(1)
	for _, x := range v {
		m = math.Min(m, x)
	}
	return m
}

// pairedRatio is the median of a[i]/b[i]. go test -count runs every
// sub-benchmark once per round, so the i-th samples of two sub-benchmarks
// were taken moments apart, under the same load: pairing them cancels most
// of the drift that other work on the machine causes.
func pairedRatio(a, b []float64) float64 {
	n := min(len(a), len(b))
	r := make([]float64, 0, n)
	for i := range n {
		r = append(r, a[i]/b[i])
	}
	return median(r)
}

// pairedDiff is the median of a[i]-b[i], paired as in pairedRatio.
func pairedDiff(a, b []float64) float64 {
	n := min(len(a), len(b))
	r := make([]float64, 0, n)
	for i := range n {
		r = append(r, a[i]-b[i])
	}
	return median(r)
}

// tie is how much slower than the best peer ours may be and still be called
// even ("≈"): the spread between runs of the same code on the shared machine.
const tie = 1.10

func mark(ok bool) string {
	if ok {
		return "✅"
	}
	return "❌"
}

func ns(v float64) string {
	switch {
	case math.Abs(v) >= 1e6:
		return fmt.Sprintf("%.2f ms", v/1e6)
	case math.Abs(v) >= 1e3:
		return fmt.Sprintf("%.2f µs", v/1e3)
	}
	return fmt.Sprintf("%.0f ns", v)
}

// benches lists the benchmark names of d in a stable order.
func benches(d map[key]*samples) []string {
	seen := map[string]bool{}
	var out []string
	for k := range d {
		if !seen[k.bench] {
			seen[k.bench] = true
			out = append(out, k.bench)
		}
	}
	sort.Strings(out)
	return out
}

// parse reads `go test -bench` output: lines like
// BenchmarkHTTPClient/tracer=mock/impl=tracewrap-2  1000  2614 ns/op  2266 B/op  36 allocs/op
func parse(path string) map[key]*samples {
	d := map[key]*samples{}
	for _, l := range readLines(path) {
		f := strings.Fields(l)
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		name := strings.TrimPrefix(f[0], "Benchmark")
		if i := strings.LastIndexByte(name, '-'); i > strings.LastIndexByte(name, '/') {
			name = name[:i] // the GOMAXPROCS suffix
		}
		parts := strings.Split(name, "/")
		k := key{bench: parts[0]}
		for _, p := range parts[1:] {
			switch {
			case strings.HasPrefix(p, "tracer="):
				k.tracer = strings.TrimPrefix(p, "tracer=")
			case strings.HasPrefix(p, "impl="):
				k.impl = strings.TrimPrefix(p, "impl=")
			}
		}
		s := d[k]
		if s == nil {
			s = &samples{}
			d[k] = s
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			switch f[i+1] {
			case "ns/op":
				s.ns = append(s.ns, v)
			case "allocs/op":
				s.allocs = append(s.allocs, v)
			case "B/op":
				s.bytes = append(s.bytes, v)
			}
		}
	}
	return d
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func readLines(path string) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

func memTotal() string {
	for _, l := range readLines("/proc/meminfo") {
		if k, v, ok := strings.Cut(l, ":"); ok && k == "MemTotal" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func cpuModel() string {
	for _, l := range readLines("/proc/cpuinfo") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// run runs the benchstat command line with args and returns its output.
func run(cmdline string, args ...string) (string, error) {
	f := strings.Fields(cmdline)
	cmd := exec.Command(f[0], append(f[1:], args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%v: %s", err, stderr.String())
	}
	return stdout.String(), nil
}
