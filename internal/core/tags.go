package core

import "github.com/opentracing/opentracing-go"

// Tags are tags computed once (from a DSN, an address, a config) and set on
// many spans. Their values are boxed once, so setting them allocates
// nothing per span.
type Tags []opentracing.Tag

// Apply sets every tag on span. A nil span is a no-op.
func (t Tags) Apply(span opentracing.Span) {
	if span == nil {
		return
	}
	for _, tag := range t {
		span.SetTag(tag.Key, tag.Value)
	}
}

// CaptureTags runs set against a span that only records SetTag calls and
// returns what it set, in order, for Apply to replay: a helper written for
// one span (Peer.Apply, for instance) becomes a precomputed tag list.
func CaptureTags(set func(span opentracing.Span)) Tags {
	var c tagCapture
	c.Span = opentracing.NoopTracer{}.StartSpan("")
	set(&c)
	return c.tags
}

type tagCapture struct {
	opentracing.Span
	tags Tags
}

func (c *tagCapture) SetTag(key string, value any) opentracing.Span {
	c.tags = append(c.tags, opentracing.Tag{Key: key, Value: value})
	return c
}
