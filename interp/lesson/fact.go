package lesson

import (
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/gokernel/gokernel/interp/display"
	"github.com/gokernel/gokernel/kernel/mime"
)

// MetadataKey is the key of a fact in an output's metadata. The notebook
// tests (notebooks/tests) look for it in every output of an executed lesson.
const MetadataKey = "gokernel_fact"

// A Check is one fact a lesson teaches, with the value measured and the
// band it must fall in. Fact and FactIn build one and show it; a cell can
// also build one to compute with (Holds) or to show later.
type Check struct {
	Name    string  // what the fact says, as a sentence ("goroutines give about 2× on 2 cores")
	Value   float64 // what was measured
	Lo, Hi  float64 // the band Value must fall in, inclusive; ±Inf for an open end
	Unit    string  // "×" (a ratio), "s", "ms", "" (a plain number) or any other unit
	Explain string  // one or two sentences: why the fact holds

	// Spread, when not empty, is shown after the value: how far the
	// measurements it summarises lay apart ("0.97–1.06× over 6 pairs").
	Spread string
	// CantTell, when not empty, says why this machine cannot decide the fact
	// right now ("1.0 core free"): the fact is shown as "? can't tell here
	// now" and neither holds nor fails. Judge functions set it; a wrong
	// value never turns into a ✓ this way, since Holds is then false.
	CantTell string
}

// State is a fact's verdict: it holds, it fails, or this machine cannot
// tell right now.
type State string

const (
	StateHolds    State = "holds"
	StateFails    State = "fails"
	StateCantTell State = "cant_tell"
)

// State returns the verdict: StateCantTell when CantTell is set, else
// StateHolds or StateFails by the band.
func (c Check) State() State {
	switch {
	case c.CantTell != "":
		return StateCantTell
	case c.Holds():
		return StateHolds
	}
	return StateFails
}

// Fact shows the verdict on a ratio (a speedup or a slowdown, shown with ×)
// and records it in the output's metadata for the notebook tests.
func Fact(name string, value, lo, hi float64, explain string) {
	display.Show(Check{Name: name, Value: value, Lo: lo, Hi: hi, Unit: "×", Explain: explain})
}

// FactIn is Fact for a value in another unit: "s" or "ms" for a duration,
// "" for a count, or any other unit name.
func FactIn(name string, value, lo, hi float64, unit, explain string) {
	display.Show(Check{Name: name, Value: value, Lo: lo, Hi: hi, Unit: unit, Explain: explain})
}

// Seconds returns d in seconds, the unit FactIn and Published use for "s".
func Seconds(d time.Duration) float64 { return d.Seconds() }

// Skip shows that a fact could not be checked here, and why. It records
// nothing, so the notebook tests neither count it as holding nor as failing.
// Use it only where the measurement cannot exist at all (no python3); a
// measurement that exists but cannot decide is a Check with CantTell, and
// one that failed (a Python program that crashed) is a failed fact.
func Skip(name, reason string) {
	display.Show(skipped{name: name, reason: reason})
}

type skipped struct{ name, reason string }

func (s skipped) String() string { return "– not checked: " + s.name + " (" + s.reason + ")" }

func (s skipped) Bundle() mime.Bundle {
	h := fmt.Sprintf(`<div style="border-left:4px solid #9e9e9e;padding:2px 8px;margin:4px 0">`+
		`<b>– not checked:</b> %s <span style="color:#666">(%s)</span></div>`,
		html.EscapeString(s.name), html.EscapeString(s.reason))
	return mime.Bundle{Data: map[string]any{mime.Text: s.String(), mime.HTML: h}}
}

// Holds reports whether Value lies in [Lo, Hi] and the fact could be
// decided. A NaN value (nothing was measured) and an empty band (Lo > Hi, or
// a NaN bound) never hold.
func (c Check) Holds() bool {
	if c.CantTell != "" {
		return false
	}
	if math.IsNaN(c.Value) || math.IsNaN(c.Lo) || math.IsNaN(c.Hi) || c.Lo > c.Hi {
		return false
	}
	return c.Lo <= c.Value && c.Value <= c.Hi
}

// problem says why a check cannot hold whatever the value, or "".
func (c Check) problem() string {
	switch {
	case math.IsNaN(c.Lo) || math.IsNaN(c.Hi):
		return "the band has a NaN bound"
	case c.Lo > c.Hi:
		return "the band is empty: lo > hi"
	case math.IsNaN(c.Value):
		return "nothing was measured"
	}
	return ""
}

