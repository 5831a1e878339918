package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/uber/jaeger-client-go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/tracewrap/tracewrap/grpctrace"
	"github.com/tracewrap/tracewrap/nethttp"
)

// web is the HTTP front: each handler calls the goods or order service with
// the request's context, so the gRPC client spans are children of the HTTP
// server span and the services continue the same trace.
//
//	GET  /goods/{id}        one item (goods: Redis cache, then MySQL)
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
	mux := http.NewServeMux()
	mux.HandleFunc("GET /goods/{id}", w.getGoods)
	mux.HandleFunc("GET /search", w.search)
	mux.HandleFunc("POST /orders", w.createOrder)
	mux.HandleFunc("GET /healthz", func(rw http.ResponseWriter, _ *http.Request) { rw.WriteHeader(http.StatusNoContent) })

	handler := nethttp.Middleware(nil, traceIDHeader(mux),
		nethttp.WithSpanFilter(func(r *http.Request) bool { return r.URL.Path != "/healthz" }))
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
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
// X-Trace-Id, so a client can look the trace up in Jaeger. It runs inside
// the middleware, where the request's context holds the server span.
func traceIDHeader(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if span := opentracing.SpanFromContext(r.Context()); span != nil {
			if sc, ok := span.Context().(jaeger.SpanContext); ok {
				rw.Header().Set("X-Trace-Id", sc.TraceID().String())
			}
		}
		next.ServeHTTP(rw, r)
	})
}

// outgoing forwards the caller's credentials to the services, as a real
// front would; grpctrace never tags the authorization metadata.
func outgoing(r *http.Request) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(r.Context(), callTimeout)
	if auth := r.Header.Get("Authorization"); auth != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", auth)
	}
	return ctx, cancel
}

func (w *web) getGoods(rw http.ResponseWriter, r *http.Request) {
	id, err := strconv.Atoi(r.PathValue("id"))
	if err != nil || id <= 0 {
		writeError(rw, http.StatusBadRequest, "goods id must be a positive number")
		return
	}
	ctx, cancel := outgoing(r)
	defer cancel()
	out, err := invoke(ctx, w.goods, "/shop.Goods/Get", map[string]any{"id": id}, grpc.WaitForReady(true))
	writeResult(rw, http.StatusOK, out, err)
}

func (w *web) search(rw http.ResponseWriter, r *http.Request) {
	q := r.URL.Query().Get("q")
	if q == "" {
		writeError(rw, http.StatusBadRequest, "missing q")
		return
	}
	ctx, cancel := outgoing(r)
	defer cancel()
	out, err := invoke(ctx, w.goods, "/shop.Goods/Search", map[string]any{"q": q}, grpc.WaitForReady(true))
	writeResult(rw, http.StatusOK, out, err)
}

func (w *web) createOrder(rw http.ResponseWriter, r *http.Request) {
	var req struct {
		GoodsID int  `json:"goods_id"`
		Qty     int  `json:"qty"`
		Hold    bool `json:"hold"` // leave the transaction for the broker's check
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&req); err != nil {
		writeError(rw, http.StatusBadRequest, "body must be {\"goods_id\": N, \"qty\": N}")
		return
	}
	ctx, cancel := outgoing(r)
	defer cancel()
	out, err := invoke(ctx, w.order, "/shop.Order/Create",
		map[string]any{"goods_id": req.GoodsID, "qty": req.Qty, "hold": req.Hold}, grpc.WaitForReady(true))
	writeResult(rw, http.StatusCreated, out, err)
}

func writeResult(rw http.ResponseWriter, okStatus int, out *structpb.Struct, err error) {
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
		writeError(rw, code, st.Message())
		return
	}
	writeJSON(rw, okStatus, out.AsMap())
}

func writeError(rw http.ResponseWriter, code int, msg string) {
	writeJSON(rw, code, map[string]any{"error": msg})
}

func writeJSON(rw http.ResponseWriter, code int, v any) {
	rw.Header().Set("Content-Type", "application/json")
	rw.WriteHeader(code)
	_ = json.NewEncoder(rw).Encode(v)
}
