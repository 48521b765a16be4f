package display

import (
	"image/color"
	"math"
	"strings"
	"time"
)

// Layout constants of the PNG fallback, in CSS pixels.
const (
	padding    = 12
	titleH     = 22 // title line, with the space under it
	legendRow  = 16
	tickLabelH = 14
	maxLabelW  = 180
)

// draw renders the chart and returns the PNG and its CSS size.
func (c Chart) draw() (png []byte, w, h int) {
	var cv *canvas
	switch c.kind {
	case "bar", "grouped":
		cv = c.drawBars()
	case "line":
		cv = c.drawLine()
	default:
		cv = c.drawTimeline()
	}
	return cv.encode(), cv.w, cv.h
}

// legendItem is one swatch and its name.
type legendItem struct {
	name string
	col  color.RGBA
}

// legendHeight returns the height the legend takes when wrapped to width.
func legendHeight(items []legendItem, width float64) float64 {
	if len(items) == 0 {
		return 0
	}
	rows, x := 1, 0.0
	for _, it := range items {
		w := 14 + textWidth(it.name, false) + 14
		if x > 0 && x+w > width {
			rows++
			x = 0
		}
		x += w
	}
	return float64(rows * legendRow)
}

func (cv *canvas) legend(items []legendItem, x0, y0, width float64) {
	x, y := x0, y0
	for _, it := range items {
		w := 14 + textWidth(it.name, false) + 14
		if x > x0 && x+w > x0+width {
			x, y = x0, y+legendRow
		}
		cv.rect(x, y, x+10, y+10, it.col)
		cv.text(x+14, y+1.5, it.name, inkColor, alignLeft, false)
		x += w
	}
}

func (c Chart) drawTitle(cv *canvas) {
	if c.Title != "" {
		cv.text(padding, padding, ellipsize(c.Title, float64(cv.w-2*padding)), inkColor, alignLeft, true)
	}
}

func (c Chart) titleSpace() float64 {
	if c.Title == "" {
		return 0
	}
	return titleH
}

// axisX draws vertical grid lines and tick labels under the plot.
func (cv *canvas) axisX(ticks []float64, scale func(float64) float64, top, bottom float64, label func(float64) string) {
	for _, t := range ticks {
		x := scale(t)
		cv.rect(x-0.25, top, x+0.25, bottom, gridColor)
		cv.rect(x-0.25, bottom, x+0.25, bottom+4, axisColor)
		cv.text(x, bottom+6, label(t), mutedColor, alignCenter, false)
	}
	cv.rect(scale(ticks[0]), bottom-0.5, scale(ticks[len(ticks)-1]), bottom, axisColor)
}

