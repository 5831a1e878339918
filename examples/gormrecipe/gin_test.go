package gormrecipe_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/opentracing/opentracing-go/ext"
	"github.com/opentracing/opentracing-go/mocktracer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"gorm.io/gorm"

	"github.com/tracewrap/tracewrap/gintrace"
	"github.com/tracewrap/tracewrap/grpctrace"
	"github.com/tracewrap/tracewrap/nethttp"
	"github.com/tracewrap/tracewrap/sqltrace"
)

// orders is a gRPC service on 127.0.0.1 that reads and writes orders with
// GORM, passing the ctx the server interceptor gives it.
type orders struct {
	testpb.UnimplementedTestServiceServer
	db *gorm.DB
}

func (o *orders) UnaryCall(ctx context.Context, req *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	id := int(req.GetResponseSize()) // the order id
	err := o.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var ord Order
		if err := tx.First(&ord, id).Error; err != nil {
			return err
		}
		return tx.Model(&ord).Update("status", "seen").Error
	})
	if err != nil {
		return nil, err
	}
	return &testpb.SimpleResponse{Username: "ok"}, nil
}

// A gin handler passes c (gin's defaults) to a gRPC call; the service runs a
// GORM transaction with its ctx: one trace, gin -> gRPC client -> gRPC
// server -> begin, select, update, commit. GORM's start-up queries are not
// in it, nor anywhere (WithChildSpansOnly).
func TestGinGRPCGORMOneTrace(t *testing.T) {
	gin.SetMode(gin.TestMode)
	tr := mocktracer.New()
	db := wirings()[0].open(t, dsn(t, true), tr, sqltrace.WithChildSpansOnly())
	if err := db.AutoMigrate(&Order{}); err != nil {
		t.Fatal(err)
	}
	o := Order{Item: "kettle", Qty: 1, Status: "new"}
	if err := db.Create(&o).Error; err != nil { // no ctx: not traced
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Delete(&Order{}, o.ID) })
	if n := len(tr.FinishedSpans()); n != 0 {
		t.Fatalf("%d spans before any request", n)
	}

	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer(grpctrace.ServerOptions(grpctrace.WithTracer(tr))...)
	testpb.RegisterTestServiceServer(gs, &orders{db: db})
	go gs.Serve(lis)
	conn, err := grpc.NewClient(lis.Addr().String(),
		append(grpctrace.DialOptions(grpctrace.WithTracer(tr)), grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		gs.Stop()
	})
	client := testpb.NewTestServiceClient(conn)

	r := gin.New()
	r.Use(gintrace.Middleware(nethttp.WithTracer(tr)), gin.Recovery())
	r.POST("/orders/:id/seen", func(c *gin.Context) {
		id, _ := strconv.Atoi(c.Param("id"))
		if _, err := client.UnaryCall(c, &testpb.SimpleRequest{ResponseSize: int32(id)}); err != nil {
			c.String(http.StatusBadGateway, err.Error())
			return
		}
		c.Status(http.StatusNoContent)
	})
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	hc := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(hc.Transport.(*http.Transport).CloseIdleConnections)
	resp, err := hc.Post(srv.URL+"/orders/"+strconv.Itoa(int(o.ID))+"/seen", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatal(resp.StatusCode, string(body))
	}

	deadline := time.Now().Add(5 * time.Second)
	for len(tr.FinishedSpans()) < 7 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	spans := tr.FinishedSpans()
	byID := map[int]*mocktracer.MockSpan{}
	var root *mocktracer.MockSpan
	for _, s := range spans {
		byID[s.SpanContext.SpanID] = s
		if s.ParentID == 0 {
			if root != nil {
				t.Fatalf("two roots: %q and %q", root.OperationName, s.OperationName)
			}
			root = s
		}
	}
	if root == nil || root.OperationName != "HTTP POST /orders/:id/seen" || root.Tag("http.status_code") != uint16(204) {
		t.Fatalf("root %v", root)
	}
	// Each span with its parent's name; the chain must be exactly this.
	want := map[string]string{
		"/grpc.testing.TestService/UnaryCall/" + string(ext.SpanKindRPCClientEnum): "HTTP POST /orders/:id/seen",
		"/grpc.testing.TestService/UnaryCall/" + string(ext.SpanKindRPCServerEnum): "/grpc.testing.TestService/UnaryCall",
		"sql.begin":  "/grpc.testing.TestService/UnaryCall",
		"sql.query":  "/grpc.testing.TestService/UnaryCall",
		"sql.exec":   "/grpc.testing.TestService/UnaryCall",
		"sql.commit": "/grpc.testing.TestService/UnaryCall",
	}
	seen := map[string]bool{}
	for _, s := range spans {
		if s == root {
			continue
		}
		if s.SpanContext.TraceID != root.SpanContext.TraceID {
			t.Errorf("%q in another trace", s.OperationName)
		}
		key := s.OperationName
		if k, ok := s.Tag("span.kind").(ext.SpanKindEnum); ok && strings.HasPrefix(s.OperationName, "/grpc.") {
			key += "/" + string(k)
		}
		p := byID[s.ParentID]
		if p == nil || want[key] != p.OperationName {
			t.Errorf("span %s: parent %v, want %q", key, p, want[key])
		}
		if key == "sql.begin" || key == "sql.query" || key == "sql.exec" || key == "sql.commit" {
			if p != nil && p.Tag("span.kind") != ext.SpanKindRPCServerEnum {
				t.Errorf("span %s: parent is not the gRPC server span", key)
			}
		}
		if seen[key] {
			t.Errorf("two %s spans", key)
		}
		seen[key] = true
	}
	if len(seen) != len(want) {
		t.Errorf("spans %v, want %v", seen, want)
	}
}
