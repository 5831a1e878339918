package estrace

import (
	"net/http"
	"strings"
)

// Raw Perform calls and plain HTTP requests only have a URL. They are named
// from a path template: every segment that may carry an index name, a
// document id or any other user value becomes a placeholder, so neither the
// operation name nor the template ever holds raw ids or index names.

// route is one known path template and its endpoint name per method.
type route struct {
	template string
	methods  map[string]string
	any      string // endpoint for methods not listed
}

// routes is keyed by the normalised path: "/{}/_doc/{}".
var routes = map[string]*route{}

// idKeywords are the segments after which comes a document id, whatever it
// looks like (ids may start with "_").
var idKeywords = map[string]bool{
	"_doc": true, "_create": true, "_update": true, "_source": true,
	"_explain": true, "_termvectors": true,
}

// staticWords are the lower-case words that are part of an API path anywhere
// after the given namespace segment ("/_cluster/health", "/_nodes/{}/stats"),
// rather than a name. Anything else is a placeholder; the set is finite, so
// names stay low-cardinality even when a value happens to be such a word.
var staticWords = map[string]map[string]bool{
	"_search":   set("scroll", "template"),
	"_msearch":  set("template"),
	"_render":   set("template"),
	"_cluster":  set("health", "state", "settings", "stats", "pending_tasks", "allocation", "reroute"),
	"_cat":      set(catWords...),
	"_nodes":    set("stats", "http", "settings", "os", "process", "jvm", "thread_pool", "transport", "plugins", "ingest", "usage", "hot_threads"),
	"_eql":      set("search"),
	"_validate": set("query"),
	"_sql":      set("close", "translate"),
	"_ingest":   set("pipeline"),
	"_ilm":      set("policy", "status", "start", "stop"),
	"_security": set("user", "role", "role_mapping", "api_key", "privilege", "_authenticate"),
}

var catWords = []string{"aliases", "allocation", "count", "fielddata", "health", "indices", "master",
	"nodes", "pending_tasks", "plugins", "recovery", "segments", "shards", "tasks", "templates", "thread_pool"}

