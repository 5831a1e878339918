package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net"
	"os"
	"sync"

	"github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/opentracing/opentracing-go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/tracewrap/tracewrap/grpctrace"
	"github.com/tracewrap/tracewrap/mqtrace"
)

// order places orders with a RocketMQ transactional message: the half
// message is sent, then the local transaction writes the order to MySQL with
// the ctx mqtrace hands it (so the INSERT is a child of the
// "local-transaction" span), and the message is committed for the inventory
// to consume. If the outcome is left UNKNOWN, the broker later asks
// CheckLocalTransaction, possibly in another process after a restart; that
// check is traced in the order's original trace.
type order struct {
	db    *sql.DB
	tp    rocketmq.TransactionProducer
	topic string

	// held are orders whose local transaction this process left UNKNOWN on
	// request ("hold": true), as if it were still busy with them: its own
	// checks answer UNKNOWN too. A restarted process has no such memory, so
	// the broker's check there finds the order row and commits.
	held sync.Map // order id -> struct{}
}

// orderMessage is the message body the inventory consumes.
type orderMessage struct {
	OrderID string `json:"order_id"`
	GoodsID int    `json:"goods_id"`
	Qty     int    `json:"qty"`
}

type holdKey struct{}

const (
	orderTag  = "order"   // inventory subscribes to this tag only
	warmUpTag = "warm-up" // start-up message, always rolled back
)

func topicName(run string) string { return "shop-orders-" + run }

func runOrder(ctx context.Context, s settings, ln net.Listener) (func(), error) {
	db, err := openDB(ctx, s.env.mysqlDSN)
	if err != nil {
		return nil, err
	}
	if err := setUp(ctx, db, "order"); err != nil {
		db.Close()
		return nil, err
	}
	o := &order{db: db, topic: topicName(s.run)}
	// The one-line swap for rocketmq.NewTransactionProducer; the listener's
	// methods take a ctx.
	o.tp, err = mqtrace.NewTransactionProducer(o,
		producer.WithNsResolver(primitive.NewPassthroughResolver([]string{s.env.nameServer})),
		producer.WithGroupName("shop-order-"+s.run),
		// Its own client instance, so the broker's checks reach this producer.
		producer.WithInstanceName(fmt.Sprintf("shop-order-%s-%d", s.run, os.Getpid())),
		producer.WithRetry(2))
	if err != nil {
		db.Close()
		return nil, err
	}
	if err := o.tp.Start(); err != nil {
		db.Close()
		return nil, fmt.Errorf("rocketmq: %w", err)
	}
	if err := o.warmUp(ctx); err != nil {
		closeAll(closerFunc(o.tp.Shutdown), db)
		return nil, err
	}

	srv := grpc.NewServer(grpctrace.ServerOptions()...)
	srv.RegisterService(&orderDesc, o)
	go func() {
		if err := srv.Serve(ln); err != nil {
			log.Printf("serve: %v", err)
		}
	}()
	return func() {
		srv.GracefulStop()
		closeAll(closerFunc(o.tp.Shutdown), db)
	}, nil
}

// warmUp sends one message at once after Start: it creates the topic on a
// fresh broker and teaches the client the broker's address before its first
// heartbeat (one second after Start), so the broker can send this process
// the transaction checks of orders an earlier process left open.
func (o *order) warmUp(ctx context.Context) error {
	span, ctx := opentracing.StartSpanFromContext(ctx, "order warm-up")
	defer span.Finish()
	msg := primitive.NewMessage(o.topic, []byte("{}")).WithTag(warmUpTag)
	if _, err := o.tp.SendMessageInTransaction(ctx, msg); err != nil {
		return fmt.Errorf("rocketmq: warm-up message: %w", err)
	}
	return nil
}

