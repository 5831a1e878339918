package main

import (
	"context"
	"errors"
	"log"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/tracewrap/tracewrap/gintrace"
	"github.com/tracewrap/tracewrap/grpctrace"
	"github.com/tracewrap/tracewrap/nethttp"
	"github.com/tracewrap/tracewrap/tracelog"
)

// web is the HTTP front, a gin engine traced by gintrace.Middleware: each
// handler calls the goods or order service with c, the *gin.Context itself,
// as the context (gin's defaults), so the gRPC client spans are children of
// the HTTP server span (named after the route: "HTTP GET /goods/:id") and
// the services continue the same trace.
//
//	GET  /goods/:id         one item (goods: Redis cache, then MySQL)
//	GET  /search?q=...      full-text search (goods: Elasticsearch, MySQL fallback)
//	POST /orders            {"goods_id": 1, "qty": 2} (order: transactional message)
//	GET  /healthz           not traced
type web struct {
	goods, order *grpc.ClientConn
}

// callTimeout bounds each gRPC call; WaitForReady lets a call ride out a
// restarting service within it instead of failing at once.
const callTimeout = 10 * time.Second

func runWeb(_ context.Context, s settings, ln net.Listener) (func(), error) {
	dial := func(addr string) (*grpc.ClientConn, error) {
		opts := append(grpctrace.DialOptions(), grpc.WithTransportCredentials(insecure.NewCredentials()))
		return grpc.NewClient(addr, opts...)
	}
	goods, err := dial(s.goods)
	if err != nil {
		return nil, err
	}
	order, err := dial(s.order)
	if err != nil {
		goods.Close()
		return nil, err
	}
	w := &web{goods: goods, order: order}

	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(
		gintrace.Middleware(nethttp.WithSpanFilter(func(r *http.Request) bool { return r.URL.Path != "/healthz" })),
		gin.Recovery(),
		traceIDHeader,
		accessLog,
	)
	r.GET("/goods/:id", w.getGoods)
	r.GET("/search", w.search)
	r.POST("/orders", w.createOrder)
	r.GET("/healthz", func(c *gin.Context) { c.Status(http.StatusNoContent) })

	srv := &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Printf("serve: %v", err)
		}
	}()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			log.Printf("shutdown: %v", err)
		}
		closeAll(goods, order)
	}, nil
}

// traceIDHeader answers every traced request with its trace id in
// X-Trace-Id, so a client can look the trace up in Jaeger. It runs after
// the middleware, which made the request's span reachable from c.
func traceIDHeader(c *gin.Context) {
	if id := tracelog.TraceID(c); id != "" {
		c.Header("X-Trace-Id", id)
	}
	c.Next()
}

// accessLog logs one line per request with the request's context, so the
// tracelog handler (see main) adds its trace_id and span_id.
func accessLog(c *gin.Context) {
	t0 := time.Now()
	c.Next()
	slog.InfoContext(c, "request", "method", c.Request.Method, "route", c.FullPath(),
		"status", c.Writer.Status(), "duration", time.Since(t0).Round(time.Microsecond))
}

// outgoing forwards the caller's credentials to the services, as a real
// front would (grpctrace never tags the authorization metadata), and bounds
// the call. It derives from c: the span is found through it.
func outgoing(c *gin.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(c, callTimeout)
	if auth := c.GetHeader("Authorization"); auth != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", auth)
	}
	return ctx, cancel
}

func (w *web) getGoods(c *gin.Context) {
	id, err := strconv.Atoi(c.Param("id"))
	if err != nil || id <= 0 {
		writeError(c, http.StatusBadRequest, "goods id must be a positive number")
		return
	}
	ctx, cancel := outgoing(c)
	defer cancel()
	out, err := invoke(ctx, w.goods, "/shop.Goods/Get", map[string]any{"id": id}, grpc.WaitForReady(true))
	writeResult(c, http.StatusOK, out, err)
}

func (w *web) search(c *gin.Context) {
	q := c.Query("q")
	if q == "" {
		writeError(c, http.StatusBadRequest, "missing q")
		return
	}
	ctx, cancel := outgoing(c)
	defer cancel()
	out, err := invoke(ctx, w.goods, "/shop.Goods/Search", map[string]any{"q": q}, grpc.WaitForReady(true))
	writeResult(c, http.StatusOK, out, err)
}

func (w *web) createOrder(c *gin.Context) {
	var req struct {
		GoodsID int  `json:"goods_id"`
		Qty     int  `json:"qty"`
		Hold    bool `json:"hold"` // leave the transaction for the broker's check
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, 1<<16)
	if err := c.ShouldBindJSON(&req); err != nil {
		writeError(c, http.StatusBadRequest, "body must be {\"goods_id\": N, \"qty\": N}")
		return
	}
	ctx, cancel := outgoing(c)
	defer cancel()
	out, err := invoke(ctx, w.order, "/shop.Order/Create",
		map[string]any{"goods_id": req.GoodsID, "qty": req.Qty, "hold": req.Hold}, grpc.WaitForReady(true))
	writeResult(c, http.StatusCreated, out, err)
}

func writeResult(c *gin.Context, okStatus int, out *structpb.Struct, err error) {
	if err != nil {
		st := status.Convert(err)
		code := http.StatusBadGateway
		switch st.Code() {
		case codes.NotFound:
			code = http.StatusNotFound
		case codes.InvalidArgument:
			code = http.StatusBadRequest
		case codes.DeadlineExceeded, codes.Unavailable:
			code = http.StatusServiceUnavailable
		}
		writeError(c, code, st.Message())
		return
	}
	c.JSON(okStatus, out.AsMap())
}

func writeError(c *gin.Context, code int, msg string) {
	c.JSON(code, gin.H{"error": msg})
}
