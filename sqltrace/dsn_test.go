package sqltrace

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/opentracing/opentracing-go/mocktracer"

	"github.com/tracewrap/tracewrap/internal/core"
)

func TestParseDSN(t *testing.T) {
	for _, tc := range []struct {
		dsn, addr, host, db, user string
		port                      uint16
	}{
		{"user:pass@tcp(127.0.0.1:3306)/shop?parseTime=true", "127.0.0.1:3306", "127.0.0.1", "shop", "user", 3306},
		{"user:p@ss/w:rd@tcp(db.internal:3307)/shop", "db.internal:3307", "db.internal", "shop", "user", 3307},
		{"user@tcp(db)/shop", "db:3306", "db", "shop", "user", 3306},
		{"user:pw@tcp([::1]:3306)/shop", "[::1]:3306", "::1", "shop", "user", 3306},
		{"user:pw@tcp/shop", "127.0.0.1:3306", "127.0.0.1", "shop", "user", 3306},
		{"/shop", "127.0.0.1:3306", "127.0.0.1", "shop", "", 3306},
		{"user:pw@unix(/var/run/mysqld/mysqld.sock)/shop", "unix:/var/run/mysqld/mysqld.sock", "", "shop", "user", 0},
		{"user:pw@/my%20db", "127.0.0.1:3306", "127.0.0.1", "my db", "user", 3306},
		{"user:pw@cloudsql(project:region:instance)/shop", "project:region:instance", "", "shop", "user", 0},
		{"postgres://ann:pw@pg.internal:5432/orders?sslmode=disable", "pg.internal:5432", "pg.internal", "orders", "ann", 5432},
		{"postgres://ann:p%40ss@pg.internal/orders", "pg.internal", "pg.internal", "orders", "ann", 0},
		{"postgres://ann:p@ss@pg.internal:5432/orders", "pg.internal:5432", "pg.internal", "orders", "ann", 5432},
		{"postgresql://pg1:5432,pg2:5432/orders", "pg1:5432,pg2:5432", "", "orders", "", 0},
		{"sqlserver://sa:pw@10.0.0.5:1433?database=x", "10.0.0.5:1433", "10.0.0.5", "", "sa", 1433},
		{"clickhouse://ch.internal:9000", "ch.internal:9000", "ch.internal", "", "", 9000},
	} {
		info := parseDSN(tc.dsn)
		if info.peer.Address != tc.addr || info.peer.Host != tc.host || info.peer.Port != tc.port || info.instance != tc.db || info.user != tc.user {
			t.Errorf("parseDSN(%q) = %+v", tc.dsn, info)
		}
	}
	// What cannot be read unambiguously tags nothing.
	for _, dsn := range []string{
		"", "file:test.db?cache=shared", ":memory:",
		"host=pg user=ann password=se/cr@et dbname=x",
		"server=sql;user id=sa;password=a/b@c;database=x",
		"postgres://ann:123/x@pg:5432/db",    // '/' in the password: the split would put "123" in the port
		"postgres://ann:9#x@pg:5432/db",      // '#'
		"postgres://ann:9?x@pg:5432/db",      // '?'
		"root://pw@tcp(127.0.0.1:3306)/shop", // a MySQL DSN whose password starts with "//"
		"ann://pw@@/shop",                    // the same with the default address
		"user:pw@tcp(host/shop",
		"user:pw@tc p(host)/shop",
	} {
		if info := parseDSN(dsn); info != (dsnInfo{}) {
			t.Errorf("parseDSN(%q) = %+v, want nothing", dsn, info)
		}
	}
}

// TestPasswordNeverTagged builds DSNs of every supported form around
// passwords full of separators and checks no tag holds the password.
func TestPasswordNeverTagged(t *testing.T) {
	passwords := []string{"S3cret-pw", "p@ss:w/rd", "x/y?z#w", "a)b(c", "tcp(h)/d", "//pw@", "pw@tcp(x)", "us:er", "ann@pg"}
	forms := []string{
		"ann:%s@tcp(db.internal:3306)/shop?parseTime=true",
		"ann:%s@unix(/tmp/mysql.sock)/shop",
		"ann:%s@/shop",
		"postgres://ann:%s@pg.internal:5432/orders",
		"mysql://ann:%s@db/shop",
		"host=pg user=ann password=%s dbname=orders",
		"%s",
	}
	tr := mocktracer.New()
	for _, pw := range passwords {
		for _, form := range forms {
			dsn := fmt.Sprintf(form, pw)
			info := parseDSN(dsn)
			span := tr.StartSpan("x")
			info.apply(span, core.OpenTracing)
			span.Finish()
			for k, v := range tr.FinishedSpans()[0].Tags() {
				if s := fmt.Sprint(v); strings.Contains(s, pw) {
					t.Errorf("dsn %q: tag %s=%q reveals the password %q", dsn, k, s, pw)
				}
			}
			tr.Reset()
		}
	}
}

func FuzzParseDSN(f *testing.F) {
	f.Add("user", "pass", "tcp(127.0.0.1:3306)", "db")
	f.Add("ann", "p@s/s", "pg:5432", "db")
	f.Fuzz(func(t *testing.T, user, pw, host, db string) {
		udb, _ := url.PathUnescape(db)
		uhost, _ := url.PathUnescape(host)
		if len(pw) < 4 || strings.Contains(user+host+db+"|"+udb+"|"+uhost, pw) {
			return // too short to tell apart from the rest, or part of it
		}
		for _, dsn := range []string{user + ":" + pw + "@" + host + "/" + db, "postgres://" + user + ":" + pw + "@" + host + "/" + db} {
			info := parseDSN(dsn)
			for _, v := range []string{info.user, info.instance, info.peer.Address, info.peer.Host} {
				if strings.Contains(v, pw) {
					t.Fatalf("dsn %q: %q reveals the password", dsn, v)
				}
			}
		}
	})
}
