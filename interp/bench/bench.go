// Package bench times Go code in notebook cells, like Python's timeit: a
// warm-up, then Repeat rounds of Number calls each, reported per call as
// min / median / max / mean. Results are values a cell can compute with;
// they display as a table, and a Comparison as a table plus a bar chart.
//
//	seq := bench.Run("sequential", func() { work(1) })
//	par := bench.Run("4 goroutines", func() { work(4) })
//	c := bench.Compare(seq, par)
//	display.Show(c)                          // table with speedups, then a bar chart
//	fmt.Printf("%.1f×\n", c.Speedup("4 goroutines"))
//
// Options set the rounds and calls; tests and examples inject a FakeClock
// through Options.Clock so the figures they print are the same everywhere:
//
//	clk := &bench.FakeClock{}
//	r := bench.RunOpts("x", bench.Options{Clock: clk, Number: 10}, func() { clk.Advance(time.Millisecond) })
//	r.Median // exactly 1 ms
package bench

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/gokernel/gokernel/interp/display"
	"github.com/gokernel/gokernel/interp/timeline"
	"github.com/gokernel/gokernel/kernel/mime"
)

// A Clock tells the time; Options.Clock replaces the wall clock in tests.
// It has the shape of timeline.Clock, so one fake serves both.
type Clock interface{ Now() time.Time }

// FakeClock is a clock that moves only when told: Advance it inside the
// function being timed (see timeline.FakeClock).
type FakeClock = timeline.FakeClock

// Options controls a run. The zero value is usable.
type Options struct {
	Repeat   int           // rounds measured; 0: 5
	Number   int           // calls per round; 0: chosen (1, 2, 5, 10, 20, ...) so a round takes at least MinRound
	Warmup   int           // calls before measuring when Number is set; 0: 1, negative: none. Choosing Number warms up already.
	MinRound time.Duration // with Number 0, the least time a round should take; 0: 100 ms
	Clock    Clock         // nil: the wall clock
	Progress bool          // show a progress bar while running
}

// A Result is the timing of one function. Durations are per call.
type Result struct {
	Name   string
	Times  []time.Duration // per-call time of each round, in the order run
	Number int             // calls per round
	Min    time.Duration
	Median time.Duration
	Max    time.Duration
	Mean   time.Duration
	Stddev time.Duration // of the rounds' per-call times
	Err    error         // why nothing was measured (a nil function, ...)
}

// ErrNilFunc is the Err of a Result for a nil function.
var ErrNilFunc = errors.New("bench: nothing to time (the function is nil)")

// Run times f with default options.
func Run(name string, f func()) Result { return RunOpts(name, Options{}, f) }

// RunOpts times f with o.
func RunOpts(name string, o Options, f func()) Result {
	r := Result{Name: name}
	if f == nil {
		r.Err = ErrNilFunc
		return r
	}
	clk := o.Clock
	if clk == nil {
		clk = timeline.RealClock
	}
	repeat := o.Repeat
	if repeat <= 0 {
		repeat = 5
	}
	round := func(n int) time.Duration {
		t0 := clk.Now()
		for i := 0; i < n; i++ {
			f()
		}
		return clk.Now().Sub(t0)
	}
	number := o.Number
	if number <= 0 {
		number = calibrate(round, o.MinRound)
	} else {
		warm := o.Warmup
		if warm == 0 {
			warm = 1
		}
		for i := 0; i < warm; i++ {
			f()
		}
	}
	r.Number = number
	var p *display.Progress
	if o.Progress {
		p = display.NewProgressOpts(repeat, "timing "+name, display.ProgressOptions{Clock: clk})
	}
	for i := 0; i < repeat; i++ {
		r.Times = append(r.Times, round(number)/time.Duration(number))
		if p != nil {
			p.Add(1)
		}
	}
	if p != nil {
		p.Done()
	}
	r.stats()
	return r
}

// calibrate finds the calls per round, as timeit's autorange does: 1, 2, 5,
// 10, 20, 50, ... until a round takes at least min. The rounds it runs are
// the warm-up.
func calibrate(round func(int) time.Duration, min time.Duration) int {
	if min <= 0 {
		min = 100 * time.Millisecond
	}
	for base := 1; ; base *= 10 {
		for _, m := range []int{1, 2, 5} {
			n := base * m
			// A clock that does not move (a fake nobody advances) ends the
			// search instead of running f a billion times.
			if d := round(n); d >= min || d == 0 && n >= 1000 || n >= 1e9 {
				return n
			}
		}
	}
}

