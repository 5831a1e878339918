package jaegerquery

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// The OTLP JSON that Jaeger v2's /api/v3/traces/{id} answers with:
// {"result":{"resourceSpans":[{"resource":{"attributes":[...]},
// "scopeSpans":[{"scope":{...},"spans":[...]}]}]}}. Ids are hex, times are
// nanoseconds in strings, kind and status code are enum numbers (names are
// accepted too).
type otlpResponse struct {
	Result *struct {
		ResourceSpans []otlpResourceSpans `json:"resourceSpans"`
	} `json:"result"`
	Error *struct {
		HTTPCode int    `json:"httpCode"`
		Message  string `json:"message"`
	} `json:"error"`
}

type otlpResourceSpans struct {
	Resource struct {
		Attributes []otlpKeyValue `json:"attributes"`
	} `json:"resource"`
	ScopeSpans []struct {
		Scope struct {
			Name    string `json:"name"`
			Version string `json:"version"`
		} `json:"scope"`
		Spans []otlpSpan `json:"spans"`
	} `json:"scopeSpans"`
}

type otlpSpan struct {
	TraceID           string          `json:"traceId"`
	SpanID            string          `json:"spanId"`
	ParentSpanID      string          `json:"parentSpanId"`
	Name              string          `json:"name"`
	Kind              json.RawMessage `json:"kind"`
	StartTimeUnixNano json.Number     `json:"startTimeUnixNano"`
	EndTimeUnixNano   json.Number     `json:"endTimeUnixNano"`
	Attributes        []otlpKeyValue  `json:"attributes"`
	Events            []struct {
		TimeUnixNano json.Number    `json:"timeUnixNano"`
		Name         string         `json:"name"`
		Attributes   []otlpKeyValue `json:"attributes"`
	} `json:"events"`
	Links []struct {
		TraceID    string         `json:"traceId"`
		SpanID     string         `json:"spanId"`
		Attributes []otlpKeyValue `json:"attributes"`
	} `json:"links"`
	Status struct {
		Code    json.RawMessage `json:"code"`
		Message string          `json:"message"`
	} `json:"status"`
}

type otlpKeyValue struct {
	Key   string    `json:"key"`
	Value otlpValue `json:"value"`
}

type otlpValue struct {
	StringValue *string          `json:"stringValue"`
	BoolValue   *bool            `json:"boolValue"`
	IntValue    *json.Number     `json:"intValue"`
	DoubleValue *json.Number     `json:"doubleValue"`
	BytesValue  *string          `json:"bytesValue"`
	ArrayValue  *json.RawMessage `json:"arrayValue"`
	KvlistValue *json.RawMessage `json:"kvlistValue"`
}

// Attribute keys with a meaning of their own.
const (
	attrServiceName = "service.name"
	attrRefType     = "opentracing.ref_type" // on links made from OpenTracing references
	attrWarnings    = "@jaeger@warnings"     // Jaeger's adjusters' notes

	attrScopeName    = "otel.scope.name" // tags Jaeger shows for the instrumentation scope
	attrScopeVersion = "otel.scope.version"
)

var spanKinds = map[string]string{
	"1": "internal", "2": "server", "3": "client", "4": "producer", "5": "consumer",
	"SPAN_KIND_INTERNAL": "internal", "SPAN_KIND_SERVER": "server", "SPAN_KIND_CLIENT": "client",
	"SPAN_KIND_PRODUCER": "producer", "SPAN_KIND_CONSUMER": "consumer",
}

var statusCodes = map[string]string{
	"1": StatusOK, "2": StatusError, "STATUS_CODE_OK": StatusOK, "STATUS_CODE_ERROR": StatusError,
}

// enumName is a JSON enum value (2 or "SPAN_KIND_SERVER") as text.
func enumName(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(bytes.TrimSpace(raw))
}

