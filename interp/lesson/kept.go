package lesson

import (
	"fmt"
	"html"

	"github.com/gokernel/gokernel/interp/display"
	"github.com/gokernel/gokernel/kernel/mime"
)

// A KeptFigure is a CPython figure the repository keeps, for machines
// without python3: what was measured, where, when and with which version.
// It is shown, clearly labelled, never judged.
type KeptFigure struct {
	Value float64
	Unit  string
	Where string // the machine and the command
	When  string // the date
	With  string // the CPython version
}

// keptWhere is where the kept figures were measured.
const keptWhere = "the development machine, a 2-core Linux VM shared with seven other jobs at the time (so ratios that need a free core are noisy), running the lesson at its default sizes with `gokernel execute`"

// kept holds the figures, by the name of the check that compares the Go
// model with CPython (the names are unique across the lessons). They are
// the CPython side of that check, measured at the lessons' default sizes.
var kept = map[string]KeptFigure{
	"the GIL model's two-thread speedup matches CPython's (±15 %)":                   {Value: 1.465, Unit: "×", Where: keptWhere, When: "2026-12-03", With: "Python 3.11.7"},
	"the Go model's process speedup matches CPython's (±15 %)":                       {Value: 1.097, Unit: "×", Where: keptWhere, When: "2026-12-03", With: "Python 3.11.7"},
	"four downloads on four threads take as long in the model as in CPython (±2 %)":  {Value: 0.4029, Unit: "s", Where: keptWhere, When: "2026-12-03", With: "Python 3.11.7"},
	"the GIL model's CPU-bound threads match CPython's (±15 %)":                      {Value: 1.084, Unit: "×", Where: keptWhere, When: "2026-12-03", With: "Python 3.11.7"},
	"the Go hybrid's speedup matches CPython's (±15 %)":                              {Value: 1.575, Unit: "×", Where: keptWhere, When: "2026-12-03", With: "Python 3.11.7"},
	"the GIL model's countdown speedup matches CPython's (±15 %)":                    {Value: 1.318, Unit: "×", Where: keptWhere, When: "2026-12-03", With: "Python 3.11.7"},
	"the Go model's countdown in processes matches CPython's (±15 %)":                {Value: 0.9572, Unit: "×", Where: keptWhere, When: "2026-12-03", With: "Python 3.11.7"},
	"the GIL model's threads match CPython's (±15 %)":                                {Value: 0.9913, Unit: "×", Where: keptWhere, When: "2026-12-03", With: "Python 3.11.7"},
	"the event loop model matches asyncio (±15 %)":                                   {Value: 1.125, Unit: "×", Where: keptWhere, When: "2026-12-03", With: "Python 3.11.7"},
	"the Go model's processes match CPython's (±15 %)":                               {Value: 0.9203, Unit: "×", Where: keptWhere, When: "2026-12-03", With: "Python 3.11.7"},
	"four requests on four threads take as long in the model as in CPython (±2 %)":   {Value: 0.2534, Unit: "s", Where: keptWhere, When: "2026-12-03", With: "Python 3.11.7"},
	"four requests on the event loop take as long in the model as in asyncio (±2 %)": {Value: 0.2531, Unit: "s", Where: keptWhere, When: "2026-12-03", With: "Python 3.11.7"},
	"the Go pool's speedup matches CPython's (±15 %)":                                {Value: 2.223, Unit: "×", Where: keptWhere, When: "2026-12-03", With: "Python 3.11.7"},
	"with a slow write, the model's loss rate matches CPython's (±0.15)":             {Value: 0.9, Unit: "", Where: keptWhere, When: "2026-12-03", With: "Python 3.11.7"},
	"the GIL model matches CPython (±15 %)":                                          {Value: 0.9563, Unit: "×", Where: keptWhere, When: "2026-12-03", With: "Python 3.11.7"},
}

// Kept returns the CPython figure the repository keeps for the check
// named name, and whether there is one.
func Kept(name string) (KeptFigure, bool) {
	f, ok := kept[name]
	return f, ok
}

type keptNote struct {
	name, key string
	f         KeptFigure
	ok        bool
}

func (k keptNote) String() string {
	if !k.ok {
		return "– not checked: " + k.name + " (python3 is not installed here, and the repository keeps no CPython figure for it)"
	}
	return fmt.Sprintf("– not checked: %s (python3 is not installed here). The CPython figure it compares with, KEPT from an earlier run and not measured now: %s, measured on %s, on %s, with %s.",
		k.name, formatValue(k.f.Value, k.f.Unit), k.f.Where, k.f.When, k.f.With)
}

func (k keptNote) Bundle() mime.Bundle {
	h := `<div style="border-left:4px solid #9e9e9e;padding:2px 8px;margin:4px 0">` + html.EscapeString(k.String()) + `</div>`
	return mime.Bundle{Data: map[string]any{mime.Text: k.String(), mime.HTML: h}}
}

func showKept(name, key string) {
	f, ok := Kept(name)
	display.Show(keptNote{name: name, key: key, f: f, ok: ok})
}
