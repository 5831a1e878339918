package gintrace_test

import (
	"context"
	"database/sql"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/gin-gonic/gin"
	"github.com/go-redis/redis/v8"
	_ "github.com/go-sql-driver/mysql"
	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"github.com/opentracing/opentracing-go/mocktracer"
	"github.com/uber/jaeger-client-go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/tracewrap/tracewrap/estrace"
	"github.com/tracewrap/tracewrap/gintrace"
	"github.com/tracewrap/tracewrap/grpctrace"
	"github.com/tracewrap/tracewrap/internal/testenv"
	"github.com/tracewrap/tracewrap/internal/tracetest"
	"github.com/tracewrap/tracewrap/nethttp"
	"github.com/tracewrap/tracewrap/redistrace"
	"github.com/tracewrap/tracewrap/sqltrace"
	"github.com/tracewrap/tracewrap/tracelog"
)

// backend is a gRPC service on 127.0.0.1 behind grpctrace whose UnaryCall
// queries MySQL through sqltrace with the ctx the server interceptor gives
// it, and reports the trace id it saw.
type backend struct {
	testpb.UnimplementedTestServiceServer
	db *sql.DB
}

func (b *backend) UnaryCall(ctx context.Context, _ *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	var one int
	if err := b.db.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return nil, err
	}
	return &testpb.SimpleResponse{Username: tracelog.TraceID(ctx)}, nil
}

func startBackend(t *testing.T, tr opentracing.Tracer, db *sql.DB) testpb.TestServiceClient {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(grpctrace.ServerOptions(grpctrace.WithTracer(tr))...)
	testpb.RegisterTestServiceServer(srv, &backend{db: db})
	go srv.Serve(lis)
	conn, err := grpc.NewClient(lis.Addr().String(),
		append(grpctrace.DialOptions(grpctrace.WithTracer(tr)), grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		srv.Stop()
	})
	return testpb.NewTestServiceClient(conn)
}

func openDB(t *testing.T, tr opentracing.Tracer) *sql.DB {
	t.Helper()
	db, err := sqltrace.Open("mysql", testenv.MySQLDSN(t), sqltrace.WithTracer(tr))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// The handler passes c itself, with gin's default settings, as the ctx of a
// call through every wrapper (and through contexts derived from c): every
// span is in the request's trace, a child of the request's span, and the
// gRPC service continues the trace into MySQL.
func TestGinContextIsTheParentOfEveryCall(t *testing.T) {
	tr := mocktracer.New()
	db := openDB(t, tr)
	grpcClient := startBackend(t, tr, db)
	rdb := redistrace.NewClient(&redis.Options{Addr: testenv.RedisAddr(t)}, redistrace.WithTracer(tr))
	t.Cleanup(func() { rdb.Close() })
	es, err := estrace.NewClient(elasticsearch.Config{Addresses: []string{testenv.ElasticsearchURL(t)}}, estrace.WithTracer(tr))
	if err != nil {
		t.Fatal(err)
	}
	// A second HTTP service, traced with nethttp, for the HTTP client span.
	downstream := testenv.Serve(t, nethttp.Middleware(tr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})))
	tracedTransport := nethttp.NewTransport(&http.Transport{}, nethttp.WithTracer(tr))
	t.Cleanup(tracedTransport.CloseIdleConnections)
	httpClient := &http.Client{Transport: tracedTransport}

	r := gin.New()
	r.Use(gintrace.Middleware(nethttp.WithTracer(tr)))
	if r.ContextWithFallback {
		t.Fatal("the test needs gin's default ContextWithFallback=false")
	}
	var handlerErr []string
	fail := func(what string, err error) {
		if err != nil {
			handlerErr = append(handlerErr, what+": "+err.Error())
		}
	}
	var grpcTraceID string
	r.GET("/orders/:id", func(c *gin.Context) {
		// What gin does with its defaults: the opentracing key is not found
		// through c; gintrace's lookup finds the span both ways.
		if opentracing.SpanFromContext(c) != nil {
			handlerErr = append(handlerErr, "ContextWithFallback is on?")
		}
		span := opentracing.SpanFromContext(c.Request.Context())
		if span == nil || gintrace.SpanFromContext(c) != span {
			handlerErr = append(handlerErr, "span not reachable from c")
		}
		out, err := grpcClient.UnaryCall(c, &testpb.SimpleRequest{})
		fail("grpc", err)
		if out != nil {
			grpcTraceID = out.Username
		}
		fail("redis", rdb.Set(c, "gintrace:"+c.Param("id"), "1", time.Minute).Err())
		var one int
		fail("sql", db.QueryRowContext(c, "SELECT 1").Scan(&one))
		res, err := es.Info(es.Info.WithContext(c))
		fail("es", err)
		if err == nil {
			res.Body.Close()
		}
		req, _ := http.NewRequestWithContext(c, "GET", downstream.URL+"/x", nil)
		resp, err := httpClient.Do(req)
		fail("http", err)
		if err == nil {
			resp.Body.Close()
		}
		// A context derived from c (a timeout) still leads to the span.
		ctx, cancel := context.WithTimeout(c, 5*time.Second)
		fail("redis (derived ctx)", rdb.Get(ctx, "gintrace:"+c.Param("id")).Err())
		cancel()
		c.String(http.StatusOK, "ok")
	})
	srv := testenv.Serve(t, r)
	req, _ := http.NewRequest("GET", srv.URL+"/orders/9", nil)
	if code, body := do(t, client(t), req); code != 200 {
		t.Fatal(code, body)
	}
	if len(handlerErr) > 0 {
		t.Fatal(strings.Join(handlerErr, "\n"))
	}

	// gin's span finishes after the handler; every other span before it.
	var root *mocktracer.MockSpan
	deadline := time.Now().Add(5 * time.Second)
	for root == nil {
		for _, s := range tr.FinishedSpans() {
			if s.OperationName == "HTTP GET /orders/:id" {
				root = s
			}
		}
		if root == nil && time.Now().After(deadline) {
			t.Fatalf("no gin span: %v", tr.FinishedSpans())
		}
		time.Sleep(5 * time.Millisecond)
	}
	waitSpans(t, tr, 10) // gin, grpc client+server, sql x2, redis x2, es, http client+server
	byID := map[int]*mocktracer.MockSpan{}
	for _, s := range tr.FinishedSpans() {
		byID[s.SpanContext.SpanID] = s
	}
	children := map[string]int{}
	for _, s := range tr.FinishedSpans() {
		if s.SpanContext.TraceID != root.SpanContext.TraceID {
			t.Errorf("span %q in another trace (%d, not %d)", s.OperationName, s.SpanContext.TraceID, root.SpanContext.TraceID)
		}
		if s == root {
			continue
		}
		p := byID[s.ParentID]
		if p == nil {
			t.Errorf("span %q: orphan (parent %d)", s.OperationName, s.ParentID)
			continue
		}
		switch {
		case p == root:
			children[s.OperationName]++
		case s.OperationName == "/grpc.testing.TestService/UnaryCall" && s.Tag("span.kind") == ext.SpanKindRPCServerEnum:
			if p.Tag("span.kind") != ext.SpanKindRPCClientEnum {
				t.Errorf("gRPC server span's parent is %q", p.OperationName)
			}
		case s.OperationName == "sql.query" || s.OperationName == "sql.stmt.query":
			if p.OperationName != "/grpc.testing.TestService/UnaryCall" || p.Tag("span.kind") != ext.SpanKindRPCServerEnum {
				t.Errorf("SQL span's parent is %q", p.OperationName)
			}
		case s.Tag("span.kind") == ext.SpanKindRPCServerEnum && s.Tag("component") == "net/http":
			if p.Tag("component") != "net/http" || p.Tag("span.kind") != ext.SpanKindRPCClientEnum {
				t.Errorf("HTTP server span's parent is %q", p.OperationName)
			}
		default:
			t.Errorf("span %q: parent %q", s.OperationName, p.OperationName)
		}
	}
	for _, name := range []string{"/grpc.testing.TestService/UnaryCall", "set", "get", "info", "HTTP GET"} {
		if children[name] != 1 {
			t.Errorf("%d %q spans under the gin span; children: %v", children[name], name, children)
		}
	}
	if n := children["sql.query"] + children["sql.stmt.query"]; n != 1 {
		t.Errorf("%d SQL spans under the gin span; children: %v", n, children)
	}
	if grpcTraceID != strconv.Itoa(root.SpanContext.TraceID) {
		t.Errorf("the gRPC service saw trace %q, not %d", grpcTraceID, root.SpanContext.TraceID)
	}
}

