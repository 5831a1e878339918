package gormrecipe_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/mocktracer"
	"go.uber.org/goleak"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/tracewrap/tracewrap/examples/gormrecipe"
	"github.com/tracewrap/tracewrap/internal/testenv"
	"github.com/tracewrap/tracewrap/sqltrace"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Order is the model of the tests.
type Order struct {
	ID     uint `gorm:"primaryKey"`
	Item   string
	Qty    int
	Status string
}

func (Order) TableName() string { return "gormrecipe_orders" }

var drivers atomic.Int64

// wiring opens GORM one way or the other on tr; the sql.DB is closed with
// the test.
type wiring struct {
	name string
	open func(t *testing.T, dsn string, tr opentracing.Tracer, opts ...sqltrace.Option) *gorm.DB
}

var gormConfig = &gorm.Config{Logger: logger.Default.LogMode(logger.Silent)}

func wirings() []wiring {
	return []wiring{
		{"DriverName", func(t *testing.T, dsn string, tr opentracing.Tracer, opts ...sqltrace.Option) *gorm.DB {
			name := fmt.Sprintf("mysql-traced-%d", drivers.Add(1)) // one per tracer
			gormrecipe.Register(name, append([]sqltrace.Option{sqltrace.WithTracer(tr)}, opts...)...)
			db, err := gormrecipe.Open(name, dsn, gormConfig)
			return opened(t, db, err)
		}},
		{"Conn", func(t *testing.T, dsn string, tr opentracing.Tracer, opts ...sqltrace.Option) *gorm.DB {
			db, err := gormrecipe.OpenConn(dsn, gormConfig, append([]sqltrace.Option{sqltrace.WithTracer(tr)}, opts...)...)
			return opened(t, db, err)
		}},
	}
}

func opened(t *testing.T, db *gorm.DB, err error) *gorm.DB {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sqlDB.Close() })
	return db
}

func dsn(t *testing.T, interpolate bool) string {
	d := testenv.MySQLDSN(t)
	if interpolate {
		d += "&interpolateParams=true"
	}
	return d
}

func names(spans []*mocktracer.MockSpan) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.OperationName)
	}
	return out
}

// GORM's start-up query (SELECT VERSION()) and AutoMigrate without a
// context become one-span root traces, unless WithChildSpansOnly.
func TestStartUpQueries(t *testing.T) {
	for _, w := range wirings() {
		t.Run(w.name, func(t *testing.T) {
			tr := mocktracer.New()
			db := w.open(t, dsn(t, true), tr, sqltrace.WithChildSpansOnly())
			if err := db.AutoMigrate(&Order{}); err != nil {
				t.Fatal(err)
			}
			if spans := tr.FinishedSpans(); len(spans) != 0 {
				t.Fatalf("WithChildSpansOnly: start-up spans %v", names(spans))
			}

			tr2 := mocktracer.New()
			w.open(t, dsn(t, true), tr2) // every statement traced
			var version []*mocktracer.MockSpan
			for _, s := range tr2.FinishedSpans() {
				if s.ParentID != 0 {
					t.Errorf("span %q has a parent", s.OperationName)
				}
				if s.Tag("db.statement") == "SELECT VERSION()" {
					version = append(version, s)
				}
			}
			if len(version) != 1 {
				t.Fatalf("without WithChildSpansOnly GORM's SELECT VERSION() should be a root span: %v", names(tr2.FinishedSpans()))
			}
		})
	}
}

