package redistrace

import (
	"encoding"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-redis/redis/v8"

	"github.com/tracewrap/tracewrap/internal/core"
)

// redacted replaces a credential, and in StatementKeysOnly every argument
// that is not a key.
const redacted = "?"

// maxNameLen caps the operation name taken from a command's first argument,
// which for Do can be anything.
const maxNameLen = 32

// commandName is the command's lower-case name (its first argument), capped.
// It never formats a non-string argument: Do([]byte("GET")) is still "get".
func commandName(cmd redis.Cmder) string {
	args := cmd.Args()
	if len(args) == 0 {
		return "unknown"
	}
	var s string
	switch v := args[0].(type) {
	case string:
		s = v
	case []byte:
		if len(v) > maxNameLen {
			v = v[:maxNameLen]
		}
		s = string(v)
	default:
		return "unknown"
	}
	if len(s) > maxNameLen {
		s = s[:maxNameLen]
	}
	if !isPlain(s) {
		return "unknown"
	}
	return strings.ToLower(s) // no copy when already lower case
}

// appendCommand appends one command to b as it is shown in db.statement:
// arguments separated by spaces, strings quoted when they are not plain
// printable ASCII, each argument capped, credentials redacted, arguments
// past the cap counted.
func (c *config) appendCommand(b []byte, cmd redis.Cmder) []byte {
	args := cmd.Args()
	if len(args) == 0 {
		return b
	}
	kind := classify(args)
	var keys keySpec
	if c.mode == StatementKeysOnly {
		keys = keysOf(args)
	}
	shown := len(args)
	if shown > c.maxArgs {
		shown = c.maxArgs
	}
	for i := 0; i < shown; i++ {
		if i > 0 {
			b = append(b, ' ')
		}
		switch {
		case i == 0:
			b = c.appendArg(b, args[0])
		case kind.secret(args, i):
			b = append(b, redacted...)
		case c.mode == StatementKeysOnly && !keys.shows(args, i):
			b = append(b, redacted...)
		default:
			b = c.appendArg(b, args[i])
		}
	}
	if more := len(args) - shown; more > 0 {
		b = append(b, " …(+"...)
		b = strconv.AppendInt(b, int64(more), 10)
		b = append(b, " args)"...)
	}
	return b
}

// appendArg formats one argument the way go-redis sends it, binary-safe and
// capped at maxArgLen bytes.
func (c *config) appendArg(b []byte, arg any) []byte {
	switch v := arg.(type) {
	case string:
		return c.appendString(b, v, len(v))
	case []byte:
		n := len(v)
		if n > c.maxArgLen {
			v = v[:c.maxArgLen] // only the shown part is ever copied
		}
		return c.appendString(b, string(v), n)
	case nil:
		return append(b, `""`...)
	case int:
		return strconv.AppendInt(b, int64(v), 10)
	case int8:
		return strconv.AppendInt(b, int64(v), 10)
	case int16:
		return strconv.AppendInt(b, int64(v), 10)
	case int32:
		return strconv.AppendInt(b, int64(v), 10)
	case int64:
		return strconv.AppendInt(b, v, 10)
	case uint:
		return strconv.AppendUint(b, uint64(v), 10)
	case uint8:
		return strconv.AppendUint(b, uint64(v), 10)
	case uint16:
		return strconv.AppendUint(b, uint64(v), 10)
	case uint32:
		return strconv.AppendUint(b, uint64(v), 10)
	case uint64:
		return strconv.AppendUint(b, v, 10)
	case float32:
		return strconv.AppendFloat(b, float64(v), 'f', -1, 64)
	case float64:
		return strconv.AppendFloat(b, v, 'f', -1, 64)
	case bool:
		if v {
			return append(b, '1')
		}
		return append(b, '0')
	case time.Time:
		return v.AppendFormat(b, time.RFC3339Nano)
	case time.Duration:
		return strconv.AppendInt(b, v.Nanoseconds(), 10)
	case encoding.BinaryMarshaler:
		// Marshalling could be costly or have side effects; name the type.
		return append(append(append(b, '<'), reflect.TypeOf(v).String()...), '>')
	default:
		return append(append(append(b, '<'), fmt.Sprintf("%T", v)...), '>')
	}
}