func waitSpans(t *testing.T, tr *mocktracer.MockTracer, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for len(tr.FinishedSpans()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d spans, want %d: %v", len(tr.FinishedSpans()), n, tr.FinishedSpans())
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // and no more
	if got := len(tr.FinishedSpans()); got != n {
		var names []string
		for _, s := range tr.FinishedSpans() {
			names = append(names, s.OperationName)
		}
		t.Fatalf("%d spans, want %d: %v", got, n, names)
	}
}

// With jaeger and a caller whose trace is not sampled, the middleware's
// stand-in span is what c holds: a gRPC call made with c carries the
// caller's trace on, unsampled, and nothing is reported. A sampled caller's
// trace gets the route-named span.
func TestJaegerSampledAndUnsampledCallers(t *testing.T) {
	for _, sampled := range []bool{true, false} {
		t.Run("sampled="+strconv.FormatBool(sampled), func(t *testing.T) {
			tr, rep := tracetest.Jaeger(t, "web", true) // samples its own roots
			callerTr, _ := tracetest.Jaeger(t, "caller", sampled)
			grpcClient := startBackend(t, tr, openDB(t, tr))
			r := gin.New()
			r.Use(gintrace.Middleware(nethttp.WithTracer(tr)))
			var seen, inHandler string
			r.GET("/goods/:id", func(c *gin.Context) {
				inHandler = tracelog.TraceID(c)
				out, err := grpcClient.UnaryCall(c, &testpb.SimpleRequest{})
				if err != nil {
					c.Status(502)
					return
				}
				seen = out.Username
				c.Status(200)
			})
			srv := testenv.Serve(t, r)
			caller := callerTr.StartSpan("caller")
			req, _ := http.NewRequest("GET", srv.URL+"/goods/1", nil)
			if err := callerTr.Inject(caller.Context(), opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(req.Header)); err != nil {
				t.Fatal(err)
			}
			if code, _ := do(t, client(t), req); code != 200 {
				t.Fatal(code)
			}
			caller.Finish()
			want := caller.Context().(jaeger.SpanContext).TraceID().String()
			if seen != want || inHandler != want {
				t.Fatalf("trace ids: handler %q, gRPC service %q, caller %q", inHandler, seen, want)
			}
			spans := rep.GetSpans()
			if !sampled {
				if len(spans) != 0 {
					t.Fatalf("%d spans of an unsampled trace reported", len(spans))
				}
				return
			}
			names := map[string]bool{}
			for _, s := range spans {
				names[s.(*jaeger.Span).OperationName()] = true
			}
			if !names["HTTP GET /goods/:id"] || !names["/grpc.testing.TestService/UnaryCall"] || !names["sql.query"] && !names["sql.stmt.query"] {
				t.Fatalf("spans %v", names)
			}
		})
	}
}
