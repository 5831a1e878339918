package tracing

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"

	"github.com/opentracing/opentracing-go"
	"github.com/tracewrap/tracewrap/internal/propagation"
	"github.com/uber/jaeger-client-go"
	jaegercfg "github.com/uber/jaeger-client-go/config"
)

// jaegerCodec is the jaeger.Injector and jaeger.Extractor that tracing.Init
// registers for opentracing.HTTPHeaders and opentracing.TextMap in place of
// jaeger-client-go's own (which speak only Jaeger, and log every malformed
// jaeger-baggage entry through the standard log package). It translates
// between jaeger.SpanContext and the formats of internal/propagation.
//
// An extracted context behaves as one of jaeger's own: jaeger.Tracer.Extract
// marks it remote, its sampling decision is open until a child starts (which
// then takes the caller's decision), IsValid is false for a carrier that held
// only baggage or a debug id. internal/core's unsampled fast path relies on
// exactly that.
type jaegerCodec struct {
	p   *propagation.Propagator
	enc propagation.Encoding
	log *remoteLog
}

// propagationOptions returns the tracer options that install the codecs for
// the formats the settings resolve to (WithPropagators, OTEL_PROPAGATORS, the
// default).
func propagationOptions(s *settings, cfg *jaegercfg.Configuration) ([]jaegercfg.Option, error) {
	names, err := propagatorNames(s)
	if err != nil {
		return nil, err
	}
	formats := make([]propagation.Format, 0, len(names))
	for _, n := range names {
		f, ok := propagation.ParseFormat(n)
		if !ok {
			return nil, fmt.Errorf("tracing: propagator %q has no codec", n)
		}
		formats = append(formats, f)
	}
	p := propagation.New(formats...)
	if h := cfg.Headers; h != nil {
		p = p.WithJaegerHeaders(propagation.JaegerHeaders{
			TraceContext: h.TraceContextHeaderName, BaggagePrefix: h.TraceBaggageHeaderPrefix,
			DebugID: h.JaegerDebugHeader, Baggage: h.JaegerBaggageHeader,
		})
	}
	log := newRemoteLog(s.logger)
	headers := &jaegerCodec{p: p, enc: propagation.HTTPHeaders, log: log}
	textMap := &jaegerCodec{p: p, enc: propagation.TextMap, log: log}
	return []jaegercfg.Option{
		jaegercfg.Injector(opentracing.HTTPHeaders, headers), jaegercfg.Extractor(opentracing.HTTPHeaders, headers),
		jaegercfg.Injector(opentracing.TextMap, textMap), jaegercfg.Extractor(opentracing.TextMap, textMap),
	}, nil
}

// Inject implements jaeger.Injector.
func (c *jaegerCodec) Inject(sc jaeger.SpanContext, carrier interface{}) error {
	w, ok := carrier.(opentracing.TextMapWriter)
	if !ok {
		return opentracing.ErrInvalidCarrier
	}
	var bag []propagation.Member
	sc.ForeachBaggageItem(func(k, v string) bool {
		bag = append(bag, propagation.Member{Key: k, Value: v})
		return true
	})
	var pc propagation.SpanContext
	if sc.IsValid() { // a zero jaeger.SpanContext has no sampling state to ask
		pc = propagation.SpanContext{
			TraceID: propagation.TraceID{High: sc.TraceID().High, Low: sc.TraceID().Low},
			SpanID:  uint64(sc.SpanID()), ParentID: uint64(sc.ParentID()),
			Sampled: sc.IsSampled(), Debug: sc.IsDebug(),
		}
	}
	c.log.report(c.p.Inject(pc, bag, c.enc, w), true)
	return nil
}

