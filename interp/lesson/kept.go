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
const keptWhere = "the development machine (2-core Linux VM, shared with other work), running the lesson with `gokernel execute`"

// kept holds the figures, by the name of the check that compares the Go
// model with CPython (the names are unique across the lessons). They are
// the CPython side of that check, measured at the lessons' default sizes.
var kept = map[string]KeptFigure{}

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
		return "– not checked: " + k.name + " (python3 is not installed here, and the repository keeps no CPython figure for " + k.key + ")"
	}
	return fmt.Sprintf("– not checked: %s (python3 is not installed here). KEPT CPython figure, not measured now: %s = %s, measured on %s, %s, with %s.",
		k.name, k.key, formatValue(k.f.Value, k.f.Unit), k.f.Where, k.f.When, k.f.With)
}

func (k keptNote) Bundle() mime.Bundle {
	h := `<div style="border-left:4px solid #9e9e9e;padding:2px 8px;margin:4px 0">` + html.EscapeString(k.String()) + `</div>`
	return mime.Bundle{Data: map[string]any{mime.Text: k.String(), mime.HTML: h}}
}

func showKept(name, key string) {
	f, ok := Kept(name)
	display.Show(keptNote{name: name, key: key, f: f, ok: ok})
}
