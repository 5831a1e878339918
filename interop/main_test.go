//go:build unix

package interop_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"github.com/uber/jaeger-client-go"
	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/tracewrap/tracewrap/grpctrace"
	"github.com/tracewrap/tracewrap/internal/pypeer"
	"github.com/tracewrap/tracewrap/internal/testenv"
	"github.com/tracewrap/tracewrap/nethttp"
	"github.com/tracewrap/tracewrap/tracing"
)

func TestMain(m *testing.M) {
	// The tests exercise tracing.Init's defaults (inject Jaeger + W3C, extract
	// any): nothing from the developer's environment may change them.
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "JAEGER_") || strings.HasPrefix(k, "OTEL_") {
			os.Unsetenv(k)
		}
	}
	code := m.Run()
	if err := stopPeers(); err != nil {
		fmt.Fprintln(os.Stderr, "stopping the peers:", err)
		code = 1
	}
	// The peers are gone, so are the keep-alive connections to them.
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	if err := goleak.Find(); err != nil {
		fmt.Fprintln(os.Stderr, "goroutines left behind:", err)
		code = 1
	}
	os.Exit(code)
}

// ---------------------------------------------------------------- peers ---

// peer is one running Python peer (interop/peers/NAME.py).
type peer struct {
	*pypeer.Peer
	httpBase string // http://127.0.0.1:PORT
	grpcAddr string // 127.0.0.1:PORT
}

var peers = struct {
	sync.Mutex
	running map[string]*peer
	failed  map[string]error
}{running: map[string]*peer{}, failed: map[string]error{}}

// getPeer returns the running peer NAME, starting it on first use; it runs
// until TestMain stops every peer. Without the peers' virtualenv the test
// skips, or fails with TRACEWRAP_REQUIRE_SERVICES=1.
func getPeer(t *testing.T, name string) *peer {
	t.Helper()
	peers.Lock()
	defer peers.Unlock()
	if p := peers.running[name]; p != nil {
		select {
		case <-p.Exited():
			t.Fatalf("peer %s exited early; its stderr:\n%s", name, p.Stderr())
		default:
		}
		return p
	}
	err := peers.failed[name]
	if err == nil {
		t0 := time.Now()
		var pp *pypeer.Peer
		if pp, err = pypeer.Start(name, nil, 60*time.Second); err == nil {
			fmt.Fprintf(os.Stderr, "interop: peer %s ready in %.1fs (pid %d)\n", name, time.Since(t0).Seconds(), pp.Pid())
			p := &peer{Peer: pp, httpBase: "http://" + pp.Addr("http"), grpcAddr: pp.Addr("grpc")}
			peers.running[name] = p
			return p
		}
		peers.failed[name] = err
	}
	if errors.Is(err, pypeer.ErrNoEnv) && !testenv.RequireServices() {
		t.Skip(err)
	}
	t.Fatal(err)
	return nil
}

func stopPeers() error {
	peers.Lock()
	defer peers.Unlock()
	var errs []error
	for _, p := range peers.running {
		errs = append(errs, p.Stop())
	}
	peers.running = map[string]*peer{}
	return errors.Join(errs...)
}

// call asks a peer to call a Go server (POST /call) and returns what it sent
// and what the Go side answered it saw.
func (p *peer) call(t *testing.T, req map[string]any) callResult {
	t.Helper()
	body, _ := json.Marshal(req)
	c := &http.Client{Timeout: 30 * time.Second}
	res, err := c.Post(p.httpBase+"/call", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("peer %s: /call: %v", p.Name, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("peer %s: /call %s: %s: %s", p.Name, body, res.Status, raw)
	}
	var out callResult
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("peer %s: /call answered %q: %v", p.Name, raw, err)
	}
	t.Logf("peer %s sent %s", p.Name, raw)
	return out
}

// ------------------------------------------------------------ reports ---

// seen is what a server saw of its caller (the same JSON on both sides).
type seen struct {
	TraceID       string            `json:"trace_id"`
	SpanID        string            `json:"span_id"`
	ParentID      string            `json:"parent_id"`
	ParentSampled *bool             `json:"parent_sampled,omitempty"`
	Sampled       bool              `json:"sampled"`
	Baggage       map[string]string `json:"baggage"`
	Headers       map[string]any    `json:"headers"`
}

