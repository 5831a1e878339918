package propagation

import (
	"strings"
	"sync"
)

// Propagator injects and extracts a list of formats.
//
// Inject writes every format. Extract reads the carrier once and takes the
// trace context from the first format in the list that yields a valid one;
// others naming a different trace are ignored (Conflict), so a request never
// gets two parents. Baggage is merged from the formats that carry it (jaeger:
// uberctx-* then jaeger-baggage; baggage: W3C baggage), in list order: the
// first to name a key wins. tracestate goes with the context when traceparent
// names the same trace. Both B3 formats read the single b3 header first, then
// X-B3-*; they differ only in what Inject writes.
type Propagator struct {
	formats []Format
	has     [Jaeger + 1]bool
	jaeger  JaegerHeaders
	// first marks the first bytes (either case) of the keys to read, so the
	// carrier's other keys (most HTTP headers) cost one lookup each.
	first [256]bool
}

func (p *Propagator) index() {
	p.first = [256]bool{}
	var keys []string
	if p.has[TraceContext] {
		keys = append(keys, headerTraceparent, headerTracestate)
	}
	if p.has[Baggage] {
		keys = append(keys, headerBaggage)
	}
	if p.has[B3] || p.has[B3Multi] {
		keys = append(keys, headerB3, headerB3TraceID)
	}
	if p.has[Jaeger] {
		keys = append(keys, p.jaeger.TraceContext, p.jaeger.BaggagePrefix, p.jaeger.DebugID, p.jaeger.Baggage)
	}
	for _, k := range keys {
		c := k[0] // keys are ASCII, never empty (withDefaults)
		p.first[c] = true
		switch {
		case 'a' <= c && c <= 'z':
			p.first[c-'a'+'A'] = true
		case 'A' <= c && c <= 'Z':
			p.first[c-'A'+'a'] = true
		}
	}
}

// New returns a Propagator of formats, in order of preference; duplicates and
// unknown values are ignored. With none it propagates nothing.
func New(formats ...Format) *Propagator {
	p := &Propagator{jaeger: JaegerHeaders{}.withDefaults()}
	for _, f := range formats {
		if f >= TraceContext && f <= Jaeger && !p.has[f] {
			p.has[f] = true
			p.formats = append(p.formats, f)
		}
	}
	p.index()
	return p
}

// WithJaegerHeaders returns a copy of p using h's names for the Jaeger format.
func (p *Propagator) WithJaegerHeaders(h JaegerHeaders) *Propagator {
	c := *p
	c.formats = append([]Format(nil), p.formats...)
	c.jaeger = h.withDefaults()
	c.index()
	return &c
}

// Fields returns the keys Inject may write, lower-case (what an
// OpenTelemetry TextMapPropagator's Fields reports); Jaeger's per-item
// uberctx-<key> keys are not listed, as OpenTelemetry's Jaeger propagator
// does not list them.
func (p *Propagator) Fields() []string {
	var out []string
	for _, f := range p.formats {
		switch f {
		case TraceContext:
			out = append(out, headerTraceparent, headerTracestate)
		case Baggage:
			out = append(out, headerBaggage)
		case B3:
			out = append(out, headerB3)
		case B3Multi:
			out = append(out, headerB3TraceID, headerB3SpanID, headerB3ParentSpan, headerB3Sampled, headerB3Flags)
		case Jaeger:
			out = append(out, p.jaeger.TraceContext)
		}
	}
	return out
}

// Formats returns the formats in order of preference.
func (p *Propagator) Formats() []Format { return append([]Format(nil), p.formats...) }

// Inject writes sc (when valid) and baggage in every format to w, and returns
// what it had to leave out.
func (p *Propagator) Inject(sc SpanContext, baggage []Member, enc Encoding, w Writer) Problem {
	var pr Problem
	valid := sc.IsValid()
	for _, f := range p.formats {
		switch f {
		case TraceContext:
			if valid {
				w.Set(headerTraceparent, FormatTraceparent(sc))
				if sc.TraceState != "" {
					w.Set(headerTracestate, sc.TraceState)
				}
			}
		case Baggage:
			if len(baggage) > 0 {
				v, bp := FormatBaggage(baggage)
				pr |= bp
				if v != "" {
					w.Set(headerBaggage, v)
				}
			}
		case B3:
			if valid {
				w.Set(headerB3, FormatB3(sc))
			}
		case B3Multi:
			if valid {
				injectB3Multi(sc, w)
			}
		case Jaeger:
			pr |= injectJaeger(sc, baggage, enc, &p.jaeger, w)
		}
	}
	return pr
}

// Result is what Extract found.
type Result struct {
	// Context is the remote span's context when Context.IsValid(); it may
	// hold only a DebugID otherwise.
	Context SpanContext
	From    Format // the format Context came from; 0 when none
	Baggage []Member
	// Found reports whether the carrier held any key of the formats, valid
	// or not.
	Found    bool
	Problems Problem
}

