package widgets

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// sliderState is what the slider views of ipywidgets 8 read.
func sliderState(description string, value, min, max, step any, format string) map[string]any {
	return map[string]any{
		"description": description, "value": value, "min": min, "max": max, "step": step,
		"orientation": "horizontal", "readout": true, "readout_format": format,
		"continuous_update": true, "disabled": false, "behavior": "drag-tap",
	}
}

// An IntSlider picks an integer in [min, max] by dragging.
type IntSlider struct {
	*Model
	value *prop[int]
}

// NewIntSlider makes a slider over [min, max] (step 1) set to value.
func NewIntSlider(description string, min, max, value int) *IntSlider {
	m := newModel(controlsModule, controlsVersion, "IntSlider", "", sliderState(description, value, min, max, 1, "d"))
	return &IntSlider{Model: m, value: newProp(m, "value", value)}
}

// Value returns the slider's value.
func (s *IntSlider) Value() int { return s.value.get() }

// SetValue moves the slider (observers run if it changed).
func (s *IntSlider) SetValue(v int) { s.value.set(v) }

// Observe calls f with the new value after every change.
func (s *IntSlider) Observe(f func(v int)) { s.value.observe(f) }

// SetStep sets the slider's step.
func (s *IntSlider) SetStep(step int) { s.Set("step", step) }

// A FloatSlider picks a number in [min, max] by dragging.
type FloatSlider struct {
	*Model
	value *prop[float64]
}

// NewFloatSlider makes a slider over [min, max] set to value, with a step
// of a hundredth of the range (SetStep changes it).
func NewFloatSlider(description string, min, max, value float64) *FloatSlider {
	step := (max - min) / 100
	if step <= 0 {
		step = 0.1
	}
	m := newModel(controlsModule, controlsVersion, "FloatSlider", "", sliderState(description, value, min, max, step, ".2f"))
	return &FloatSlider{Model: m, value: newProp(m, "value", value)}
}

// Value returns the slider's value.
func (s *FloatSlider) Value() float64 { return s.value.get() }

// SetValue moves the slider.
func (s *FloatSlider) SetValue(v float64) { s.value.set(v) }

// Observe calls f with the new value after every change.
func (s *FloatSlider) Observe(f func(v float64)) { s.value.observe(f) }

// SetStep sets the slider's step.
func (s *FloatSlider) SetStep(step float64) { s.Set("step", step) }

// An IntRangeSlider picks an interval [lo, hi] inside [min, max].
type IntRangeSlider struct {
	*Model
	value *prop[[2]int]
}

// NewIntRangeSlider makes a range slider over [min, max] set to [lo, hi].
func NewIntRangeSlider(description string, min, max, lo, hi int) *IntRangeSlider {
	m := newModel(controlsModule, controlsVersion, "IntRangeSlider", "", sliderState(description, [2]int{lo, hi}, min, max, 1, "d"))
	p := newProp(m, "value", [2]int{lo, hi})
	p.check = func(v [2]int) error {
		if v[0] > v[1] {
			return fmt.Errorf("range [%d, %d] has its ends swapped", v[0], v[1])
		}
		return nil
	}
	return &IntRangeSlider{Model: m, value: p}
}

// Value returns the range's ends.
func (s *IntRangeSlider) Value() (lo, hi int) { v := s.value.get(); return v[0], v[1] }

// SetValue sets the range.
func (s *IntRangeSlider) SetValue(lo, hi int) { s.value.set([2]int{lo, hi}) }

// Observe calls f with the new range after every change.
func (s *IntRangeSlider) Observe(f func(lo, hi int)) {
	s.value.observe(func(v [2]int) { f(v[0], v[1]) })
}

// choice is a selection among labels (Dropdown, ToggleButtons): the
// frontend syncs the index.
type choice struct {
	*Model
	options []string
	index   *prop[int]
}

func newChoice(name, description string, options []string, value string, extra map[string]any) choice {
	idx := 0
	for i, o := range options {
		if o == value {
			idx = i
		}
	}
	st := map[string]any{"description": description, "_options_labels": options, "index": idx, "disabled": false}
	if len(options) == 0 {
		st["index"] = nil
	}
	for k, v := range extra {
		st[k] = v
	}
	m := newModel(controlsModule, controlsVersion, name, "", st)
	c := choice{Model: m, options: append([]string(nil), options...), index: newProp(m, "index", idx)}
	m.text = func() string {
		s := name
		if description != "" {
			s += fmt.Sprintf(" %q", description)
		}
		return s + fmt.Sprintf(" value=%q of %q", c.value(), c.options)
	}
	c.index.check = func(i int) error {
		if i < 0 || i >= len(c.options) {
			return fmt.Errorf("index %d out of range [0, %d)", i, len(c.options))
		}
		return nil
	}
	return c
}

