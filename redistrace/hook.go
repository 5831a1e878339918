package redistrace

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-redis/redis/v8"
	"github.com/opentracing/opentracing-go"

	"github.com/tracewrap/tracewrap/internal/core"
)

// role is where a hook sits.
type role uint8

const (
	// plainRole hooks a client of one server (or of a sentinel-managed
	// master): one span per command or pipeline, peer known up front.
	plainRole role = iota
	// frontRole hooks a ClusterClient or Ring: one span per command or
	// pipeline; the node that served it is told by its nodeRole hooks.
	frontRole
	// nodeRole hooks a cluster's or ring's node client. It never makes a span
	// for a call its front traces, only notes on that span that it served
	// it; see nodeBefore.
	nodeRole
)

// Tags beyond the OpenTracing standard ones.
const (
	tagPipelineLength = "db.redis.pipeline_length" // commands in a pipeline
	tagCommands       = "db.redis.commands"        // distinct command names of a pipeline
	tagTx             = "db.redis.tx"              // pipeline sent as MULTI ... EXEC
	tagFailedCommand  = "db.redis.failed_command"  // first command of a pipeline that failed
	tagAttempts       = "db.redis.attempts"        // nodes tried by a cluster, when more than one
	tagNodes          = "db.redis.nodes"           // nodes that served a cluster or ring pipeline
)

// maxNodes caps the nodes remembered for one pipeline.
const maxNodes = 16

// hook is the redis.Hook of every role. Its static tags are computed once.
type hook struct {
	cfg   *config
	role  role
	front *hook // nodeRole: the hook whose calls this node serves

	addr string
	db   int

	// Tags set on every span, boxed once: db.type, db.instance, db.user,
	// peer.*. peerTags are the peer.* ones alone, which a node hook lends to
	// its front's spans.
	static   core.Tags
	peerTags core.Tags
}

// staticTags describes the server a hook talks to. Zero values are left out:
// dbInstance "" when unknown (NewHook), addr "" when no fixed server.
type staticTags struct {
	dbInstance, user, addr, peerService string
}

func (h *hook) setStatic(st staticTags) {
	var peer core.Peer
	if st.addr != "" {
		h.addr = st.addr
		peer = core.ParsePeer(st.addr)
		h.peerTags = core.CaptureTags(peer.Apply)
	}
	h.static = core.CaptureTags(func(span opentracing.Span, v *core.Vocab) {
		v.Set(span, core.KeyDBSystem, "redis")
		if st.dbInstance != "" {
			v.Set(span, core.KeyDBNamespace, st.dbInstance)
		}
		if st.user != "" {
			v.Set(span, core.KeyDBUser, st.user)
		}
		if st.peerService != "" {
			v.Set(span, core.KeyPeerService, st.peerService)
		}
		if st.addr != "" {
			peer.Apply(span, v)
		}
	})
}

var _ redis.Hook = (*hook)(nil)

// callCtx is the ctx a hook hands down while its call runs: the caller's
// ctx, the span and the call, in one allocation. The span is kept under a
// private key, the hook itself, never as the ctx's active span: the After
// side finds exactly the span its own Before side started, even when several
// hooks stack their contexts, and never touches the caller's.
type callCtx struct {
	context.Context
	hook *hook
	span opentracing.Span
	call Call

	// What the node hooks learnt. A cluster pipeline's nodes run
	// concurrently, hence the lock.
	mu       sync.Mutex
	node     *hook   // node that served a single command (the last tried)
	attempts int     // nodes tried for a single command
	nodes    []*hook // nodes that served a pipeline
}

func (c *callCtx) Value(key any) any {
	if h, ok := key.(*hook); ok && h == c.hook {
		return c
	}
	return c.Context.Value(key)
}

