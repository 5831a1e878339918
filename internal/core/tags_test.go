package core

import (
	"testing"

	"github.com/opentracing/opentracing-go"
	"github.com/opentracing/opentracing-go/mocktracer"
)

func TestCaptureAndApplyTags(t *testing.T) {
	tags := CaptureTags(func(s opentracing.Span) {
		ParsePeer("10.0.0.1:3306").Apply(s)
		s.SetTag("db.instance", "shop")
	})
	if len(tags) != 4 {
		t.Fatalf("captured %v", tags)
	}
	span := mocktracer.New().StartSpan("x")
	tags.Apply(span)
	ms := span.(*mocktracer.MockSpan)
	if ms.Tag("peer.ipv4") != "10.0.0.1" || ms.Tag("peer.port") != uint16(3306) || ms.Tag("db.instance") != "shop" {
		t.Fatalf("tags %v", ms.Tags())
	}
	Tags(nil).Apply(span)
	tags.Apply(nil)
}
