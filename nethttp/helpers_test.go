package nethttp

import (
	"io"
	"net/http"
	"testing"
)

// baseTransport is a fresh transport whose idle connections are closed when
// the test ends, so goleak sees no keep-alive goroutines.
func baseTransport(t testing.TB) *http.Transport {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

func tracedClient(t testing.TB, opts ...Option) *http.Client {
	return &http.Client{Transport: NewTransport(baseTransport(t), opts...)}
}

func get(t *testing.T, c *http.Client, req *http.Request) (int, string) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}
