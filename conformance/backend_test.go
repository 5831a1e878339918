package conformance_test

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/ext"
	"github.com/opentracing/opentracing-go/mocktracer"
	"github.com/uber/jaeger-client-go"
	"go.opentelemetry.io/otel/attribute"
	otbridge "go.opentelemetry.io/otel/bridge/opentracing"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	// Installs the error status setter of the OpenTelemetry bridge.
	_ "github.com/tracewrap/tracewrap/tracing"
)

// span is a finished span as every backend can describe it.
type span struct {
	Name                      string
	Kind                      string // client, server, producer, consumer, "" (none / internal)
	TraceID, SpanID, ParentID string // ParentID "" for a root
	Links                     []string
	Error                     bool
	Description               string // OpenTelemetry: status description; OpenTracing: the error log's message
	Attrs                     map[string]any
}

func (s span) String() string {
	return fmt.Sprintf("%s[%s] trace=%s id=%s parent=%s err=%v %q %v", s.Name, s.Kind, s.TraceID, s.SpanID, s.ParentID, s.Error, s.Description, s.Attrs)
}

// backend is one tracer implementation with two "processes": tracers that
// share nothing but the finished-span store.
type backend struct {
	name   string
	otel   bool // OpenTelemetry vocabulary
	client opentracing.Tracer
	server opentracing.Tracer
	spans  func() []span
}

func backends(t *testing.T) []*backend {
	return []*backend{newMock(), newJaeger(t), newOTel(t)}
}

// forEach runs f on every backend as a subtest.
func forEach(t *testing.T, f func(t *testing.T, b *backend)) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) { f(t, b) })
	}
}

func newMock() *backend {
	c, s := mocktracer.New(), mocktracer.New()
	return &backend{name: "mocktracer", client: c, server: s, spans: func() []span {
		var out []span
		for _, tr := range []*mocktracer.MockTracer{c, s} {
			for _, ms := range tr.FinishedSpans() {
				sp := span{
					Name:    ms.OperationName,
					TraceID: strconv.Itoa(ms.SpanContext.TraceID),
					SpanID:  strconv.Itoa(ms.SpanContext.SpanID),
					Attrs:   ms.Tags(),
				}
				if ms.ParentID != 0 {
					sp.ParentID = strconv.Itoa(ms.ParentID)
				}
				sp.Kind = kindTag(ms.Tag(string(ext.SpanKind)))
				sp.Error = ms.Tag(string(ext.Error)) == true
				for _, l := range ms.Logs() {
					fields := map[string]string{}
					for _, f := range l.Fields {
						fields[f.Key] = fmt.Sprint(f.ValueString)
					}
					if fields["event"] == "error" {
						sp.Description = fields["message"]
					}
				}
				out = append(out, sp)
			}
		}
		return out
	}}
}

func kindTag(v any) string {
	switch k := v.(type) {
	case ext.SpanKindEnum:
		return string(k)
	case string:
		return k
	}
	return ""
}

func newJaeger(t *testing.T) *backend {
	var mu sync.Mutex
	var reps []*jaeger.InMemoryReporter
	mk := func(service string) opentracing.Tracer {
		rep := jaeger.NewInMemoryReporter()
		tr, closer := jaeger.NewTracer(service, jaeger.NewConstSampler(true), rep,
			jaeger.TracerOptions.Gen128Bit(true))
		t.Cleanup(func() { closer.Close() })
		mu.Lock()
		reps = append(reps, rep)
		mu.Unlock()
		return tr
	}
	b := &backend{name: "jaeger", client: mk("client"), server: mk("server")}
	b.spans = func() []span {
		var out []span
		for _, rep := range reps {
			for _, os := range rep.GetSpans() {
				js := os.(*jaeger.Span)
				sc := js.SpanContext()
				sp := span{
					Name:    js.OperationName(),
					TraceID: sc.TraceID().String(),
					SpanID:  sc.SpanID().String(),
					Attrs:   js.Tags(),
				}
				if sc.ParentID() != 0 {
					sp.ParentID = sc.ParentID().String()
				}
				for _, r := range js.References() {
					if rc, ok := r.ReferencedContext.(jaeger.SpanContext); ok && rc.SpanID() != sc.ParentID() {
						sp.Links = append(sp.Links, rc.SpanID().String())
					}
				}
				sp.Kind = kindTag(sp.Attrs[string(ext.SpanKind)])
				sp.Error = sp.Attrs[string(ext.Error)] == true
				for _, l := range js.Logs() {
					fields := map[string]string{}
					for _, f := range l.Fields {
						fields[f.Key()] = f.Value().(string)
					}
					if fields["event"] == "error" {
						sp.Description = fields["message"]
					}
				}
				out = append(out, sp)
			}
		}
		return out
	}
	return b
}

