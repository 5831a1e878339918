package main

import (
	"bufio"
	"context"
	"fmt"
	"log"
	"net"
	"net/http"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/opentracing/opentracing-go"

	"github.com/tracewrap/tracewrap/grpctrace"
	"github.com/tracewrap/tracewrap/nethttp"
	"github.com/tracewrap/tracewrap/tracing"
)

// hostileCase is one piece of hostile input: headers (HTTP), the same pairs
// as gRPC metadata (keys lower-cased) and as RocketMQ message properties.
type hostileCase struct {
	name  string
	pairs [][2]string
}

func validParent(sampled bool) string {
	flag := "1"
	if !sampled {
		flag = "0"
	}
	return "4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7:0:" + flag
}

// hostileCorpus is the input a service may receive from a careless or
// malicious caller. Each must leave the call, and the calls the service makes
// onward with the same context, working; and the spans small.
func hostileCorpus(scale int) []hostileCase {
	many := func(n int, key func(i int) string, val string) [][2]string {
		var p [][2]string
		for i := 0; i < n; i++ {
			p = append(p, [2]string{key(i), val})
		}
		return p
	}
	var w3cBaggage []string
	for i := 0; i < 300/scale; i++ {
		w3cBaggage = append(w3cBaggage, fmt.Sprintf("k%d=%s", i, strings.Repeat("v", 20)))
	}
	return []hostileCase{
		{"malformed uber-trace-id", [][2]string{{"uber-trace-id", "not:a:trace:id"}}},
		{"uber-trace-id of 16 KiB", [][2]string{{"uber-trace-id", strings.Repeat("f", 16384) + ":1:0:1"}}},
		{"uber-trace-id with zero ids", [][2]string{{"uber-trace-id", "0:0:0:1"}}},
		{"two conflicting uber-trace-id", [][2]string{{"uber-trace-id", validParent(true)}, {"uber-trace-id", "1:2:0:1"}}},
		{"500 uberctx- baggage items", many(500/scale, func(i int) string { return fmt.Sprintf("uberctx-k%d", i) }, strings.Repeat("b", 100))},
		{"baggage value of 8 KiB", [][2]string{{"uber-trace-id", validParent(true)}, {"uberctx-big", strings.Repeat("a", 8192)}}},
		{"baggage with UTF-8 value", [][2]string{{"uber-trace-id", validParent(true)}, {"uberctx-name", "grüße-日本"}}},
		{"baggage with invalid UTF-8", [][2]string{{"uber-trace-id", validParent(true)}, {"uberctx-bad", "\xff\xfe\xfd"}}},
		{"baggage with separators", [][2]string{{"uber-trace-id", validParent(true)}, {"uberctx-sep", "a=b,c;d%zz"}}},
		{"baggage under an unsampled parent, invalid UTF-8", [][2]string{{"uber-trace-id", validParent(false)}, {"uberctx-bad", "\xff\xfe"}}},
		{"W3C baggage malformed", [][2]string{{"baggage", "k=%zz,=,;;,\xff=\xff"}}},
		{"W3C baggage of 300 entries", [][2]string{{"baggage", strings.Join(w3cBaggage, ",")}}},
		{"traceparent malformed", [][2]string{{"traceparent", "00-xyz-abc-01"}}},
		{"traceparent all zero", [][2]string{{"traceparent", "00-00000000000000000000000000000000-0000000000000000-01"}}},
		{"traceparent version ff, tracestate 8 KiB", [][2]string{{"traceparent", "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}, {"tracestate", strings.Repeat("k=v,", 2048)}}},
		{"B3 garbage", [][2]string{{"b3", "zzz"}, {"x-b3-traceid", "not-hex"}, {"x-b3-spanid", "-1"}, {"x-b3-sampled", "maybe"}}},
		{"jaeger-debug-id of 4 KiB", [][2]string{{"jaeger-debug-id", strings.Repeat("d", 4096)}}},
		{"baggage of 40 KiB under a valid parent", [][2]string{{"uber-trace-id", validParent(true)}, {"uberctx-big", strings.Repeat("z", 40960/scale)}}},
		{"1000 baggage items under a valid parent", append([][2]string{{"uber-trace-id", validParent(true)}},
			many(1000/scale, func(i int) string { return fmt.Sprintf("uberctx-item%d", i) }, strings.Repeat("c", 40))...)},
		{"baggage with an encoded newline", [][2]string{{"uber-trace-id", validParent(true)}, {"uberctx-nl", "a%0D%0Ax-injected:%201"}}},
		{"baggage with an encoded NUL", [][2]string{{"uber-trace-id", validParent(true)}, {"uberctx-nul", "a%00b"}}},
		{"W3C baggage with an encoded newline", [][2]string{{"traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}, {"baggage", "k=a%0D%0Ab,j=%FF"}}},
		{"baggage key with odd characters", [][2]string{{"uber-trace-id", validParent(true)}, {"uberctx-k.e_y~!", "v"}}},
	}
}

// caseResult is what one hostile case did on one protocol.
type caseResult struct {
	proto, name    string
	bare, traced   string // outcome: "ok" or the failure
	failedByUs     bool   // bare ok, traced not (on any call)
	calls          int    // calls made to each front service
	spans          int
	largestSpan    int // bytes in the agent protocol
	logLines       int // tracer logger + standard logger
	rejectedByPeer bool
}

// onward is what the front services do with the request's context: one HTTP
// call and one gRPC call to untraced back ends.
type onward struct {
	http   *http.Client
	health healthpb.HealthClient
	url    string
}

func (o *onward) call(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, o.url, nil)
	if err != nil {
		return fmt.Errorf("onward HTTP: %w", err)
	}
	resp, err := o.http.Do(req)
	if err != nil {
		return fmt.Errorf("onward HTTP: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("onward HTTP: %s", resp.Status)
	}
	if _, err := o.health.Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
		return fmt.Errorf("onward gRPC: %w", err)
	}
	return nil
}

// frontHealth is a gRPC health service whose Check makes the onward calls.
type frontHealth struct {
	healthpb.UnimplementedHealthServer
	o *onward
}

func (f *frontHealth) Check(ctx context.Context, _ *healthpb.HealthCheckRequest) (*healthpb.HealthCheckResponse, error) {
	if err := f.o.call(ctx); err != nil {
		return nil, status.Error(codes.Unavailable, err.Error())
	}
	return &healthpb.HealthCheckResponse{Status: healthpb.HealthCheckResponse_SERVING}, nil
}

// hostileRig is the pair of front services (bare and traced) with their back
// ends.
type hostileRig struct {
	rec    *recorder
	logs   *lineCounter
	tracer opentracing.Tracer
	closer func()

	httpBare, httpTraced     string // addresses
	grpcBare, grpcTraced     *grpc.ClientConn
	onwardBare, onwardTraced *onward
	closers                  []func()
}

func newHostileRig() (*hostileRig, error) {
	r := &hostileRig{rec: newRecorder(1 << 16), logs: &lineCounter{}}
	tr, closer, err := tracing.Init("soak-hostile", tracing.WithoutGlobal(), tracing.WithReporter(r.rec), tracing.WithLogger(r.logs))
	if err != nil {
		return nil, err
	}
	r.tracer, r.closer = tr, func() { closer.Close() }
	fail := func(err error) (*hostileRig, error) { r.Close(); return nil, err }

	// back ends: plain HTTP and gRPC health
	echo, err := serve(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }))
	if err != nil {
		return fail(err)
	}
	r.closers = append(r.closers, echo.Close)
	backAddr, stopBack, err := serveGRPC(health.NewServer())
	if err != nil {
		return fail(err)
	}
	r.closers = append(r.closers, stopBack)

	for _, traced := range []bool{false, true} {
		dial := []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
		hc := &http.Client{Timeout: 10 * time.Second}
		var srvOpts []grpc.ServerOption
		if traced {
			dial = append(grpctrace.DialOptions(grpctrace.WithTracer(tr)), dial...)
			hc.Transport = nethttp.NewTransport(nil, nethttp.WithTracer(tr))
			srvOpts = grpctrace.ServerOptions(grpctrace.WithTracer(tr))
		}
		cc, err := grpc.NewClient(backAddr, dial...)
		if err != nil {
			return fail(err)
		}
		r.closers = append(r.closers, func() { cc.Close() })
		o := &onward{http: hc, health: healthpb.NewHealthClient(cc), url: "http://" + echo.addr + "/"}
		var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			if err := o.call(req.Context()); err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			w.WriteHeader(http.StatusOK)
		})
		if traced {
			h = nethttp.Middleware(tr, h)
		}
		front, err := serve(h)
		if err != nil {
			return fail(err)
		}
		r.closers = append(r.closers, front.Close)
		gAddr, stop, err := serveGRPC(&frontHealth{o: o}, srvOpts...)
		if err != nil {
			return fail(err)
		}
		r.closers = append(r.closers, stop)
		gc, err := grpc.NewClient(gAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			return fail(err)
		}
		r.closers = append(r.closers, func() { gc.Close() })
		if traced {
			r.httpTraced, r.grpcTraced, r.onwardTraced = front.addr, gc, o
		} else {
			r.httpBare, r.grpcBare, r.onwardBare = front.addr, gc, o
		}
	}
	return r, nil
}

func (r *hostileRig) Close() {
	for i := len(r.closers) - 1; i >= 0; i-- {
		r.closers[i]()
	}
	if r.closer != nil {
		r.closer()
	}
}

func serveGRPC(h healthpb.HealthServer, opts ...grpc.ServerOption) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	s := grpc.NewServer(opts...)
	healthpb.RegisterHealthServer(s, h)
	done := make(chan struct{})
	go func() { defer close(done); _ = s.Serve(ln) }()
	return ln.Addr().String(), func() { s.Stop(); <-done }, nil
}