// Create places an order; "hold": true leaves its transaction for the
// broker's check (see order.held).
func (o *order) Create(ctx context.Context, in *structpb.Struct) (*structpb.Struct, error) {
	m := orderMessage{OrderID: newOrderID(), GoodsID: int(num(in, "goods_id")), Qty: int(num(in, "qty"))}
	if m.GoodsID <= 0 || m.Qty <= 0 || m.Qty > 100 {
		return nil, status.Error(codes.InvalidArgument, "goods_id must be positive and qty between 1 and 100")
	}
	body, _ := json.Marshal(m)
	msg := primitive.NewMessage(o.topic, body).WithKeys([]string{m.OrderID}).WithTag(orderTag)
	if boolean(in, "hold") {
		ctx = context.WithValue(ctx, holdKey{}, true)
	}
	// ctx holds the gRPC server span: the transaction span is its child, and
	// ExecuteLocalTransaction gets ctx back with the local-transaction span.
	res, err := o.tp.SendMessageInTransaction(ctx, msg)
	if err != nil {
		return nil, status.Errorf(codes.Unavailable, "order %s: %v", m.OrderID, err)
	}
	if res.State == primitive.RollbackMessageState {
		return nil, status.Errorf(codes.NotFound, "order %s: no goods %d", m.OrderID, m.GoodsID)
	}
	return structpb.NewStruct(map[string]any{"order_id": m.OrderID, "state": stateName(res.State)})
}

// ExecuteLocalTransaction writes the order with the ctx it is given: the
// INSERT becomes a child of the "local-transaction" span.
func (o *order) ExecuteLocalTransaction(ctx context.Context, msg *primitive.Message) primitive.LocalTransactionState {
	if msg.GetTags() == warmUpTag {
		return primitive.RollbackMessageState
	}
	var m orderMessage
	if err := json.Unmarshal(msg.Body, &m); err != nil {
		slog.ErrorContext(ctx, "local transaction: bad message", "err", err)
		return primitive.RollbackMessageState
	}
	res, err := o.db.ExecContext(ctx,
		"INSERT INTO shop_orders (id, goods_id, qty, status) SELECT ?, id, ?, 'placed' FROM shop_goods WHERE id = ?",
		m.OrderID, m.Qty, m.GoodsID)
	if err != nil {
		slog.ErrorContext(ctx, "local transaction failed", "order", m.OrderID, "err", err)
		return primitive.RollbackMessageState
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return primitive.RollbackMessageState // no such goods
	}
	if hold, _ := ctx.Value(holdKey{}).(bool); hold {
		o.held.Store(m.OrderID, struct{}{})
		return primitive.UnknowState
	}
	return primitive.CommitMessageState
}

// CheckLocalTransaction answers the broker for a transaction left UNKNOWN:
// commit when the order row exists. Its ctx holds a "check-transaction" span
// that follows from the half message's send, in the order's original trace.
func (o *order) CheckLocalTransaction(ctx context.Context, msg *primitive.MessageExt) primitive.LocalTransactionState {
	id := msg.GetKeys()
	if msg.GetTags() == warmUpTag || id == "" {
		return primitive.RollbackMessageState
	}
	if _, held := o.held.Load(id); held {
		return primitive.UnknowState
	}
	var st string
	err := o.db.QueryRowContext(ctx, "SELECT status FROM shop_orders WHERE id = ?", id).Scan(&st)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return primitive.RollbackMessageState
	case err != nil:
		slog.ErrorContext(ctx, "transaction check failed", "order", id, "err", err)
		return primitive.UnknowState
	}
	slog.InfoContext(ctx, "transaction check: commit", "order", id, "status", st)
	return primitive.CommitMessageState
}

func stateName(s primitive.LocalTransactionState) string {
	switch s {
	case primitive.CommitMessageState:
		return "COMMIT"
	case primitive.RollbackMessageState:
		return "ROLLBACK"
	default:
		return "UNKNOWN"
	}
}

func newOrderID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "o-" + hex.EncodeToString(b[:])
}
