package sqltrace

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"math/rand"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/opentracing/opentracing-go/mocktracer"
)

// A slice of go-sql-driver/mysql's own behaviours (its driver_test.go covers
// the same ground: types, NULLs, time parsing, large packets, errors), run
// on the bare driver and through the wrapper with every option that touches
// statements on. The application must see byte-for-byte the same results.

type compatCase struct {
	name string
	run  func(t *testing.T, db *sql.DB, tbl string) []string
}

const compatColumns = `id INT PRIMARY KEY AUTO_INCREMENT,
	ti TINYINT, si SMALLINT UNSIGNED, bi BIGINT, bu BIGINT UNSIGNED,
	f FLOAT, d DOUBLE, dc DECIMAL(20,6), b BIT(8), yn BOOL,
	vc VARCHAR(100) CHARACTER SET utf8mb4, ch CHAR(5), bin VARBINARY(20), bl LONGBLOB, tx MEDIUMTEXT,
	dt DATE, dtm DATETIME(6), ts TIMESTAMP(3) NULL, tm TIME(3), yr YEAR,
	en ENUM('a','b'), st SET('x','y'), js JSON`

var compatCases = []compatCase{
	{"types via arguments", func(t *testing.T, db *sql.DB, tbl string) []string {
		when := time.Date(2024, 2, 29, 13, 14, 15, 123456000, time.UTC)
		res, err := db.Exec("INSERT INTO "+tbl+` (ti, si, bi, bu, f, d, dc, b, yn, vc, ch, bin, tx, dt, dtm, ts, tm, yr, en, st, js)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			int8(-128), uint16(65535), int64(math.MinInt64), uint64(math.MaxUint64), float32(1.5), math.Pi, "12345678901234.123456",
			[]byte{0xA5}, true, "héllo 🌍 'quoted' \\ back", "ab", []byte{0, 1, 2, 0xff}, strings.Repeat("t", 1000),
			when, when, when, "-838:59:59.000", 2024, "b", "x,y", json.RawMessage(`{"k": [1, "two", null]}`))
		return append(dump(res, err), selectAll(t, db, tbl)...)
	}},
	{"NULLs", func(t *testing.T, db *sql.DB, tbl string) []string {
		_, err := db.Exec("INSERT INTO "+tbl+" (ti, vc, dtm, bl) VALUES (?, ?, ?, ?)", nil, sql.NullString{}, sql.NullTime{}, []byte(nil))
		out := dump(nil, err)
		var ni sql.NullInt64
		var ns sql.NullString
		var nt sql.NullTime
		var nb []byte
		err = db.QueryRow("SELECT ti, vc, dtm, bl FROM "+tbl).Scan(&ni, &ns, &nt, &nb)
		return append(append(out, fmt.Sprintf("%v %v %v %v %v", ni, ns, nt, nb == nil, err)), selectAll(t, db, tbl)...)
	}},
	{"time parsing and zero dates", func(t *testing.T, db *sql.DB, tbl string) []string {
		var out []string
		for _, q := range []string{
			"SELECT CAST('2024-01-02 03:04:05.678901' AS DATETIME(6))",
			"SELECT CAST('0000-00-00' AS DATE)",
			"SELECT TIMESTAMP('2038-01-19 03:14:07')",
			"SELECT CAST('10:11:12' AS TIME)",
			"SELECT DATE('2024-13-45')",
		} {
			var v any
			err := db.QueryRow(q).Scan(&v)
			out = append(out, fmt.Sprintf("%s => %T %v %v", q, v, v, err))
			var tm time.Time
			err = db.QueryRow(q).Scan(&tm)
			out = append(out, fmt.Sprintf("  as time.Time %v %v", tm, err))
		}
		return out
	}},
	{"large blob", func(t *testing.T, db *sql.DB, tbl string) []string {
		blob := make([]byte, 5<<20) // several packets each way
		rand.New(rand.NewSource(1)).Read(blob)
		res, err := db.Exec("INSERT INTO "+tbl+" (bl) VALUES (?)", blob)
		out := dump(res, err)
		var back []byte
		err = db.QueryRow("SELECT bl FROM " + tbl + " WHERE bl IS NOT NULL").Scan(&back)
		return append(out, fmt.Sprint(len(back), bytes.Equal(blob, back), err))
	}},
	{"column types", func(t *testing.T, db *sql.DB, tbl string) []string {
		rows, err := db.Query("SELECT * FROM " + tbl)
		if err != nil {
			return []string{err.Error()}
		}
		defer rows.Close()
		cols, err := rows.ColumnTypes()
		out := []string{fmt.Sprint(err)}
		for _, c := range cols {
			l, okl := c.Length()
			n, okn := c.Nullable()
			p, s, okp := c.DecimalSize()
			out = append(out, fmt.Sprint(c.Name(), c.DatabaseTypeName(), c.ScanType(), l, okl, n, okn, p, s, okp))
		}
		return out
	}},
	{"errors and results", func(t *testing.T, db *sql.DB, tbl string) []string {
		var out []string
		res, err := db.Exec("INSERT INTO "+tbl+" (id, vc) VALUES (?, ?)", 7, "x")
		out = append(out, dump(res, err)...)
		res, err = db.Exec("INSERT INTO "+tbl+" (id, vc) VALUES (?, ?)", 7, "dup")
		out = append(out, dump(res, err)...)
		res, err = db.Exec("INSERT INTO " + tbl + " (vc) VALUES ('a'), ('b')")
		out = append(out, dump(res, err)...)
		res, err = db.Exec("UPDATE "+tbl+" SET ti = ? WHERE id > ?", 300, 0) // out of range
		out = append(out, dump(res, err)...)
		res, err = db.Exec("SELECT * FROM nope")
		out = append(out, dump(res, err)...)
		_, err = db.Exec("INSERT INTO "+tbl+" (vc) VALUES (?)", struct{}{})
		out = append(out, fmt.Sprint(err))
		var v int
		out = append(out, fmt.Sprint(db.QueryRow("SELECT id FROM "+tbl+" WHERE id < 0").Scan(&v)))
		return out
	}},
	{"prepared statement reuse", func(t *testing.T, db *sql.DB, tbl string) []string {
		stmt, err := db.Prepare("INSERT INTO " + tbl + " (bi, vc) VALUES (?, ?)")
		if err != nil {
			return []string{err.Error()}
		}
		defer stmt.Close()
		var out []string
		for i := 0; i < 3; i++ {
			res, err := stmt.Exec(i, fmt.Sprint("v", i))
			out = append(out, dump(res, err)...)
		}
		q, _ := db.Prepare("SELECT bi, vc FROM " + tbl + " WHERE bi >= ? ORDER BY bi")
		defer q.Close()
		rows, err := q.Query(1)
		return append(out, dumpRows(rows, err)...)
	}},
}

func dump(res sql.Result, err error) []string {
	if err != nil {
		return []string{"error: " + err.Error()}
	}
	if res == nil {
		return []string{"ok"}
	}
	id, e1 := res.LastInsertId()
	n, e2 := res.RowsAffected()
	return []string{fmt.Sprint("id ", id, e1, " affected ", n, e2)}
}

func selectAll(t *testing.T, db *sql.DB, tbl string) []string {
	rows, err := db.Query("SELECT * FROM " + tbl + " ORDER BY id")
	return dumpRows(rows, err)
}

// dumpRows renders every value with its Go type, as the driver produced it.
func dumpRows(rows *sql.Rows, err error) []string {
	if err != nil {
		return []string{"error: " + err.Error()}
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			out = append(out, "scan: "+err.Error())
			continue
		}
		var b strings.Builder
		for i, v := range vals {
			fmt.Fprintf(&b, "%s=%T:%v ", cols[i], v, v)
		}
		out = append(out, b.String())
	}
	return append(out, fmt.Sprint("err ", rows.Err()))
}

func TestMySQLDriverBehaviourUnchanged(t *testing.T) {
	for _, params := range []string{"interpolateParams=false", "interpolateParams=true", "parseTime=false&interpolateParams=true"} {
		for _, c := range compatCases {
			t.Run(params+"/"+c.name, func(t *testing.T) {
				dsn := mysqlDSN(t, params)
				bare := openBare(t, dsn)
				tr := mocktracer.New()
				wrapped := openMySQL(t, dsn, WithTracer(tr), WithPayloadCapture(), WithTraceComment(),
					WithOptionalSpans(OpConnect, OpPing, OpResetSession))
				ctx, _ := parentCtx(tr)
				wrapped.PingContext(ctx)
				want := c.run(t, bare, table(t, bare, compatColumns))
				got := c.run(t, wrapped, table(t, bare, compatColumns))
				if !reflect.DeepEqual(want, got) {
					t.Errorf("results differ\nbare:    %q\nwrapped: %q", want, got)
				}
				if len(tr.FinishedSpans()) == 0 {
					t.Error("nothing traced")
				}
			})
		}
	}
}