// running returns the call h started in ctx, if any. ctx is nil when a hook
// after ours failed its Before side with `return nil, err`: go-redis still
// runs our After side with it. That call's span is lost, not a panic.
func running(ctx context.Context, h *hook) *callCtx {
	if c, ok := ctx.(*callCtx); ok && c.hook == h { // the usual case: no hook after ours
		return c
	}
	if ctx == nil {
		return nil
	}
	c, _ := ctx.Value(h).(*callCtx)
	return c
}

func (h *hook) BeforeProcess(ctx context.Context, cmd redis.Cmder) (context.Context, error) {
	if h.role == nodeRole {
		return h.nodeBefore(ctx, cmd, nil), nil
	}
	return h.start(ctx, cmd, nil), nil
}

func (h *hook) AfterProcess(ctx context.Context, cmd redis.Cmder) error {
	if c := running(ctx, h); c != nil {
		h.finish(c, cmd.Err())
	}
	return nil
}

func (h *hook) BeforeProcessPipeline(ctx context.Context, cmds []redis.Cmder) (context.Context, error) {
	if len(cmds) == 0 {
		return ctx, nil
	}
	if h.role == nodeRole {
		return h.nodeBefore(ctx, nil, cmds), nil
	}
	return h.start(ctx, nil, cmds), nil
}

func (h *hook) AfterProcessPipeline(ctx context.Context, cmds []redis.Cmder) error {
	if c := running(ctx, h); c != nil {
		_, err := firstError(cmds)
		h.finish(c, err)
	}
	return nil
}

// start begins the span of a command (cmd) or pipeline (cmds) and returns the
// ctx carrying it, or ctx itself when the call is not traced. Nothing is
// allocated before it is known that a span will be made.
func (h *hook) start(ctx context.Context, cmd redis.Cmder, cmds []redis.Cmder) context.Context {
	cfg := h.cfg
	if f := cfg.commandFilter; f != nil {
		if cmd != nil && !f(cmd) {
			return ctx
		}
		if cmds != nil && !anyPasses(f, cmds) {
			return ctx
		}
	}
	if _, noop := cfg.core.Tracer().(opentracing.NoopTracer); noop {
		return ctx
	}
	// an unsampled trace: nothing to record or pass on (Parent also answers
	// for a server's stand-in span without starting its real one)
	parent, unsampled := cfg.core.Parent(core.SpanFromContext(ctx))
	if unsampled {
		return ctx
	}
	if parent == nil && cfg.core.ChildSpansOnly() {
		return ctx
	}
	c := &callCtx{Context: ctx, hook: h, call: Call{Cmd: cmd, Cmds: cmds, Addr: h.addr, DB: h.db}}
	name := "pipeline"
	if cmd != nil {
		name = commandName(cmd)
	}
	span := cfg.core.Start(&c.call, parent, name, time.Time{})
	if span == nil {
		return ctx
	}
	c.span = span
	h.static.Apply(span, core.VocabOf(span))
	return c
}

// finish tags what the call did, formatting only for sampled spans, and
// finishes the span.
func (h *hook) finish(c *callCtx, err error) {
	span, cfg := c.span, h.cfg
	if core.IsSampled(span) {
		v := core.VocabOf(span)
		if c.call.Cmd != nil {
			if v.OTel() {
				v.Set(span, core.KeyDBOperation, commandName(c.call.Cmd))
			}
			if cfg.mode != StatementOmitted {
				core.SetStatement(span, v, cfg.statement(c.call.Cmd), cfg.core.MaxStatementSize)
			}
		} else {
			cmds := c.call.Cmds
			user := userCommands(cmds)
			span.SetTag(tagPipelineLength, len(user))
			span.SetTag(tagCommands, cfg.commandNames(user))
			if len(user) != len(cmds) {
				span.SetTag(tagTx, true)
			}
			if v.OTel() {
				v.Set(span, core.KeyDBOperation, "pipeline")
			}
			if cfg.mode != StatementOmitted {
				core.SetStatement(span, v, cfg.pipelineStatement(cmds), cfg.core.MaxStatementSize)
			}
			if failed, ferr := firstError(cmds); ferr != nil && cfg.core.IsError(&c.call, ferr) {
				span.SetTag(tagFailedCommand, commandName(failed))
			}
		}
		if h.role == frontRole {
			c.tagNodes()
		}
	}
	if err != nil {
		failed := c.call.Cmd
		if failed == nil {
			failed, _ = firstError(c.call.Cmds)
		}
		err = cfg.redactError(failed, err)
	}
	cfg.core.Finish(span, &c.call, err, time.Time{})
}

