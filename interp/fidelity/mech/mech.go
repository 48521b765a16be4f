// Package mech measures the mechanisms the articles describe in CPython
// and in the Go models side by side, in one run, interleaved, and judges
// each model figure against CPython's figure from that run:
//
//	display.Show(mech.Convoy(mech.ConvoyOptions{}))        // the I/O thread's wait vs the switch interval
//	display.Show(mech.Slices(mech.SliceOptions{}))         // time slices vs sys.setswitchinterval
//	display.Show(mech.StartMethods(mech.StartOptions{}))   // fork, forkserver, spawn vs the model's start-up
//	display.Show(mech.PoolTiny(mech.PoolOptions{}))        // Pool(5).map(square, range(10))
//	display.Show(mech.Breakeven(mech.BreakevenOptions{}))  // the task size where a pool starts to pay
//	display.Show(mech.Shipping(mech.ShippingOptions{}))    // shipping data costs more than it gains
//	display.Show(mech.IOSlowdown(url, mech.IOOptions{}))   // a request next to a CPU-bound thread
//	display.Show(mech.RaceLoss(mech.RaceOptions{}))        // lost updates with a slow log write
//
// Each returns a Result: a table of rows (metric, CPython, model, the
// band the model must fall in, pass or fail), usually a chart, and
// Passed. CPython is the python3 on PATH ($PYTHON overrides it), running
// experiments.py (embedded here); without it a Result says so in Err and
// every row fails: a missing comparison is not a pass. Each experiment
// takes a few seconds. go run ./interp/fidelity runs them all.
package mech

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gokernel/gokernel/interp/display"
	"github.com/gokernel/gokernel/interp/lesson"
	"github.com/gokernel/gokernel/kernel/mime"
)

//go:embed experiments.py
var script []byte

// A Row is one figure measured both ways and judged.
type Row struct {
	Metric  string
	CPython float64 // seconds for "s"/"ms"; NaN when CPython did not run
	Model   float64
	Unit    string // "s", "ms" (both stored in seconds), "x" (ratio), "rate" (0..1), "" (count)
	Band    string // what the model must be, relative to CPython's figure
	OK      bool
	Info    bool // shown for reference, not judged (OK is true)
	// CantTell: the machine offered too little (a second core, say) to
	// judge the row now; the note says what it offered. Not a pass.
	CantTell bool
	Note     string
}

// A Result is one experiment's rows, its chart and what went wrong.
type Result struct {
	Title  string
	Python string // CPython's version, e.g. "3.11.7"
	Rows   []Row
	Chart  *display.Chart
	Notes  []string
	Err    error // CPython could not run (every row then fails)
}

// Passed reports whether every row passed (and CPython ran).
func (r Result) Passed() bool {
	if r.Err != nil {
		return false
	}
	for _, row := range r.Rows {
		if !row.OK {
			return false
		}
	}
	return true
}

// Table returns the rows as a table.
func (r Result) Table() display.Table {
	title := r.Title
	if r.Python != "" {
		title += " (CPython " + r.Python + " and the Go model, same run)"
	}
	t := display.NewTable(title, "metric", "CPython", "Go model", "model/CPython", "band", "result")
	for _, row := range r.Rows {
		v := verdict(row.OK)
		if row.Info {
			v = "info"
		}
		t.AddRow(row.Metric, Format(row.CPython, row.Unit), Format(row.Model, row.Unit), ratio(row), row.Band, v)
	}
	return *t
}

func verdict(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}

// Bundles shows the table, the chart, then the notes (display.MultiBundler).
func (r Result) Bundles() []mime.Bundle {
	out := []mime.Bundle{r.Table().Bundle()}
	if r.Chart != nil {
		out = append(out, r.Chart.Bundle())
	}
	if n := r.notes(); n != "" {
		out = append(out, mime.TextBundle(n))
	}
	return out
}

// Bundle is the table (a cell's value).
func (r Result) Bundle() mime.Bundle { return r.Table().Bundle() }