// appendString appends s (whose full length is n bytes) quoted when it is not
// plain, cut to maxArgLen on a rune boundary with the full length given.
func (c *config) appendString(b []byte, s string, n int) []byte {
	cut := false
	if len(s) > c.maxArgLen {
		s, cut = s[:c.maxArgLen], true
	} else if n > len(s) {
		cut = true
	}
	if cut {
		// Drop a rune the cut split; binary bytes are escaped one by one anyway.
		for j := len(s) - 1; j >= 0 && len(s)-j <= utf8.UTFMax; j-- {
			if utf8.RuneStart(s[j]) {
				if !utf8.FullRuneInString(s[j:]) {
					s = s[:j]
				}
				break
			}
		}
	}
	if s != "" && isPlain(s) {
		b = append(b, s...)
	} else {
		b = core.Quote(b, s)
	}
	if cut {
		b = append(b, core.TruncationMarker+"("...)
		b = strconv.AppendInt(b, int64(n), 10)
		b = append(b, " bytes)"...)
	}
	return b
}

// isPlain reports whether s reads unambiguously without quotes: printable
// ASCII with no space, quote or backslash.
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// statement builds db.statement for a single command.
func (c *config) statement(cmd redis.Cmder) string {
	return string(c.appendCommand(make([]byte, 0, 64), cmd))
}

// pipelineStatement builds db.statement for a pipeline: one command a line,
// the wrapping MULTI/EXEC of a transaction left out, commands the command
// filter rejects left out, at most maxPipelineCmds shown.
func (c *config) pipelineStatement(cmds []redis.Cmder) string {
	b := make([]byte, 0, 256)
	shown, skipped := 0, 0
	for _, cmd := range userCommands(cmds) {
		if c.commandFilter != nil && !c.commandFilter(cmd) {
			continue
		}
		if shown == c.maxPipelineCmds {
			skipped++
			continue
		}
		if shown > 0 {
			b = append(b, '\n')
		}
		b = c.appendCommand(b, cmd)
		shown++
	}
	if skipped > 0 {
		b = append(b, "\n…(+"...)
		b = strconv.AppendInt(b, int64(skipped), 10)
		b = append(b, " commands)"...)
	}
	return string(b)
}

// userCommands drops the MULTI and EXEC a TxPipeline wraps around the user's
// commands.
func userCommands(cmds []redis.Cmder) []redis.Cmder {
	if n := len(cmds); n >= 2 && commandName(cmds[0]) == "multi" && commandName(cmds[n-1]) == "exec" {
		return cmds[1 : n-1]
	}
	return cmds
}

// maxCommandNames caps db.redis.commands.
const maxCommandNames = 16

// commandNames lists a pipeline's distinct command names in first-seen order,
// comma-separated, leaving out what the command filter rejects.
func (c *config) commandNames(cmds []redis.Cmder) string {
	var seen [maxCommandNames]string
	n := 0
	b := make([]byte, 0, 64)
next:
	for _, cmd := range cmds {
		if c.commandFilter != nil && !c.commandFilter(cmd) {
			continue
		}
		name := commandName(cmd)
		for _, s := range seen[:n] {
			if s == name {
				continue next
			}
		}
		if n == maxCommandNames {
			b = append(b, ",…"...)
			break
		}
		seen[n] = name
		n++
		if len(b) > 0 {
			b = append(b, ',')
		}
		b = append(b, name...)
	}
	return string(b)
}

// argString is a string or []byte argument as a string, for matching.
func argString(arg any) (string, bool) {
	switch v := arg.(type) {
	case string:
		return v, true
	case []byte:
		return string(v), true
	}
	return "", false
}

// argIs reports whether args[i] is the word w, in any case.
func argIs(args []any, i int, w string) bool {
	if i < 0 || i >= len(args) {
		return false
	}
	switch v := args[i].(type) {
	case string:
		return strings.EqualFold(v, w)
	case []byte:
		return len(v) == len(w) && strings.EqualFold(string(v), w)
	}
	return false
}

