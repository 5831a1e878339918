package redistrace

import (
	"errors"

	"github.com/go-redis/redis/v8"
)

// Call describes one traced round trip, a single command or a pipeline. Span
// filters, name funcs, observers and error policies receive it. It is only
// valid during the call.
type Call struct {
	// Cmd is the command; nil for a pipeline.
	Cmd redis.Cmder
	// Cmds are a pipeline's commands as sent (a TxPipelined one wrapped in
	// MULTI ... EXEC); nil for a single command.
	Cmds []redis.Cmder
	// Addr is the server's address when known when the call starts; "" for a
	// cluster or ring client, which learns the node only when it serves it.
	Addr string
	// DB is the database index selected by the client's options.
	DB int
}

// Pipeline reports whether the call is a pipeline.
func (c *Call) Pipeline() bool { return c.Cmd == nil }

// Tx reports whether the call is a MULTI ... EXEC transaction.
func (c *Call) Tx() bool {
	n := len(c.Cmds)
	return n >= 2 && commandName(c.Cmds[0]) == "multi" && commandName(c.Cmds[n-1]) == "exec"
}

// isError is the default error policy: a missing key (redis.Nil) is an
// answer, not a failure.
func isError(_ *Call, err error) bool { return !errors.Is(err, redis.Nil) }

// firstError is the error a pipeline's span reports: the first command that
// failed with anything other than redis.Nil, with that command.
func firstError(cmds []redis.Cmder) (redis.Cmder, error) {
	var nilCmd redis.Cmder
	for _, c := range cmds {
		if err := c.Err(); err != nil {
			if !errors.Is(err, redis.Nil) {
				return c, err
			}
			if nilCmd == nil {
				nilCmd = c
			}
		}
	}
	if nilCmd != nil {
		return nilCmd, nilCmd.Err()
	}
	return nil, nil
}
