package display

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Text returns the chart's text/plain form: small text bars for bar charts,
// a table of values for line charts, per-lane totals and a text strip for
// timelines.
func (c Chart) Text() string {
	switch c.kind {
	case "bar", "grouped":
		return c.barText()
	case "line":
		return c.lineText()
	}
	return c.timelineText()
}

const textBarWidth = 30

func (c Chart) barText() string {
	maxv := 0.0
	lw := 0
	for j, l := range c.labels {
		lw = max(lw, len([]rune(l)))
		for i := range c.series {
			if v, ok := c.value(i, j); ok {
				maxv = math.Max(maxv, v)
			}
		}
	}
	var b strings.Builder
	b.WriteString(c.summaryTitle())
	grouped := c.kind == "grouped"
	sw := 0
	if grouped {
		for i := range c.series {
			sw = max(sw, len([]rune(c.seriesName(i))))
		}
	}
	for j, l := range c.labels {
		if grouped {
			b.WriteString(l + "\n")
		}
		for i := range c.series {
			v, ok := c.value(i, j)
			name := pad(l, lw)
			if grouped {
				name = "  " + pad(c.seriesName(i), sw)
			}
			val := "n/a"
			if ok {
				val = withUnit(v, c.unit)
			}
			bar := textBar(v, maxv, textBarWidth)
			fmt.Fprintf(&b, "%s  %s %s\n", name, pad(bar, textBarWidth), val)
		}
	}
	if len(c.labels) == 0 {
		b.WriteString("(no data)\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

func pad(s string, w int) string {
	return s + strings.Repeat(" ", max(0, w-len([]rune(s))))
}

// lineText tabulates the series against x, eliding the middle of long ones.
func (c Chart) lineText() string {
	t := Table{Columns: []string{orDefault(c.xLabel, "x")}}
	for i := range c.series {
		t.Columns = append(t.Columns, c.seriesName(i))
	}
	const head, tail = 8, 4
	for j, x := range c.x {
		if len(c.x) > head+tail+1 && j >= head && j < len(c.x)-tail {
			if j == head {
				row := []any{"…"}
				for range c.series {
					row = append(row, "…")
				}
				t.Rows = append(t.Rows, row)
			}
			continue
		}
		row := []any{x}
		for i := range c.series {
			if v, ok := c.value(i, j); ok {
				row = append(row, v)
			} else {
				row = append(row, nil)
			}
		}
		t.Rows = append(t.Rows, row)
	}
	s := t.String()
	if c.yLabel != "" {
		s = "(" + c.yLabel + ")\n" + s
	}
	return c.summaryTitle() + s
}

const stripWidth = 48

// timelineText gives per-lane totals by kind, then a strip per lane where
// each character shows the kind that filled most of its slice of time.
func (c Chart) timelineText() string {
	d := c.tl
	var b strings.Builder
	b.WriteString(c.summaryTitle())
	if d == nil || len(d.spans) == 0 && len(d.events) == 0 {
		b.WriteString("(empty timeline)")
		return b.String()
	}
	tot := map[string]map[string]time.Duration{}
	for _, s := range d.spans {
		if tot[s.Lane] == nil {
			tot[s.Lane] = map[string]time.Duration{}
		}
		tot[s.Lane][s.Kind] += s.Duration()
	}
	t := Table{Columns: append([]string{"lane"}, d.kinds...)}
	t.Columns = append(t.Columns, "spans")
	count := map[string]int{}
	for _, s := range d.spans {
		count[s.Lane]++
	}
	for _, l := range d.lanes {
		row := []any{l}
		for _, k := range d.kinds {
			if d := tot[l][k]; d > 0 {
				row = append(row, d)
			} else {
				row = append(row, "-")
			}
		}
		t.Rows = append(t.Rows, append(row, count[l]))
	}
	b.WriteString(t.String())
	b.WriteString("\n\n")

	// The strip: for each lane and slice of time, the kind covering most.
	lw := 0
	for _, l := range d.lanes {
		lw = max(lw, len([]rune(l)))
	}
	slice := float64(d.end) / stripWidth
	for _, l := range d.lanes {
		cover := make([]map[string]float64, stripWidth)
		for _, s := range d.spans {
			if s.Lane != l || slice <= 0 {
				continue
			}
			for k := int(float64(s.Start) / slice); k < stripWidth && float64(k)*slice < float64(s.End); k++ {
				lo := math.Max(float64(s.Start), float64(k)*slice)
				hi := math.Min(float64(s.End), float64(k+1)*slice)
				if hi > lo {
					if cover[k] == nil {
						cover[k] = map[string]float64{}
					}
					cover[k][s.Kind] += hi - lo
				}
			}
		}
		row := make([]rune, stripWidth)
		for k := range row {
			row[k] = ' '
			best := 0.0
			for _, kind := range d.kinds { // fixed order: ties break the same way every time
				if v := cover[k][kind]; v > best && v >= slice/4 {
					best, row[k] = v, symbol(kind)
				}
			}
		}
		fmt.Fprintf(&b, "%s |%s|\n", pad(l, lw), string(row))
	}
	end := Duration(d.end)
	fmt.Fprintf(&b, "%s  0%s%s\n", strings.Repeat(" ", lw), strings.Repeat(" ", max(1, stripWidth-len([]rune(end)))), end)
	var key []string
	for _, k := range d.kinds {
		key = append(key, string(symbol(k))+" "+k)
	}
	b.WriteString("key: " + strings.Join(key, "  "))
	if len(d.events) > 0 {
		fmt.Fprintf(&b, "\nevents: %d", len(d.events))
	}
	return b.String()
}

func symbol(kind string) rune {
	if r, ok := kindSymbols[kind]; ok {
		return r
	}
	for _, r := range kind {
		return r
	}
	return '?'
}
