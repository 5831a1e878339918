package jaegerquery

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// WaterfallOptions controls Waterfall.
type WaterfallOptions struct {
	// Width is the widest line in columns (default 80, at least 50).
	Width int
	// Color adds ANSI colours (a colour per service, errors in red). Off,
	// the output is plain text: the bars are told apart by their glyphs.
	Color bool
}

// Bar glyphs: a span's own time (no child span of it running) and the time
// one of its children runs.
const (
	glyphSelf  = '█'
	glyphChild = '░'
)

const (
	labelWidth = 34 // tree prefix, operation and [service]
	durWidth   = 7  // "12.3ms"
)

// ANSI colours for services, in order of first appearance, and for errors.
var serviceColors = []string{"\x1b[36m", "\x1b[33m", "\x1b[32m", "\x1b[35m", "\x1b[34m", "\x1b[96m", "\x1b[93m", "\x1b[92m"}

const (
	ansiRed   = "\x1b[31m"
	ansiDim   = "\x1b[2m"
	ansiReset = "\x1b[0m"
)

// UseColor reports whether output to f may be coloured: f is a terminal,
// NO_COLOR is unset (https://no-color.org) and TERM is not "dumb".
func UseColor(f *os.File) bool {
	if os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" || f == nil {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// WaterfallRow is one line of the waterfall: a span at its depth in the
// tree, its bar's columns and its self time.
type WaterfallRow struct {
	Span     *Span
	Depth    int
	Label    string // tree prefix, operation and [service], cut to fit
	Cells    []rune // the bar area: ' ', glyphSelf or glyphChild
	SelfTime int64  // microseconds in which none of the span's children ran
}

// Waterfall is the picture Jaeger's UI draws: one line per span, in tree
// order (with its [service] where the trace enters another one), with its
// duration and a bar on the trace's common time axis (the
// root's start to the last span's end). Within a span's bar, █ is time the
// span spent on its own (no child span running: work in the process, or a
// call on the wire before the server's span starts) and ░ is time one of its
// child spans ran; gaps between children therefore show as █. An axis line
// on top gives the times; the legend below names the spans with the most
// self time. Every line fits opts.Width columns.
func (t *Trace) Waterfall(w io.Writer, opts WaterfallOptions) {
	width := opts.Width
	if width <= 0 {
		width = 80
	}
	if width < 50 {
		width = 50
	}
	barW := width - labelWidth - durWidth - 4 // "label dur |bar|"
	rows, _, total := t.waterfallRows(barW)
	if len(rows) == 0 {
		fmt.Fprintln(w, "(no spans)")
		return
	}
	colors := map[string]string{}
	for _, r := range rows {
		if _, ok := colors[r.Span.Service]; !ok {
			colors[r.Span.Service] = serviceColors[len(colors)%len(serviceColors)]
		}
	}

	// Axis: the times at the start, quarters and end of the bar area.
	axis := []rune(strings.Repeat(" ", barW+2))
	put := func(col int, s string, right bool) {
		rs := []rune(s)
		if right {
			col -= len(rs) - 1
		}
		if col < 0 || col+len(rs) > len(axis) {
			return
		}
		for i := col - 1; i <= col+len(rs); i++ { // keep a space between labels
			if i >= 0 && i < len(axis) && axis[i] != ' ' {
				return
			}
		}
		copy(axis[col:], rs)
	}
	put(1, "0", false)
	put(barW, fmtDur(total), true)
	for q := 1; q <= 3; q++ {
		put(1+barW*q/4, fmtDur(total*int64(q)/4), false)
	}
	head := fmt.Sprintf("%-*s %*s ", labelWidth, cut(fmt.Sprintf("%d spans, %s", len(rows), fmtDur(total)), labelWidth), durWidth, "")
	fmt.Fprintln(w, strings.TrimRight(head+string(axis), " "))

	for _, r := range rows {
		label := padRight(r.Label, labelWidth)
		dur := fmt.Sprintf("%*s", durWidth, fmtDur(r.Span.Duration))
		bar := string(r.Cells)
		if opts.Color {
			c := colors[r.Span.Service]
			if r.Span.IsError() {
				label = ansiRed + label + ansiReset
			}
			bar = colorBar(r.Cells, c)
		}
		fmt.Fprintf(w, "%s %s |%s|\n", label, dur, bar)
	}

	// Legend: the scale, and where the time went.
	colW := float64(total) / float64(barW)
	legend := fmt.Sprintf("%c own time (no child span running)  %c in a child span  1 column = %s", glyphSelf, glyphChild, fmtDur(int64(colW+0.5)))
	fmt.Fprintln(w, cut(legend, width))
	byself := append([]WaterfallRow(nil), rows...)
	sort.SliceStable(byself, func(i, j int) bool { return byself[i].SelfTime > byself[j].SelfTime })
	var parts []string
	for _, r := range byself {
		if len(parts) == 3 || r.SelfTime <= 0 {
			break
		}
		parts = append(parts, fmt.Sprintf("%s [%s] %s", r.Span.OperationName, r.Span.Service, fmtDur(r.SelfTime)))
	}
	if len(parts) > 0 {
		fmt.Fprintln(w, cut("most own time: "+strings.Join(parts, ", "), width))
	}
}

// WaterfallRows computes the waterfall's rows for a bar area of barW
// columns, with the trace's start (µs since the epoch) and length (µs).
func (t *Trace) WaterfallRows(barW int) (rows []WaterfallRow, start, total int64) {
	return t.waterfallRows(barW)
}

func (t *Trace) waterfallRows(barW int) ([]WaterfallRow, int64, int64) {
	if len(t.Spans) == 0 || barW < 1 {
		return nil, 0, 0
	}
	t0, t1 := t.Spans[0].StartTime, t.Spans[0].StartTime+t.Spans[0].Duration
	for _, s := range t.Spans {
		t0 = min(t0, s.StartTime)
		t1 = max(t1, s.StartTime+s.Duration)
	}
	total := max(t1-t0, 1)
	col := func(ts int64) float64 { return float64(ts-t0) * float64(barW) / float64(total) }

	var rows []WaterfallRow
	// The tree is drawn two columns a level, and a span's [service] only
	// where it differs from its parent's (where the trace enters another
	// process), to leave room for the names.
	var walk func(n *Node, prefix string, last bool, depth int, parentService string)
	walk = func(n *Node, prefix string, last bool, depth int, parentService string) {
		branch, next := "├ ", "│ "
		if last {
			branch, next = "└ ", "  "
		}
		if depth == 0 {
			branch, next = "", ""
		}
		s := n.Span
		name := s.OperationName
		if s.IsError() {
			name = "! " + name
		}
		service := s.Service
		if depth > 0 && service == parentService {
			service = ""
		}
		r := WaterfallRow{Span: s, Depth: depth, Label: treeLabel(prefix+branch, name, service, labelWidth)}

		// Children's time within the span, as merged intervals.
		var iv [][2]int64
		for _, c := range n.Children {
			a, b := max(c.Span.StartTime, s.StartTime), min(c.Span.StartTime+c.Span.Duration, s.StartTime+s.Duration)
			if b > a {
				iv = append(iv, [2]int64{a, b})
			}
		}
		iv = merge(iv)
		var busy int64
		for _, x := range iv {
			busy += x[1] - x[0]
		}
		r.SelfTime = max(s.Duration-busy, 0)

		// The bar: the span's columns, rounded outwards so that even a
		// span shorter than a column shows; a column is ░ when a child
		// runs for at least half of it.
		cells := []rune(strings.Repeat(" ", barW))
		from := int(col(s.StartTime))
		to := int(ceil(col(s.StartTime + s.Duration)))
		from = min(max(from, 0), barW-1)
		to = min(max(to, from+1), barW)
		colDur := float64(total) / float64(barW)
		for x := from; x < to; x++ {
			lo := t0 + int64(float64(x)*colDur)
			hi := t0 + int64(float64(x+1)*colDur)
			lo, hi = max(lo, s.StartTime), min(hi, s.StartTime+s.Duration)
			var inChild int64
			for _, v := range iv {
				if a, b := max(v[0], lo), min(v[1], hi); b > a {
					inChild += b - a
				}
			}
			cells[x] = glyphSelf
			if hi > lo && inChild*2 >= hi-lo {
				cells[x] = glyphChild
			}
		}
		r.Cells = cells
		rows = append(rows, r)
		for i, c := range n.Children {
			walk(c, prefix+next, i == len(n.Children)-1, depth+1, s.Service)
		}
	}
	for _, root := range t.Tree() {
		walk(root, "", true, 0, "")
	}
	return rows, t0, total
}

func ceil(f float64) float64 {
	i := float64(int64(f))
	if f > i {
		return i + 1
	}
	return i
}

// merge sorts and joins overlapping intervals.
func merge(iv [][2]int64) [][2]int64 {
	sort.Slice(iv, func(i, j int) bool { return iv[i][0] < iv[j][0] })
	var out [][2]int64
	for _, x := range iv {
		if n := len(out); n > 0 && x[0] <= out[n-1][1] {
			out[n-1][1] = max(out[n-1][1], x[1])
			continue
		}
		out = append(out, x)
	}
	return out
}

// treeLabel is prefix, name and [service] ("" for none) in at most width
// columns: the name is cut first (ending in …), then the service.
func treeLabel(prefix, name, service string, width int) string {
	svc := ""
	if service != "" {
		svc = " [" + service + "]"
	}
	room := width - utf8.RuneCountInString(prefix) - utf8.RuneCountInString(svc)
	if room >= 4 {
		return prefix + cut(name, room) + svc
	}
	return cut(prefix+name+svc, width)
}

// cut shortens s to at most n columns, marking the cut with …
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n <= 1 {
		return string([]rune(s)[:n])
	}
	return string([]rune(s)[:n-1]) + "…"
}

