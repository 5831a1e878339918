package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/go-redis/redis/v8"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/tracewrap/tracewrap/grpctrace"
	"github.com/tracewrap/tracewrap/redistrace"
)

// goods serves the catalogue: items from MySQL behind a Redis cache, and a
// search on Elasticsearch that falls back to MySQL when Elasticsearch fails.
// Every call is made with the gRPC handler's ctx, which holds the server
// span, so each becomes its child.
type goods struct {
	run string
	db  *sql.DB
	rdb *redis.Client
	es  *elasticsearch.Client
}

// cacheTTL keeps cached items briefly: stock changes with every order.
const cacheTTL = 30 * time.Second

func runGoods(ctx context.Context, s settings, ln net.Listener) (func(), error) {
	db, err := openDB(ctx, s.env.mysqlDSN)
	if err != nil {
		return nil, err
	}
	if err := setUp(ctx, db, "goods"); err != nil {
		db.Close()
		return nil, err
	}
	// The one-line swap for redis.NewClient.
	rdb := redistrace.NewClient(&redis.Options{
		Addr:     s.env.redisAddr,
		Username: s.env.redisUser,
		Password: s.env.redisPassword,
	})
	es, err := newSearch(ctx, s.env.esURL)
	if err != nil {
		closeAll(rdb, db)
		return nil, err
	}
	g := &goods{run: s.run, db: db, rdb: rdb, es: es}

	srv := grpc.NewServer(grpctrace.ServerOptions()...)
	srv.RegisterService(&goodsDesc, g)
	go func() {
		if err := srv.Serve(ln); err != nil {
			log.Printf("serve: %v", err)
		}
	}()
	return func() {
		srv.GracefulStop()
		closeAll(rdb, db)
	}, nil
}

func (g *goods) cacheKey(id int) string { return fmt.Sprintf("shop:%s:goods:%d", g.run, id) }

type goodsView struct {
	ID         int    `json:"id"`
	Name       string `json:"name"`
	PriceCents int    `json:"price_cents"`
	Available  int    `json:"available"`
}

// Get reads the item from the cache, or from MySQL (then caches it). A cache
// that is down does not fail the request: the item comes from MySQL and the
// answer says cache=unavailable; the failed Redis call is an error span.
func (g *goods) Get(ctx context.Context, in *structpb.Struct) (*structpb.Struct, error) {
	id := int(num(in, "id"))
	if id <= 0 {
		return nil, status.Error(codes.InvalidArgument, "id must be positive")
	}
	key := g.cacheKey(id)
	cache := "miss"
	raw, err := g.rdb.Get(ctx, key).Bytes()
	switch {
	case err == nil:
		var v goodsView
		if json.Unmarshal(raw, &v) == nil {
			return viewStruct(v, "hit")
		}
	case errors.Is(err, redis.Nil):
	default:
		cache = "unavailable"
		slog.WarnContext(ctx, "cache unavailable", "err", err)
	}

	var v goodsView
	err = g.db.QueryRowContext(ctx,
		"SELECT id, name, price_cents, stock - reserved FROM shop_goods WHERE id = ?", id).
		Scan(&v.ID, &v.Name, &v.PriceCents, &v.Available)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, status.Errorf(codes.NotFound, "no goods %d", id)
	}
	if err != nil {
		return nil, status.Errorf(codes.Internal, "goods %d: %v", id, err)
	}
	if cache == "miss" {
		b, _ := json.Marshal(v)
		if err := g.rdb.Set(ctx, key, b, cacheTTL).Err(); err != nil {
			slog.WarnContext(ctx, "cache unavailable", "err", err)
		}
	}
	return viewStruct(v, cache)
}

func viewStruct(v goodsView, cache string) (*structpb.Struct, error) {
	return structpb.NewStruct(map[string]any{
		"id": v.ID, "name": v.Name, "price_cents": v.PriceCents, "available": v.Available, "cache": cache,
	})
}