// secretKind classifies the commands that carry credentials.
type secretKind uint8

const (
	noSecret    secretKind = iota
	authSecret             // AUTH [username] password
	helloSecret            // HELLO protover AUTH username password ...
	configSet              // CONFIG SET requirepass x masterauth y ...
	aclSetuser             // ACL SETUSER name >password #hash ...
	migrateAuth            // MIGRATE ... AUTH password | AUTH2 username password
	sentinelSet            // SENTINEL SET master auth-pass x / SENTINEL CONFIG SET ...
)

func classify(args []any) secretKind {
	switch {
	case argIs(args, 0, "auth"):
		return authSecret
	case argIs(args, 0, "hello"):
		return helloSecret
	case argIs(args, 0, "config"):
		return configSet // only SET takes values; others have no secret pairs
	case argIs(args, 0, "acl"):
		if argIs(args, 1, "setuser") {
			return aclSetuser
		}
	case argIs(args, 0, "migrate"):
		return migrateAuth
	case argIs(args, 0, "sentinel"):
		return sentinelSet
	}
	return noSecret
}

// secret reports whether args[i] is a credential. It errs on the side of
// hiding: a key that happens to be called "auth" hides what follows it.
func (k secretKind) secret(args []any, i int) bool {
	switch k {
	case authSecret:
		// AUTH user pass shows the user; every other shape hides everything.
		return !(len(args) == 3 && i == 1)
	case helloSecret:
		return argIs(args, i-2, "auth")
	case configSet:
		return argIs(args, 1, "set") && i >= 3 && isSecretParam(args[i-1])
	case aclSetuser:
		if i < 3 {
			return false
		}
		s, ok := argString(args[i])
		// >pass and <pass add and remove passwords, #hash and !hash their
		// hashes; a selector "(...)" or an odd shape is hidden whole.
		return !ok || strings.ContainsAny(s, "><#!(")
	case migrateAuth:
		return argIs(args, i-1, "auth") || argIs(args, i-2, "auth2")
	case sentinelSet:
		return i >= 3 && isSecretParam(args[i-1])
	}
	return false
}

// isSecretParam reports whether a configuration parameter's value is a
// credential: requirepass, masterauth, auth-pass, tls-key-file-pass, ...
func isSecretParam(arg any) bool {
	s, ok := argString(arg)
	if !ok {
		return false
	}
	s = strings.ToLower(s)
	return strings.Contains(s, "pass") || strings.Contains(s, "auth")
}

// echoedArgs is where Redis starts quoting a command's first arguments in an
// error (an unknown command: CONFIG disabled, SENTINEL on a plain server). It
// cuts them at 128 bytes, possibly inside a credential.
const echoedArgs = "with args beginning with:"

// redactError returns err with the credentials of cmd removed from its
// message: Redis echoes arguments in some errors (an unknown command, a
// malformed ACL SETUSER rule), and the message goes into the span's error
// log. When the statement mode hides argument values (StatementKeysOnly,
// StatementOmitted), the echoed arguments of any command are dropped too.
// errors.Is/As and the error kind still see the original error.
func (c *config) redactError(cmd redis.Cmder, err error) error {
	if err == nil {
		return err
	}
	var args []any
	if cmd != nil {
		args = cmd.Args()
	}
	kind := classify(args)
	hideValues := c.mode != StatementFull
	if kind == noSecret && !hideValues {
		return err
	}
	msg := err.Error()
	red := msg
	if i := strings.Index(red, echoedArgs); i >= 0 {
		red = red[:i+len(echoedArgs)] + " " + redacted
	}
	for i := 1; i < len(args); i++ {
		if !kind.secret(args, i) {
			continue
		}
		s, ok := argString(args[i])
		if !ok {
			s = fmt.Sprint(args[i])
		}
		if s != "" {
			red = strings.ReplaceAll(red, s, redacted)
		}
	}
	return core.WithRedactedMessage(err, red)
}
