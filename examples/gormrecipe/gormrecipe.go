package gormrecipe

import (
	"github.com/go-sql-driver/mysql"
	gormmysql "gorm.io/driver/mysql"
	"gorm.io/gorm"

	"github.com/tracewrap/tracewrap/sqltrace"
)

// Register registers go-sql-driver/mysql under driverName, traced by
// sqltrace, for gorm.Open (see Open). Like sql.Register it panics when the
// name is taken: call it once, at start-up. Without options it traces only
// statements whose context holds a span (sqltrace.WithChildSpansOnly), so
// GORM's own start-up queries make no traces; options replace that default.
func Register(driverName string, opts ...sqltrace.Option) {
	if len(opts) == 0 {
		opts = []sqltrace.Option{sqltrace.WithChildSpansOnly()}
	}
	sqltrace.Register(driverName, &mysql.MySQLDriver{}, opts...)
}

// Open opens GORM on the traced driver registered as driverName (wiring 1).
func Open(driverName, dsn string, cfg *gorm.Config) (*gorm.DB, error) {
	if cfg == nil {
		cfg = &gorm.Config{}
	}
	return gorm.Open(gormmysql.New(gormmysql.Config{DriverName: driverName, DSN: dsn}), cfg)
}

// OpenConn opens a *sql.DB through sqltrace and GORM on it (wiring 2).
// Without options the *sql.DB traces only statements whose context holds a
// span (sqltrace.WithChildSpansOnly); options replace that default. Closing
// the returned *sql.DB (db.DB()) closes both.
func OpenConn(dsn string, cfg *gorm.Config, opts ...sqltrace.Option) (*gorm.DB, error) {
	if len(opts) == 0 {
		opts = []sqltrace.Option{sqltrace.WithChildSpansOnly()}
	}
	sqlDB, err := sqltrace.Open("mysql", dsn, opts...)
	if err != nil {
		return nil, err
	}
	if cfg == nil {
		cfg = &gorm.Config{}
	}
	db, err := gorm.Open(gormmysql.New(gormmysql.Config{Conn: sqlDB}), cfg)
	if err != nil {
		sqlDB.Close()
		return nil, err
	}
	return db, nil
}