func newOTel(t *testing.T) *backend {
	exp := tracetest.NewInMemoryExporter()
	prop := propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
	mk := func(service string) opentracing.Tracer {
		tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp),
			sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", service))))
		t.Cleanup(func() { _ = tp.Shutdown(t.Context()) })
		bt, _ := otbridge.NewTracerPair(tp.Tracer("tracewrap-conformance"))
		bt.SetTextMapPropagator(prop)
		return bt
	}
	b := &backend{name: "otel-bridge", otel: true, client: mk("client"), server: mk("server")}
	b.spans = func() []span {
		var out []span
		for _, s := range exp.GetSpans() {
			sp := span{
				Name:    s.Name,
				TraceID: s.SpanContext.TraceID().String(),
				SpanID:  s.SpanContext.SpanID().String(),
				Attrs:   map[string]any{},
				Error:   s.Status.Code == codes.Error,
			}
			if s.Parent.IsValid() {
				sp.ParentID = s.Parent.SpanID().String()
			}
			for _, l := range s.Links {
				sp.Links = append(sp.Links, l.SpanContext.SpanID().String())
			}
			switch s.SpanKind {
			case trace.SpanKindClient:
				sp.Kind = "client"
			case trace.SpanKindServer:
				sp.Kind = "server"
			case trace.SpanKindProducer:
				sp.Kind = "producer"
			case trace.SpanKindConsumer:
				sp.Kind = "consumer"
			}
			if sp.Error {
				sp.Description = s.Status.Description
			}
			for _, a := range s.Attributes {
				sp.Attrs[string(a.Key)] = a.Value.AsInterface()
			}
			out = append(out, sp)
		}
		return out
	}
	return b
}

// find returns the finished spans named name, in start order of their ids'
// appearance; it fails the test when there are not exactly n.
func find(t *testing.T, b *backend, name string, n int) []span {
	t.Helper()
	var out []span
	for _, s := range b.spans() {
		if s.Name == name {
			out = append(out, s)
		}
	}
	if len(out) != n {
		t.Fatalf("%d spans named %q, want %d; all: %v", len(out), name, n, b.spans())
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].SpanID < out[j].SpanID })
	return out
}

// key is a semantic tag's name on b: OpenTracing's or OpenTelemetry's.
func key(b *backend, ot, otel string) string {
	if b.otel {
		return otel
	}
	return ot
}

// attr returns s's attribute k as a string (numbers formatted), "" if absent.
func attr(s span, k string) string {
	v, ok := s.Attrs[k]
	if !ok {
		return ""
	}
	return fmt.Sprint(v)
}

// expectAttrs checks attributes: want maps a name to a value, or to "*" for
// "present, any value".
func expectAttrs(t *testing.T, s span, want map[string]string) {
	t.Helper()
	for k, v := range want {
		got, ok := s.Attrs[k]
		switch {
		case !ok:
			t.Errorf("%s: no attribute %s; has %v", s.Name, k, s.Attrs)
		case v != "*" && fmt.Sprint(got) != v:
			t.Errorf("%s: %s = %v, want %s", s.Name, k, got, v)
		}
	}
}

// absent checks that s has none of the attributes: the other vocabulary's
// names must not leak.
func absent(t *testing.T, s span, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if v, ok := s.Attrs[k]; ok {
			t.Errorf("%s: unexpected attribute %s=%v", s.Name, k, v)
		}
	}
}

// expectChild checks that child is a child of parent in the same trace.
func expectChild(t *testing.T, child, parent span) {
	t.Helper()
	if child.TraceID != parent.TraceID || child.ParentID != parent.SpanID {
		t.Errorf("%s (trace %s, parent %s) is not a child of %s (trace %s, id %s)",
			child.Name, child.TraceID, child.ParentID, parent.Name, parent.TraceID, parent.SpanID)
	}
}

// expectKind checks the span kind.
func expectKind(t *testing.T, s span, kind string) {
	t.Helper()
	if s.Kind != kind {
		t.Errorf("%s: kind %q, want %q", s.Name, s.Kind, kind)
	}
}

// expectFailed checks the error status and that its description says what
// failed (contains want).
func expectFailed(t *testing.T, s span, want string) {
	t.Helper()
	if !s.Error {
		t.Errorf("%s: not marked failed", s.Name)
		return
	}
	if s.Description == "" || (want != "" && !strings.Contains(s.Description, want)) {
		t.Errorf("%s: error description %q, want one containing %q", s.Name, s.Description, want)
	}
}

func expectOK(t *testing.T, s span) {
	t.Helper()
	if s.Error {
		t.Errorf("%s: marked failed (%q)", s.Name, s.Description)
	}
}
