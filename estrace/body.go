package estrace

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
)

// bodyKind says what a span records of an endpoint's request body.
type bodyKind uint8

const (
	bodyNone        bodyKind = iota
	bodyStatement            // the body, capped, as db.statement
	bodyBulkSummary          // operation count and bytes, never the documents
)

// defaultBodyEndpoints are the endpoints whose body is a query. Everything
// else (documents, settings, credentials, API keys) is never read.
var defaultBodyEndpoints = map[string]bodyKind{
	"search": bodyStatement, "count": bodyStatement, "msearch": bodyStatement,
	"delete_by_query": bodyStatement, "update_by_query": bodyStatement,
	"explain": bodyStatement, "search_template": bodyStatement,
	"msearch_template": bodyStatement, "render_search_template": bodyStatement,
	"async_search.submit": bodyStatement, "eql.search": bodyStatement,
	"sql.query": bodyStatement, "esql.query": bodyStatement, "terms_enum": bodyStatement,
	"knn_search": bodyStatement, "indices.validate_query": bodyStatement,
	"rollup.rollup_search": bodyStatement, "fleet.search": bodyStatement,
	"fleet.msearch": bodyStatement, "search_mvt": bodyStatement,
	"bulk": bodyBulkSummary,
}

func (c *config) bodyKind(endpoint string) bodyKind {
	if !c.capture {
		return bodyNone
	}
	return c.endpoints[endpoint]
}

func isGzip(h http.Header) bool {
	v := h["Content-Encoding"]
	return len(v) > 0 && strings.EqualFold(strings.TrimSpace(v[0]), "gzip")
}

// peekRequestBody returns up to limit bytes of req's body, gunzipped when the
// request says it is gzip, and whether that is all of it. The client still
// sends the whole, unchanged body: a copy is read from GetBody when the
// request has one, otherwise a raw prefix is read and put back in front of
// req.Body.
func peekRequestBody(req *http.Request, limit int) (prefix []byte, whole bool) {
	if req.Body == nil || req.Body == http.NoBody || limit <= 0 {
		return nil, true
	}
	gz := isGzip(req.Header)
	if req.GetBody != nil {
		rc, err := req.GetBody()
		if err != nil || rc == nil {
			return nil, false
		}
		defer rc.Close()
		if gz {
			return gunzipPrefix(rc, limit)
		}
		return readPrefix(rc, limit)
	}
	raw, whole := readPrefix(req.Body, limit)
	req.Body = &prefixedBody{prefix: raw, rest: req.Body}
	if gz {
		out, all := gunzipPrefix(bytes.NewReader(raw), limit)
		return out, whole && all
	}
	return raw, whole
}

// readPrefix reads up to limit bytes; whole reports that r ended within them.
func readPrefix(r io.Reader, limit int) ([]byte, bool) {
	buf := make([]byte, limit)
	n, err := io.ReadFull(r, buf)
	return buf[:n], err != nil
}

var gzipReaders sync.Pool // *gzip.Reader

// gunzipPrefix decodes up to limit bytes from the gzip stream r, which may be
// cut short: what decodes before the cut is kept.
func gunzipPrefix(r io.Reader, limit int) ([]byte, bool) {
	zr, _ := gzipReaders.Get().(*gzip.Reader)
	var err error
	if zr == nil {
		zr, err = gzip.NewReader(r)
	} else {
		err = zr.Reset(r)
	}
	if err != nil {
		return nil, false
	}
	defer gzipReaders.Put(zr)
	buf := make([]byte, limit)
	n, err := io.ReadFull(zr, buf)
	return buf[:n], errors.Is(err, io.EOF) || (errors.Is(err, io.ErrUnexpectedEOF) && n < limit && zrDone(zr))
}

// zrDone: after a short read the stream either ended (whole) or was cut.
func zrDone(zr *gzip.Reader) bool {
	var one [1]byte
	_, err := zr.Read(one[:])
	return errors.Is(err, io.EOF)
}

// prefixedBody gives back the bytes peeked from a body, then the rest of it.
type prefixedBody struct {
	prefix []byte
	rest   io.ReadCloser
}

func (p *prefixedBody) Read(b []byte) (int, error) {
	if len(p.prefix) > 0 {
		n := copy(b, p.prefix)
		p.prefix = p.prefix[n:]
		return n, nil
	}
	return p.rest.Read(b)
}

func (p *prefixedBody) Close() error { return p.rest.Close() }
