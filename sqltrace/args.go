package sqltrace

import (
	"database/sql/driver"
	"reflect"
	"strconv"
	"time"

	"github.com/tracewrap/tracewrap/internal/core"
)

// MaxArgLength caps each string argument FormatArgs shows, in bytes, so one
// large value does not push all the others out of the tag.
const MaxArgLength = 128

// FormatArgs is the default ArgsFormatter of WithPayloadCapture:
// [42, "ann", <[]byte len=1048576>, NULL, 2024-05-01T10:00:00Z, name="x"].
// Strings are quoted and capped at MaxArgLength, byte slices show only their
// length (they are blobs, images, hashes, encrypted data), values of other
// types only their type unless they are plain numbers or booleans, and the
// whole result is capped at max bytes.
func FormatArgs(args []driver.NamedValue, max int) string {
	b := make([]byte, 0, 16*len(args)+2)
	b = append(b, '[')
	for i, a := range args {
		if max > 0 && len(b) > max {
			break // the rest would be cut anyway
		}
		if i > 0 {
			b = append(b, ", "...)
		}
		if a.Name != "" {
			b = append(b, a.Name...)
			b = append(b, '=')
		}
		b = appendArg(b, a.Value)
	}
	b = append(b, ']')
	s, _ := core.Truncate(string(b), max)
	return s
}

func appendArg(b []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, "NULL"...)
	case string:
		s, _ := core.Truncate(v, MaxArgLength)
		return core.Quote(b, s)
	case []byte:
		if v == nil {
			return append(b, "NULL"...)
		}
		return append(strconv.AppendInt(append(b, "<[]byte len="...), int64(len(v)), 10), '>')
	case int64:
		return strconv.AppendInt(b, v, 10)
	case float64:
		return strconv.AppendFloat(b, v, 'g', -1, 64)
	case bool:
		return strconv.AppendBool(b, v)
	case time.Time:
		return v.AppendFormat(b, time.RFC3339Nano)
	}
	// Drivers with a NamedValueChecker may pass other types through. Only
	// plain kinds are printed: calling String() or reflecting into structs
	// would run application code on the hot path.
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.AppendInt(b, rv.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.AppendUint(b, rv.Uint(), 10)
	case reflect.Float32, reflect.Float64:
		return strconv.AppendFloat(b, rv.Float(), 'g', -1, 64)
	case reflect.Bool:
		return strconv.AppendBool(b, rv.Bool())
	case reflect.String:
		s, _ := core.Truncate(rv.String(), MaxArgLength)
		return core.Quote(b, s)
	case reflect.Slice:
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			return append(strconv.AppendInt(append(b, "<[]byte len="...), int64(rv.Len()), 10), '>')
		}
	}
	return append(append(append(b, '<'), rv.Type().String()...), '>')
}