// callResult is a peer's answer to /call: its client span's context, the
// headers or metadata it injected (OpenTelemetry peer), and what the Go
// server reported.
type callResult struct {
	Sent    seen              `json:"sent"`
	Carrier map[string]string `json:"carrier"`
	Answer  seen              `json:"answer"`
}

func traceIDHex(id jaeger.TraceID) string { return fmt.Sprintf("%016x%016x", id.High, id.Low) }
func spanIDHex(id jaeger.SpanID) string   { return fmt.Sprintf("%016x", uint64(id)) }

// jaegerContext is the context of a span of the tracer tracing.Init builds.
func jaegerContext(t *testing.T, span opentracing.Span) jaeger.SpanContext {
	t.Helper()
	sc, ok := span.Context().(jaeger.SpanContext)
	if !ok {
		t.Fatalf("span context is a %T, not a jaeger.SpanContext", span.Context())
	}
	return sc
}

// goSeen is what the Go server's handler sees in its ctx.
func goSeen(ctx context.Context, headers map[string]any) seen {
	span := opentracing.SpanFromContext(ctx)
	if span == nil {
		return seen{Headers: headers}
	}
	sc, ok := span.Context().(jaeger.SpanContext)
	if !ok {
		return seen{Headers: headers}
	}
	s := seen{
		TraceID: traceIDHex(sc.TraceID()),
		SpanID:  spanIDHex(sc.SpanID()),
		Sampled: sc.IsSampled(),
		Baggage: map[string]string{},
		Headers: headers,
	}
	if p := sc.ParentID(); p != 0 {
		s.ParentID = spanIDHex(p)
	}
	sc.ForeachBaggageItem(func(k, v string) bool { s.Baggage[k] = v; return true })
	return s
}

// isTracingKey: the propagation headers of every format, for the reports.
func isTracingKey(k string) bool {
	k = strings.ToLower(k)
	switch k {
	case "traceparent", "tracestate", "baggage", "uber-trace-id", "b3", "jaeger-debug-id":
		return true
	}
	return strings.HasPrefix(k, "uberctx-") || strings.HasPrefix(k, "x-b3-")
}

// ------------------------------------------------------- the Go side ---

// goTracer is the tracer a tracewrap user has: tracing.Init with its default
// propagation, spans kept in memory, a constant sampler.
func goTracer(t *testing.T, sampled bool) (opentracing.Tracer, *jaeger.InMemoryReporter) {
	t.Helper()
	rep := jaeger.NewInMemoryReporter()
	param := 0.0
	if sampled {
		param = 1
	}
	tr, closer, err := tracing.Init("interop-go", tracing.WithReporter(rep), tracing.WithoutGlobal(),
		tracing.WithSampler(jaeger.SamplerTypeConst, param))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closer.Close() })
	return tr, rep
}

// goHTTPServer serves GET /seen behind nethttp.Middleware.
func goHTTPServer(t *testing.T, tr opentracing.Tracer) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /seen", func(w http.ResponseWriter, r *http.Request) {
		headers := map[string]any{}
		for k, v := range r.Header {
			if isTracingKey(k) {
				headers[strings.ToLower(k)] = v
			}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(goSeen(r.Context(), headers))
	})
	srv := httptest.NewServer(nethttp.Middleware(tr, mux))
	t.Cleanup(srv.Close)
	return srv
}

// The gRPC service both sides serve, written by hand like the example shop's:
// /interop.Echo/Seen, google.protobuf.Struct in, Struct {"json": report} out.
const seenMethod = "/interop.Echo/Seen"

type echoService interface {
	Seen(ctx context.Context, in *structpb.Struct) (*structpb.Struct, error)
}

type echo struct{}

func (echo) Seen(ctx context.Context, _ *structpb.Struct) (*structpb.Struct, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	headers := map[string]any{}
	for k, v := range md {
		if isTracingKey(k) {
			headers[k] = v
		}
	}
	raw, err := json.Marshal(goSeen(ctx, headers))
	if err != nil {
		return nil, err
	}
	return structpb.NewStruct(map[string]any{"json": string(raw)})
}

