package main

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	_ "github.com/go-sql-driver/mysql" // registers "mysql"; sqltrace.Open wraps it
	"github.com/opentracing/opentracing-go"

	"github.com/tracewrap/tracewrap/sqltrace"
)

// The shop's tables. Shared by every shop on the same database (the demo, a
// test run): goods are seeded idempotently, orders and reservations have
// unique ids, and stock is reserved by adding to a counter, so concurrent
// shops never conflict.
var schema = []string{
	`CREATE TABLE IF NOT EXISTS shop_goods (
		id INT PRIMARY KEY,
		name VARCHAR(100) NOT NULL,
		description VARCHAR(255) NOT NULL,
		price_cents INT NOT NULL,
		stock INT NOT NULL,
		reserved INT NOT NULL DEFAULT 0
	)`,
	`CREATE TABLE IF NOT EXISTS shop_orders (
		id VARCHAR(40) PRIMARY KEY,
		goods_id INT NOT NULL,
		qty INT NOT NULL,
		status VARCHAR(20) NOT NULL,
		created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
	)`,
	`CREATE TABLE IF NOT EXISTS shop_reservations (
		order_id VARCHAR(40) PRIMARY KEY,
		goods_id INT NOT NULL,
		qty INT NOT NULL,
		created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
	)`,
}

type item struct {
	ID          int    `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	PriceCents  int    `json:"price_cents"`
}

var catalogue = []item{
	{1, "Espresso cup", "thick porcelain cup for a double espresso", 900},
	{2, "Moka pot", "stovetop coffee maker, six cups", 3500},
	{3, "Coffee grinder", "conical burr grinder for coffee beans", 7900},
	{4, "Tea kettle", "stainless steel kettle with a whistle", 4200},
	{5, "Milk frother", "hand frother for cappuccino milk foam", 1900},
}

// openDB opens MySQL through sqltrace: the one-line swap for sql.Open. The
// DSN's password never reaches a span.
func openDB(ctx context.Context, dsn string) (*sql.DB, error) {
	db, err := sqltrace.Open("mysql", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(8)
	db.SetConnMaxIdleTime(time.Minute)
	pctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	for {
		err = db.PingContext(pctx)
		if err == nil {
			return db, nil
		}
		select {
		case <-pctx.Done():
			db.Close()
			return nil, fmt.Errorf("mysql: %w", err)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// setUp creates the schema (every role, so any may start first) and, for the
// goods role, seeds the catalogue, in a trace of its own ("<role> setup") so
// start-up statements are not scattered root spans.
func setUp(ctx context.Context, db *sql.DB, role string) error {
	span, ctx := opentracing.StartSpanFromContext(ctx, role+" setup")
	defer span.Finish()
	for _, stmt := range schema {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("mysql schema: %w", err)
		}
	}
	if role != "goods" {
		return nil
	}
	for _, it := range catalogue {
		if _, err := db.ExecContext(ctx,
			`INSERT INTO shop_goods (id, name, description, price_cents, stock) VALUES (?, ?, ?, ?, 1000000)
			 ON DUPLICATE KEY UPDATE name = VALUES(name), description = VALUES(description), price_cents = VALUES(price_cents)`,
			it.ID, it.Name, it.Description, it.PriceCents); err != nil {
			return fmt.Errorf("mysql seed: %w", err)
		}
	}
	return nil
}
