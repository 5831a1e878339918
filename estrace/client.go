package estrace

import (
	"net/http"
	"strings"

	"github.com/elastic/elastic-transport-go/v8/elastictransport"
	"github.com/elastic/go-elasticsearch/v8"
)

// NewClient is elasticsearch.NewClient with tracing: every API call and every
// raw Perform becomes one child span of the span in its context, with retries
// logged on it. The configuration is used as given, plus three hooks: the
// Instrumentation (chained after any the config already has), an interceptor
// for per-attempt logs (unless cfg.Transport is already an estrace
// Transport), and a Perform wrapper for raw requests.
func NewClient(cfg elasticsearch.Config, opts ...Option) (*elasticsearch.Client, error) {
	c := newConfig(opts)
	es, err := elasticsearch.NewClient(install(cfg, c))
	if err != nil {
		return nil, err
	}
	wrapPerform(&es.BaseClient, c)
	return es, nil
}

// NewTypedClient is elasticsearch.NewTypedClient with tracing, as NewClient.
func NewTypedClient(cfg elasticsearch.Config, opts ...Option) (*elasticsearch.TypedClient, error) {
	c := newConfig(opts)
	es, err := elasticsearch.NewTypedClient(install(cfg, c))
	if err != nil {
		return nil, err
	}
	wrapPerform(&es.BaseClient, c)
	return es, nil
}

func install(cfg elasticsearch.Config, c *config) elasticsearch.Config {
	if configuresOpaqueID(cfg.Header) {
		// The client adds Config.Header to a request only where the request
		// has no such header, after the hooks ran: a trace id set first would
		// replace the application's own X-Opaque-Id.
		c.opaqueID = false
	}
	in := &Instrumentation{cfg: c}
	if _, ours := cfg.Instrumentation.(*Instrumentation); !ours {
		in = in.chain(cfg.Instrumentation)
	}
	cfg.Instrumentation = in
	if _, ours := cfg.Transport.(*Transport); !ours {
		// A copy: the caller's slice must not grow under them.
		cfg.Interceptors = append(cfg.Interceptors[:len(cfg.Interceptors):len(cfg.Interceptors)], interceptor())
	}
	return cfg
}

// configuresOpaqueID reports whether h sets a non-empty X-Opaque-Id, under
// any spelling of the name (the client looks it up case-insensitively).
func configuresOpaqueID(h http.Header) bool {
	for k, v := range h {
		if strings.EqualFold(k, "X-Opaque-Id") && len(v) > 0 && v[0] != "" {
			return true
		}
	}
	return false
}

// performer traces raw Perform calls, which no Instrumentation hook sees; the
// API functions' requests already carry their call and pass straight through.
// Embedding the transport keeps its other methods (metrics, discovery,
// close, instrumentation) available to the client.
type performer struct {
	*elastictransport.Client
	cfg *config
}

func wrapPerform(bc *elasticsearch.BaseClient, c *config) {
	if tp, ok := bc.Transport.(*elastictransport.Client); ok {
		bc.Transport = &performer{Client: tp, cfg: c}
	}
}

// Perform implements elastictransport.Interface.
func (p *performer) Perform(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	if callFrom(ctx) != nil || !p.cfg.active(ctx) {
		return p.Client.Perform(req)
	}
	c := newRawCall(req, p.cfg)
	req = req.WithContext(c)
	c.begin(req)
	res, err := p.Client.Perform(req)
	if err != nil {
		c.recordError(err)
	} else {
		c.res = res
	}
	c.afterRequest(req)
	c.finish()
	return res, err
}
