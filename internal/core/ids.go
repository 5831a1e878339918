package core

import (
	"context"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/opentracing/opentracing-go"
)

// SpanKey is the string key under which a framework whose context answers
// only string keys holds the request's span: gin's *gin.Context, passed as a
// context.Context, looks string keys up in its Keys and, by default
// (ContextWithFallback=false), nothing else, so opentracing.SpanFromContext,
// whose key is of an unexported type, never finds a span through it.
// gintrace sets the server span there (c.Set(SpanKey, span)), and
// SpanFromContext reads it, so every wrapper finds its parent in such a ctx.
const SpanKey = "github.com/tracewrap/tracewrap.span"

// SpanFromContext is opentracing.SpanFromContext, then, when that finds
// nothing, the span held under SpanKey (see there). The span set with
// opentracing.ContextWithSpan always wins: it is the innermost one as soon
// as a wrapper or the user derived a context with a child span. nil when ctx
// is nil or holds no span.
func SpanFromContext(ctx context.Context) opentracing.Span {
	if ctx == nil {
		return nil
	}
	if span := opentracing.SpanFromContext(ctx); span != nil {
		return span
	}
	span, _ := ctx.Value(SpanKey).(opentracing.Span)
	return span
}

// SpanIDs returns the trace id and the span id of span as its tracer writes
// them (jaeger and OpenTelemetry: lower-case hex, mocktracer: decimal), or ""
// for what span's context does not tell, or for a nil span. It works for any
// tracer without importing one: the span context's TraceID and SpanID are
// found once per context type, as methods without arguments or exported
// fields, whose value is a string, a fmt.Stringer (jaeger.TraceID,
// trace.TraceID of the OpenTelemetry bridge, whose span context embeds
// trace.SpanContext) or an integer (mocktracer). All-zero ids, which tracers
// use for "no trace", give "".
//
// The stand-in span of an unsampled server request (StartRemote) answers
// without starting its real span: the trace id is its caller's, the span id
// is "" until the real span exists (no span of an unsampled trace is
// recorded, so there is nothing for a span id to point at).
func SpanIDs(span opentracing.Span) (traceID, spanID string) {
	if span == nil {
		return "", ""
	}
	var sc opentracing.SpanContext
	if u, ok := span.(*unsampledSpan); ok {
		if r := u.get(); r != nil {
			sc = r.Context()
		} else {
			traceID, _ = ContextIDs(u.remote)
			return traceID, ""
		}
	} else {
		sc = span.Context()
	}
	return ContextIDs(sc)
}

// ContextIDs is SpanIDs for a span context.
func ContextIDs(sc opentracing.SpanContext) (traceID, spanID string) {
	if sc == nil {
		return "", ""
	}
	v := reflect.ValueOf(sc)
	if v.Kind() == reflect.Pointer && v.IsNil() {
		return "", ""
	}
	g := idGetterOf(v.Type())
	return g.trace.get(v), g.span.get(v)
}

// idGetter reads the trace and span id of one span context type.
type idGetter struct{ trace, span idReader }

// idReader reads one id: a method (index >= 0) or a field (path), through a
// pointer when deref is set.
type idReader struct {
	method int   // method index on the context's type, -1 if none
	field  []int // field index path on the struct, nil if none
	deref  bool  // the context is a pointer to the struct holding field
	kind   idKind
}

type idKind uint8

const (
	idNone idKind = iota
	idString
	idStringer
	idInt
	idUint
)

var idGetters sync.Map // reflect.Type -> *idGetter

func idGetterOf(t reflect.Type) *idGetter {
	if g, ok := idGetters.Load(t); ok {
		return g.(*idGetter)
	}
	g := &idGetter{trace: findID(t, "TraceID"), span: findID(t, "SpanID")}
	idGetters.Store(t, g)
	return g
}

var stringerType = reflect.TypeFor[fmt.Stringer]()

func kindOf(t reflect.Type) idKind {
	switch {
	case t.Implements(stringerType):
		return idStringer
	case t.Kind() == reflect.String:
		return idString
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return idInt
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return idUint
	}
	return idNone
}

// findID looks for a method name() T, then an exported field name T, with T
// a string, a fmt.Stringer or an integer.
func findID(t reflect.Type, name string) idReader {
	if m, ok := t.MethodByName(name); ok && m.Type.NumIn() == 1 && m.Type.NumOut() == 1 {
		if k := kindOf(m.Type.Out(0)); k != idNone {
			return idReader{method: m.Index, kind: k}
		}
	}
	st, deref := t, false
	if st.Kind() == reflect.Pointer {
		st, deref = st.Elem(), true
	}
	if st.Kind() == reflect.Struct {
		if f, ok := st.FieldByName(name); ok && f.IsExported() {
			if k := kindOf(f.Type); k != idNone {
				return idReader{method: -1, field: f.Index, deref: deref, kind: k}
			}
		}
	}
	return idReader{method: -1}
}

func (r idReader) get(v reflect.Value) string {
	var x reflect.Value
	switch {
	case r.kind == idNone:
		return ""
	case r.method >= 0:
		x = v.Method(r.method).Call(nil)[0]
	default:
		if r.deref {
			if v.IsNil() {
				return ""
			}
			v = v.Elem()
		}
		var err error
		if x, err = v.FieldByIndexErr(r.field); err != nil {
			return "" // through a nil embedded pointer
		}
	}
	var s string
	switch r.kind {
	case idStringer:
		if (x.Kind() == reflect.Pointer || x.Kind() == reflect.Interface) && x.IsNil() {
			return ""
		}
		s = x.Interface().(fmt.Stringer).String()
	case idString:
		s = x.String()
	case idInt:
		if x.Int() == 0 {
			return ""
		}
		return strconv.FormatInt(x.Int(), 10)
	case idUint:
		if x.Uint() == 0 {
			return ""
		}
		return strconv.FormatUint(x.Uint(), 10)
	}
	if allZeros(s) {
		return ""
	}
	return s
}

// allZeros reports whether s is empty or only '0's: the "no id" of hex ids.
func allZeros(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != '0' {
			return false
		}
	}
	return true
}

// Traceparent is the W3C traceparent naming sc as a sampled span,
// "00-<32 hex>-<16 hex>-01", built from ContextIDs for tracers that do not
// inject one themselves (sqltrace's trace comment). Hex ids (jaeger writes
// 16 or 32 digits, OpenTelemetry 32 and 16) are zero-padded; decimal ones
// (mocktracer's integers) are converted. "" when an id is missing or does not
// fit.
func Traceparent(sc opentracing.SpanContext) string {
	traceID, spanID := ContextIDs(sc)
	t, ok1 := w3cID(traceID, 32)
	s, ok2 := w3cID(spanID, 16)
	if !ok1 || !ok2 {
		return ""
	}
	return "00-" + t + "-" + s + "-01"
}

// w3cID writes id as width lower-case hex digits.
func w3cID(id string, width int) (string, bool) {
	if id == "" || len(id) > width {
		return "", false
	}
	if (len(id) == 16 || len(id) == 32) && isLowerHex(id) {
		return strings.Repeat("0", width-len(id)) + id, true
	}
	n, err := strconv.ParseUint(id, 10, 64)
	if err != nil {
		return "", false
	}
	h := strconv.FormatUint(n, 16)
	return strings.Repeat("0", width-len(h)) + h, true
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
