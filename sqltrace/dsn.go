package sqltrace

import (
	"net"
	"net/url"
	"strings"

	"github.com/opentracing/opentracing-go"

	"github.com/tracewrap/tracewrap/internal/core"
)

// dsnInfo is what the tags may say about a database, read once from its data
// source name. It never holds the password.
type dsnInfo struct {
	peer     core.Peer
	instance string // database name
	user     string
}

// apply sets the database tags on span, in vocabulary v.
func (d *dsnInfo) apply(span opentracing.Span, v *core.Vocab) {
	if d.instance != "" {
		v.Set(span, core.KeyDBNamespace, d.instance)
	}
	if d.user != "" {
		v.Set(span, core.KeyDBUser, d.user)
	}
	if d.peer.Address != "" {
		d.peer.Apply(span, v)
	}
}

// parseDSN reads the peer, database and user from a MySQL-style DSN
// ([user[:password]@][net[(addr)]]/dbname[?params]) or a URL-style one
// (scheme://user:password@host:port/dbname?params). It does not depend on
// any driver. Whatever it cannot read unambiguously it leaves out: a DSN that
// fails the checks below yields no tags at all, because a misread DSN is how
// a piece of a password ends up in a tag.
func parseDSN(dsn string) dsnInfo {
	if isURLDSN(dsn) {
		return parseURLDSN(dsn)
	}
	return parseMySQLDSN(dsn)
}

// isURLDSN reports whether dsn starts with "scheme://".
func isURLDSN(dsn string) bool {
	i := strings.Index(dsn, "://")
	if i <= 0 {
		return false
	}
	for j, r := range dsn[:i] {
		letter := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
		if !letter && (j == 0 || !(r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.')) {
			return false
		}
	}
	return true
}

func parseURLDSN(dsn string) dsnInfo {
	u, err := url.Parse(dsn)
	if err != nil || u.Host == "" && u.User == nil {
		return dsnInfo{}
	}
	// url.Parse ends the authority at the first '/', '?' or '#'. A password
	// holding one of those (unescaped) is split: its start becomes the host,
	// and the '@' that really ends it is left behind. Refuse such DSNs, and
	// readings that only a MySQL DSN whose password starts with "//" would
	// give ("user://pw@tcp(host)/db", "user://pw@@/db").
	rest := dsn[strings.Index(dsn, "://")+3:]
	if i := strings.IndexAny(rest, "/?#"); i >= 0 && strings.Contains(rest[i:], "@") {
		return dsnInfo{}
	}
	if strings.ContainsAny(u.Host, "()@") || u.User != nil && (u.Host == "" || strings.Contains(u.User.Username(), "@")) {
		return dsnInfo{}
	}
	info := dsnInfo{instance: strings.TrimPrefix(u.Path, "/")}
	if strings.Contains(info.instance, "/") {
		info.instance = ""
	}
	if u.User != nil {
		info.user = u.User.Username()
	}
	if u.Host != "" {
		// Several hosts (failover lists) are kept as the address only.
		if strings.Contains(u.Host, ",") {
			info.peer = core.Peer{Address: u.Host}
		} else {
			info.peer = core.ParsePeer(u.Host)
		}
	}
	return info
}

// parseMySQLDSN splits dsn the way go-sql-driver/mysql does, so the password
// is found exactly where the driver finds it: the last '/' ends the address,
// the last '@' before it ends the credentials, and the first ':' in them ends
// the user name.
func parseMySQLDSN(dsn string) dsnInfo {
	slash := strings.LastIndexByte(dsn, '/')
	if slash < 0 {
		return dsnInfo{}
	}
	var info dsnInfo
	left := dsn[:slash]
	if at := strings.LastIndexByte(left, '@'); at >= 0 {
		info.user, _, _ = strings.Cut(left[:at], ":")
		left = left[at+1:]
	}
	netw, addr := left, ""
	if open := strings.IndexByte(left, '('); open >= 0 {
		if !strings.HasSuffix(left, ")") {
			return dsnInfo{} // the driver rejects it too
		}
		netw, addr = left[:open], left[open+1:len(left)-1]
	}
	// Only a well-formed DSN is trusted: a key=value DSN that happens to
	// hold '/' and '@' would otherwise pass its password off as a user name.
	if !isWord(netw) || !plain(info.user) || strings.ContainsAny(addr, " \t\r\n=;&?@'\"") {
		return dsnInfo{}
	}
	db := dsn[slash+1:]
	if q := strings.IndexByte(db, '?'); q >= 0 {
		db = db[:q]
	}
	if unescaped, err := url.PathUnescape(db); err == nil && plain(db) {
		info.instance = unescaped
	}
	switch netw {
	case "", "tcp", "tcp4", "tcp6":
		if addr == "" {
			addr = "127.0.0.1:3306" // the driver's defaults
		} else if _, _, err := net.SplitHostPort(addr); err != nil {
			addr = net.JoinHostPort(addr, "3306")
		}
		info.peer = core.ParsePeer(addr)
	case "unix":
		if addr == "" {
			addr = "/tmp/mysql.sock"
		}
		info.peer = core.Peer{Address: "unix:" + addr}
	default: // a dialer registered by the application
		info.peer = core.Peer{Address: addr}
	}
	return info
}

// isWord reports whether s is empty or only letters, digits and '_' ,'-',
// '.', as network names are.
func isWord(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

// plain reports whether s has none of the characters that separate settings
// in other DSN formats (space, '=', ';', '&', '?', '/', '@', quotes).
func plain(s string) bool { return !strings.ContainsAny(s, " \t\r\n=;&?/@'\"") }
