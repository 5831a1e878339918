// Package gormrecipe is the recipe for tracing GORM (gorm.io/gorm with
// gorm.io/driver/mysql) with tracewrap: GORM runs on database/sql, so
// sqltrace traces it, one span per statement, with nothing GORM-specific.
//
// Wiring 1, a traced driver name (register once, at start-up):
//
//	sqltrace.Register("mysql-traced", &mysql.MySQLDriver{}, sqltrace.WithChildSpansOnly())
//	db, err := gorm.Open(gormmysql.New(gormmysql.Config{DriverName: "mysql-traced", DSN: dsn}), &gorm.Config{})
//
// Wiring 2, a *sql.DB you open yourself through sqltrace:
//
//	sqlDB, err := sqltrace.Open("mysql", dsn, sqltrace.WithChildSpansOnly())
//	db, err := gorm.Open(gormmysql.New(gormmysql.Config{Conn: sqlDB}), &gorm.Config{})
//
// Then give every query the request's context, and each statement becomes
// a child of the span in it:
//
//	db.WithContext(ctx).First(&order, id)           // sql.query
//	db.WithContext(ctx).Transaction(func(tx *gorm.DB) error { ... })
//	                                                // sql.begin, the statements, sql.commit (or sql.rollback)
//
// In a gin handler behind gintrace.Middleware, ctx may be c itself
// (db.WithContext(c)).
//
// Three things to know:
//
//   - GORM runs statements of its own without a context: "SELECT VERSION()"
//     when it opens, and AutoMigrate's schema queries unless called with
//     WithContext. Without a parent span each would be a trace of one span;
//     sqltrace.WithChildSpansOnly() leaves them out (and any other call
//     made without a span in its context). Or run the start-up work under
//     a span of its own (opentracing.StartSpanFromContext(ctx, "migrate")
//     and db.WithContext(ctx).AutoMigrate(...)).
//   - go-sql-driver/mysql sends statements with arguments as server-side
//     prepared statements unless the DSN has interpolateParams=true: then
//     each such statement shows as two spans, sql.prepare and
//     sql.stmt.exec (or sql.stmt.query), instead of one sql.exec or
//     sql.query. With interpolateParams=true it is one span per statement
//     (on MariaDB, GORM's INSERT is an INSERT ... RETURNING: a sql.query).
//   - GORM wraps every Create, Save, Update and Delete in a transaction of
//     its own (sql.begin, the statement, sql.commit) unless
//     gorm.Config{SkipDefaultTransaction: true}.
//
// Open and OpenConn below are the two wirings as functions; the tests run
// them against MariaDB.
package gormrecipe
