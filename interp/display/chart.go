package display

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/gokernel/gokernel/interp/timeline"
	"github.com/gokernel/gokernel/kernel/mime"
)

// A Chart is a bar, grouped bar, line or timeline chart. Its bundle holds
// Vega-Lite v5, a PNG fallback and a text summary, and nothing else (see the
// package doc). Build one with Bar, GroupedBar, Line or Timeline; Title,
// Width and Height may be changed before it is shown.
type Chart struct {
	Title  string
	Width  int // width of the plot area in CSS pixels; 0: 480 (timeline: 600)
	Height int // line charts: height of the plot area; 0: 240. Bars and lanes size themselves.

	kind   string
	labels []string // bar: one per bar; grouped: the groups
	series []Series
	x      []float64
	unit   string
	xLabel string
	yLabel string
	tl     *tlData
}

// A Series is one named row of values: a colour in a grouped bar chart, a
// line in a line chart.
type Series struct {
	Name   string
	Values []float64
}

// Bar makes a horizontal bar chart: one bar per label, values in unit. With
// unit "s", "ms", "µs" or "ns" the labels read as durations ("45.6 ms").
func Bar(title string, labels []string, values []float64, unit string) Chart {
	return Chart{Title: title, kind: "bar", labels: labels, series: []Series{{Name: unit, Values: values}}, unit: unit}
}

// GroupedBar makes a bar chart with a group of bars per group and a bar (a
// colour) per series in each group.
func GroupedBar(title string, groups []string, series []Series, unit string) Chart {
	return Chart{Title: title, kind: "grouped", labels: groups, series: series, unit: unit}
}

// Line makes a line chart of each series against x. A series shorter than x
// stops early; NaN values leave gaps.
func Line(title string, x []float64, series []Series, xLabel, yLabel string) Chart {
	return Chart{Title: title, kind: "line", x: x, series: series, xLabel: xLabel, yLabel: yLabel}
}

// Timeline makes a Gantt chart of what rec holds now: one lane per thread,
// process or task, in the order recorded; spans coloured by kind (a kind has
// the same colour in every chart, see KindColor); events as black ticks;
// tooltips with lane, kind, start, duration and label. Its title is
// rec.Title.
func Timeline(rec *timeline.Recorder) Chart {
	d := &tlData{unit: "ms", div: float64(time.Millisecond)}
	c := Chart{kind: "timeline", tl: d}
	if rec == nil {
		return c
	}
	c.Title = rec.Title
	d.lanes, d.spans, d.events = rec.Lanes(), rec.Spans(), rec.Events()
	for _, s := range d.spans {
		d.end = max(d.end, s.End)
	}
	for _, e := range d.events {
		d.end = max(d.end, e.At)
	}
	seen := map[string]bool{}
	for _, s := range d.spans {
		seen[s.Kind] = true
	}
	for _, k := range kindOrder {
		if seen[k] {
			d.kinds = append(d.kinds, k)
			delete(seen, k)
		}
	}
	for _, s := range d.spans { // other kinds in order of appearance
		if seen[s.Kind] {
			d.kinds = append(d.kinds, s.Kind)
			delete(seen, s.Kind)
		}
	}
	// Milliseconds read best up to a couple of seconds, seconds beyond.
	d.unit, d.div = "ms", float64(time.Millisecond)
	if d.end > 2*time.Second {
		d.unit, d.div = "s", float64(time.Second)
	}
	return c
}

type tlData struct {
	lanes  []string
	spans  []timeline.Span
	events []timeline.Event
	kinds  []string      // kinds present, in legend order
	end    time.Duration // latest time recorded
	unit   string        // "ms" or "s" on the time axis
	div    float64       // nanoseconds per unit
}

// Bundle implements mime.Bundler: Vega-Lite, PNG and text.
func (c Chart) Bundle() mime.Bundle {
	r := c.Image()
	b := mime.Bundle{Data: r.Data, Metadata: r.Metadata}
	b.Data[mime.Text] = c.Text()
	b.Data[mime.VegaLite] = c.Spec()
	return b
}

// Image returns only the static PNG rendering, for frontends or documents
// that show nothing else (and for saving: see PNG).
func (c Chart) Image() Rich {
	p, w, h := c.draw()
	r := imageRich(mime.PNG, p, w*pixelScale, h*pixelScale, w, h)
	// The chart is drawn on white: JupyterLab's dark theme gives it a light
	// card instead of inverting it.
	r.Metadata[mime.PNG].(map[string]any)["needs_background"] = "light"
	return r
}

// PNG returns the chart drawn as a PNG, at twice its CSS size.
func (c Chart) PNG() []byte {
	p, _, _ := c.draw()
	return p
}

// String returns the text summary.
func (c Chart) String() string { return c.Text() }

func (c Chart) width() int {
	if c.Width > 0 {
		return c.Width
	}
	if c.kind == "timeline" {
		return 600
	}
	return 480
}

func (c Chart) height() int {
	if c.Height > 0 {
		return c.Height
	}
	return 240
}

// seriesName names series i, for legends.
func (c Chart) seriesName(i int) string {
	if i < len(c.series) && c.series[i].Name != "" {
		return c.series[i].Name
	}
	return fmt.Sprintf("series %d", i+1)
}

// value returns series i at j, and false when it has none there.
func (c Chart) value(i, j int) (float64, bool) {
	if i >= len(c.series) || j >= len(c.series[i].Values) {
		return 0, false
	}
	v := c.series[i].Values[j]
	return v, !math.IsNaN(v) && !math.IsInf(v, 0)
}

// niceTicks returns about n round tick values covering [lo, hi].
func niceTicks(lo, hi float64, n int) []float64 {
	if !(hi > lo) {
		hi = lo + 1
	}
	raw := (hi - lo) / float64(max(n, 1))
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var ts []float64
	for t := math.Floor(lo/step) * step; t <= hi+step*1e-9; t += step {
		ts = append(ts, math.Round(t/step)*step)
	}
	if ts[len(ts)-1] < hi-step*1e-9 {
		ts = append(ts, ts[len(ts)-1]+step)
	}
	return ts
}

// ms formats a duration in a timeline's unit for tooltips.
func fmtDur(d time.Duration) string { return Duration(d) }

func (c Chart) summaryTitle() string {
	if c.Title != "" {
		return c.Title + "\n"
	}
	return ""
}

// bars renders values as text bars at most width cells long, with eighths.
func textBar(v, maxv float64, width int) string {
	if !(maxv > 0) || !(v > 0) {
		return ""
	}
	eighths := int(math.Round(v / maxv * float64(width) * 8))
	s := strings.Repeat("█", eighths/8)
	if r := eighths % 8; r > 0 {
		s += string([]rune("▏▎▍▌▋▊▉")[r-1])
	}
	return s
}