func (c choice) value() string {
	i := c.index.get()
	if i < 0 || i >= len(c.options) {
		return ""
	}
	return c.options[i]
}

func (c choice) setValue(v string) error {
	for i, o := range c.options {
		if o == v {
			c.index.set(i)
			return nil
		}
	}
	return fmt.Errorf("widgets: %q is not one of the options %q", v, c.options)
}

func (c choice) observe(f func(string)) {
	c.index.observe(func(i int) { f(c.options[i]) })
}

// A Dropdown picks one of its options from a list.
type Dropdown struct{ choice }

// NewDropdown makes a dropdown over options with value selected (the first
// option if value is not one of them).
func NewDropdown(description string, options []string, value string) *Dropdown {
	return &Dropdown{newChoice("Dropdown", description, options, value, nil)}
}

// Value returns the selected option.
func (d *Dropdown) Value() string { return d.value() }

// Index returns the selected option's index.
func (d *Dropdown) Index() int { return d.index.get() }

// SetValue selects an option; a value that is not an option is an error.
func (d *Dropdown) SetValue(v string) error { return d.setValue(v) }

// Observe calls f with the selected option after every change.
func (d *Dropdown) Observe(f func(v string)) { d.observe(f) }

// ToggleButtons pick one of their options, one button each.
type ToggleButtons struct{ choice }

// NewToggleButtons makes a row of buttons over options with value pressed.
func NewToggleButtons(description string, options []string, value string) *ToggleButtons {
	return &ToggleButtons{newChoice("ToggleButtons", description, options, value,
		map[string]any{"button_style": "", "tooltips": []string{}, "icons": []string{}})}
}

// Value returns the pressed option.
func (t *ToggleButtons) Value() string { return t.value() }

// Index returns the pressed option's index.
func (t *ToggleButtons) Index() int { return t.index.get() }

// SetValue presses an option; a value that is not an option is an error.
func (t *ToggleButtons) SetValue(v string) error { return t.setValue(v) }

// Observe calls f with the pressed option after every change.
func (t *ToggleButtons) Observe(f func(v string)) { t.observe(f) }

// A Checkbox is a yes/no choice.
type Checkbox struct {
	*Model
	value *prop[bool]
}

// NewCheckbox makes a checkbox.
func NewCheckbox(description string, value bool) *Checkbox {
	m := newModel(controlsModule, controlsVersion, "Checkbox", "", map[string]any{
		"description": description, "value": value, "indent": true, "disabled": false,
	})
	return &Checkbox{Model: m, value: newProp(m, "value", value)}
}

// Value reports whether the box is checked.
func (c *Checkbox) Value() bool { return c.value.get() }

// SetValue checks or unchecks the box.
func (c *Checkbox) SetValue(v bool) { c.value.set(v) }

// Observe calls f with the new value after every change.
func (c *Checkbox) Observe(f func(v bool)) { c.value.observe(f) }

// A Text is a one-line text field.
type Text struct {
	*Model
	value *prop[string]
}

// NewText makes a text field.
func NewText(description, value string) *Text {
	m := newModel(controlsModule, controlsVersion, "Text", "", map[string]any{
		"description": description, "value": value, "placeholder": "", "continuous_update": true, "disabled": false,
	})
	return &Text{Model: m, value: newProp(m, "value", value)}
}

// Value returns the field's text.
func (t *Text) Value() string { return t.value.get() }

// SetValue sets the field's text.
func (t *Text) SetValue(v string) { t.value.set(v) }

// Observe calls f with the new text after every change.
func (t *Text) Observe(f func(v string)) { t.value.observe(f) }

// A Label shows a line of text.
type Label struct {
	*Model
	value *prop[string]
}

// NewLabel makes a label.
func NewLabel(value string) *Label {
	m := newModel(controlsModule, controlsVersion, "Label", "", map[string]any{"value": value})
	return &Label{Model: m, value: newProp(m, "value", value)}
}

// Value returns the label's text.
func (l *Label) Value() string { return l.value.get() }

// SetValue changes the label's text.
func (l *Label) SetValue(v string) { l.value.set(v) }

// HTML shows a piece of HTML.
type HTML struct {
	*Model
	value *prop[string]
}

// NewHTML makes an HTML widget.
func NewHTML(value string) *HTML {
	m := newModel(controlsModule, controlsVersion, "HTML", "", map[string]any{"value": value, "placeholder": ""})
	return &HTML{Model: m, value: newProp(m, "value", value)}
}

