package tracing

import (
	"fmt"
	"sync"
	"time"

	"github.com/tracewrap/tracewrap/internal/propagation"
	"github.com/uber/jaeger-client-go"
)

// remoteLog reports bad remote input met by the propagation codecs through
// the configured logger, at most one line per kind of problem (and per
// direction) per minute, with the number suppressed since the previous line:
// a hostile caller decides how often a request arrives, not how often this
// process logs. jaeger-client-go's own propagators print every malformed
// jaeger-baggage entry through the standard log package, one line per comma.
type remoteLog struct {
	logger jaeger.Logger
	every  time.Duration
	now    func() time.Time

	mu    sync.Mutex
	kinds map[remoteKind]*remoteCount
}

type remoteKind struct {
	problem propagation.Problem // a single kind
	inject  bool
}

type remoteCount struct {
	last       time.Time
	suppressed uint64
}

func newRemoteLog(l jaeger.Logger) *remoteLog {
	return &remoteLog{logger: l, every: repeatEvery, now: time.Now, kinds: map[remoteKind]*remoteCount{}}
}

// report logs each kind in p unless the same kind was logged within the
// last interval, in which case it is counted for the next line.
func (l *remoteLog) report(p propagation.Problem, inject bool) {
	if p == 0 {
		return
	}
	now := l.now()
	for _, k := range p.Kinds() {
		key := remoteKind{k, inject}
		l.mu.Lock()
		c := l.kinds[key]
		if c == nil {
			c = &remoteCount{}
			l.kinds[key] = c
		}
		var suppressed uint64
		logIt := c.last.IsZero() || now.Sub(c.last) >= l.every
		if logIt {
			suppressed, c.suppressed, c.last = c.suppressed, 0, now
		} else {
			c.suppressed++
		}
		l.mu.Unlock()
		if !logIt {
			continue
		}
		var msg string
		if inject {
			msg = fmt.Sprintf("tracing: baggage not sent on: %s", k)
		} else {
			msg = fmt.Sprintf("tracing: remote trace context: %s; that part was ignored", k)
		}
		if suppressed > 0 {
			msg += fmt.Sprintf(" (%d more since the last report)", suppressed)
		}
		msg += fmt.Sprintf(" (at most one such line per %v)", l.every)
		l.logger.Error(msg)
	}
}
