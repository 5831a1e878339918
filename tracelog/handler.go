package tracelog

import (
	"context"
	"log/slog"

	"github.com/tracewrap/tracewrap/internal/core"
)

// NewHandler returns a slog.Handler that adds trace_id and span_id to every
// record logged with a context holding a span (slog.InfoContext(ctx, ...),
// logger.Log(ctx, ...)), then hands the record to h. Records without one go
// to h unchanged.
//
//	logger := slog.New(tracelog.NewHandler(slog.NewJSONHandler(os.Stderr, nil)))
//	logger.InfoContext(ctx, "order placed", "order", id)
//	// {"time":...,"level":"INFO","msg":"order placed","order":"o-1","trace_id":"4bf92f3577b34da6...","span_id":"00f067aa0ba902b7"}
//
// The ids are top-level attributes also under logger.WithGroup(...), where
// the record's own attributes go into the group: log pipelines look for
// them there. WithAttrs and WithGroup return handlers that keep adding them.
// A span id that is "" (see SpanID) is left out.
func NewHandler(h slog.Handler) slog.Handler {
	if t, ok := h.(*handler); ok {
		return t // already adds the ids
	}
	return &handler{cur: h, base: h}
}

// handler holds h with everything applied (cur) and, once a group is open,
// the handler before the first group (base) and the calls made on it since
// (steps), to apply on base after the ids: attributes added to a record go
// into the open group, and the ids belong at the top.
type handler struct {
	cur   slog.Handler
	base  slog.Handler
	steps []step
}

// step is one WithAttrs (group == "") or WithGroup call.
type step struct {
	group string
	attrs []slog.Attr
}

func (h *handler) Enabled(ctx context.Context, l slog.Level) bool { return h.cur.Enabled(ctx, l) }

func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	traceID, spanID := core.SpanIDs(core.SpanFromContext(ctx))
	if traceID == "" {
		return h.cur.Handle(ctx, r)
	}
	ids := make([]slog.Attr, 1, 2)
	ids[0] = slog.String(TraceIDKey, traceID)
	if spanID != "" {
		ids = append(ids, slog.String(SpanIDKey, spanID))
	}
	if len(h.steps) == 0 {
		r = r.Clone() // the caller's record may share its attributes
		r.AddAttrs(ids...)
		return h.cur.Handle(ctx, r)
	}
	out := h.base.WithAttrs(ids)
	for _, s := range h.steps {
		if s.group != "" {
			out = out.WithGroup(s.group)
		} else {
			out = out.WithAttrs(s.attrs)
		}
	}
	return out.Handle(ctx, r)
}

func (h *handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	n := &handler{cur: h.cur.WithAttrs(attrs), base: h.base}
	if len(h.steps) == 0 {
		n.base = n.cur // no group open: the attributes are top-level as the ids
		return n
	}
	n.steps = append(h.steps[:len(h.steps):len(h.steps)], step{attrs: attrs})
	return n
}

func (h *handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h // slog: an empty group name is no group
	}
	return &handler{
		cur:   h.cur.WithGroup(name),
		base:  h.base,
		steps: append(h.steps[:len(h.steps):len(h.steps)], step{group: name}),
	}
}
