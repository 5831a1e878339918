package core

import (
	"testing"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/mocktracer"
)

func TestCaptureAndApplyTags(t *testing.T) {
	tags := CaptureTags(func(s opentracing.Span, v *Vocab) {
		ParsePeer("10.0.0.1:3306").Apply(s, v)
		v.Set(s, KeyDBNamespace, "shop")
	})
	if tags.Len(OpenTracing) != 4 || tags.Len(OpenTelemetry) != 3 {
		t.Fatalf("captured %+v", tags)
	}
	span := mocktracer.New().StartSpan("x")
	tags.Apply(span, OpenTracing)
	ms := span.(*mocktracer.MockSpan)
	if ms.Tag("peer.ipv4") != "10.0.0.1" || ms.Tag("peer.port") != uint16(3306) || ms.Tag("db.instance") != "shop" {
		t.Fatalf("tags %v", ms.Tags())
	}
	span = mocktracer.New().StartSpan("x")
	tags.Apply(span, OpenTelemetry)
	ms = span.(*mocktracer.MockSpan)
	if ms.Tag("server.address") != "10.0.0.1" || ms.Tag("server.port") != 3306 || ms.Tag("db.namespace") != "shop" || ms.Tag("db.instance") != nil {
		t.Fatalf("OpenTelemetry tags %v", ms.Tags())
	}
	var empty Tags
	empty.Apply(span, OpenTracing)
	tags.Apply(nil, OpenTracing)
	var quiet opentracing.Span = &noAllocSpan{}
	if n := testing.AllocsPerRun(100, func() { tags.Apply(quiet, OpenTelemetry) }); n != 0 {
		t.Errorf("Apply allocates %v times", n)
	}
}

// noAllocSpan records nothing, so AllocsPerRun measures Apply alone.
type noAllocSpan struct{ opentracing.Span }

func (s *noAllocSpan) SetTag(string, any) opentracing.Span { return s }
