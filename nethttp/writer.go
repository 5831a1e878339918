package nethttp

import (
	"bufio"
	"io"
	"net"
	"net/http"
)

// responseWriter records the status code the handler sends. The wrap method
// returns it as a value that has exactly the optional interfaces (Flusher,
// Hijacker, Pusher) of the writer it wraps, so a handler's type assertions
// answer as they would without tracing; Unwrap lets http.ResponseController
// reach everything else (deadlines, full duplex). http.CloseNotifier is
// always there (see CloseNotify).
type responseWriter struct {
	http.ResponseWriter
	status   int // first final status written; 0 until then
	hijacked bool
}

// Unwrap returns the wrapped writer, for http.ResponseController.
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *responseWriter) WriteHeader(code int) {
	// 1xx responses other than 101 are informational and may repeat; the
	// status of the response is the first final one.
	if w.status == 0 && (code >= 200 || code == http.StatusSwitchingProtocols) {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *responseWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// ReadFrom keeps the sendfile path of io.Copy (http.ServeContent) working.
func (w *responseWriter) ReadFrom(r io.Reader) (int64, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if rf, ok := w.ResponseWriter.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(writerOnly{w.ResponseWriter}, r)
}

// writerOnly hides ReadFrom so io.Copy does not recurse into it.
type writerOnly struct{ io.Writer }

func (w *responseWriter) flush() error {
	if w.status == 0 {
		w.status = http.StatusOK // a flush sends the header
	}
	return http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *responseWriter) hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil {
		w.hijacked = true
	}
	return c, rw, err
}

// CloseNotify keeps the deprecated http.CloseNotifier, which both of
// net/http's own writers implement and which frameworks still assert without
// checking (gin's Context.Stream). A writer that cannot notify gets a channel
// that never fires.
func (w *responseWriter) CloseNotify() <-chan bool {
	if cn, ok := w.ResponseWriter.(http.CloseNotifier); ok {
		return cn.CloseNotify()
	}
	return make(chan bool)
}

func (w *responseWriter) push(target string, opts *http.PushOptions) error {
	if p, ok := w.ResponseWriter.(http.Pusher); ok {
		return p.Push(target, opts)
	}
	return http.ErrNotSupported
}

func (w *responseWriter) wrap() http.ResponseWriter {
	_, f := w.ResponseWriter.(http.Flusher)
	_, h := w.ResponseWriter.(http.Hijacker)
	_, p := w.ResponseWriter.(http.Pusher)
	switch {
	case f && h && p:
		return rwFHP{w}
	case f && h:
		return rwFH{w}
	case f && p:
		return rwFP{w}
	case h && p:
		return rwHP{w}
	case f:
		return rwF{w}
	case h:
		return rwH{w}
	case p:
		return rwP{w}
	}
	return w
}

// One type per combination of optional interfaces. Each is a single pointer,
// so converting it to http.ResponseWriter does not allocate.
type (
	rwF   struct{ *responseWriter }
	rwH   struct{ *responseWriter }
	rwP   struct{ *responseWriter }
	rwFH  struct{ *responseWriter }
	rwFP  struct{ *responseWriter }
	rwHP  struct{ *responseWriter }
	rwFHP struct{ *responseWriter }
)

func (w rwF) Flush()                                       { _ = w.flush() }
func (w rwF) FlushError() error                            { return w.flush() }
func (w rwH) Hijack() (net.Conn, *bufio.ReadWriter, error) { return w.hijack() }
func (w rwP) Push(t string, o *http.PushOptions) error     { return w.push(t, o) }

func (w rwFH) Flush()                                       { _ = w.flush() }
func (w rwFH) FlushError() error                            { return w.flush() }
func (w rwFH) Hijack() (net.Conn, *bufio.ReadWriter, error) { return w.hijack() }

func (w rwFP) Flush()                                   { _ = w.flush() }
func (w rwFP) FlushError() error                        { return w.flush() }
func (w rwFP) Push(t string, o *http.PushOptions) error { return w.push(t, o) }

func (w rwHP) Hijack() (net.Conn, *bufio.ReadWriter, error) { return w.hijack() }
func (w rwHP) Push(t string, o *http.PushOptions) error     { return w.push(t, o) }

func (w rwFHP) Flush()                                       { _ = w.flush() }
func (w rwFHP) FlushError() error                            { return w.flush() }
func (w rwFHP) Hijack() (net.Conn, *bufio.ReadWriter, error) { return w.hijack() }
func (w rwFHP) Push(t string, o *http.PushOptions) error     { return w.push(t, o) }