func (r Result) notes() string {
	var b strings.Builder
	if r.Err != nil {
		fmt.Fprintf(&b, "CPython did not run: %v\n", r.Err)
	}
	for _, n := range r.Notes {
		b.WriteString(n + "\n")
	}
	for _, row := range r.Rows {
		if row.Note != "" {
			fmt.Fprintf(&b, "%s: %s\n", row.Metric, row.Note)
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// String is the table and the notes as text.
func (r Result) String() string {
	s := r.Table().String()
	if n := r.notes(); n != "" {
		s += "\n" + n
	}
	return s
}

// Format writes v in unit for people: "5.12 ms", "0.98x", "0.31", "12".
func Format(v float64, unit string) string {
	switch {
	case math.IsNaN(v):
		return "-"
	case unit == "s":
		return fmt.Sprintf("%.3f s", v)
	case unit == "ms":
		return fmt.Sprintf("%.2f ms", v*1000)
	case unit == "us":
		return fmt.Sprintf("%.1f µs", v*1e6)
	case unit == "x":
		return fmt.Sprintf("%.2fx", v)
	case unit == "rate":
		return fmt.Sprintf("%.2f", v)
	default:
		return fmt.Sprintf("%.0f", v)
	}
}

func ratio(r Row) string { return FormatRatio(r.CPython, r.Model, r.Unit) }

// FormatRatio writes model ÷ CPython for a figure in unit ("1.054"), or
// "-" where a quotient means nothing (counts, rates, a missing figure).
func FormatRatio(py, model float64, unit string) string {
	if unit == "" || unit == "rate" || py == 0 || math.IsNaN(py) || math.IsNaN(model) {
		return "-"
	}
	return fmt.Sprintf("%.3f", model/py)
}

// Rel is a row judged by the model's relative distance from CPython's
// figure: |model/CPython - 1| <= tol.
func Rel(metric string, py, model float64, unit string, tol float64) Row {
	ok := py > 0 && !math.IsNaN(model) && math.Abs(model/py-1) <= tol
	return Row{Metric: metric, CPython: py, Model: model, Unit: unit, Band: fmt.Sprintf("±%.0f %%", tol*100), OK: ok}
}

// Abs is a row judged by |model - CPython| <= tol (for rates).
func Abs(metric string, py, model float64, unit string, tol float64) Row {
	ok := !math.IsNaN(py) && !math.IsNaN(model) && math.Abs(model-py) <= tol
	return Row{Metric: metric, CPython: py, Model: model, Unit: unit, Band: fmt.Sprintf("±%g", tol), OK: ok}
}

// Rates is a row comparing two rates counted over runs (pyHits of pyRuns
// in CPython, modelHits of modelRuns in the model), judged within ±tol.
// A gap past tol but within tol plus twice the standard error of the
// difference is CAN'T TELL: that few runs cannot tell it from chance.
func Rates(metric string, pyHits, pyRuns, modelHits, modelRuns int, tol float64) Row {
	py, model := float64(pyHits)/float64(pyRuns), float64(modelHits)/float64(modelRuns)
	r := Abs(metric, py, model, "rate", tol)
	if !r.OK && pyRuns > 0 && modelRuns > 0 {
		if noise := lesson.RateGapNoise(py, pyRuns, model, modelRuns); math.Abs(model-py) <= tol+noise {
			r.CantTell = true
			r.Note = fmt.Sprintf("the gap %.2f is within chance (±%.2f over %d and %d runs) of the band", model-py, noise, pyRuns, modelRuns)
		}
	}
	return r
}

// RoundRates is Rates over rounds that alternate the two sides, each
// CPython round a fresh process: py[i] and model[i] hits of runs runs in
// round i. Some rates are not a steady property of CPython on a machine:
// who wins a lock after a release depends on which CPUs the kernel has
// put the two threads on, and that changes from one process to the next
// (on the development VM the waiter took a lock first in 0.00 to 0.92 of
// the releases at no gap, process by process). When CPython's own rounds
// differ by more than twice tol, the row is CAN'T TELL, unless the model's
// rate lies outside the band (and chance) of every one of CPython's rounds:
// then no state the machine was in during the run gave CPython a figure
// the model agrees with, and the row fails. The rounds are in the row's
// note.
func RoundRates(metric string, py, model []int, runs int, tol float64) Row {
	r := Rates(metric, sumInts(py), runs*len(py), sumInts(model), runs*len(model), tol)
	rates := func(xs []int) (s string, lo, hi float64) {
		lo, hi = math.Inf(1), math.Inf(-1)
		for i, x := range xs {
			v := float64(x) / float64(runs)
			lo, hi = min(lo, v), max(hi, v)
			if i > 0 {
				s += " "
			}
			s += fmt.Sprintf("%.2f", v)
		}
		return s, lo, hi
	}
	ps, lo, hi := rates(py)
	ms, _, _ := rates(model)
	rounds := fmt.Sprintf("rounds of %d runs: CPython %s; model %s", runs, ps, ms)
	switch {
	case len(py) > 1 && hi-lo > 2*tol && outside(r.Model, lo, hi, runs, runs*len(model), tol):
		r.OK, r.CantTell = false, false
		r.Note = fmt.Sprintf("CPython's own rounds range %.2f–%.2f, but the model's %.2f is outside the band and chance of every one of them (%s)", lo, hi, r.Model, rounds)
	case len(py) > 1 && hi-lo > 2*tol:
		r.OK, r.CantTell = false, true
		r.Note = fmt.Sprintf("CPython's own rounds range %.2f–%.2f, more than the band allows either way: not a steady figure of CPython on this machine now (%s)", lo, hi, rounds)
	case r.Note != "":
		r.Note += "; " + rounds
	default:
		r.Note = rounds
	}
	return r
}

// outside reports whether a rate m (over mRuns runs) is farther than tol
// plus chance from every rate in lo–hi (each over runs runs): below lo or
// above hi by more than that.
func outside(m, lo, hi float64, runs, mRuns int, tol float64) bool {
	return m < lo-tol-lesson.RateGapNoise(lo, runs, m, mRuns) || m > hi+tol+lesson.RateGapNoise(hi, runs, m, mRuns)
}

// Factor is a row judged by the model being within a factor f of CPython.
func Factor(metric string, py, model float64, unit string, f float64) Row {
	ok := py > 0 && model > 0 && within(model, py, f)
	return Row{Metric: metric, CPython: py, Model: model, Unit: unit, Band: fmt.Sprintf("within %gx", f), OK: ok}
}

// within reports whether a and b (both finite, or both +Inf) are within a
// factor f of each other.
func within(a, b, f float64) bool {
	if math.IsInf(a, 1) || math.IsInf(b, 1) {
		return math.IsInf(a, 1) && math.IsInf(b, 1)
	}
	return a <= b*f && b <= a*f
}

// Same is a row judged by the model reaching the same verdict as CPython
// (both true or both false), each figure shown as 1 or 0.
func Same(metric string, py, model bool) Row {
	b := func(v bool) float64 {
		if v {
			return 1
		}
		return 0
	}
	return Row{Metric: metric, CPython: b(py), Model: b(model), Band: "same (1 yes, 0 no)", OK: py == model}
}

// failed is a Result whose CPython side could not run.
func failed(title string, err error) Result {
	return Result{Title: title, Err: err, Rows: []Row{{Metric: "CPython ran", CPython: math.NaN(), Model: math.NaN(), Band: "must run", OK: false}}}
}

var pyFile struct {
	once sync.Once
	path string
	err  error
}

// pythonCommand is $PYTHON or python3.
func pythonCommand() string {
	if p := os.Getenv("PYTHON"); p != "" {
		return p
	}
	return "python3"
}

// Python runs experiment name of experiments.py with params (as JSON) and
// decodes the JSON it prints into out.
func Python(name string, params map[string]any, out any) error {
	pyFile.once.Do(func() {
		dir, err := os.MkdirTemp("", "gokernel-mech-")
		if err != nil {
			pyFile.err = err
			return
		}
		// a file, not python -c: multiprocessing's spawn and forkserver
		// re-import the main module from its path
		pyFile.path = filepath.Join(dir, "experiments.py")
		pyFile.err = os.WriteFile(pyFile.path, script, 0o644)
	})
	if pyFile.err != nil {
		return fmt.Errorf("mech: could not write experiments.py: %w", pyFile.err)
	}
	if params == nil {
		params = map[string]any{}
	}
	p, _ := json.Marshal(params)
	cmd := exec.Command(pythonCommand(), pyFile.path, name, string(p))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("mech: %s experiments.py %s %s: %w\n%s", pythonCommand(), name, p, err, lastLines(stderr.String(), 8))
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("mech: experiments.py %s: bad output %q: %w", name, b, err)
	}
	return nil
}

func lastLines(s string, n int) string {
	ls := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(ls) > n {
		ls = ls[len(ls)-n:]
	}
	return strings.Join(ls, "\n")
}

var version struct {
	once sync.Once
	v    string
}

// PythonVersion returns CPython's version ("3.11.7"), or "" without one.
func PythonVersion() string {
	version.once.Do(func() {
		out, err := exec.Command(pythonCommand(), "-c", "import sys; print(sys.version.split()[0])").Output()
		if err == nil {
			version.v = strings.TrimSpace(string(out))
		}
	})
	return version.v
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	ys := append([]float64(nil), xs...)
	sort.Float64s(ys)
	return ys[len(ys)/2]
}

func secs(d time.Duration) float64 { return d.Seconds() }

func durs(ds []time.Duration) []float64 {
	out := make([]float64, len(ds))
	for i, d := range ds {
		out[i] = d.Seconds()
	}
	return out
}

func timeIt(f func()) float64 {
	t := time.Now()
	f()
	return time.Since(t).Seconds()
}

func ms(d time.Duration) string { return display.Duration(d) }