func (c Chart) drawBars() *canvas {
	grouped := c.kind == "grouped"
	ns := max(1, len(c.series))
	lo, hi := 0.0, 0.0
	valueW := 0.0
	for j := range c.labels {
		for i := range c.series {
			if v, ok := c.value(i, j); ok {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
				valueW = math.Max(valueW, textWidth(withUnit(v, c.unit), false))
			}
		}
	}
	labelW := 0.0
	for _, l := range c.labels {
		labelW = math.Max(labelW, textWidth(l, false))
	}
	labelW = math.Min(labelW, maxLabelW)
	var items []legendItem
	if grouped {
		for i := range c.series {
			items = append(items, legendItem{c.seriesName(i), hex(seriesColor(i))})
		}
	}
	plotW := float64(c.width())
	left := padding + labelW + 8
	W := left + plotW + valueW + 8 + padding
	barH, step := 16.0, 22.0
	if grouped {
		barH = 12
		step = float64(ns)*barH + 10
	}
	top := padding + c.titleSpace()
	lh := legendHeight(items, W-2*padding)
	if lh > 0 {
		top += lh + 6
	}
	plotH := math.Max(step, float64(len(c.labels))*step)
	unitTitle := c.unit != "" && !isTimeUnit(c.unit)
	H := top + plotH + 6 + tickLabelH + padding
	if unitTitle {
		H += tickLabelH
	}
	cv := newCanvas(int(math.Ceil(W)), int(math.Ceil(H)))
	c.drawTitle(cv)
	cv.legend(items, padding, padding+c.titleSpace(), W-2*padding)

	ticks := niceTicks(lo, hi, 5)
	tlo, thi := ticks[0], ticks[len(ticks)-1]
	scale := func(v float64) float64 { return left + (v-tlo)/(thi-tlo)*plotW }
	cv.axisX(ticks, scale, top, top+plotH, func(t float64) string { return tickLabel(t, c.unit) })
	if unitTitle {
		cv.text(left+plotW/2, top+plotH+6+tickLabelH, c.unit, inkColor, alignCenter, false)
	}
	for j, l := range c.labels {
		y0 := top + float64(j)*step
		cv.text(left-8, y0+step/2-capHeight/2.0, ellipsize(l, maxLabelW), inkColor, alignRight, false)
		for i := range c.series {
			v, ok := c.value(i, j)
			if !ok {
				continue
			}
			by := y0 + (step-float64(ns)*barH)/2 + float64(i)*barH
			if !grouped {
				by = y0 + (step-barH)/2
			}
			gap := 0.0
			if grouped {
				gap = 1
			}
			x0, x1 := scale(0), scale(v)
			cv.rect(math.Min(x0, x1), by, math.Max(x0, x1), by+barH-gap, hex(seriesColor(i)))
			cv.text(math.Max(x0, x1)+3, by+(barH-gap)/2-capHeight/2.0, withUnit(v, c.unit), inkColor, alignLeft, false)
		}
	}
	cv.rect(scale(0)-0.5, top, scale(0), top+plotH, axisColor)
	return cv
}

func isTimeUnit(u string) bool {
	switch u {
	case "s", "ms", "µs", "us", "ns":
		return true
	}
	return false
}

func (c Chart) drawLine() *canvas {
	xlo, xhi := math.Inf(1), math.Inf(-1)
	for _, x := range c.x {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			xlo, xhi = math.Min(xlo, x), math.Max(xhi, x)
		}
	}
	if math.IsInf(xlo, 0) {
		xlo, xhi = 0, 1
	}
	ylo, yhi := 0.0, 0.0
	for i := range c.series {
		for j := range c.x {
			if v, ok := c.value(i, j); ok {
				ylo, yhi = math.Min(ylo, v), math.Max(yhi, v)
			}
		}
	}
	xt, yt := niceTicks(xlo, xhi, 6), niceTicks(ylo, yhi, 5)
	yw := 0.0
	for _, t := range yt {
		yw = math.Max(yw, textWidth(Number(t), false))
	}
	var items []legendItem
	if len(c.series) > 1 {
		for i := range c.series {
			items = append(items, legendItem{c.seriesName(i), hex(seriesColor(i))})
		}
	}
	plotW, plotH := float64(c.width()), float64(c.height())
	left := padding + yw + 8
	if c.yLabel != "" {
		left += tickLabelH
	}
	W := left + plotW + padding + 8
	top := padding + c.titleSpace()
	if lh := legendHeight(items, W-2*padding); lh > 0 {
		top += lh + 6
	}
	H := top + plotH + 6 + tickLabelH + padding
	if c.xLabel != "" {
		H += tickLabelH
	}
	cv := newCanvas(int(math.Ceil(W)), int(math.Ceil(H)))
	c.drawTitle(cv)
	cv.legend(items, padding, padding+c.titleSpace(), W-2*padding)
	sx := func(x float64) float64 { return left + (x-xt[0])/(xt[len(xt)-1]-xt[0])*plotW }
	sy := func(y float64) float64 { return top + plotH - (y-yt[0])/(yt[len(yt)-1]-yt[0])*plotH }
	cv.axisX(xt, sx, top, top+plotH, Number)
	for _, t := range yt {
		y := sy(t)
		cv.rect(left, y-0.25, left+plotW, y+0.25, gridColor)
		cv.text(left-6, y-capHeight/2.0, Number(t), mutedColor, alignRight, false)
	}
	cv.rect(left-0.5, top, left, top+plotH, axisColor)
	if c.xLabel != "" {
		cv.text(left+plotW/2, top+plotH+6+tickLabelH, c.xLabel, inkColor, alignCenter, false)
	}
	if c.yLabel != "" {
		cv.vtext(padding, top+plotH/2, c.yLabel, inkColor)
	}
	for i := range c.series {
		col := hex(seriesColor(i))
		px, py, have := 0.0, 0.0, false
		for j, x := range c.x {
			v, ok := c.value(i, j)
			if !ok || math.IsNaN(x) || math.IsInf(x, 0) {
				have = false // a gap
				continue
			}
			X, Y := sx(x), sy(v)
			if have {
				cv.line(px, py, X, Y, 2, col)
			}
			px, py, have = X, Y, true
		}
		for j, x := range c.x {
			if v, ok := c.value(i, j); ok && !math.IsNaN(x) && !math.IsInf(x, 0) {
				cv.dot(sx(x), sy(v), 2.5, col)
			}
		}
	}
	return cv
}

