package sqltrace

import (
	"database/sql/driver"
	"testing"

	"github.com/go-sql-driver/mysql"
)

func TestSQLOperation(t *testing.T) {
	for q, want := range map[string]string{
		"SELECT 1":                      "SELECT",
		"  select * from t":             "SELECT",
		"(SELECT 1) UNION (SELECT 2)":   "SELECT",
		"\n\tInsert INTO t VALUES (1)":  "INSERT",
		"update t set x=1":              "UPDATE",
		"WITH a AS (SELECT 1) SELECT 1": "WITH",
		"SELECTED":                      "", // not the keyword
		"selectx 1":                     "",
		"":                              "",
		"/* comment */ SELECT 1":        "", // not read past comments
		"VACUUM":                        "",
		"ÿSELECT":                       "",
		"DELETE":                        "DELETE",
		"commit":                        "COMMIT",
	} {
		if got := sqlOperation(q); got != want {
			t.Errorf("sqlOperation(%q) = %q, want %q", q, got, want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { sqlOperation("  select 1") }); n != 0 {
		t.Errorf("sqlOperation allocates %v times", n)
	}
}

type otherDriver struct{}

func (otherDriver) Open(string) (driver.Conn, error) { return nil, driver.ErrBadConn }

func TestDBSystem(t *testing.T) {
	for _, tc := range []struct {
		drv  driver.Driver
		dsn  string
		want string
	}{
		{&mysql.MySQLDriver{}, "", "mysql"},
		{mysql.MySQLDriver{}, "u@tcp(h:3306)/db", "mysql"},
		{otherDriver{}, "postgres://u@h/db", "postgresql"},
		{nil, "sqlserver://h", "microsoft.sql_server"},
		{otherDriver{}, "u@tcp(h)/db", "other_sql"},
		{nil, "", "other_sql"},
	} {
		if got := dbSystem(tc.drv, tc.dsn); got != tc.want {
			t.Errorf("dbSystem(%T, %q) = %q, want %q", tc.drv, tc.dsn, got, tc.want)
		}
	}
}