// tagNodes sets the peer of the node that served the call, or, for a
// pipeline that several nodes served, their addresses.
func (c *callCtx) tagNodes() {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.node != nil:
		c.call.Addr = c.node.addr
		c.node.peerTags.Apply(c.span, core.VocabOf(c.span))
		if c.attempts > 1 {
			c.span.SetTag(tagAttempts, c.attempts)
		}
	case len(c.nodes) == 1:
		c.call.Addr = c.nodes[0].addr
		c.nodes[0].peerTags.Apply(c.span, core.VocabOf(c.span))
	case len(c.nodes) > 1:
		var b strings.Builder
		for i, n := range c.nodes {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(n.addr)
		}
		c.span.SetTag(tagNodes, b.String())
	}
}

// nodeBefore is a node hook's BeforeProcess(Pipeline). A call that reaches
// the node through its cluster or ring carries the front's callCtx: the node
// notes that it served it and makes no span of its own, so every command has
// exactly one span. Anything else was sent straight to the node client:
// by the user (a cluster Watch transaction, a ForEachShard callback,
// MasterForKey) or by go-redis's own bookkeeping (slot reloads, latency
// probes, ring heartbeats). The bookkeeping runs under a bare context, so
// only calls whose ctx holds a span are traced.
func (h *hook) nodeBefore(ctx context.Context, cmd redis.Cmder, cmds []redis.Cmder) context.Context {
	if c := running(ctx, h.front); c != nil {
		switch {
		case cmd != nil:
			// A command the cluster runs on the side (a slot reload) is
			// bookkeeping of the traced call, not the call.
			if sameCmd(c.call.Cmd, cmd) {
				c.node = h
				c.attempts++
			}
		case c.call.Cmd != nil:
			// After an ASK redirection the cluster pipelines ASKING and the
			// command to the node that has the slot.
			for _, x := range cmds {
				if sameCmd(c.call.Cmd, x) {
					c.node = h
					c.attempts++
					break
				}
			}
		default:
			c.mu.Lock()
			c.addNode(h)
			c.mu.Unlock()
		}
		return ctx
	}
	if core.SpanFromContext(ctx) == nil {
		return ctx
	}
	return h.start(ctx, cmd, cmds)
}

func (c *callCtx) addNode(h *hook) {
	for _, n := range c.nodes {
		if n == h {
			return
		}
	}
	if len(c.nodes) < maxNodes {
		c.nodes = append(c.nodes, h)
	}
}

// sameCmd compares two commands by identity. go-redis commands are pointers;
// the recover keeps a user's uncomparable Cmder from panicking the call.
func sameCmd(a, b redis.Cmder) (same bool) {
	defer func() {
		if recover() != nil {
			same = false
		}
	}()
	return a == b
}

func anyPasses(f func(redis.Cmder) bool, cmds []redis.Cmder) bool {
	for _, c := range userCommands(cmds) {
		if f(c) {
			return true
		}
	}
	return false
}

// newClientHook hooks a client of one server described by o.
func newClientHook(cfg *config, r role, o *redis.Options) *hook {
	h := &hook{cfg: cfg, role: r, db: o.DB}
	st := staticTags{dbInstance: strconv.Itoa(o.DB), user: o.Username, addr: o.Addr}
	// A failover client's options name no server: the master is found
	// through the sentinels, per connection.
	if o.Addr == "FailoverClient" {
		st.addr = ""
	}
	h.setStatic(st)
	return h
}