// Extract implements jaeger.Extractor. Bad input never fails the call: what
// is usable is kept, the rest logged (rate-limited). Only a carrier whose
// trace headers were all unusable, with nothing else usable, gives
// ErrSpanContextCorrupted (the wrappers then tag their new root span).
func (c *jaegerCodec) Extract(carrier interface{}) (jaeger.SpanContext, error) {
	r, ok := carrier.(opentracing.TextMapReader)
	if !ok {
		return jaeger.SpanContext{}, opentracing.ErrInvalidCarrier
	}
	res, err := c.p.Extract(r, c.enc)
	if err != nil {
		return jaeger.SpanContext{}, err
	}
	c.log.report(res.Problems, false)
	var bag map[string]string
	if len(res.Baggage) > 0 {
		bag = make(map[string]string, len(res.Baggage))
		for _, m := range res.Baggage {
			bag[m.Key] = m.Value
		}
	}
	sc := res.Context
	switch {
	case sc.IsValid() && sc.Debug:
		return debugContext(sc, res.Baggage)
	case sc.IsValid():
		return jaeger.NewSpanContext(jaeger.TraceID{High: sc.TraceID.High, Low: sc.TraceID.Low},
			jaeger.SpanID(sc.SpanID), jaeger.SpanID(sc.ParentID), sc.Sampled, bag), nil
	case sc.DebugID != "":
		return debugIDContext(sc.DebugID, bag)
	case len(bag) > 0:
		// Baggage without a trace: a new trace that carries it, as jaeger's own.
		return jaeger.NewSpanContext(jaeger.TraceID{}, 0, 0, false, bag), nil
	case res.Found && res.Problems != 0:
		return jaeger.SpanContext{}, fmt.Errorf("%w: %s", opentracing.ErrSpanContextCorrupted, res.Problems)
	}
	return jaeger.SpanContext{}, opentracing.ErrSpanContextNotFound
}

// debugContext builds a context with jaeger's debug flag, which
// jaeger.NewSpanContext cannot set: through jaeger's binary format, the one
// public way to give a context all its flags and its baggage as they are
// (the propagation limits are within that format's: 180 items, 4096 bytes
// each).
func debugContext(sc propagation.SpanContext, baggage []propagation.Member) (jaeger.SpanContext, error) {
	var b bytes.Buffer
	var flags byte = 1 | 2 // sampled, debug
	b.Grow(8*4 + 1 + 4 + 64*len(baggage))
	for _, v := range []uint64{sc.TraceID.High, sc.TraceID.Low, sc.SpanID, sc.ParentID} {
		_ = binary.Write(&b, binary.BigEndian, v)
	}
	b.WriteByte(flags)
	_ = binary.Write(&b, binary.BigEndian, int32(len(baggage)))
	for _, m := range baggage {
		_ = binary.Write(&b, binary.BigEndian, int32(len(m.Key)))
		b.WriteString(m.Key)
		_ = binary.Write(&b, binary.BigEndian, int32(len(m.Value)))
		b.WriteString(m.Value)
	}
	return binaryCodec.Extract(&b)
}

var (
	binaryCodec = jaeger.NewBinaryPropagator(nil) // its Extract does not use the tracer
	debugCodec  = jaeger.NewTextMapPropagator(new(jaeger.HeadersConfig).ApplyDefaults(), *jaeger.NewNullMetrics())
)

// debugIDContext builds the context of a carrier holding jaeger-debug-id but
// no trace: jaeger starts a new trace, sampled as debug and tagged with the
// id. Only jaeger's own extractor can set the id, so the (already validated)
// id and baggage go through it, in the TextMap form (values as they are).
// Like every Jaeger baggage key, the keys come out lower-cased.
func debugIDContext(id string, bag map[string]string) (jaeger.SpanContext, error) {
	tm := opentracing.TextMapCarrier{jaeger.JaegerDebugHeader: id}
	for k, v := range bag {
		tm[jaeger.TraceBaggageHeaderPrefix+k] = v
	}
	return debugCodec.Extract(tm)
}

// defaultTraceID128 makes new traces 128-bit, so W3C peers see the whole id,
// unless JAEGER_TRACEID_128BIT says otherwise (WithConfig can still change it).
func defaultTraceID128(cfg *jaegercfg.Configuration) {
	if os.Getenv("JAEGER_TRACEID_128BIT") == "" {
		cfg.Gen128Bit = true
	}
}
