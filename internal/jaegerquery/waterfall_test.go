package jaegerquery

import (
	"fmt"
	"math"
	"os"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")

// deepTrace is a long, deep trace with long names: the worst case for width.
func deepTrace() *Trace {
	tr := &Trace{TraceID: "00000000000000000000000000000abc", Processes: map[string]Process{}}
	parent := ""
	for i := 0; i < 12; i++ {
		s := &Span{
			TraceID: tr.TraceID, SpanID: fmt.Sprintf("%016x", i+1),
			OperationName: fmt.Sprintf("consume shop-orders-demo-with-a-very-long-topic-name-%d", i),
			Service:       fmt.Sprintf("service-with-a-long-name-%d", i%3),
			StartTime:     1_000_000 + int64(i)*700, Duration: 2_000_000 - int64(i)*1400,
		}
		if parent != "" {
			s.References = []Reference{{RefType: "CHILD_OF", SpanID: parent}}
		}
		if i == 5 {
			s.Status.Code = StatusError
		}
		parent = s.SpanID
		tr.Spans = append(tr.Spans, s)
	}
	return tr
}

func render(tr *Trace, opts WaterfallOptions) string {
	var b strings.Builder
	tr.Waterfall(&b, opts)
	return b.String()
}

// Every line fits the width, with or without colour; without colour there is
// no escape sequence at all, with colour there are some.
func TestWaterfallWidth(t *testing.T) {
	for _, tr := range []*Trace{parseSample(t), deepTrace()} {
		for _, width := range []int{0, 80, 74, 60} {
			for _, color := range []bool{false, true} {
				out := render(tr, WaterfallOptions{Width: width, Color: color})
				limit := width
				if limit == 0 {
					limit = 80
				}
				if strings.Contains(out, "\x1b") != color {
					t.Errorf("width %d color %v: escape sequences present = %v\n%s", width, color, !color, out)
				}
				for _, line := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
					if n := utf8.RuneCountInString(ansi.ReplaceAllString(line, "")); n > limit {
						t.Errorf("width %d color %v: %d columns: %q", width, color, n, line)
					}
				}
			}
		}
	}
}

// Each bar starts and ends where its span does on the common axis (to the
// column), so its length is proportional to the span's duration; own time
// and child time are where the children are not and are.
func TestWaterfallBars(t *testing.T) {
	tr := parseSample(t)
	const barW = 35
	rows, start, total := tr.WaterfallRows(barW)
	if start != 10 || total != 100 || len(rows) != 5 {
		t.Fatalf("start %d total %d rows %d", start, total, len(rows))
	}
	var order []string
	for _, r := range rows {
		order = append(order, r.Span.SpanID)
		first := strings.IndexFunc(string(r.Cells), func(c rune) bool { return c != ' ' })
		cells := []rune(string(r.Cells))
		n := 0
		firstCol := -1
		for i, c := range cells {
			if c != ' ' {
				n++
				if firstCol < 0 {
					firstCol = i
				}
			}
		}
		exact := float64(r.Span.Duration) * barW / float64(total)
		if n < 1 || math.Abs(float64(n)-exact) > 2 {
			t.Errorf("%s: %d cells for %.1f", r.Span.OperationName, n, exact)
		}
		wantFirst := int(float64(r.Span.StartTime-start) * barW / float64(total))
		if first < 0 || firstCol != wantFirst {
			t.Errorf("%s: starts at column %d, want %d", r.Span.OperationName, firstCol, wantFirst)
		}
		if len(cells) != barW {
			t.Errorf("%s: %d cells", r.Span.OperationName, len(cells))
		}
	}
	if strings.Join(order, ",") != strings.Join([]string{idA, idB, idC, idD, idE}, ",") {
		t.Errorf("rows not in tree order: %v", order)
	}
	a, b := rows[0], rows[1]
	// a runs 10-110; its children b (20-70) and d (40-45) cover 20-70.
	if a.SelfTime != 50 || b.SelfTime != 45 || rows[2].SelfTime != 5 {
		t.Errorf("self times a %d b %d c %d, want 50 45 5", a.SelfTime, b.SelfTime, rows[2].SelfTime)
	}
	// Column 0 of a is its own time; the middle of b's run is child time;
	// after b ends (t=70, column 21) a is on its own again.
	col := func(us int64) int { return int(float64(us-start) * barW / float64(total)) }
	if a.Cells[0] != glyphSelf || a.Cells[col(45)] != glyphChild || a.Cells[col(90)] != glyphSelf {
		t.Errorf("a's bar %q", string(a.Cells))
	}
	if b.Cells[col(25)] != glyphSelf || b.Cells[col(60)] != glyphSelf {
		t.Errorf("b's bar %q", string(b.Cells))
	}
	// A span shorter than a column still shows.
	short := &Trace{Spans: []*Span{{SpanID: "1", StartTime: 0, Duration: 1000}, {SpanID: "2", StartTime: 500, Duration: 1, References: []Reference{{RefType: "CHILD_OF", SpanID: "1"}}}}}
	rs, _, _ := short.WaterfallRows(10)
	if strings.Count(string(rs[1].Cells), " ") != 9 {
		t.Errorf("1µs span: %q", string(rs[1].Cells))
	}
}

// The picture: an axis, a line per span in tree order with its duration,
// the legend, and the spans with the most own time; errors marked with "!".
func TestWaterfallText(t *testing.T) {
	out := render(parseSample(t), WaterfallOptions{Width: 80})
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != 8 {
		t.Fatalf("%d lines:\n%s", len(lines), out)
	}
	if !strings.HasPrefix(lines[0], "5 spans, 100µs") || !strings.Contains(lines[0], " 0 ") || !strings.HasSuffix(lines[0], "100µs") {
		t.Errorf("axis %q", lines[0])
	}
	for i, want := range []string{"HTTP GET [web] ", "├ ! /shop.Goods/Get [goods] ", "│ └ sql.query ", "└ consume orders [goods] ", "lost [web] "} {
		if !strings.HasPrefix(lines[i+1], want) {
			t.Errorf("line %d %q, want it to start with %q", i+1, lines[i+1], want)
		}
	}
	if strings.Contains(lines[3], "[") {
		t.Errorf("a span in its parent's service is shown with it: %q", lines[3])
	}
	if !strings.Contains(lines[1], "  100µs |") || !strings.HasSuffix(lines[1], "|") {
		t.Errorf("root line %q", lines[1])
	}
	if !strings.HasPrefix(lines[7], "most own time: HTTP GET [web] 50µs, /shop.Goods/Get [goods] 45µs") {
		t.Errorf("summary %q", lines[7])
	}
	if testing.Verbose() {
		fmt.Print(out)
		fmt.Print(render(parseSample(t), WaterfallOptions{Width: 80, Color: true}))
	}
}

func TestUseColor(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	t.Setenv("NO_COLOR", "")
	if UseColor(f) {
		t.Error("a file is not a terminal")
	}
	if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
		defer tty.Close()
		t.Setenv("TERM", "xterm")
		if !UseColor(tty) {
			t.Error("a terminal without NO_COLOR gets colour")
		}
		t.Setenv("NO_COLOR", "1")
		if UseColor(tty) {
			t.Error("NO_COLOR is ignored")
		}
	}
}