// ParseOTLP converts an /api/v3/traces/{id} answer into a Trace (see the
// package comment for the mapping). The spans of all resources come back in
// one list; resources with identical attributes are one process. Raw is body.
func ParseOTLP(body []byte) (*Trace, error) {
	var resp otlpResponse
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&resp); err != nil {
		return nil, err
	}
	if resp.Error != nil {
		return nil, fmt.Errorf("query API error %d: %s", resp.Error.HTTPCode, resp.Error.Message)
	}
	t := &Trace{Processes: map[string]Process{}, Raw: body}
	if resp.Result == nil {
		return t, nil
	}
	procIDs := map[string]string{} // canonical resource -> process id
	for _, rs := range resp.Result.ResourceSpans {
		proc := Process{}
		for _, kv := range rs.Resource.Attributes {
			tag, err := convertKV(kv)
			if err != nil {
				return nil, err
			}
			if tag.Key == attrServiceName {
				proc.ServiceName = fmt.Sprint(tag.Value)
				continue
			}
			proc.Tags = append(proc.Tags, tag)
		}
		sort.Slice(proc.Tags, func(i, j int) bool { return proc.Tags[i].Key < proc.Tags[j].Key })
		canon, _ := json.Marshal(proc)
		pid, ok := procIDs[string(canon)]
		if !ok {
			pid = fmt.Sprintf("p%d", len(procIDs)+1)
			procIDs[string(canon)] = pid
			t.Processes[pid] = proc
		}
		for _, ss := range rs.ScopeSpans {
			// The instrumentation scope, as Jaeger's UI shows it: tags.
			var scopeTags []KeyValue
			if ss.Scope.Name != "" {
				scopeTags = append(scopeTags, KeyValue{Key: attrScopeName, Type: "string", Value: ss.Scope.Name})
			}
			if ss.Scope.Version != "" {
				scopeTags = append(scopeTags, KeyValue{Key: attrScopeVersion, Type: "string", Value: ss.Scope.Version})
			}
			for i := range ss.Spans {
				s, err := convertSpan(&ss.Spans[i])
				if err != nil {
					return nil, err
				}
				s.Tags = append(s.Tags, scopeTags...)
				s.ProcessID = pid
				s.Service = proc.ServiceName
				if t.TraceID == "" {
					t.TraceID = s.TraceID
				}
				t.Spans = append(t.Spans, s)
			}
		}
	}
	return t, nil
}

func convertSpan(o *otlpSpan) (*Span, error) {
	var err error
	s := &Span{OperationName: o.Name, SpanKind: spanKinds[enumName(o.Kind)]}
	if s.TraceID, err = traceID(o.TraceID); err != nil {
		return nil, fmt.Errorf("span %q: traceId: %w", o.Name, err)
	}
	if s.SpanID, err = hexID(o.SpanID, 8); err != nil {
		return nil, fmt.Errorf("span %q: spanId: %w", o.Name, err)
	}
	start, err := nanos(o.StartTimeUnixNano)
	if err != nil {
		return nil, fmt.Errorf("span %q: startTimeUnixNano: %w", o.Name, err)
	}
	end, err := nanos(o.EndTimeUnixNano)
	if err != nil {
		return nil, fmt.Errorf("span %q: endTimeUnixNano: %w", o.Name, err)
	}
	s.StartTime = start / 1000
	s.Duration = (end - start) / 1000
	if s.Duration < 0 {
		s.Duration = 0
	}
	if o.ParentSpanID != "" {
		pid, err := hexID(o.ParentSpanID, 8)
		if err != nil {
			return nil, fmt.Errorf("span %q: parentSpanId: %w", o.Name, err)
		}
		if strings.Trim(pid, "0") != "" {
			s.References = append(s.References, Reference{RefType: "CHILD_OF", TraceID: s.TraceID, SpanID: pid})
		}
	}
	for _, l := range o.Links {
		r := Reference{RefType: "FOLLOWS_FROM"}
		if r.TraceID, err = traceID(l.TraceID); err != nil {
			return nil, fmt.Errorf("span %q: link traceId: %w", o.Name, err)
		}
		if r.SpanID, err = hexID(l.SpanID, 8); err != nil {
			return nil, fmt.Errorf("span %q: link spanId: %w", o.Name, err)
		}
		for _, kv := range l.Attributes {
			if kv.Key == attrRefType && kv.Value.StringValue != nil && *kv.Value.StringValue == "child_of" {
				r.RefType = "CHILD_OF"
			}
		}
		s.References = append(s.References, r)
	}
	s.References = followsFromParent(s.References)
	for _, kv := range o.Attributes {
		tag, err := convertKV(kv)
		if err != nil {
			return nil, fmt.Errorf("span %q: %w", o.Name, err)
		}
		if tag.Key == attrWarnings {
			s.Warnings = append(s.Warnings, warnings(kv.Value)...)
			continue
		}
		s.Tags = append(s.Tags, tag)
	}
	for _, e := range o.Events {
		ts, err := nanos(e.TimeUnixNano)
		if err != nil {
			return nil, fmt.Errorf("span %q: event time: %w", o.Name, err)
		}
		l := Log{Timestamp: ts / 1000}
		if e.Name != "" {
			l.Fields = append(l.Fields, KeyValue{Key: "event", Type: "string", Value: e.Name})
		}
		for _, kv := range e.Attributes {
			f, err := convertKV(kv)
			if err != nil {
				return nil, fmt.Errorf("span %q: event %q: %w", o.Name, e.Name, err)
			}
			l.Fields = append(l.Fields, f)
		}
		s.Logs = append(s.Logs, l)
	}
	s.Status = Status{Code: statusCodes[enumName(o.Status.Code)], Message: o.Status.Message}
	return s, nil
}

