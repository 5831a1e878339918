package gormrecipe_test

import (
	"context"
	"log"

	"github.com/go-sql-driver/mysql"
	"github.com/opentracing/opentracing-go"
	gormmysql "gorm.io/driver/mysql"
	"gorm.io/gorm"

	"github.com/tracewrap/tracewrap/sqltrace"
)

// GORM over sqltrace: register a traced driver once, name it in GORM's
// mysql.Config, and pass the request's context with WithContext.
func Example() {
	// Once, at start-up. WithChildSpansOnly keeps GORM's start-up query
	// (SELECT VERSION()) and other calls without a parent out of the traces.
	sqltrace.Register("mysql-traced", &mysql.MySQLDriver{}, sqltrace.WithChildSpansOnly())

	dsn := "user:password@tcp(127.0.0.1:3306)/shop?parseTime=true&interpolateParams=true"
	db, err := gorm.Open(gormmysql.New(gormmysql.Config{DriverName: "mysql-traced", DSN: dsn}), &gorm.Config{})
	if err != nil {
		log.Fatal(err)
	}

	// In a handler: ctx holds the request's span (r.Context(), a gRPC
	// handler's ctx, or gin's c behind gintrace.Middleware).
	span, ctx := opentracing.StartSpanFromContext(context.Background(), "handler")
	defer span.Finish()
	var order struct {
		ID   uint
		Item string
	}
	// One child span of "handler" per statement: sql.query here.
	db.WithContext(ctx).Table("orders").First(&order, 42)
}

// The same with a *sql.DB opened through sqltrace (GORM's Conn).
func Example_conn() {
	sqlDB, err := sqltrace.Open("mysql", "user:password@tcp(127.0.0.1:3306)/shop?interpolateParams=true", sqltrace.WithChildSpansOnly())
	if err != nil {
		log.Fatal(err)
	}
	db, err := gorm.Open(gormmysql.New(gormmysql.Config{Conn: sqlDB}), &gorm.Config{})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background() // the request's context in a real handler
	_ = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// sql.begin, every statement of tx, then sql.commit (or sql.rollback)
		return tx.Exec("UPDATE orders SET status = ? WHERE id = ?", "paid", 42).Error
	})
}