func set(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

func init() {
	add := func(template, spec string) {
		r := &route{template: template, methods: map[string]string{}}
		for _, f := range strings.Fields(spec) {
			methods, name, _ := strings.Cut(f, "=")
			if methods == "*" {
				r.any = name
				continue
			}
			for _, m := range strings.Split(methods, ",") {
				r.methods[m] = name
			}
		}
		routes[keyOf(template)] = r
	}
	add("/", "GET=info HEAD=ping")
	add("/{index}", "PUT=indices.create DELETE=indices.delete GET=indices.get HEAD=indices.exists")
	add("/{index}/_doc", "POST=index")
	add("/{index}/_doc/{id}", "GET=get HEAD=exists PUT,POST=index DELETE=delete")
	add("/{index}/_create/{id}", "*=create")
	add("/{index}/_update/{id}", "*=update")
	add("/{index}/_source/{id}", "GET=get_source HEAD=exists_source")
	add("/{index}/_explain/{id}", "*=explain")
	add("/{index}/_termvectors/{id}", "*=termvectors")
	add("/{index}/_termvectors", "*=termvectors")
	for _, p := range []string{"", "/{index}"} {
		add(p+"/_search", "*=search")
		add(p+"/_search/template", "*=search_template")
		add(p+"/_msearch", "*=msearch")
		add(p+"/_msearch/template", "*=msearch_template")
		add(p+"/_count", "*=count")
		add(p+"/_bulk", "*=bulk")
		add(p+"/_mget", "*=mget")
		add(p+"/_refresh", "*=indices.refresh")
		add(p+"/_mapping", "GET=indices.get_mapping PUT,POST=indices.put_mapping")
		add(p+"/_settings", "GET=indices.get_settings PUT=indices.put_settings")
		add(p+"/_field_caps", "*=field_caps")
		add(p+"/_validate/query", "*=indices.validate_query")
		add(p+"/_analyze", "*=indices.analyze")
		add(p+"/_async_search", "POST=async_search.submit")
		add(p+"/_pit", "POST=open_point_in_time")
	}
	add("/_pit", "DELETE=close_point_in_time")
	add("/{index}/_delete_by_query", "*=delete_by_query")
	add("/{index}/_update_by_query", "*=update_by_query")
	add("/{index}/_terms_enum", "*=terms_enum")
	add("/{index}/_knn_search", "*=knn_search")
	add("/{index}/_eql/search", "*=eql.search")
	add("/_render/template", "*=render_search_template")
	add("/_search/scroll", "GET,POST=scroll DELETE=clear_scroll")
	add("/_search/scroll/{scroll_id}", "GET,POST=scroll DELETE=clear_scroll")
	add("/_reindex", "*=reindex")
	add("/_sql", "*=sql.query")
	add("/_aliases", "GET=indices.get_alias POST=indices.update_aliases")
	add("/_cluster/health", "*=cluster.health")
	add("/_cluster/health/{index}", "*=cluster.health")
	add("/_cluster/state", "*=cluster.state")
	add("/_cluster/settings", "GET=cluster.get_settings PUT=cluster.put_settings")
	add("/_cluster/stats", "*=cluster.stats")
	add("/_nodes", "*=nodes.info")
	add("/_nodes/http", "*=nodes.info")
	add("/_nodes/{node_id}", "*=nodes.info")
	add("/_nodes/stats", "*=nodes.stats")
	add("/_nodes/{node_id}/stats", "*=nodes.stats")
	add("/_tasks", "*=tasks.list")
	add("/_tasks/{task_id}", "*=tasks.get")
	for _, w := range catWords {
		add("/_cat/"+w, "*=cat."+w)
		add("/_cat/"+w+"/{name}", "*=cat."+w)
	}
}

// keyOf turns a table template into its lookup key: "{index}" -> "{}".
func keyOf(template string) string {
	var b strings.Builder
	for _, s := range strings.Split(strings.Trim(template, "/"), "/") {
		if s == "" {
			continue
		}
		b.WriteByte('/')
		if strings.HasPrefix(s, "{") {
			s = "{}"
		}
		b.WriteString(s)
	}
	if b.Len() == 0 {
		return "/"
	}
	return b.String()
}

// pathInfo is what a request path says about the call.
type pathInfo struct {
	endpoint string // "" when the template is unknown
	template string
	index    string
	id       string
}

// maxLiteral bounds the API-looking segments kept in an unknown template.
const maxLiteral = 40

// parsePath normalises path and looks its template up. Known templates cost
// no allocation.
func parsePath(method, path string) pathInfo {
	var buf [256]byte
	key := buf[:0]
	var info pathInfo
	prev, ns := "", ""
	for i, rest := 0, strings.Trim(path, "/"); rest != ""; i++ {
		var seg string
		seg, rest, _ = strings.Cut(rest, "/")
		if seg == "" {
			continue
		}
		key = append(key, '/')
		switch {
		case idKeywords[prev]:
			key = append(key, "{}"...)
			info.id = seg
		case isAPISegment(seg):
			key = append(key, seg...)
			if staticWords[seg] != nil {
				ns = seg
			}
		case staticWords[ns][seg]:
			key = append(key, seg...)
		default:
			key = append(key, "{}"...)
			if i == 0 {
				info.index = seg
			}
		}
		prev = seg
	}
	if len(key) == 0 {
		key = append(key, '/')
	}
	if r := routes[string(key)]; r != nil {
		info.template = r.template
		if e, ok := r.methods[method]; ok {
			info.endpoint = e
		} else {
			info.endpoint = r.any
		}
		if info.endpoint != "" {
			return info
		}
	}
	info.template = string(key)
	return info
}

// isAPISegment: "_search", "_doc", ... Index names cannot start with "_";
// anything long or unusual is treated as a value anyway.
func isAPISegment(s string) bool {
	if len(s) < 2 || len(s) > maxLiteral || s[0] != '_' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; (c < 'a' || c > 'z') && c != '_' {
			return false
		}
	}
	return true
}

// operationName is the endpoint, or "<METHOD> <template>" for unknown paths.
func (p pathInfo) operationName(method string) string {
	if p.endpoint != "" {
		return p.endpoint
	}
	if method == "" {
		method = http.MethodGet
	}
	return method + " " + p.template
}