func (c Chart) drawTimeline() *canvas {
	d := c.tl
	if d == nil {
		d = &tlData{unit: "ms", div: 1e6}
	}
	labelW := 0.0
	for _, l := range d.lanes {
		labelW = math.Max(labelW, textWidth(l, false))
	}
	labelW = math.Min(labelW, maxLabelW)
	var items []legendItem
	for _, k := range d.kinds {
		items = append(items, legendItem{k, hex(KindColor(k))})
	}
	plotW := float64(c.width())
	left := padding + labelW + 8
	W := left + plotW + padding + 8
	step, barH := 24.0, 16.0
	top := padding + c.titleSpace()
	plotH := math.Max(step, float64(len(d.lanes))*step)
	lh := legendHeight(items, W-2*padding)
	H := top + plotH + 6 + 2*tickLabelH + 6 + lh + padding
	cv := newCanvas(int(math.Ceil(W)), int(math.Ceil(H)))
	c.drawTitle(cv)

	end := float64(d.end) / d.div
	ticks := niceTicks(0, math.Max(end, 1e-9), 8)
	thi := ticks[len(ticks)-1]
	scale := func(v float64) float64 { return left + v/thi*plotW }
	cv.axisX(ticks, scale, top, top+plotH, Number)
	cv.text(left+plotW/2, top+plotH+6+tickLabelH, "time ("+d.unit+")", inkColor, alignCenter, false)
	lane := map[string]int{}
	for i, l := range d.lanes {
		lane[l] = i
		y := top + float64(i)*step
		if i%2 == 1 { // banding helps the eye follow a lane across
			cv.rect(left, y, left+plotW, y+step, color.RGBA{0, 0, 0, 8})
		}
		cv.text(left-8, y+step/2-capHeight/2.0, ellipsize(l, maxLabelW), inkColor, alignRight, false)
	}
	at := func(t time.Duration) float64 { return scale(float64(t) / d.div) }
	for _, s := range d.spans {
		y := top + float64(lane[s.Lane])*step + (step-barH)/2
		cv.rect(at(s.Start), y, at(s.End), y+barH, hex(KindColor(s.Kind)))
	}
	for _, e := range d.events {
		y := top + float64(lane[e.Lane])*step
		x := at(e.At)
		cv.rect(x-1, y+2, x+1, y+step-2, eventColor)
	}
	cv.legend(items, left, top+plotH+6+2*tickLabelH+6, W-left-padding)
	return cv
}

// tickLabel is withUnit without trailing zeros ("1.5 s", not "1.50 s").
func tickLabel(v float64, unit string) string {
	s := withUnit(v, unit)
	num, rest, ok := strings.Cut(s, " ")
	if ok && strings.Contains(num, ".") {
		num = strings.TrimRight(strings.TrimRight(num, "0"), ".")
		return num + " " + rest
	}
	return s
}