// Every statement of db.WithContext(ctx) is one child span of the span in
// ctx; a transaction is begin, its statements, commit or rollback.
func TestOneSpanPerStatement(t *testing.T) {
	for _, w := range wirings() {
		t.Run(w.name, func(t *testing.T) {
			tr := mocktracer.New()
			db := w.open(t, dsn(t, true), tr, sqltrace.WithChildSpansOnly())
			db = db.Session(&gorm.Session{SkipDefaultTransaction: true})
			if err := db.AutoMigrate(&Order{}); err != nil {
				t.Fatal(err)
			}
			root := tr.StartSpan("handler")
			ctx := opentracing.ContextWithSpan(context.Background(), root)

			o := Order{Item: "moka pot", Qty: 2, Status: "new"}
			if err := db.WithContext(ctx).Create(&o).Error; err != nil {
				t.Fatal(err)
			}
			var got Order
			if err := db.WithContext(ctx).First(&got, o.ID).Error; err != nil || got.Item != "moka pot" {
				t.Fatal(err, got)
			}
			if err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
				if err := tx.Model(&Order{}).Where("id = ?", o.ID).Update("status", "paid").Error; err != nil {
					return err
				}
				return tx.Create(&Order{Item: "cup", Qty: 1, Status: "new"}).Error
			}); err != nil {
				t.Fatal(err)
			}
			errRollback := errors.New("out of stock")
			if err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
				if err := tx.Model(&Order{}).Where("id = ?", o.ID).Update("status", "cancelled").Error; err != nil {
					return err
				}
				return errRollback
			}); !errors.Is(err, errRollback) {
				t.Fatal(err)
			}
			if err := db.WithContext(ctx).Delete(&Order{}, o.ID).Error; err != nil {
				t.Fatal(err)
			}
			root.Finish()

			// An INSERT is sql.exec on MySQL, sql.query on MariaDB (where
			// GORM reads the new id with INSERT ... RETURNING): "insert".
			want := []string{
				"insert",
				"sql.query",                                     // SELECT ... LIMIT 1
				"sql.begin", "sql.exec", "insert", "sql.commit", // UPDATE, INSERT
				"sql.begin", "sql.exec", "sql.rollback", // UPDATE
				"sql.exec", // DELETE
			}
			var got2 []string
			rootID := root.(*mocktracer.MockSpan).SpanContext
			for _, s := range tr.FinishedSpans() {
				if s == root {
					continue
				}
				if s.ParentID != rootID.SpanID || s.SpanContext.TraceID != rootID.TraceID {
					t.Errorf("span %q (%v) is not a child of the span in ctx", s.OperationName, s.Tag("db.statement"))
				}
				name := s.OperationName
				if st, _ := s.Tag("db.statement").(string); strings.HasPrefix(st, "INSERT") && (name == "sql.exec" || name == "sql.query") {
					name = "insert"
				}
				got2 = append(got2, name)
			}
			if strings.Join(got2, " ") != strings.Join(want, " ") {
				t.Fatalf("spans\n got %v\nwant %v", got2, want)
			}
			stmts := map[string]bool{}
			for _, s := range tr.FinishedSpans() {
				if st, ok := s.Tag("db.statement").(string); ok {
					stmts[strings.Fields(st)[0]] = true
				}
			}
			for _, verb := range []string{"INSERT", "SELECT", "UPDATE", "DELETE"} {
				if !stmts[verb] {
					t.Errorf("no %s statement tagged: %v", verb, stmts)
				}
			}
			for _, s := range tr.FinishedSpans() {
				if s.Tag("error") != nil {
					t.Errorf("span %q failed: %v", s.OperationName, s.Logs())
				}
			}
		})
	}
}

// Without interpolateParams=true, go-sql-driver/mysql prepares statements
// with arguments: two spans each.
func TestPreparedWithoutInterpolateParams(t *testing.T) {
	tr := mocktracer.New()
	db := wirings()[1].open(t, dsn(t, false), tr, sqltrace.WithChildSpansOnly())
	if err := db.AutoMigrate(&Order{}); err != nil {
		t.Fatal(err)
	}
	root := tr.StartSpan("handler")
	ctx := opentracing.ContextWithSpan(context.Background(), root)
	var got Order
	err := db.WithContext(ctx).Where("item = ?", "no such item").First(&got).Error
	if !errors.Is(err, gorm.ErrRecordNotFound) {
		t.Fatal(err)
	}
	root.Finish()
	n := names(tr.FinishedSpans())
	sort.Strings(n)
	if strings.Join(n, " ") != "handler sql.prepare sql.stmt.query" {
		t.Fatalf("spans %v", n)
	}
}