// rawHTTP sends a GET with exactly these header lines (bytes as they are,
// which net/http's client would refuse to send) and returns the status.
func rawHTTP(addr string, pairs [][2]string) (int, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(15 * time.Second))
	var b strings.Builder
	b.WriteString("GET /h HTTP/1.1\r\nHost: soak\r\nConnection: close\r\n")
	for _, p := range pairs {
		b.WriteString(p[0] + ": " + p[1] + "\r\n")
	}
	b.WriteString("\r\n")
	if _, err := c.Write([]byte(b.String())); err != nil {
		return 0, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

func httpOutcome(code int, err error) string {
	switch {
	case err != nil:
		return "error: " + err.Error()
	case code == http.StatusOK:
		return "ok"
	default:
		return fmt.Sprintf("HTTP %d", code)
	}
}

func grpcOutcome(err error) string {
	if err == nil {
		return "ok"
	}
	s, _ := status.FromError(err)
	msg := s.Message()
	if len(msg) > 120 {
		msg = msg[:120] + "…"
	}
	return s.Code().String() + ": " + msg
}

// runHostile sends every case to the bare and the traced front services
// over HTTP and gRPC (and RocketMQ when nameServer is set) and measures what
// the traced one did differently.
func runHostile(ctx context.Context, scale, reps int, nameServer string) ([]caseResult, error) {
	rig, err := newHostileRig()
	if err != nil {
		return nil, err
	}
	defer rig.Close()
	// the standard logger is where a wrapper or the tracer might also write
	prevOut, prevFlags := log.Writer(), log.Flags()
	stdlog := &lineCounter{}
	log.SetOutput(stdlog)
	defer log.SetOutput(prevOut)
	defer log.SetFlags(prevFlags)

	var out []caseResult
	measure := func(proto, name string, run func() (bare, traced string)) {
		rig.rec.reset()
		rig.logs.reset()
		stdlog.reset()
		res := caseResult{proto: proto, name: name, calls: reps}
		for i := 0; i < reps; i++ {
			bare, traced := run()
			if i == 0 {
				res.bare, res.traced = bare, traced
			}
			if bare == "ok" && traced != "ok" {
				res.failedByUs = true
				res.bare, res.traced = bare, traced
			}
		}
		time.Sleep(20 * time.Millisecond) // server spans finish after the answer is written
		bare := res.bare
		res.rejectedByPeer = bare != "ok"
		for _, s := range rig.rec.all() {
			res.spans++
			if s.bytes > res.largestSpan {
				res.largestSpan = s.bytes
			}
		}
		res.logLines = rig.logs.count() + stdlog.count()
		out = append(out, res)
	}
	cases := hostileCorpus(scale)
	for _, c := range cases {
		measure("HTTP", c.name, func() (string, string) {
			return httpOutcome(rawHTTP(rig.httpBare, c.pairs)), httpOutcome(rawHTTP(rig.httpTraced, c.pairs))
		})
		measure("gRPC", c.name, func() (string, string) {
			call := func(cc *grpc.ClientConn) string {
				md := metadata.MD{}
				for _, p := range c.pairs {
					md.Append(strings.ToLower(p[0]), p[1])
				}
				ctx, cancel := context.WithTimeout(metadata.NewOutgoingContext(context.Background(), md), 10*time.Second)
				defer cancel()
				_, err := healthpb.NewHealthClient(cc).Check(ctx, &healthpb.HealthCheckRequest{})
				return grpcOutcome(err)
			}
			return call(rig.grpcBare), call(rig.grpcTraced)
		})
	}
	if nameServer == "" {
		return out, nil
	}
	mq, err := runHostileMQ(ctx, rig, nameServer, cases, reps, stdlog)
	return append(out, mq...), err
}