var echoDesc = grpc.ServiceDesc{
	ServiceName: "interop.Echo",
	HandlerType: (*echoService)(nil),
	Methods: []grpc.MethodDesc{{
		MethodName: "Seen",
		Handler: func(srv any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
			in := new(structpb.Struct)
			if err := dec(in); err != nil {
				return nil, err
			}
			if interceptor == nil {
				return srv.(echoService).Seen(ctx, in)
			}
			info := &grpc.UnaryServerInfo{Server: srv, FullMethod: seenMethod}
			return interceptor(ctx, in, info, func(ctx context.Context, req any) (any, error) {
				return srv.(echoService).Seen(ctx, req.(*structpb.Struct))
			})
		},
	}},
}

// goGRPCServer serves /interop.Echo/Seen with grpctrace's server options.
func goGRPCServer(t *testing.T, tr opentracing.Tracer) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(grpctrace.ServerOptions(grpctrace.WithTracer(tr))...)
	srv.RegisterService(&echoDesc, echo{})
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return lis.Addr().String()
}

// goRoot starts the Go side's root span with baggage; finished when t ends.
func goRoot(t *testing.T, tr opentracing.Tracer, bag map[string]string) (context.Context, opentracing.Span) {
	t.Helper()
	root := tr.StartSpan("interop root")
	for k, v := range bag {
		root.SetBaggageItem(k, v)
	}
	t.Cleanup(root.Finish)
	return opentracing.ContextWithSpan(context.Background(), root), root
}

// goCallHTTP calls url through nethttp.NewTransport with ctx and decodes the
// peer's report.
func goCallHTTP(t *testing.T, ctx context.Context, tr opentracing.Tracer, url string) seen {
	t.Helper()
	client := &http.Client{Transport: nethttp.NewTransport(nil, nethttp.WithTracer(tr)), Timeout: 30 * time.Second}
	defer client.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s: %s", url, res.Status, raw)
	}
	var s seen
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatalf("GET %s answered %q: %v", url, raw, err)
	}
	t.Logf("peer saw %s", raw)
	return s
}