// single is a header that must occur once: a second, different value makes it
// unusable.
type single struct {
	v         string
	seen, dup bool
}

func (s *single) set(v string) {
	if s.seen && v != s.v {
		s.dup = true
	}
	s.v, s.seen = v, true
}

// fields is one pass over a carrier: the values of the keys of the formats.
type fields struct {
	p                                    *Propagator
	found                                bool
	traceparent, b3, uber, debugID       single
	b3Trace, b3Span, b3Parent, b3Sampled single
	b3Flags                              single
	tracestate, baggage, jaegerBaggage   []string
	uberctx                              []Member
	uberctxOver                          bool
	tooLong                              bool
	debugOut                             string // a valid jaeger-debug-id
	tooMany                              bool   // a list header repeated more than maxRepeats times
}

func (c *fields) visit(k, v string) error {
	p := c.p
	if len(k) == 0 || !p.first[k[0]] {
		return nil
	}
	if len(v) > maxHeaderLen {
		if p.isKey(k) {
			c.found, c.tooLong = true, true
		}
		return nil
	}
	switch {
	case p.has[Jaeger] && len(k) > len(p.jaeger.BaggagePrefix) && strings.EqualFold(k[:len(p.jaeger.BaggagePrefix)], p.jaeger.BaggagePrefix):
		c.found = true
		if len(c.uberctx) >= 2*MaxBaggageMembers {
			c.uberctxOver = true
			return nil
		}
		c.uberctx = append(c.uberctx, Member{Key: strings.ToLower(k[len(p.jaeger.BaggagePrefix):]), Value: v})
	case p.has[TraceContext] && strings.EqualFold(k, headerTraceparent):
		c.found = true
		c.traceparent.set(v)
	case p.has[TraceContext] && strings.EqualFold(k, headerTracestate):
		c.tracestate = appendValue(c.tracestate, v, &c.tooMany)
	case p.has[Baggage] && strings.EqualFold(k, headerBaggage):
		c.found = true
		c.baggage = appendValue(c.baggage, v, &c.tooMany)
	case p.has[Jaeger] && strings.EqualFold(k, p.jaeger.TraceContext):
		c.found = true
		c.uber.set(v)
	case p.has[Jaeger] && strings.EqualFold(k, p.jaeger.DebugID):
		c.found = true
		c.debugID.set(v)
	case p.has[Jaeger] && strings.EqualFold(k, p.jaeger.Baggage):
		c.found = true
		c.jaegerBaggage = appendValue(c.jaegerBaggage, v, &c.tooMany)
	case !(p.has[B3] || p.has[B3Multi]) || len(k) < 2:
	case strings.EqualFold(k, headerB3):
		c.found = true
		c.b3.set(v)
	case strings.EqualFold(k, headerB3TraceID):
		c.found = true
		c.b3Trace.set(v)
	case strings.EqualFold(k, headerB3SpanID):
		c.found = true
		c.b3Span.set(v)
	case strings.EqualFold(k, headerB3ParentSpan):
		c.b3Parent.set(v)
	case strings.EqualFold(k, headerB3Sampled):
		c.b3Sampled.set(v)
	case strings.EqualFold(k, headerB3Flags):
		c.b3Flags.set(v)
	}
	return nil
}

// maxRepeats bounds how many lines of one list header (tracestate, baggage,
// jaeger-baggage) are read: a carrier given straight to a tracer has no other
// bound.
const maxRepeats = 64

func appendValue(vs []string, v string, over *bool) []string {
	if len(vs) >= maxRepeats {
		*over = true
		return vs
	}
	return append(vs, v)
}

// isKey reports whether k belongs to one of p's formats (for the rare over-long value).
func (p *Propagator) isKey(k string) bool {
	k = strings.ToLower(k)
	switch k {
	case headerTraceparent, headerTracestate:
		return p.has[TraceContext]
	case headerBaggage:
		return p.has[Baggage]
	case p.jaeger.TraceContext, p.jaeger.DebugID, p.jaeger.Baggage:
		return p.has[Jaeger]
	case headerB3, headerB3TraceID, headerB3SpanID, headerB3ParentSpan, headerB3Sampled, headerB3Flags:
		return p.has[B3] || p.has[B3Multi]
	}
	return p.has[Jaeger] && strings.HasPrefix(k, p.jaeger.BaggagePrefix)
}

// fieldsPool recycles the per-call state of Extract: handing its method to
// the carrier moves it to the heap, and its slices keep their capacity.
var fieldsPool = sync.Pool{New: func() any { return new(fields) }}

