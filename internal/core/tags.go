package core

import "github.com/opentracing/opentracing-go"

// Tags are tags computed once (from a DSN, an address, a config) and set on
// many spans, in both vocabularies. Their values are boxed once, so setting
// them allocates nothing per span.
type Tags struct {
	ot, otel []opentracing.Tag
}

// Apply sets the tags of vocabulary v on span. A nil span is a no-op.
func (t *Tags) Apply(span opentracing.Span, v *Vocab) {
	if span == nil {
		return
	}
	list := t.ot
	if v.otel {
		list = t.otel
	}
	for _, tag := range list {
		span.SetTag(tag.Key, tag.Value)
	}
}

// Len is the number of tags in vocabulary v.
func (t *Tags) Len(v *Vocab) int {
	if v.otel {
		return len(t.otel)
	}
	return len(t.ot)
}

// CaptureTags runs set, once per vocabulary, against a span that only
// records SetTag calls and returns what it set, in order, for Apply to
// replay: a helper written for one span (Peer.Apply, for instance) becomes a
// precomputed tag list.
func CaptureTags(set func(span opentracing.Span, v *Vocab)) Tags {
	var t Tags
	for _, v := range [...]*Vocab{OpenTracing, OpenTelemetry} {
		var c tagCapture
		c.Span = opentracing.NoopTracer{}.StartSpan("")
		set(&c, v)
		if v.otel {
			t.otel = c.tags
		} else {
			t.ot = c.tags
		}
	}
	return t
}

type tagCapture struct {
	opentracing.Span
	tags []opentracing.Tag
}

func (c *tagCapture) SetTag(key string, value any) opentracing.Span {
	c.tags = append(c.tags, opentracing.Tag{Key: key, Value: value})
	return c
}