// goCallGRPC calls /interop.Echo/Seen at addr through grpctrace's dial
// options with ctx and decodes the peer's report.
func goCallGRPC(t *testing.T, ctx context.Context, tr opentracing.Tracer, addr string) seen {
	t.Helper()
	conn, err := grpc.NewClient(addr, append(grpctrace.DialOptions(grpctrace.WithTracer(tr)),
		grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out := new(structpb.Struct)
	if err := conn.Invoke(ctx, seenMethod, &structpb.Struct{}, out); err != nil {
		t.Fatalf("%s at %s: %v", seenMethod, addr, err)
	}
	raw := out.GetFields()["json"].GetStringValue()
	var s seen
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		t.Fatalf("%s answered %q: %v", seenMethod, raw, err)
	}
	t.Logf("peer saw %s", raw)
	return s
}

// spansOf are the finished Go spans of one trace.
func spansOf(rep *jaeger.InMemoryReporter, traceID string) []*jaeger.Span {
	var out []*jaeger.Span
	for _, s := range rep.GetSpans() {
		if js, ok := s.(*jaeger.Span); ok && traceIDHex(js.SpanContext().TraceID()) == traceID {
			out = append(out, js)
		}
	}
	return out
}

// waitSpan waits (a server span finishes right after its answer is sent)
// for the one finished Go span of the trace with that kind.
func waitSpan(t *testing.T, rep *jaeger.InMemoryReporter, traceID string, kind ext.SpanKindEnum) *jaeger.Span {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var found []*jaeger.Span
		for _, s := range spansOf(rep, traceID) {
			if fmt.Sprint(s.Tags()[string(ext.SpanKind)]) == string(kind) {
				found = append(found, s)
			}
		}
		if len(found) == 1 {
			return found[0]
		}
		if len(found) > 1 || time.Now().After(deadline) {
			t.Fatalf("%d Go %s spans in trace %s, want 1 (all spans of the tracer: %s)", len(found), kind, traceID, describe(rep))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// noSpans checks that the Go side recorded nothing of an unsampled trace.
func noSpans(t *testing.T, rep *jaeger.InMemoryReporter, traceID string) {
	t.Helper()
	time.Sleep(200 * time.Millisecond) // what would be reported is, by now
	if s := spansOf(rep, traceID); len(s) > 0 {
		t.Errorf("the caller's trace %s is not sampled, yet the Go side recorded %d spans of it: %s", traceID, len(s), describe(rep))
	}
}

func describe(rep *jaeger.InMemoryReporter) string {
	var b []string
	for _, s := range rep.GetSpans() {
		js := s.(*jaeger.Span)
		sc := js.SpanContext()
		b = append(b, fmt.Sprintf("%s %v trace=%s span=%s parent=%s", js.OperationName(), js.Tags()[string(ext.SpanKind)],
			traceIDHex(sc.TraceID()), spanIDHex(sc.SpanID()), spanIDHex(sc.ParentID())))
	}
	if len(b) == 0 {
		return "none"
	}
	return strings.Join(b, "; ")
}

// ------------------------------------------------------- assertions ---

// checkGoServerSpan: a sampled call left exactly one Go server span, in the
// caller's trace, child of the caller's span; an unsampled one left none.
func checkGoServerSpan(t *testing.T, rep *jaeger.InMemoryReporter, sent seen, sampled bool) {
	t.Helper()
	if !sampled {
		noSpans(t, rep, sent.TraceID)
		return
	}
	s := waitSpan(t, rep, sent.TraceID, ext.SpanKindRPCServerEnum)
	if p := spanIDHex(s.SpanContext().ParentID()); p != sent.SpanID {
		t.Errorf("the Go server span %q has parent %s, want the caller's span %s", s.OperationName(), p, sent.SpanID)
	}
}

// checkPythonSaw checks what a Python server saw of a Go call made under
// root: the root's whole trace id (TestGoTraceIDsAre128Bit checks that it
// has 128 bits); as parent the Go client span
// (sampled) or, when the trace is not sampled, the root itself (tracewrap's
// clients start no span then and send their parent's context, see the
// README's "Unsampled traces"); the decision; the baggage.
func checkPythonSaw(t *testing.T, callee string, got seen, root jaeger.SpanContext, rep *jaeger.InMemoryReporter, sampled bool, bag map[string]string) {
	t.Helper()
	traceID := traceIDHex(root.TraceID())
	parent := spanIDHex(root.SpanID())
	if sampled {
		c := waitSpan(t, rep, traceID, ext.SpanKindRPCClientEnum)
		if c.SpanContext().ParentID() != root.SpanID() {
			t.Errorf("the Go client span %q has parent %s, want the root %s", c.OperationName(), spanIDHex(c.SpanContext().ParentID()), parent)
		}
		parent = spanIDHex(c.SpanContext().SpanID())
	} else {
		noSpans(t, rep, traceID)
	}
	joined(t, callee, got, traceID, parent, sampled, bag)
}

// joined checks that the callee continued the caller's trace: the whole
// 128-bit trace id, the caller's span as parent, the caller's sampling
// decision, and the baggage unchanged.
func joined(t *testing.T, callee string, got seen, traceID, parentID string, sampled bool, bag map[string]string) {
	t.Helper()
	ok := true
	if got.TraceID != traceID {
		t.Errorf("%s: trace id %q, want the caller's %q (a different id is a new trace)", callee, got.TraceID, traceID)
		ok = false
	}
	if got.ParentID != parentID {
		t.Errorf("%s: parent span id %q, want the caller's span %q", callee, got.ParentID, parentID)
		ok = false
	}
	if got.Sampled != sampled {
		t.Errorf("%s: sampled=%v, want the caller's decision %v", callee, got.Sampled, sampled)
		ok = false
	}
	if got.ParentSampled != nil && *got.ParentSampled != sampled {
		t.Errorf("%s: the extracted parent says sampled=%v, want %v", callee, *got.ParentSampled, sampled)
		ok = false
	}
	if !sameBaggage(got.Baggage, bag) {
		t.Errorf("%s: baggage %s, want %s", callee, quoteMap(got.Baggage), quoteMap(bag))
		ok = false
	}
	if !ok {
		t.Logf("%s received these propagation headers: %v", callee, got.Headers)
	}
}

func sameBaggage(got, want map[string]string) bool {
	if len(got) != len(want) {
		return false
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			return false
		}
	}
	return true
}

func quoteMap(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%q: %q", k, m[k])
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// is128Bit: a trace id whose high half is not zero.
func is128Bit(traceID string) bool {
	return len(traceID) == 32 && strings.Trim(traceID[:16], "0") != ""
}

func sampledName(sampled bool) string {
	if sampled {
		return "sampled"
	}
	return "unsampled"
}
