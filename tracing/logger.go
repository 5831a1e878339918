package tracing

import (
	"sync"
	"time"

	"github.com/uber/jaeger-client-go"
)

// quietLogger passes messages on but prints an identical error at most once a
// minute: with the agent down, jaeger-client-go reports the same failed flush
// every second, which would drown the service's own logs.
type quietLogger struct {
	next jaeger.Logger
	mu   sync.Mutex
	seen map[string]time.Time
}

const repeatEvery = time.Minute

func newQuietLogger(next jaeger.Logger) *quietLogger {
	return &quietLogger{next: next, seen: map[string]time.Time{}}
}

func (l *quietLogger) Error(msg string) {
	now := time.Now()
	l.mu.Lock()
	last, ok := l.seen[msg]
	if !ok || now.Sub(last) >= repeatEvery {
		if len(l.seen) > 100 { // messages embed addresses; keep the set small
			l.seen = map[string]time.Time{}
		}
		l.seen[msg] = now
		ok = false
	}
	l.mu.Unlock()
	if !ok {
		l.next.Error(msg)
	}
}

func (l *quietLogger) Infof(msg string, args ...interface{}) { l.next.Infof(msg, args...) }

func (l *quietLogger) Debugf(string, ...interface{}) {}
