package sqltrace

import (
	"encoding/binary"
	"encoding/hex"
	"reflect"
	"sync"

	"github.com/opentracing/opentracing-go"
)

// A W3C traceparent for tracers that do not inject one, derived from the
// span context's ids without importing any tracer: the TraceID and SpanID
// methods (or, as in mocktracer, fields) of the context are found once per
// context type by reflection. Understood shapes: jaeger.TraceID (a struct of
// two uint64, High and Low) and jaeger.SpanID (uint64); the 16- and 8-byte
// arrays of OpenTelemetry (the bridge's context embeds trace.SpanContext);
// plain integers (mocktracer).

// idReader reads one id of a span context as 128 bits; nil when the context
// type has no readable id of that name.
type idReader func(v reflect.Value) (hi, lo uint64, ok bool)

type idReaders struct{ trace, span idReader }

var idReadersByType sync.Map // reflect.Type -> *idReaders

// traceparentOf returns "00-<trace id>-<span id>-01" for sc (the comment is
// only written for sampled spans), or "" when sc's ids cannot be read or are
// zero (invalid in W3C).
func traceparentOf(sc opentracing.SpanContext) string {
	if sc == nil {
		return ""
	}
	v := reflect.ValueOf(sc)
	if v.Kind() == reflect.Pointer && v.IsNil() {
		return ""
	}
	r := readersOf(v.Type())
	if r.trace == nil || r.span == nil {
		return ""
	}
	thi, tlo, ok1 := r.trace(v)
	_, slo, ok2 := r.span(v)
	if !ok1 || !ok2 || (thi == 0 && tlo == 0) || slo == 0 {
		return ""
	}
	var b [16 + 8]byte
	binary.BigEndian.PutUint64(b[0:], thi)
	binary.BigEndian.PutUint64(b[8:], tlo)
	binary.BigEndian.PutUint64(b[16:], slo)
	out := make([]byte, 0, 55)
	out = append(out, "00-"...)
	out = hex.AppendEncode(out, b[:16])
	out = append(out, '-')
	out = hex.AppendEncode(out, b[16:])
	out = append(out, "-01"...)
	return string(out)
}

func readersOf(t reflect.Type) *idReaders {
	if r, ok := idReadersByType.Load(t); ok {
		return r.(*idReaders)
	}
	r := &idReaders{trace: findID(t, "TraceID", 16), span: findID(t, "SpanID", 8)}
	idReadersByType.Store(t, r)
	return r
}

// findID builds the reader of the method or field name of t, whose value is
// at most size bytes.
func findID(t reflect.Type, name string, size int) idReader {
	if m, ok := t.MethodByName(name); ok && m.Type.NumIn() == 1 && m.Type.NumOut() == 1 {
		conv := idValue(m.Type.Out(0), size)
		if conv == nil {
			return nil
		}
		i := m.Index
		return func(v reflect.Value) (uint64, uint64, bool) { return conv(v.Method(i).Call(nil)[0]) }
	}
	st, deref := t, false
	if st.Kind() == reflect.Pointer {
		st, deref = st.Elem(), true
	}
	if st.Kind() != reflect.Struct {
		return nil
	}
	f, ok := st.FieldByName(name)
	if !ok || !f.IsExported() {
		return nil
	}
	conv := idValue(f.Type, size)
	if conv == nil {
		return nil
	}
	return func(v reflect.Value) (uint64, uint64, bool) {
		if deref {
			v = v.Elem()
		}
		return conv(v.FieldByIndex(f.Index))
	}
}

// idValue converts an id of type t to 128 bits, or is nil for a type it
// does not understand.
func idValue(t reflect.Type, size int) func(reflect.Value) (uint64, uint64, bool) {
	switch t.Kind() {
	case reflect.Uint, reflect.Uint32, reflect.Uint64:
		return func(v reflect.Value) (uint64, uint64, bool) { return 0, v.Uint(), true }
	case reflect.Int, reflect.Int32, reflect.Int64:
		return func(v reflect.Value) (uint64, uint64, bool) {
			n := v.Int()
			return 0, uint64(n), n >= 0
		}
	case reflect.Array:
		if t.Elem().Kind() != reflect.Uint8 || t.Len() != size {
			return nil
		}
		return func(v reflect.Value) (uint64, uint64, bool) {
			var b [16]byte
			for i := 0; i < size; i++ {
				b[16-size+i] = byte(v.Index(i).Uint())
			}
			return binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:]), true
		}
	case reflect.Struct:
		hi, ok1 := t.FieldByName("High")
		lo, ok2 := t.FieldByName("Low")
		if !ok1 || !ok2 || hi.Type.Kind() != reflect.Uint64 || lo.Type.Kind() != reflect.Uint64 {
			return nil
		}
		return func(v reflect.Value) (uint64, uint64, bool) {
			return v.FieldByIndex(hi.Index).Uint(), v.FieldByIndex(lo.Index).Uint(), true
		}
	}
	return nil
}
