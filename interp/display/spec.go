package display

import "math"

// obj and arr keep the spec literals short.
type (
	obj = map[string]any
	arr = []any
)

// Spec returns the chart's Vega-Lite v5 spec, built of maps, slices,
// strings and numbers only, ready for encoding/json.
func (c Chart) Spec() map[string]any {
	var s obj
	switch c.kind {
	case "bar":
		s = c.barSpec(false)
	case "grouped":
		s = c.barSpec(true)
	case "line":
		s = c.lineSpec()
	default:
		s = c.timelineSpec()
	}
	s["$schema"] = VegaLiteSchema
	if c.Title != "" {
		s["title"] = obj{"text": c.Title, "anchor": "start"}
	}
	s["config"] = obj{
		"view":   obj{"stroke": nil},
		"axis":   obj{"labelFontSize": 11, "titleFontSize": 11, "gridColor": "#e6e6e6"},
		"legend": obj{"labelFontSize": 11, "titleFontSize": 11},
	}
	return s
}

func colorScale(names []string, colorOf func(i int) string) obj {
	dom, rng := arr{}, arr{}
	for i, n := range names {
		dom = append(dom, n)
		rng = append(rng, colorOf(i))
	}
	return obj{"domain": dom, "range": rng}
}

func (c Chart) barSpec(grouped bool) obj {
	vals := arr{}
	var names []string
	for i := range c.series {
		names = append(names, c.seriesName(i))
	}
	for j, l := range c.labels {
		for i := range c.series {
			v, ok := c.value(i, j)
			if !ok {
				continue
			}
			vals = append(vals, obj{"label": l, "series": c.seriesName(i), "value": v, "text": withUnit(v, c.unit)})
		}
	}
	sort := arr{}
	for _, l := range c.labels {
		sort = append(sort, l)
	}
	xTitle := any(nil)
	if c.unit != "" {
		xTitle = c.unit
	}
	enc := obj{
		"y":       obj{"field": "label", "type": "nominal", "sort": sort, "title": nil},
		"x":       obj{"field": "value", "type": "quantitative", "title": xTitle},
		"tooltip": arr{obj{"field": "label", "title": "name"}, obj{"field": "text", "title": "value"}},
	}
	bar := obj{"type": "bar", "color": seriesColor(0)}
	step := 22
	if grouped {
		delete(bar, "color")
		enc["yOffset"] = obj{"field": "series", "type": "nominal", "sort": anys(names)}
		enc["color"] = obj{"field": "series", "type": "nominal", "title": nil, "scale": colorScale(names, seriesColor), "legend": obj{"orient": "top"}}
		enc["tooltip"] = arr{obj{"field": "label", "title": "group"}, obj{"field": "series"}, obj{"field": "text", "title": "value"}}
		step = 16 * max(1, len(c.series))
	}
	return obj{
		"width":    c.width(),
		"height":   obj{"step": step},
		"data":     obj{"values": vals},
		"encoding": enc,
		"layer": arr{
			obj{"mark": bar},
			obj{"mark": obj{"type": "text", "align": "left", "dx": 3, "fontSize": 10, "color": "#333333"}, "encoding": obj{"text": obj{"field": "text"}}},
		},
	}
}

func anys(ss []string) arr {
	a := arr{}
	for _, s := range ss {
		a = append(a, s)
	}
	return a
}

func (c Chart) lineSpec() obj {
	vals := arr{}
	var names []string
	for i := range c.series {
		names = append(names, c.seriesName(i))
		for j, x := range c.x {
			if v, ok := c.value(i, j); ok && !math.IsNaN(x) && !math.IsInf(x, 0) {
				vals = append(vals, obj{"x": x, "y": v, "series": c.seriesName(i)})
			}
		}
	}
	title := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	enc := obj{
		"x":       obj{"field": "x", "type": "quantitative", "title": title(c.xLabel)},
		"y":       obj{"field": "y", "type": "quantitative", "title": title(c.yLabel)},
		"color":   obj{"field": "series", "type": "nominal", "title": nil, "scale": colorScale(names, seriesColor), "legend": obj{"orient": "top"}},
		"tooltip": arr{obj{"field": "series"}, obj{"field": "x", "title": orDefault(c.xLabel, "x")}, obj{"field": "y", "title": orDefault(c.yLabel, "y")}},
	}
	if len(names) == 1 {
		enc["color"].(obj)["legend"] = nil
	}
	return obj{
		"width":    c.width(),
		"height":   c.height(),
		"data":     obj{"values": vals},
		"mark":     obj{"type": "line", "point": true, "strokeWidth": 2},
		"encoding": enc,
	}
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func (c Chart) timelineSpec() obj {
	d := c.tl
	if d == nil {
		d = &tlData{unit: "ms", div: 1e6}
	}
	t := func(x float64) float64 { return math.Round(x/d.div*1e6) / 1e6 }
	spans := arr{}
	for _, s := range d.spans {
		spans = append(spans, obj{
			"lane": s.Lane, "kind": s.Kind, "start": t(float64(s.Start)), "end": t(float64(s.End)),
			"from": fmtDur(s.Start), "duration": fmtDur(s.Duration()), "label": s.Label,
		})
	}
	events := arr{}
	for _, e := range d.events {
		events = append(events, obj{"lane": e.Lane, "at": t(float64(e.At)), "time": fmtDur(e.At), "label": e.Label})
	}
	lanes := anys(d.lanes)
	y := obj{"field": "lane", "type": "nominal", "sort": lanes, "title": nil, "scale": obj{"domain": lanes}}
	xTitle := "time (" + d.unit + ")"
	kinds := colorScale(d.kinds, func(i int) string { return KindColor(d.kinds[i]) })
	layers := arr{obj{
		"data": obj{"values": spans},
		"mark": obj{"type": "bar", "cornerRadius": 1},
		"encoding": obj{
			"y":     y,
			"x":     obj{"field": "start", "type": "quantitative", "title": xTitle, "scale": obj{"domain": arr{0, t(float64(d.end))}, "nice": false}},
			"x2":    obj{"field": "end"},
			"color": obj{"field": "kind", "type": "nominal", "title": nil, "scale": kinds, "legend": obj{"orient": "bottom", "direction": "horizontal"}},
			"tooltip": arr{
				obj{"field": "lane"}, obj{"field": "kind"}, obj{"field": "from", "title": "start"},
				obj{"field": "duration"}, obj{"field": "label"},
			},
		},
	}}
	if len(events) > 0 {
		layers = append(layers, obj{
			"data": obj{"values": events},
			"mark": obj{"type": "tick", "color": "#222222", "thickness": 2},
			"encoding": obj{
				"y":       y,
				"x":       obj{"field": "at", "type": "quantitative"},
				"tooltip": arr{obj{"field": "lane"}, obj{"field": "time"}, obj{"field": "label", "title": "event"}},
			},
		})
	}
	return obj{
		"width":  c.width(),
		"height": obj{"step": 24},
		"layer":  layers,
	}
}