func (c *fields) reset() {
	clear(c.tracestate)
	clear(c.baggage)
	clear(c.jaegerBaggage)
	clear(c.uberctx)
	*c = fields{tracestate: c.tracestate[:0], baggage: c.baggage[:0], jaegerBaggage: c.jaegerBaggage[:0], uberctx: c.uberctx[:0]}
}

// Extract reads r. Bad input is never an error: it is left out and reported
// in Result.Problems. The error is the carrier's own, from ForeachKey.
func (p *Propagator) Extract(r Reader, enc Encoding) (Result, error) {
	if len(p.formats) == 0 {
		return Result{}, nil
	}
	c := fieldsPool.Get().(*fields)
	defer func() {
		c.reset()
		fieldsPool.Put(c)
	}()
	c.p = p
	if err := r.ForeachKey(c.visit); err != nil {
		return Result{}, err
	}
	res := Result{Found: c.found}
	if !c.found {
		return res, nil
	}
	if c.tooLong || c.tooMany {
		res.Problems |= HeaderTooLong
	}
	var bag baggageSet
	bag.members = make([]Member, 0, c.baggageCap())
	var w3c SpanContext // a valid traceparent, for tracestate
	for _, f := range p.formats {
		var sc SpanContext
		switch f {
		case TraceContext:
			if !c.traceparent.seen {
				continue
			}
			if c.traceparent.dup {
				res.Problems |= TraceparentDuplicate
				continue
			}
			var err error
			if sc, err = ParseTraceparent(c.traceparent.v); err != nil {
				res.Problems |= TraceparentInvalid
				continue
			}
			w3c = sc
		case B3, B3Multi:
			if f == B3Multi && p.has[B3] {
				continue // read once
			}
			sc = c.extractB3(&res)
		case Jaeger:
			sc = c.extractJaeger(enc, &res, &bag)
		case Baggage:
			for _, v := range c.baggage {
				parseBaggageInto(v, &bag)
			}
			continue
		}
		switch {
		case !sc.IsValid():
		case res.From == 0:
			res.Context, res.From = sc, f
		case sc.TraceID != res.Context.TraceID:
			res.Problems |= Conflict
		}
	}
	res.Context.DebugID = c.debugOut
	if res.From != 0 && w3c.IsValid() && w3c.TraceID == res.Context.TraceID && len(c.tracestate) > 0 {
		ts, pr := ParseTracestate(strings.Join(c.tracestate, ","))
		res.Context.TraceState = ts
		res.Problems |= pr
	}
	res.Baggage = bag.members
	res.Problems |= bag.problem
	return res, nil
}

// baggageCap estimates the members the carrier holds, within the limit.
func (c *fields) baggageCap() int {
	n := len(c.uberctx)
	for _, vs := range [...][]string{c.baggage, c.jaegerBaggage} {
		for _, v := range vs {
			n += strings.Count(v, ",") + 1
		}
	}
	return min(n, MaxBaggageMembers)
}

func (c *fields) extractB3(res *Result) SpanContext {
	if c.b3.seen {
		if c.b3.dup {
			res.Problems |= B3Invalid
		} else if sc, err := ParseB3(c.b3.v); err != nil {
			res.Problems |= B3Invalid
		} else if sc.IsValid() {
			return sc
		}
	}
	if !c.b3Trace.seen && !c.b3Span.seen {
		return SpanContext{}
	}
	if c.b3Trace.dup || c.b3Span.dup || c.b3Parent.dup || c.b3Sampled.dup || c.b3Flags.dup {
		res.Problems |= B3Invalid
		return SpanContext{}
	}
	sc, err := ParseB3Multi(c.b3Trace.v, c.b3Span.v, c.b3Parent.v, c.b3Sampled.v, c.b3Flags.v)
	if err != nil {
		res.Problems |= B3Invalid
	}
	return sc
}

func (c *fields) extractJaeger(enc Encoding, res *Result, bag *baggageSet) SpanContext {
	var sc SpanContext
	if c.uber.seen {
		var err error
		if c.uber.dup {
			res.Problems |= JaegerInvalid
		} else if sc, err = ParseUberTraceID(decodeJaegerValue(c.uber.v, enc)); err != nil {
			res.Problems |= JaegerInvalid
		}
	}
	if c.debugID.seen {
		d := strings.TrimSpace(decodeJaegerValue(c.debugID.v, enc))
		if c.debugID.dup || len(d) > maxDebugIDLen || !SafeValue(d) {
			res.Problems |= DebugIDInvalid
		} else {
			c.debugOut = d
		}
	}
	if c.uberctxOver {
		bag.problem |= BaggageOverLimit
	}
	for _, m := range c.uberctx {
		m.Value = decodeJaegerValue(m.Value, enc)
		if !bag.add(m, true) {
			break
		}
	}
	for _, v := range c.jaegerBaggage {
		if parseJaegerBaggageInto(v, bag) {
			res.Problems |= JaegerBaggageInvalid
		}
	}
	return sc
}
