package estrace

import (
	"strings"
	"testing"
)

func TestParsePath(t *testing.T) {
	for _, tc := range []struct {
		method, path              string
		name, template, index, id string
	}{
		{"GET", "/", "info", "/", "", ""},
		{"HEAD", "", "ping", "/", "", ""},
		{"PUT", "/orders", "indices.create", "/{index}", "orders", ""},
		{"GET", "/orders/_doc/42", "get", "/{index}/_doc/{id}", "orders", "42"},
		{"PUT", "/orders/_doc/_weird_id", "index", "/{index}/_doc/{id}", "orders", "_weird_id"},
		{"DELETE", "/orders/_doc/a%2Fb", "delete", "/{index}/_doc/{id}", "orders", "a%2Fb"},
		{"POST", "/orders/_doc", "index", "/{index}/_doc", "orders", ""},
		{"POST", "/orders/_update/7", "update", "/{index}/_update/{id}", "orders", "7"},
		{"POST", "/orders,users/_search", "search", "/{index}/_search", "orders,users", ""},
		{"GET", "/_search", "search", "/_search", "", ""},
		{"POST", "/_search/scroll", "scroll", "/_search/scroll", "", ""},
		{"DELETE", "/_search/scroll/abc", "clear_scroll", "/_search/scroll/{scroll_id}", "", ""},
		{"POST", "/_bulk", "bulk", "/_bulk", "", ""},
		{"POST", "/logs/_bulk/", "bulk", "/{index}/_bulk", "logs", ""},
		{"POST", "/logs/_delete_by_query", "delete_by_query", "/{index}/_delete_by_query", "logs", ""},
		{"GET", "/_cluster/health/logs", "cluster.health", "/_cluster/health/{index}", "", ""},
		{"GET", "/_cat/indices", "cat.indices", "/_cat/indices", "", ""},
		{"GET", "/_nodes/http", "nodes.info", "/_nodes/http", "", ""},
		{"GET", "/_nodes/n1/stats", "nodes.stats", "/_nodes/{node_id}/stats", "", ""},
		// Unknown: method and template, never the raw values.
		{"GET", "/_nodes/n1/stats/jvm", "GET /_nodes/{}/stats/jvm", "/_nodes/{}/stats/jvm", "", ""},
		{"GET", "/_nodes/n1/stats/secret", "GET /_nodes/{}/stats/{}", "/_nodes/{}/stats/{}", "", ""},
		{"PUT", "/_snapshot/my_repo/snap-2024", "PUT /_snapshot/{}/{}", "/_snapshot/{}/{}", "", ""},
		{"GET", "/secret-index/_unknown_api", "GET /{}/_unknown_api", "/{}/_unknown_api", "secret-index", ""},
		{"GET", "/x/_UPPER/y", "GET /{}/{}/{}", "/{}/{}/{}", "x", ""},
		{"GET", "/x/_" + strings.Repeat("a", 50), "GET /{}/{}", "/{}/{}", "x", ""},
	} {
		p := parsePath(tc.method, tc.path)
		if got := p.operationName(tc.method); got != tc.name || p.template != tc.template || p.index != tc.index || p.id != tc.id {
			t.Errorf("%s %s: name %q template %q index %q id %q", tc.method, tc.path, got, p.template, p.index, p.id)
		}
	}
}

func TestParsePathKnownTemplatesDoNotAllocate(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { parsePath("GET", "/orders/_doc/42") }); n != 0 {
		t.Fatalf("%v allocs", n)
	}
}

func FuzzParsePath(f *testing.F) {
	for _, s := range []string{"/a/_doc/b", "//_search//", "/_cat/x/y/z", "/" + strings.Repeat("_a/", 200)} {
		f.Add("GET", s)
	}
	f.Fuzz(func(t *testing.T, method, path string) {
		p := parsePath(method, path)
		name := p.operationName(method)
		// No segment of the path that is not an API keyword may leak into
		// the name of an unknown path.
		for _, seg := range strings.Split(path, "/") {
			if seg != "" && !isAPISegment(seg) && p.endpoint == "" && strings.Contains(p.template, "/"+seg+"/") {
				if !staticWords["_cat"][seg] && !staticWords["_nodes"][seg] && !isStatic(seg) {
					t.Fatalf("%q leaked into %q", seg, name)
				}
			}
		}
	})
}

func isStatic(seg string) bool {
	for _, words := range staticWords {
		if words[seg] {
			return true
		}
	}
	return false
}
