package redistrace

import (
	"strconv"

	"github.com/go-redis/redis/v8"
)

// NewHook returns a hook to add to any go-redis client with AddHook. It does
// not know the client's address or database, so its spans carry no peer or
// db.instance tags; prefer the constructors or WrapClient, which do. Do not
// add it to a cluster's or ring's node clients as well as to the cluster or
// ring itself: that traces every command twice.
func NewHook(opts ...Option) redis.Hook {
	h := &hook{cfg: newConfig(opts), role: plainRole}
	h.setStatic(staticTags{})
	return h
}

// NewClient is redis.NewClient with every command and pipeline traced.
func NewClient(opt *redis.Options, opts ...Option) *redis.Client {
	c := redis.NewClient(opt)
	c.AddHook(newClientHook(newConfig(opts), plainRole, c.Options()))
	return c
}

// NewFailoverClient is redis.NewFailoverClient (a sentinel-managed master)
// with every command traced. The master's address changes with failovers and
// is not known to the hook: spans carry the master's name as peer.service.
func NewFailoverClient(opt *redis.FailoverOptions, opts ...Option) *redis.Client {
	c := redis.NewFailoverClient(opt)
	o := c.Options()
	h := &hook{cfg: newConfig(opts), role: plainRole, db: o.DB}
	h.setStatic(staticTags{dbInstance: strconv.Itoa(o.DB), user: o.Username, peerService: opt.MasterName})
	c.AddHook(h)
	return c
}

// NewClusterClient is redis.NewClusterClient with every command and pipeline
// traced once, at the cluster level, tagged with the node that served it.
// The node clients get a hook that only tells the cluster's span which node
// served it, so opt.NewClient, if set, must return untraced clients. opt is
// copied, not modified.
func NewClusterClient(opt *redis.ClusterOptions, opts ...Option) *redis.ClusterClient {
	front := newFrontHook(newConfig(opts), 0, opt.Username)
	o := *opt
	newNode := o.NewClient
	if newNode == nil {
		newNode = redis.NewClient
	}
	o.NewClient = func(no *redis.Options) *redis.Client { return front.addNode(newNode(no)) }
	cc := redis.NewClusterClient(&o)
	cc.AddHook(front)
	return cc
}

// NewRing is redis.NewRing with every command and pipeline traced once, at
// the ring level, tagged with the shard that served it. As with
// NewClusterClient, opt.NewClient must return untraced clients; opt is copied.
func NewRing(opt *redis.RingOptions, opts ...Option) *redis.Ring {
	front := newFrontHook(newConfig(opts), opt.DB, opt.Username)
	o := *opt
	newShard := o.NewClient
	if newShard == nil {
		newShard = func(_ string, so *redis.Options) *redis.Client { return redis.NewClient(so) }
	}
	o.NewClient = func(name string, so *redis.Options) *redis.Client { return front.addNode(newShard(name, so)) }
	r := redis.NewRing(&o)
	r.AddHook(front)
	return r
}

// NewUniversalClient is redis.NewUniversalClient, traced: a failover client
// when MasterName is set, a cluster client for several addresses, else a
// single-server client, exactly as go-redis decides.
func NewUniversalClient(opt *redis.UniversalOptions, opts ...Option) redis.UniversalClient {
	switch {
	case opt.MasterName != "":
		return NewFailoverClient(opt.Failover(), opts...)
	case len(opt.Addrs) > 1:
		return NewClusterClient(opt.Cluster(), opts...)
	}
	return NewClient(opt.Simple(), opts...)
}

// WrapClient adds tracing to a client built elsewhere and returns it. Call it
// before the client is in use: go-redis's AddHook is not safe concurrently
// with commands. A ClusterClient or Ring is traced at its own level, once
// per command, but without the serving node, which only the constructors can
// learn. Wrap a client once.
func WrapClient(c redis.UniversalClient, opts ...Option) redis.UniversalClient {
	if c == nil {
		return nil
	}
	cfg := newConfig(opts)
	switch v := c.(type) {
	case *redis.Client:
		if v != nil {
			v.AddHook(newClientHook(cfg, plainRole, v.Options()))
		}
	case *redis.ClusterClient:
		if v != nil {
			v.AddHook(newFrontHook(cfg, 0, v.Options().Username))
		}
	case *redis.Ring:
		if v != nil {
			o := v.Options()
			v.AddHook(newFrontHook(cfg, o.DB, o.Username))
		}
	default:
		h := &hook{cfg: cfg, role: plainRole}
		h.setStatic(staticTags{})
		c.AddHook(h)
	}
	return c
}

// newFrontHook hooks a ClusterClient or Ring; its node hooks add the peer.
func newFrontHook(cfg *config, db int, user string) *hook {
	h := &hook{cfg: cfg, role: frontRole, db: db}
	h.setStatic(staticTags{dbInstance: strconv.Itoa(db), user: user})
	return h
}

// addNode hooks c, a node or shard client of h's cluster or ring, so that
// it tells h's spans which node served them; it returns c.
func (h *hook) addNode(c *redis.Client) *redis.Client {
	n := newClientHook(h.cfg, nodeRole, c.Options())
	n.front = h
	c.AddHook(n)
	return c
}
