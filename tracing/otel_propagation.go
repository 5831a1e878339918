package tracing

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"

	"go.opentelemetry.io/otel/baggage"
	otelprop "go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/tracewrap/tracewrap/internal/propagation"
)

// otelPropagator is the OpenTelemetry backend's TextMapPropagator: the
// formats of internal/propagation, the codecs the Jaeger backend uses
// (jaegerCodec), so both backends read and write the same headers with the
// same limits, and report bad remote input through the same rate-limited
// log. It is installed on the OpenTracing bridge and, unless
// WithoutOpenTelemetryGlobals, as OpenTelemetry's global propagator.
//
// Encoding: the bridge hands an opentracing.HTTPHeadersCarrier over as a
// propagation.HeaderCarrier and any other TextMap carrier wrapped in a type
// of its own, for both opentracing.HTTPHeaders and opentracing.TextMap, so
// which OpenTracing format the caller asked for is lost by the time a
// carrier gets here. Only Jaeger's uberctx-* values depend on it
// (URL-escaped in HTTP headers, raw in a TextMap). The HTTP-header encoding
// is used for every carrier: it is what HTTP and gRPC (grpctrace, otgrpc:
// metadata in header form) use on both backends, and it writes any value
// safely, where the raw form cannot carry a control character or a
// non-ASCII byte. The one carrier that differs is mqtrace's message
// properties, which the Jaeger backend writes as a TextMap, raw. Between
// backends over a message queue, then: a value a Jaeger-backend producer
// wrote raw reads back the same on an OpenTelemetry-backend consumer unless
// it holds '+' or a %XX sequence (decoded: "a+b" arrives as "a b"); a value
// an OpenTelemetry-backend producer escaped ("a b" as "a%20b") reaches a
// Jaeger-backend consumer escaped. Values of letters, digits and "-._~"
// cross unchanged both ways; W3C baggage, which has one encoding, always
// does.
type otelPropagator struct {
	p   *propagation.Propagator
	log *remoteLog
}

// otelMaxBaggageMembers is OpenTelemetry's baggage limit (its baggage
// package's maxMembers, not exported): baggage.New drops members beyond it
// in map order, so the adapter keeps the first ones itself. The byte limit
// (8192 of the encoded baggage string) is OpenTelemetry's and
// propagation.MaxBaggageBytes.
const otelMaxBaggageMembers = 64

var _ otelprop.TextMapPropagator = (*otelPropagator)(nil)

// newOTelPropagator returns the propagator of names (from propagatorNames).
func newOTelPropagator(names []string, log *remoteLog) (*otelPropagator, error) {
	formats := make([]propagation.Format, 0, len(names))
	for _, n := range names {
		f, ok := propagation.ParseFormat(n)
		if !ok {
			return nil, fmt.Errorf("tracing: propagator %q has no codec", n)
		}
		formats = append(formats, f)
	}
	return &otelPropagator{p: propagation.New(formats...), log: log}, nil
}

// Fields implements propagation.TextMapPropagator.
func (o *otelPropagator) Fields() []string { return o.p.Fields() }

// Inject implements propagation.TextMapPropagator: ctx's span context (when
// valid) and baggage, in every format. Baggage the formats cannot carry is
// left out and logged, rate-limited.
func (o *otelPropagator) Inject(ctx context.Context, carrier otelprop.TextMapCarrier) {
	var sc propagation.SpanContext
	if osc := trace.SpanContextFromContext(ctx); osc.IsValid() {
		tid, sid := osc.TraceID(), osc.SpanID()
		sc = propagation.SpanContext{
			TraceID: propagation.TraceID{
				High: binary.BigEndian.Uint64(tid[:8]), Low: binary.BigEndian.Uint64(tid[8:]),
			},
			SpanID:     binary.BigEndian.Uint64(sid[:]),
			Sampled:    osc.IsSampled(),
			TraceState: osc.TraceState().String(),
		}
	}
	var bag []propagation.Member
	if ms := baggage.FromContext(ctx).Members(); len(ms) > 0 {
		bag = make([]propagation.Member, 0, len(ms))
		for _, m := range ms {
			bag = append(bag, propagation.Member{Key: m.Key(), Value: m.Value(), Properties: formatProperties(m.Properties())})
		}
	}
	if !sc.IsValid() && len(bag) == 0 {
		return
	}
	o.log.report(o.p.Inject(sc, bag, propagation.HTTPHeaders, carrierWriter{carrier}), true)
}

