package core

import (
	"sync"
	"time"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"github.com/opentracing/opentracing-go/log"
)

// The fast path of propagating wrappers (servers, consumers, clients that send
// the trace context on) for traces known, for good, not to be sampled. It is
// taken only for tracers whose span contexts declare a final decision
// (jaeger's: IsSampled, IsSamplingFinalized, IsValid; OpenTelemetry's, through
// the OpenTracing bridge: IsSampled, IsValid, IsRemote, see fixedDecision),
// never when a span observer is configured (observers see every span), and
// never for a sampled trace.

// validator is implemented by span contexts that can tell a real trace from a
// carrier that held only baggage or a debug id (jaeger.SpanContext).
type validator interface{ IsValid() bool }

// finalUnsampled reports whether sc, the context of a span of this process,
// says for good that its trace is not sampled. Unlike knownUnsampled, a
// context that does not declare whether its decision is final is not trusted:
// a propagating call hands the decision on to other processes.
func finalUnsampled(sc opentracing.SpanContext) bool {
	f, ok := sc.(finalizer)
	if !ok {
		d, ok := sc.(fixedDecision)
		return ok && d.IsValid() && !d.IsRemote() && !d.IsSampled()
	}
	s, ok := sc.(sampler)
	return ok && !s.IsSampled() && f.IsSamplingFinalized()
}

// fixedDecision is implemented by span contexts whose sampling decision is
// taken once, when the span starts, and never revised: OpenTelemetry's
// trace.SpanContext, which the OpenTracing bridge's contexts embed (matched by
// its methods, so core needs no OpenTelemetry import). A local one that says
// "not sampled" is final. A remote one (extracted) is not: its children's
// decision is the local sampler's, and only a parent-based sampler follows it
// (OTEL_TRACES_SAMPLER=always_on samples them).
type fixedDecision interface {
	IsSampled() bool
	IsValid() bool
	IsRemote() bool
}

// remoteUnsampled reports whether sc, just extracted from a carrier, is a
// trace that is not sampled, for good. Jaeger leaves an extracted context's
// decision open (IsSamplingFinalized is false) but finalizes it, without
// asking its sampler, as soon as a child of it starts: the caller decided. A
// carrier without a trace (baggage or a debug id only) starts a new trace, so
// it does not qualify; nor does an OpenTelemetry context (no finalizer): its
// children's decision is their sampler's (see fixedDecision).
func remoteUnsampled(sc opentracing.SpanContext) bool {
	s, ok := sc.(sampler)
	_, ok2 := sc.(finalizer)
	v, ok3 := sc.(validator)
	return ok && ok2 && ok3 && v.IsValid() && !s.IsSampled()
}

// Parent returns the context of ps, the span in a call's ctx, for the call's
// span to be a child of, and whether the call can go without a span of its
// own: ps's trace is known, for good, not to be sampled and no span observer
// is configured. Then a leaf call (Defaults.Leaf) makes no span, and a call
// that carries the trace context on sends sc in place of a child's: the same
// trace, the same decision, the same baggage (apply the user's filter first:
// a filtered-out call sends nothing, as it would with a span). A server's
// unsampled span (StartRemote) answers without starting its real span: its
// sc then is the caller's remote context, only to be propagated, never to be
// a parent (a caller that makes a span anyway takes ps.Context()).
func (c *Config[T]) Parent(ps opentracing.Span) (sc opentracing.SpanContext, unsampled bool) {
	if ps == nil {
		return nil, false
	}
	if len(c.observers) == 0 {
		if u, ok := ps.(*unsampledSpan); ok {
			if sc, ok := u.peek(); ok {
				return sc, true
			}
		}
	}
	sc = ps.Context()
	if len(c.observers) > 0 {
		return sc, false
	}
	if c.leaf {
		return sc, knownUnsampled(sc)
	}
	return sc, finalUnsampled(sc)
}

// startRemoteUnsampled returns the span of a server call whose caller's trace
// is, for good, not sampled: a placeholder that starts no span of the tracer
// unless one is needed (see unsampledSpan). nil when the fast path does not
// apply.
//
// Tracers with a context hook (opentracing.TracerContextWithSpanExtension, as
// the OpenTelemetry bridge has) never get the placeholder: the hook must see
// the tracer's own span when the server puts it in the handler's ctx (the
// bridge installs the OpenTelemetry span there from it, so that otel.Tracer
// spans in the handler join the caller's trace and decision), and a span
// started for the hook would be the real one anyway.
func (c *Config[T]) startRemoteUnsampled(tr opentracing.Tracer, call T, parent opentracing.SpanContext, def string, refs []opentracing.SpanReference) opentracing.Span {
	if parent == nil || len(refs) > 0 || len(c.observers) > 0 || !remoteUnsampled(parent) {
		return nil
	}
	if _, hooked := tr.(opentracing.TracerContextWithSpanExtension); hooked {
		return nil
	}
	return &unsampledSpan{
		tracer: tr, remote: parent, name: c.OperationName(call, def), start: time.Now(),
		componentTag: c.componentTag, kindTag: c.kindTag,
	}
}