// Value returns the HTML.
func (h *HTML) Value() string { return h.value.get() }

// SetValue changes the HTML.
func (h *HTML) SetValue(v string) { h.value.set(v) }

// A Button runs functions when clicked.
type Button struct {
	*Model
	clicks []func()
}

// NewButton makes a button labelled description.
func NewButton(description string) *Button {
	m := newModel(controlsModule, controlsVersion, "Button", "", map[string]any{
		"description": description, "button_style": "", "icon": "", "tooltip": "", "disabled": false,
	})
	b := &Button{Model: m}
	m.onCustom = func(content json.RawMessage) {
		var ev struct {
			Event string `json:"event"`
		}
		if json.Unmarshal(content, &ev) != nil || ev.Event != "click" {
			return
		}
		b.click()
	}
	return b
}

// OnClick adds f to the functions a click runs.
func (b *Button) OnClick(f func()) {
	b.mu.Lock()
	b.clicks = append(b.clicks, f)
	b.mu.Unlock()
}

// Click runs the click functions, as a click in the frontend does.
func (b *Button) Click() { b.click() }

func (b *Button) click() {
	b.mu.Lock()
	fs := make([]func(), len(b.clicks))
	copy(fs, b.clicks)
	b.mu.Unlock()
	for _, f := range fs {
		b.protect("click handler", f)
	}
	b.changed(false) // every click counts
}

// Play counts from min to max, one step every interval, while playing: a
// clock to drive an animation (link its value to a slider with Observe).
type Play struct {
	*Model
	value *prop[int]
}

// NewPlay makes a player over [min, max] stepping every interval.
func NewPlay(min, max int, interval time.Duration) *Play {
	m := newModel(controlsModule, controlsVersion, "Play", "", map[string]any{
		"value": min, "min": min, "max": max, "step": 1, "interval": max64(1, interval.Milliseconds()),
		"playing": false, "repeat": false, "show_repeat": true, "disabled": false, "description": "",
	})
	return &Play{Model: m, value: newProp(m, "value", min)}
}

func max64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

// Value returns the current count.
func (p *Play) Value() int { return p.value.get() }

// SetValue sets the count.
func (p *Play) SetValue(v int) { p.value.set(v) }

// Observe calls f with the count after every change.
func (p *Play) Observe(f func(v int)) { p.value.observe(f) }

// An IntProgress is a progress bar over [min, max].
type IntProgress struct {
	*Model
	value *prop[int]
}

// NewIntProgress makes a progress bar at min.
func NewIntProgress(description string, min, max int) *IntProgress {
	m := newModel(controlsModule, controlsVersion, "IntProgress", "Progress", map[string]any{
		"description": description, "value": min, "min": min, "max": max, "bar_style": "", "orientation": "horizontal",
	})
	return &IntProgress{Model: m, value: newProp(m, "value", min)}
}

// Value returns the bar's value.
func (p *IntProgress) Value() int { return p.value.get() }

// SetValue moves the bar.
func (p *IntProgress) SetValue(v int) { p.value.set(v) }

// A Box lays out other widgets in a row (HBox) or a column (VBox).
type Box struct {
	*Model
	children []Widget
}

func newBox(name string, children []Widget) *Box {
	m := newModel(controlsModule, controlsVersion, name, "", map[string]any{"children": refs(children), "box_style": ""})
	b := &Box{Model: m, children: append([]Widget(nil), children...)}
	// A notebook read without widgets shows what the box holds.
	m.text = func() string {
		parts := []string{}
		for _, c := range b.Children() {
			if c != nil && c.model().name != "Output" {
				parts = append(parts, c.model().String())
			}
		}
		return name + ": " + strings.Join(parts, "; ")
	}
	return b
}

// NewHBox lays children out in a row.
func NewHBox(children ...Widget) *Box { return newBox("HBox", children) }

// NewVBox lays children out in a column.
func NewVBox(children ...Widget) *Box { return newBox("VBox", children) }

// Children returns the box's widgets.
func (b *Box) Children() []Widget { return append([]Widget(nil), b.children...) }

// SetChildren replaces the box's widgets.
func (b *Box) SetChildren(children ...Widget) {
	b.children = append([]Widget(nil), children...)
	b.Set("children", refs(children))
}

func refs(ws []Widget) []string {
	r := make([]string, 0, len(ws))
	for _, w := range ws {
		if w != nil {
			r = append(r, ref(w))
		}
	}
	return r
}