// Extract implements propagation.TextMapPropagator: ctx with the remote span
// context of the first format that holds a valid one, and the baggage of
// all, replacing ctx's. What is unusable is left out and logged,
// rate-limited. A carrier with none of the formats' keys leaves ctx as it
// is.
//
// jaeger-debug-id is read and checked, but OpenTelemetry has no use for it:
// with a trace context it is ignored (as jaeger-client-go does), and alone
// it cannot make the configured sampler keep a new trace (the bridge drops a
// context without a valid span). Jaeger's debug flag in uber-trace-id
// arrives as the sampled flag.
func (o *otelPropagator) Extract(ctx context.Context, carrier otelprop.TextMapCarrier) context.Context {
	res, err := o.p.Extract(carrierReader{carrier}, propagation.HTTPHeaders)
	if err != nil || !res.Found {
		return ctx // the readers never fail
	}
	problems := res.Problems
	if sc := res.Context; sc.IsValid() {
		var tid trace.TraceID
		binary.BigEndian.PutUint64(tid[:8], sc.TraceID.High)
		binary.BigEndian.PutUint64(tid[8:], sc.TraceID.Low)
		var sid trace.SpanID
		binary.BigEndian.PutUint64(sid[:], sc.SpanID)
		cfg := trace.SpanContextConfig{TraceID: tid, SpanID: sid, Remote: true}
		if sc.Sampled || sc.Debug {
			cfg.TraceFlags = trace.FlagsSampled
		}
		if sc.TraceState != "" {
			// Already validated and bounded by ParseTracestate; a state
			// OpenTelemetry still refuses is dropped, not the context.
			if ts, err := trace.ParseTraceState(sc.TraceState); err == nil {
				cfg.TraceState = ts
			} else {
				problems |= propagation.TracestateInvalid
			}
		}
		ctx = trace.ContextWithRemoteSpanContext(ctx, trace.NewSpanContext(cfg))
	}
	if len(res.Baggage) > 0 {
		b, p := otelBaggage(res.Baggage)
		problems |= p
		if b.Len() > 0 {
			ctx = baggage.ContextWithBaggage(ctx, b)
		}
	}
	o.log.report(problems, false)
	return ctx
}

// otelBaggage builds OpenTelemetry baggage from the extracted members, in
// their order: raw members (the values are already decoded and checked;
// baggage.NewMember would percent-decode them a second time), within
// OpenTelemetry's limits, which keep fewer members than the codecs
// (otelMaxBaggageMembers). What baggage refuses is dropped and reported.
func otelBaggage(ms []propagation.Member) (baggage.Baggage, propagation.Problem) {
	var pr propagation.Problem
	out := make([]baggage.Member, 0, min(len(ms), otelMaxBaggageMembers))
	size := 0
	for _, m := range ms {
		if len(out) == otelMaxBaggageMembers {
			pr |= propagation.BaggageOverLimit
			break
		}
		props, ok := parseProperties(m.Properties)
		if !ok {
			pr |= propagation.BaggageInvalid
			continue
		}
		om, err := baggage.NewMemberRaw(m.Key, m.Value, props...)
		if err != nil {
			pr |= propagation.BaggageUnsafe
			continue
		}
		n := len(om.String())
		if len(out) > 0 {
			n++ // the comma
		}
		if size+n > propagation.MaxBaggageBytes {
			pr |= propagation.BaggageOverLimit
			continue
		}
		size += n
		out = append(out, om)
	}
	b, err := baggage.New(out...)
	if err != nil {
		pr |= propagation.BaggageOverLimit // within the limits above, not expected
	}
	return b, pr
}

// parseProperties reads W3C member properties ("k=v;k2", after the member's
// first ';', as the codec keeps them).
func parseProperties(s string) ([]baggage.Property, bool) {
	if strings.TrimSpace(s) == "" {
		return nil, true
	}
	var props []baggage.Property
	for _, part := range strings.Split(s, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		var p baggage.Property
		var err error
		if k, v, ok := strings.Cut(part, "="); ok {
			p, err = baggage.NewKeyValuePropertyRaw(strings.TrimSpace(k), strings.TrimSpace(v))
		} else {
			p, err = baggage.NewKeyProperty(part)
		}
		if err != nil {
			return nil, false
		}
		props = append(props, p)
	}
	return props, true
}

// formatProperties writes OpenTelemetry member properties in the codec's
// form, "k=v;k2"; FormatBaggage leaves out properties it cannot write.
func formatProperties(ps []baggage.Property) string {
	if len(ps) == 0 {
		return ""
	}
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteByte(';')
		}
		b.WriteString(p.Key())
		if v, ok := p.Value(); ok {
			b.WriteByte('=')
			b.WriteString(v)
		}
	}
	return b.String()
}

// carrierWriter is a propagation.Writer over a TextMapCarrier.
type carrierWriter struct{ c otelprop.TextMapCarrier }

func (w carrierWriter) Set(key, val string) { w.c.Set(key, val) }

// carrierReader is a propagation.Reader over a TextMapCarrier: every value
// of a key where the carrier holds several (an http.Header, through
// ValuesGetter), so a repeated traceparent is seen as such and tracestate or
// baggage spread over several lines is read whole, as on the Jaeger backend.
type carrierReader struct{ c otelprop.TextMapCarrier }

func (r carrierReader) ForeachKey(handler func(key, val string) error) error {
	vg, multi := r.c.(otelprop.ValuesGetter)
	for _, k := range r.c.Keys() {
		if !multi {
			if err := handler(k, r.c.Get(k)); err != nil {
				return err
			}
			continue
		}
		for _, v := range vg.Values(k) {
			if err := handler(k, v); err != nil {
				return err
			}
		}
	}
	return nil
}
