package core

import (
	"net/http"
	"testing"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/mocktracer"
	"github.com/uber/jaeger-client-go"

	"github.com/tracewrap/tracewrap/internal/tracetest"
)

func TestTraceIDFromHeaders(t *testing.T) {
	tr := tracetest.JaegerNull(t, true)
	span := tr.StartSpan("x")
	h := http.Header{}
	Inject(span, opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h))
	if got, want := TraceIDFromHeaders(h), span.Context().(jaeger.SpanContext).TraceID().String(); got != want {
		t.Fatalf("jaeger: %q want %q (headers %v)", got, want, h)
	}

	mt := mocktracer.New()
	ms := mt.StartSpan("x")
	h = http.Header{}
	Inject(ms, opentracing.HTTPHeaders, opentracing.HTTPHeadersCarrier(h))
	if got := TraceIDFromHeaders(h); got == "" || got != h.Get("Mockpfx-Ids-Traceid") {
		t.Fatalf("mock: %q", got)
	}

	for v, want := range map[string]string{
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01": "4bf92f3577b34da6a3ce929d0e0e4736",
		"garbage": "",
	} {
		if got := TraceIDFromHeaders(http.Header{"Traceparent": {v}}); got != want {
			t.Errorf("traceparent %q: %q", v, got)
		}
	}
	if got := TraceIDFromHeaders(http.Header{"Uber-Trace-Id": {"abc%3A1%3A0%3A1"}}); got != "abc" {
		t.Fatalf("escaped jaeger: %q", got)
	}
	if TraceIDFromHeaders(http.Header{"Uber-Trace-Id": {"nocolon"}}) != "" || TraceIDFromHeaders(nil) != "" {
		t.Fatal("bad values must give no id")
	}
}
