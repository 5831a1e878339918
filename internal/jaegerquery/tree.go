package jaegerquery

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// Tag returns the value of a span tag and whether it is present.
func (s *Span) Tag(key string) (any, bool) {
	for _, kv := range s.Tags {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return nil, false
}

// TagString is Tag formatted as text ("" when absent).
func (s *Span) TagString(key string) string {
	v, ok := s.Tag(key)
	if !ok {
		return ""
	}
	return fmt.Sprint(v)
}

// Parent returns the span id this span is a child of (CHILD_OF first, else
// the first FOLLOWS_FROM), and the reference type; "" for a root.
func (s *Span) Parent() (spanID, refType string) {
	for _, r := range s.References {
		if r.RefType == "CHILD_OF" {
			return r.SpanID, r.RefType
		}
	}
	if len(s.References) > 0 {
		return s.References[0].SpanID, s.References[0].RefType
	}
	return "", ""
}

// Kind is the span's kind ("server", "client", "producer", "consumer",
// "internal"): SpanKind, else a span.kind tag.
func (s *Span) Kind() string {
	if s.SpanKind != "" {
		return s.SpanKind
	}
	return s.TagString("span.kind")
}

// IsError reports whether Jaeger shows the span as an error: status ERROR
// (how Jaeger v2 stores it), or an error=true tag. See Status for the
// spans Jaeger v2 marks as errors.
func (s *Span) IsError() bool {
	if s.Status.Code == StatusError {
		return true
	}
	v, ok := s.Tag("error")
	return ok && (v == true || v == "true")
}

// field is what Print and Waterfall show for a key of DefaultTreeTags: the
// tag, except span.kind (Kind) and error (IsError).
func (s *Span) field(key string) string {
	switch key {
	case "span.kind":
		return s.Kind()
	case "error":
		if s.IsError() {
			return "true"
		}
		return ""
	}
	return s.TagString(key)
}

// Span returns the span with that id, or nil.
func (t *Trace) Span(spanID string) *Span {
	for _, s := range t.Spans {
		if s.SpanID == spanID {
			return s
		}
	}
	return nil
}

// ParentOf returns the span s refers to as its parent (see Span.Parent), or
// nil for a root or an orphan.
func (t *Trace) ParentOf(s *Span) *Span {
	pid, _ := s.Parent()
	if pid == "" {
		return nil
	}
	return t.Span(pid)
}

// Find returns the spans with that operation name, by start time.
func (t *Trace) Find(operation string) []*Span {
	var out []*Span
	for _, s := range t.Spans {
		if s.OperationName == operation {
			out = append(out, s)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].StartTime < out[j].StartTime })
	return out
}

// Children returns the spans whose parent is s, by start time.
func (t *Trace) Children(s *Span) []*Span {
	var out []*Span
	for _, c := range t.Spans {
		if pid, _ := c.Parent(); pid == s.SpanID && c != s {
			out = append(out, c)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].StartTime < out[j].StartTime })
	return out
}

// Node is a span with its children, ordered by start time.
type Node struct {
	Span     *Span
	Children []*Node
}

// Tree arranges the trace's spans under their parents. Spans whose parent is
// not in the trace (orphans) come back as extra roots, so they are visible.
func (t *Trace) Tree() []*Node {
	nodes := make(map[string]*Node, len(t.Spans))
	for _, s := range t.Spans {
		nodes[s.SpanID] = &Node{Span: s}
	}
	var roots []*Node
	for _, s := range t.Spans {
		n := nodes[s.SpanID]
		if pid, _ := s.Parent(); pid != "" && nodes[pid] != nil && pid != s.SpanID {
			nodes[pid].Children = append(nodes[pid].Children, n)
		} else {
			roots = append(roots, n)
		}
	}
	var sortNodes func([]*Node)
	sortNodes = func(ns []*Node) {
		sort.SliceStable(ns, func(i, j int) bool { return ns[i].Span.StartTime < ns[j].Span.StartTime })
		for _, n := range ns {
			sortNodes(n.Children)
		}
	}
	sortNodes(roots)
	return roots
}

// Orphans lists spans that reference a parent missing from the trace.
func (t *Trace) Orphans() []*Span {
	ids := make(map[string]bool, len(t.Spans))
	for _, s := range t.Spans {
		ids[s.SpanID] = true
	}
	var out []*Span
	for _, s := range t.Spans {
		if pid, _ := s.Parent(); pid != "" && !ids[pid] {
			out = append(out, s)
		}
	}
	return out
}

// DefaultTreeTags are the tags Print shows when present: the ones that tell
// what a span did and how it ended (the operation name already says the
// method, command or topic).
var DefaultTreeTags = []string{
	"span.kind", "http.status_code", "grpc.status_code", "db.statement",
	"rocketmq.transaction.state", "rocketmq.consume_result", "error",
}

// Print writes the trace as an indented tree: operation, service, duration and
// the chosen tags (DefaultTreeTags when tags is nil), statements cut to width.
func (t *Trace) Print(w io.Writer, tags []string) {
	if tags == nil {
		tags = DefaultTreeTags
	}
	fmt.Fprintf(w, "trace %s (%d spans)\n", t.TraceID, len(t.Spans))
	var walk func(n *Node, prefix string, last bool, depth int)
	walk = func(n *Node, prefix string, last bool, depth int) {
		branch, next := "├─ ", "│  "
		if last {
			branch, next = "└─ ", "   "
		}
		if depth == 0 {
			branch, next = "", ""
		}
		s := n.Span
		var b strings.Builder
		fmt.Fprintf(&b, "%s%s%s [%s] %s", prefix, branch, s.OperationName, s.Service,
			(time.Duration(s.Duration) * time.Microsecond).Round(10*time.Microsecond))
		if _, ref := s.Parent(); ref == "FOLLOWS_FROM" {
			b.WriteString(" (follows)")
		}
		for _, k := range tags {
			if v := s.field(k); v != "" {
				v = strings.Join(strings.Fields(v), " ")
				if len(v) > 60 {
					v = v[:57] + "..."
				}
				fmt.Fprintf(&b, " %s=%s", k, v)
			}
		}
		fmt.Fprintln(w, b.String())
		for i, c := range n.Children {
			walk(c, prefix+next, i == len(n.Children)-1, depth+1)
		}
	}
	for _, r := range t.Tree() {
		walk(r, "", true, 0)
	}
}