func padRight(s string, n int) string {
	if k := utf8.RuneCountInString(s); k < n {
		return s + strings.Repeat(" ", n-k)
	}
	return s
}

// colorBar colours own time in the service's colour and child time dimmed.
func colorBar(cells []rune, c string) string {
	var b strings.Builder
	cur := ""
	for _, r := range cells {
		want := ""
		switch r {
		case glyphSelf:
			want = c
		case glyphChild:
			want = c + ansiDim
		}
		if want != cur {
			if cur != "" {
				b.WriteString(ansiReset)
			}
			b.WriteString(want)
			cur = want
		}
		b.WriteRune(r)
	}
	if cur != "" {
		b.WriteString(ansiReset)
	}
	return b.String()
}

// fmtDur formats microseconds compactly: 850µs, 7.4ms, 1.25s.
func fmtDur(us int64) string {
	d := time.Duration(us) * time.Microsecond
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%dµs", us)
	case d < 10*time.Millisecond:
		return trimZeros(fmt.Sprintf("%.2f", float64(us)/1000)) + "ms"
	case d < time.Second:
		return trimZeros(fmt.Sprintf("%.1f", float64(us)/1000)) + "ms"
	case d < 10*time.Second:
		return trimZeros(fmt.Sprintf("%.2f", d.Seconds())) + "s"
	default:
		return trimZeros(fmt.Sprintf("%.1f", d.Seconds())) + "s"
	}
}

func trimZeros(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}