// unsampledSpan stands for a server span in a trace that is, for good, not
// sampled: such a span would be neither recorded nor sent anywhere, so none is
// started until something needs a real one. Tags and logs are dropped (as the
// tracer would drop them). The real span, a child of the caller's context with
// the same name, start time and tags, is started on the first call that needs
// one and gets everything from then on:
//   - Context, which children are started from: the tracer must make them
//     children of a span of this process (jaeger writes unsynchronized state on
//     every child of a remote context, a data race when a handler starts
//     children concurrently), and a context handed out must carry baggage set
//     later;
//   - SetBaggageItem (baggage must work as on any span);
//   - SetTag(sampling.priority), which can force the trace to be sampled.
//
// Wrappers of this module do not need it: Parent hands them the caller's
// context to propagate, read-only, and IsSampled answers without it.
type unsampledSpan struct {
	tracer                opentracing.Tracer
	remote                opentracing.SpanContext // extracted; only read
	start                 time.Time
	componentTag, kindTag any

	mu       sync.Mutex
	name     string
	real     opentracing.Span // nil until needed
	finished bool
}

// peek returns the context to propagate without starting the real span, and
// whether the trace is still not sampled.
func (s *unsampledSpan) peek() (opentracing.SpanContext, bool) {
	r := s.get()
	if r == nil {
		return s.remote, true
	}
	sc := r.Context()
	return sc, finalUnsampled(sc)
}

func (s *unsampledSpan) get() opentracing.Span {
	s.mu.Lock()
	r := s.real
	s.mu.Unlock()
	return r
}

// materialize starts the real span once and returns it. A span asked for
// after Finish is finished at once, so it is not left open.
func (s *unsampledSpan) materialize() opentracing.Span {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.real != nil {
		return s.real
	}
	so := &startOptions{parent: s.remote, start: s.start, component: s.componentTag, kind: s.kindTag}
	so.list[0] = so
	r := s.tracer.StartSpan(s.name, so.list[:]...)
	s.real = r
	if s.finished {
		r.Finish()
	}
	return r
}

func (s *unsampledSpan) Finish() { s.FinishWithOptions(opentracing.FinishOptions{}) }

func (s *unsampledSpan) FinishWithOptions(o opentracing.FinishOptions) {
	s.mu.Lock()
	already := s.finished
	s.finished = true
	r := s.real
	s.mu.Unlock()
	if r != nil && !already {
		r.FinishWithOptions(o)
	}
}

func (s *unsampledSpan) Context() opentracing.SpanContext { return s.materialize().Context() }

func (s *unsampledSpan) SetOperationName(name string) opentracing.Span {
	s.mu.Lock()
	s.name = name
	r := s.real
	s.mu.Unlock()
	if r != nil {
		r.SetOperationName(name)
	}
	return s
}

func (s *unsampledSpan) SetTag(key string, value any) opentracing.Span {
	r := s.get()
	if r == nil && key == string(ext.SamplingPriority) {
		r = s.materialize()
	}
	if r != nil {
		r.SetTag(key, value)
	}
	return s
}

func (s *unsampledSpan) LogFields(fields ...log.Field) {
	if r := s.get(); r != nil {
		r.LogFields(fields...)
	}
}

func (s *unsampledSpan) LogKV(kv ...any) {
	if r := s.get(); r != nil {
		r.LogKV(kv...)
	}
}

func (s *unsampledSpan) SetBaggageItem(key, value string) opentracing.Span {
	s.materialize().SetBaggageItem(key, value)
	return s
}

func (s *unsampledSpan) BaggageItem(key string) string {
	if r := s.get(); r != nil {
		return r.BaggageItem(key)
	}
	var v string
	s.remote.ForeachBaggageItem(func(k, val string) bool {
		if k == key {
			v = val
			return false
		}
		return true
	})
	return v
}

func (s *unsampledSpan) Tracer() opentracing.Tracer { return s.tracer }

func (s *unsampledSpan) LogEvent(event string) {
	if r := s.get(); r != nil {
		r.LogEvent(event) //nolint:staticcheck // part of the interface
	}
}

func (s *unsampledSpan) LogEventWithPayload(event string, payload any) {
	if r := s.get(); r != nil {
		r.LogEventWithPayload(event, payload) //nolint:staticcheck // part of the interface
	}
}

func (s *unsampledSpan) Log(ld opentracing.LogData) {
	if r := s.get(); r != nil {
		r.Log(ld) //nolint:staticcheck // part of the interface
	}
}
