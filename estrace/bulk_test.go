package estrace

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/elastic/go-elasticsearch/v8"
)

func TestBulkIsSummarised(t *testing.T) {
	es, tr := liveClient(t, elasticsearch.Config{})
	idx := testIndex(t, es)
	body := `{"index":{"_index":"` + idx + `","_id":"1"}}
{"secret":"document one"}
{"create":{"_index":"` + idx + `","_id":"2"}}
{"delete":"looks like an action but is a source"}
{"delete":{"_index":"` + idx + `","_id":"1"}}
{"update":{"_index":"` + idx + `","_id":"2"}}
{"doc":{"secret":"two"}}
`
	for name, r := range map[string]func() io.Reader{
		"strings.Reader": func() io.Reader { return strings.NewReader(body) },
		"plain reader":   func() io.Reader { return io.MultiReader(strings.NewReader(body)) },
	} {
		t.Run(name, func(t *testing.T) {
			tr.Reset()
			res := drain(t)(es.Bulk(r(), es.Bulk.WithRefresh("true")))
			s := only(t, tr, "bulk")
			if res.StatusCode != 200 || s.Tag("es.bulk.operations") != int64(4) || s.Tag("es.bulk.bytes") != int64(len(body)) {
				t.Fatalf("status %d tags %v", res.StatusCode, s.Tags())
			}
			if st, _ := s.Tag("db.statement").(string); strings.Contains(st, "secret") || !strings.HasPrefix(st, "bulk: 4 operations") {
				t.Fatalf("statement %q", st)
			}
		})
	}
	// The node applied every action: one document is left.
	res, err := es.Count(es.Count.WithIndex(idx))
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !bytes.Contains(out, []byte(`"count":1`)) {
		t.Fatalf("count: %s", out)
	}
}

func TestBulkCounter(t *testing.T) {
	for _, tc := range []struct {
		body string
		ops  int64
	}{
		{"", 0},
		{"{\"index\":{}}\n{}\n", 1},
		{"{\"index\":{}}\n{}", 1}, // no final newline
		{"\n\n{ \"delete\" : {\"_id\":\"1\"}}\n\n{\"create\":{}}\r\n{\"a\":1}\r\n", 2},
		{"{\"delete\":{}}\n{\"delete\":{}}\n{\"delete\":{}}\n", 3},
		{"{\"update\":{}}\n{\"doc\":{\"delete\":1}}\n{\"index\":{}}\n" + strings.Repeat("x", 100000) + "\n", 2},
	} {
		for _, chunk := range []int{1, 3, 7, 1 << 20} {
			sum := &bulkSummary{}
			rc := sum.wrap(io.NopCloser(&chunkReader{b: []byte(tc.body), n: chunk}))
			out, _ := io.ReadAll(rc)
			if !bytes.Equal(out, []byte(tc.body)) {
				t.Fatal("body changed")
			}
			ops, n, ok := sum.result()
			if !ok || ops != tc.ops || n != int64(len(tc.body)) {
				t.Errorf("%.40q chunk %d: ops %d bytes %d ok %v, want %d", tc.body, chunk, ops, n, ok, tc.ops)
			}
		}
	}
	sum := &bulkSummary{}
	if _, _, ok := sum.result(); ok {
		t.Fatal("unread body has no result")
	}
}

type chunkReader struct {
	b []byte
	n int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	n := min(c.n, len(p), len(c.b))
	copy(p, c.b[:n])
	c.b = c.b[n:]
	return n, nil
}
