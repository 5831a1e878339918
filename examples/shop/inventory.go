package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"os"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"

	"github.com/tracewrap/tracewrap/mqtrace"
)

// inventory reserves stock for every committed order. The consume callback's
// ctx holds the "consume" span, a child of the order's half-message send, so
// the SQL transaction below lands in the order's trace.
type inventory struct {
	db *sql.DB
}

func runInventory(ctx context.Context, s settings, _ net.Listener) (func(), error) {
	db, err := openDB(ctx, s.env.mysqlDSN)
	if err != nil {
		return nil, err
	}
	if err := setUp(ctx, db, "inventory"); err != nil {
		db.Close()
		return nil, err
	}
	inv := &inventory{db: db}
	// The one-line swap for rocketmq.NewPushConsumer.
	c, err := mqtrace.NewPushConsumer(
		consumer.WithNsResolver(primitive.NewPassthroughResolver([]string{s.env.nameServer})),
		consumer.WithGroupName("shop-inventory-"+s.run),
		consumer.WithInstance(fmt.Sprintf("shop-inventory-%s-%d", s.run, os.Getpid())),
		// A new group starts at the beginning of the topic, so an order
		// placed while this process starts is not skipped.
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset))
	if err != nil {
		db.Close()
		return nil, err
	}
	if err := c.Subscribe(topicName(s.run), consumer.MessageSelector{Type: consumer.TAG, Expression: orderTag}, inv.consume); err != nil {
		db.Close()
		return nil, err
	}
	if err := c.Start(); err != nil {
		db.Close()
		return nil, fmt.Errorf("rocketmq: %w", err)
	}
	return func() { closeAll(closerFunc(c.Shutdown), db) }, nil
}

func (inv *inventory) consume(ctx context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
	for _, msg := range msgs {
		if err := inv.reserve(ctx, msg); err != nil {
			slog.ErrorContext(ctx, "reserve failed", "err", err)
			return consumer.ConsumeRetryLater, err
		}
	}
	return consumer.ConsumeSuccess, nil
}

// reserve records the reservation once per order (messages can be delivered
// more than once) and adds it to the goods' reserved stock, in one SQL
// transaction made with the consume span's ctx.
func (inv *inventory) reserve(ctx context.Context, msg *primitive.MessageExt) error {
	var m orderMessage
	if err := json.Unmarshal(msg.Body, &m); err != nil || m.OrderID == "" {
		slog.WarnContext(ctx, "skipping malformed message", "msg_id", msg.MsgId)
		return nil
	}
	tx, err := inv.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	res, err := tx.ExecContext(ctx,
		"INSERT IGNORE INTO shop_reservations (order_id, goods_id, qty) VALUES (?, ?, ?)", m.OrderID, m.GoodsID, m.Qty)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return tx.Commit() // already reserved: a redelivery
	}
	if _, err := tx.ExecContext(ctx, "UPDATE shop_goods SET reserved = reserved + ? WHERE id = ?", m.Qty, m.GoodsID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "UPDATE shop_orders SET status = 'reserved' WHERE id = ?", m.OrderID); err != nil {
		return err
	}
	return tx.Commit()
}
