package estrace

import (
	"bytes"
	"io"
	"net/http"
	"sync/atomic"
)

// A bulk body is NDJSON: an action line ({"index":{...}}), then a source line
// for every action but delete. Its documents must not reach a span, and
// copying megabytes would be wasteful, so the body is summarised while the
// client sends it: the reader below counts actions on the fly, with no copy
// and no extra pass. Every body the client reads (the first one and any
// GetBody copy for a retry) is counted; the totals of a body read to its end
// are published atomically, because net/http may read a request body on its
// own goroutine.

// bulkSummary holds the published totals of one request.
type bulkSummary struct {
	ops   atomic.Int64
	bytes atomic.Int64
	done  atomic.Bool
}

func (s *bulkSummary) wrap(rc io.ReadCloser) io.ReadCloser {
	if rc == nil || rc == http.NoBody {
		return rc
	}
	return &bulkReader{rc: rc, sum: s, lineStart: true}
}

// result returns the totals when a body was read to its end.
func (s *bulkSummary) result() (ops, n int64, ok bool) {
	if !s.done.Load() {
		return 0, 0, false
	}
	return s.ops.Load(), s.bytes.Load(), true
}

// bulkReader counts while passing bytes through unchanged.
type bulkReader struct {
	rc  io.ReadCloser
	sum *bulkSummary

	n            int64
	ops          int64
	expectSource bool // the next non-empty line is a document
	lineStart    bool
	head         [24]byte // start of the current line, enough for the action name
	headLen      int
	nonBlank     bool
}

func (b *bulkReader) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	b.scan(p[:n])
	if err == io.EOF {
		b.endLine()
		b.sum.ops.Store(b.ops)
		b.sum.bytes.Store(b.n)
		b.sum.done.Store(true)
	}
	return n, err
}

func (b *bulkReader) Close() error { return b.rc.Close() }

func (b *bulkReader) scan(p []byte) {
	b.n += int64(len(p))
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		line := p
		if i >= 0 {
			line = p[:i]
		}
		if !b.expectSource && b.headLen < len(b.head) {
			b.headLen += copy(b.head[b.headLen:], line)
		}
		if !b.nonBlank && len(bytes.TrimSpace(line)) > 0 {
			b.nonBlank = true
		}
		if i < 0 {
			return
		}
		b.endLine()
		p = p[i+1:]
	}
}

func (b *bulkReader) endLine() {
	if !b.nonBlank {
		b.headLen = 0
		return
	}
	if b.expectSource {
		b.expectSource = false
	} else {
		b.ops++
		b.expectSource = actionName(b.head[:b.headLen]) != "delete"
	}
	b.headLen, b.nonBlank = 0, false
}

// actionName reads the first key of a JSON object: {"index": ... -> index.
func actionName(line []byte) string {
	line = bytes.TrimLeft(line, " \t\r{")
	line = bytes.TrimLeft(line, " \t\r")
	if len(line) == 0 || line[0] != '"' {
		return ""
	}
	line = line[1:]
	if i := bytes.IndexByte(line, '"'); i >= 0 {
		switch string(line[:i]) {
		case "delete":
			return "delete"
		}
		return "other"
	}
	return ""
}
