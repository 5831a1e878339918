package conformance_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/opentracing/opentracing-go"

	"github.com/tracewrap/tracewrap/nethttp"
)

// HTTP, both sides: a client span in the caller's trace, the server's span
// its child across the two tracers, and a 500 failing both.
func TestHTTP(t *testing.T) {
	forEach(t, func(t *testing.T, b *backend) {
		mux := http.NewServeMux()
		mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
		mux.HandleFunc("GET /fail", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "broken", http.StatusInternalServerError)
		})
		srv := httptest.NewServer(nethttp.Middleware(b.server, mux))
		defer srv.Close()
		client := &http.Client{Transport: nethttp.NewTransport(nil, nethttp.WithTracer(b.client))}
		u, _ := url.Parse(srv.URL)

		root := b.client.StartSpan("root")
		ctx := opentracing.ContextWithSpan(context.Background(), root)
		for _, path := range []string{"/items/42?q=secret", "/fail"} {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+path, nil)
			res, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
		}
		root.Finish()

		r := find(t, b, "root", 1)[0]
		clients := find(t, b, "HTTP GET", 2) // both client spans; servers are renamed by route
		okServer := find(t, b, "HTTP GET /items/{id}", 1)[0]
		failServer := find(t, b, "HTTP GET /fail", 1)[0]
		var okClient, failClient span
		for _, c := range clients {
			expectKind(t, c, "client")
			expectChild(t, c, r)
			if attr(c, key(b, "http.status_code", "http.response.status_code")) == "500" {
				failClient = c
			} else {
				okClient = c
			}
		}
		expectKind(t, okServer, "server")
		expectKind(t, failServer, "server")
		expectChild(t, okServer, okClient)
		expectChild(t, failServer, failClient)
		expectOK(t, okClient)
		expectOK(t, okServer)
		expectFailed(t, failClient, "500")
		expectFailed(t, failServer, "500")

		if b.otel {
			expectAttrs(t, okClient, map[string]string{
				"http.request.method": "GET", "http.response.status_code": "200",
				"url.full": srv.URL + "/items/42?q=REDACTED", "server.address": u.Hostname(), "server.port": u.Port(),
			})
			expectAttrs(t, okServer, map[string]string{
				"http.request.method": "GET", "http.response.status_code": "200", "http.route": "/items/{id}",
				"url.path": "/items/42", "url.query": "q=REDACTED", "client.address": "127.0.0.1", "client.port": "*",
			})
			expectAttrs(t, failServer, map[string]string{"error.type": "*"})
			absent(t, okClient, "http.method", "http.url", "http.status_code", "peer.hostname", "peer.ipv4", "peer.port")
			absent(t, okServer, "http.method", "http.url", "http.status_code", "peer.ipv4")
		} else {
			expectAttrs(t, okClient, map[string]string{
				"http.method": "GET", "http.status_code": "200",
				"http.url": srv.URL + "/items/42?q=REDACTED", "peer.ipv4": u.Hostname(), "peer.port": u.Port(),
			})
			expectAttrs(t, okServer, map[string]string{
				"http.method": "GET", "http.status_code": "200", "http.route": "GET /items/{id}",
				"http.url": "/items/42?q=REDACTED", "peer.ipv4": "127.0.0.1",
			})
			absent(t, okClient, "http.request.method", "url.full", "server.address")
		}
	})
}