func (r *Result) stats() {
	if len(r.Times) == 0 {
		return
	}
	s := slices.Clone(r.Times)
	slices.Sort(s)
	r.Min, r.Max = s[0], s[len(s)-1]
	if n := len(s); n%2 == 1 {
		r.Median = s[n/2]
	} else {
		r.Median = (s[n/2-1] + s[n/2]) / 2
	}
	var sum float64
	for _, t := range s {
		sum += float64(t)
	}
	mean := sum / float64(len(s))
	var sq float64
	for _, t := range s {
		sq += (float64(t) - mean) * (float64(t) - mean)
	}
	r.Mean = time.Duration(math.Round(mean))
	if len(s) > 1 {
		r.Stddev = time.Duration(math.Round(math.Sqrt(sq / float64(len(s)-1))))
	}
}

// String summarises r as timeit does: "name: 1.23 ms per call (median of 5
// rounds × 100 calls; min 1.20 ms, max 1.31 ms)".
func (r Result) String() string {
	if r.Err != nil {
		return r.Name + ": " + r.Err.Error()
	}
	return fmt.Sprintf("%s: %s per call (median of %d rounds × %d calls; min %s, max %s)",
		r.Name, display.Duration(r.Median), len(r.Times), r.Number, display.Duration(r.Min), display.Duration(r.Max))
}

// Table returns r as a one-row table.
func (r Result) Table() display.Table { return table([]Result{r}, "", nil) }

// Bundle implements mime.Bundler: a table (HTML and text).
func (r Result) Bundle() mime.Bundle { return r.Table().Bundle() }

// Chart returns a bar chart of r's rounds, to see how much they vary.
func (r Result) Chart() display.Chart {
	var labels []string
	var secs []float64
	for i, t := range r.Times {
		labels = append(labels, fmt.Sprintf("round %d", i+1))
		secs = append(secs, t.Seconds())
	}
	return display.Bar(r.Name+": time per call, by round", labels, secs, "s")
}

// table makes the table of results; with speedups, a speedup column.
func table(rs []Result, title string, speedup func(Result) float64) display.Table {
	cols := []string{"name", "median", "min", "max", "mean", "± stddev", "rounds × calls"}
	if speedup != nil {
		cols = append(cols, "speedup")
	}
	t := display.Table{Title: title, Columns: cols}
	for _, r := range rs {
		if r.Err != nil {
			t.Rows = append(t.Rows, []any{r.Name, r.Err.Error()})
			continue
		}
		row := []any{r.Name, r.Median, r.Min, r.Max, r.Mean, r.Stddev, fmt.Sprintf("%d × %d", len(r.Times), r.Number)}
		if speedup != nil {
			row = append(row, display.Ratio(speedup(r)))
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// A Comparison sets results against a baseline (the first).
type Comparison struct {
	Baseline string
	Results  []Result // the baseline first
}

// Compare sets others against baseline.
func Compare(baseline Result, others ...Result) Comparison {
	return Comparison{Baseline: baseline.Name, Results: append([]Result{baseline}, others...)}
}

// Speedup returns how many times faster than the baseline the named result
// is, by median (2 means twice as fast); 0 when there is no such result or
// nothing was measured.
func (c Comparison) Speedup(name string) float64 {
	base, ok := c.find(c.Baseline)
	r, ok2 := c.find(name)
	if !ok || !ok2 || r.Median <= 0 || base.Median <= 0 {
		return 0
	}
	return float64(base.Median) / float64(r.Median)
}

func (c Comparison) find(name string) (Result, bool) {
	for _, r := range c.Results {
		if r.Name == name && r.Err == nil {
			return r, true
		}
	}
	return Result{}, false
}

// Table returns the comparison as a table with a speedup column.
func (c Comparison) Table() display.Table {
	return table(c.Results, "", func(r Result) float64 { return c.Speedup(r.Name) })
}

// Chart returns a bar chart of the medians.
func (c Comparison) Chart() display.Chart {
	var labels []string
	var secs []float64
	for _, r := range c.Results {
		if r.Err == nil {
			labels = append(labels, r.Name)
			secs = append(secs, r.Median.Seconds())
		}
	}
	return display.Bar("Median time per call (baseline: "+c.Baseline+")", labels, secs, "s")
}

// String returns the table and text bars.
func (c Comparison) String() string { return c.Table().String() + "\n\n" + c.Chart().Text() }

// Bundle implements mime.Bundler: the table, with text bars under it in
// text/plain. (One bundle cannot carry both an HTML table and a chart that
// every frontend shows; Bundles and display.Show send both.)
func (c Comparison) Bundle() mime.Bundle {
	b := c.Table().Bundle()
	b.Data[mime.Text] = c.String()
	return b
}

// Bundles implements display.MultiBundler: the table, then the chart.
func (c Comparison) Bundles() []mime.Bundle {
	return []mime.Bundle{c.Table().Bundle(), c.Chart().Bundle()}
}