// String returns the verdict as one line, then the explanation:
//
//	✓ emulated-GIL threads give no CPU speedup: 1.02× (expected 0.75–1.25×)
func (c Check) String() string {
	s := c.verdict()
	if c.Explain != "" {
		s += "\n  " + c.Explain
	}
	return s
}

func (c Check) verdict() string {
	name := c.Name
	if name == "" {
		name = "(unnamed fact)"
	}
	value := formatValue(c.Value, c.Unit)
	if c.Spread != "" {
		value += " (" + c.Spread + ")"
	}
	if c.State() == StateCantTell {
		return fmt.Sprintf("? %s: %s — can't tell here now: %s (it would need %s)", name, value, c.CantTell, c.band())
	}
	mark := "✗"
	if c.Holds() {
		mark = "✓"
	}
	s := fmt.Sprintf("%s %s: %s (expected %s)", mark, name, value, c.band())
	if p := c.problem(); p != "" {
		s += " — " + p
	}
	return s
}

// band formats [Lo, Hi] the way people write a range: "0.75–1.25×",
// "≥ 1.6×", "≤ 1.3×", "1–1" for an exact value.
func (c Check) band() string {
	lo, hi := math.IsInf(c.Lo, -1), math.IsInf(c.Hi, 1)
	switch {
	case lo && hi:
		return "any value"
	case lo:
		return "≤ " + formatBound(c.Hi) + unitSuffix(c.Unit)
	case hi:
		return "≥ " + formatBound(c.Lo) + unitSuffix(c.Unit)
	}
	return formatBound(c.Lo) + "–" + formatBound(c.Hi) + unitSuffix(c.Unit)
}

// Bundle implements mime.Bundler: a coloured one-line verdict in HTML, the
// same in text/plain, and the fact in the metadata under MetadataKey.
func (c Check) Bundle() mime.Bundle {
	colour, bg := "#c62828", "#fdecea"
	switch c.State() {
	case StateHolds:
		colour, bg = "#2e7d32", "#edf7ed"
	case StateCantTell:
		colour, bg = "#8d6e00", "#fff8e1"
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<div style="border-left:4px solid %s;background:%s;padding:4px 8px;margin:4px 0">`, colour, bg)
	fmt.Fprintf(&b, `<b style="color:%s">%s</b>`, colour, html.EscapeString(c.verdict()))
	if c.Explain != "" {
		fmt.Fprintf(&b, `<br><span style="color:#444">%s</span>`, html.EscapeString(c.Explain))
	}
	b.WriteString(`</div>`)
	return mime.Bundle{
		Data: map[string]any{mime.Text: c.String(), mime.HTML: b.String()},
		Metadata: map[string]any{MetadataKey: map[string]any{
			"name":  c.Name,
			"value": jsonNumber(c.Value),
			"lo":    jsonNumber(c.Lo),
			"hi":    jsonNumber(c.Hi),
			"unit":  c.Unit,
			"holds": c.Holds(),
			"state": string(c.State()),
		}},
	}
}

// jsonNumber returns x, or nil for NaN and ±Inf, which JSON cannot carry
// (encoding/json fails on them, and the kernel would drop the whole output).
func jsonNumber(x float64) any {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return x
}

// formatValue formats a measured value in unit: ratios with two decimals
// ("1.02×"), durations in seconds or milliseconds for people ("1.23 s"),
// others with up to four significant digits.
func formatValue(v float64, unit string) string {
	if math.IsNaN(v) {
		return "—"
	}
	if math.IsInf(v, 0) {
		return display.Number(v) + unitSuffix(unit)
	}
	switch unit {
	case "×", "x":
		return strconv.FormatFloat(v, 'f', 2, 64) + "×"
	case "s":
		return display.Duration(time.Duration(v * float64(time.Second)))
	case "ms":
		return display.Duration(time.Duration(v * float64(time.Millisecond)))
	}
	return display.Number(v) + unitSuffix(unit)
}

// formatBound formats a band's end without its unit: "0.75", "1.6", "3".
func formatBound(v float64) string { return display.Number(v) }

func unitSuffix(unit string) string {
	switch unit {
	case "":
		return ""
	case "×", "x", "%":
		return unit
	}
	return " " + unit
}
