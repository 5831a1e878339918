package redistrace

import (
	"strconv"
	"strings"
)

// keySpec says which arguments of a command are keys, after Redis's own
// (first, last, step) key specification, for StatementKeysOnly.
type keySpec struct {
	first, last, step int  // key range; first 0: none; last < 0 counts from the end
	sub               bool // args[1] is a subcommand, shown as is
	numkeys           int  // > 0: args[numkeys] holds how many keys follow it
	streams           bool // keys are the first half of what follows STREAMS
	keysToken         bool // keys also follow a KEYS token (MIGRATE)
}

var (
	noKeys   = keySpec{}
	firstKey = keySpec{first: 1, last: 1, step: 1}
	allKeys  = keySpec{first: 1, last: -1, step: 1}
	subOnly  = keySpec{sub: true}
	subKey   = keySpec{sub: true, first: 2, last: 2, step: 1}
)

// keySpecs lists the commands whose keys are not just their first argument;
// any other command is taken to have its key there, the common shape.
var keySpecs = map[string]keySpec{}

func init() {
	set := func(k keySpec, names ...string) {
		for _, n := range names {
			keySpecs[n] = k
		}
	}
	set(noKeys, "ping", "echo", "info", "auth", "hello", "select", "quit", "dbsize",
		"flushdb", "flushall", "time", "lastsave", "save", "bgsave", "bgrewriteaof",
		"multi", "exec", "discard", "unwatch", "randomkey", "wait", "readonly",
		"readwrite", "asking", "swapdb", "shutdown", "role", "monitor", "replicaof",
		"slaveof", "failover", "reset", "scan")
	set(subOnly, "config", "acl", "client", "cluster", "command", "script", "function",
		"slowlog", "latency", "module", "pubsub", "sentinel", "debug")
	set(subKey, "object", "memory", "xinfo", "xgroup")
	set(allKeys, "del", "unlink", "exists", "touch", "watch", "mget", "sinter", "sunion",
		"sdiff", "pfcount", "pfmerge", "sinterstore", "sunionstore", "sdiffstore",
		"subscribe", "psubscribe", "unsubscribe", "punsubscribe", "ssubscribe", "sunsubscribe")
	set(keySpec{first: 1, last: 2, step: 1}, "rename", "renamenx", "rpoplpush", "lmove",
		"smove", "brpoplpush", "blmove", "copy", "geosearchstore", "zrangestore", "lcs")
	set(keySpec{first: 1, last: -2, step: 1}, "blpop", "brpop", "bzpopmin", "bzpopmax")
	set(keySpec{first: 1, last: -1, step: 2}, "mset", "msetnx")
	set(keySpec{first: 2, last: -1, step: 1}, "bitop")
	set(keySpec{numkeys: 2}, "eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro",
		"blmpop", "bzmpop")
	set(keySpec{first: 1, last: 1, step: 1, numkeys: 2}, "zunionstore", "zinterstore", "zdiffstore")
	set(keySpec{numkeys: 1}, "zunion", "zinter", "zdiff", "sintercard", "lmpop", "zmpop")
	set(keySpec{streams: true}, "xread", "xreadgroup")
	set(keySpec{first: 3, last: 3, step: 1, keysToken: true}, "migrate")
}

// keysOf returns the key specification of the command in args.
func keysOf(args []any) keySpec {
	name, ok := argString(args[0])
	if !ok {
		return noKeys
	}
	if k, ok := keySpecs[strings.ToLower(name)]; ok {
		return k
	}
	return firstKey
}

// shows reports whether args[i] (i >= 1) is shown in StatementKeysOnly.
func (k keySpec) shows(args []any, i int) bool {
	if k.sub && i == 1 {
		return true
	}
	if k.first > 0 {
		last := k.last
		if last < 0 {
			last += len(args)
		}
		if i >= k.first && i <= last && (i-k.first)%k.step == 0 {
			return true
		}
	}
	if k.numkeys > 0 && i > k.numkeys {
		if n, ok := argInt(args[k.numkeys]); ok && i <= k.numkeys+n {
			return true
		}
	}
	if k.streams {
		for s := 1; s < i; s++ {
			if argIs(args, s, "streams") {
				return i <= s+(len(args)-s-1)/2
			}
		}
	}
	if k.keysToken {
		for s := k.last + 1; s < i; s++ {
			if argIs(args, s, "keys") {
				return true
			}
		}
	}
	return false
}

// argInt reads a numeric argument given as a number or a string.
func argInt(arg any) (int, bool) {
	switch v := arg.(type) {
	case int:
		return v, true
	case int64:
		return int(v), true
	case string:
		n, err := strconv.Atoi(v)
		return n, err == nil
	case []byte:
		n, err := strconv.Atoi(string(v))
		return n, err == nil
	}
	return 0, false
}