// followsFromParent: jaeger-client-go sends a span whose only reference is
// FOLLOWS_FROM with that span as its parent id too, and Jaeger v2 stores it
// with parentSpanId and a follows_from link to the same span. That span
// follows from its parent: the CHILD_OF reference is dropped and the
// FOLLOWS_FROM one comes first.
func followsFromParent(refs []Reference) []Reference {
	if len(refs) < 2 || refs[0].RefType != "CHILD_OF" {
		return refs
	}
	for i, r := range refs[1:] {
		if r.RefType == "FOLLOWS_FROM" && r.SpanID == refs[0].SpanID && r.TraceID == refs[0].TraceID {
			out := []Reference{r}
			out = append(out, refs[1:i+1]...)
			return append(out, refs[i+2:]...)
		}
	}
	return refs
}

// traceID is an OTLP trace id in hex as Jaeger writes it: 16 digits when
// the high 64 bits are zero (jaeger-client-go's ids), else 32.
func traceID(s string) (string, error) {
	id, err := hexID(s, 16)
	if err != nil {
		return "", err
	}
	if strings.HasPrefix(id, "0000000000000000") {
		id = id[16:]
	}
	return id, nil
}

// hexID is an OTLP id as lower-case hex of n bytes: OTLP JSON writes hex,
// protobuf's JSON mapping base64; both are accepted.
func hexID(s string, n int) (string, error) {
	if len(s) == 2*n {
		if _, err := hex.DecodeString(s); err == nil {
			return strings.ToLower(s), nil
		}
	}
	if b, err := base64.StdEncoding.DecodeString(s); err == nil && len(b) == n {
		return hex.EncodeToString(b), nil
	}
	return "", fmt.Errorf("%q is not a %d-byte id in hex or base64", s, n)
}

func nanos(n json.Number) (int64, error) {
	if n == "" {
		return 0, errors.New("missing")
	}
	return strconv.ParseInt(string(n), 10, 64)
}

// convertKV turns an OTLP attribute into a tag with a Go value of its type.
func convertKV(kv otlpKeyValue) (KeyValue, error) {
	v := kv.Value
	out := KeyValue{Key: kv.Key}
	switch {
	case v.StringValue != nil:
		out.Type, out.Value = "string", *v.StringValue
	case v.BoolValue != nil:
		out.Type, out.Value = "bool", *v.BoolValue
	case v.IntValue != nil:
		i, err := strconv.ParseInt(string(*v.IntValue), 10, 64)
		if err != nil {
			return out, fmt.Errorf("attribute %s: %w", kv.Key, err)
		}
		out.Type, out.Value = "int64", i
	case v.DoubleValue != nil:
		f, err := strconv.ParseFloat(string(*v.DoubleValue), 64)
		if err != nil {
			return out, fmt.Errorf("attribute %s: %w", kv.Key, err)
		}
		out.Type, out.Value = "float64", f
	case v.BytesValue != nil:
		out.Type, out.Value = "binary", *v.BytesValue
	case v.ArrayValue != nil:
		out.Type, out.Value = "array", string(*v.ArrayValue)
	case v.KvlistValue != nil:
		out.Type, out.Value = "kvlist", string(*v.KvlistValue)
	default:
		out.Type, out.Value = "string", ""
	}
	return out, nil
}

// warnings reads Jaeger's warnings attribute (an array of strings).
func warnings(v otlpValue) []string {
	if v.StringValue != nil {
		return []string{*v.StringValue}
	}
	if v.ArrayValue == nil {
		return nil
	}
	var arr struct {
		Values []otlpValue `json:"values"`
	}
	if json.Unmarshal(*v.ArrayValue, &arr) != nil {
		return []string{string(*v.ArrayValue)}
	}
	var out []string
	for _, e := range arr.Values {
		if e.StringValue != nil {
			out = append(out, *e.StringValue)
		}
	}
	return out
}
