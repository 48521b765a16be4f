package lesson

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/gokernel/gokernel/interp/display"
	"github.com/gokernel/gokernel/kernel/mime"
)

// A Way is one way of doing an experiment's work: its name and a function
// that does the work once.
type Way struct {
	Name string
	Run  func()
}

// Runs holds the wall times of ways run in interleaved rounds. Round r runs
// the ways in order when r is even and in reverse when r is odd (A B, B A,
// A B, ...), so a machine that drifts during the experiment (another
// program starts, a core goes away) slows every way alike, and the ratio
// of one way to another is taken within each round, never across the
// experiment. It displays as a table of each way's times and its speedup
// over the first way, with the spread over the rounds.
type Runs struct {
	Title string
	Names []string
	Times [][]time.Duration // Times[way][round]
	// CPU is the CPU time the whole process used during each run
	// (CPU[way][round]; nil where it cannot be read). For a way that keeps
	// one thread busy, CPU ÷ wall time is the share of a core the machine
	// gave it (see CoreShare).
	CPU [][]time.Duration
}

// Interleave runs each way once per round, for rounds rounds (at least
// 2), alternating the order, and returns the times. Pass Progress to show a
// bar while it runs.
func Interleave(rounds int, ways ...Way) *Runs {
	return InterleaveOpts(InterleaveOptions{Rounds: rounds}, ways...)
}

// InterleaveOptions configures InterleaveOpts.
type InterleaveOptions struct {
	Rounds   int    // at least 2; 0 means 4
	Progress string // when not empty, a progress bar with this label
	Between  func() // when not nil, called between rounds (a Watch's Sample)
	// Middle, when not nil, is called once, halfway through the rounds:
	// run the CPython program there, so that it and the Go rounds around it
	// see the same machine.
	Middle func()
}

// InterleaveOpts is Interleave with options.
func InterleaveOpts(o InterleaveOptions, ways ...Way) *Runs {
	if o.Rounds == 0 {
		o.Rounds = 4
	}
	o.Rounds = max(o.Rounds, 2)
	r := &Runs{Names: make([]string, len(ways)), Times: make([][]time.Duration, len(ways)), CPU: make([][]time.Duration, len(ways))}
	for i, w := range ways {
		r.Names[i] = w.Name
	}
	var bar *display.Progress
	if o.Progress != "" {
		bar = display.NewProgress(o.Rounds*len(ways), o.Progress)
	}
	for round := 0; round < o.Rounds; round++ {
		for j := range ways {
			i := j
			if round%2 == 1 {
				i = len(ways) - 1 - j
			}
			cpu0, start := processCPU(), time.Now()
			ways[i].Run()
			r.Times[i] = append(r.Times[i], time.Since(start))
			r.CPU[i] = append(r.CPU[i], processCPU()-cpu0)
			if bar != nil {
				bar.Add(1)
			}
		}
		if o.Between != nil && round < o.Rounds-1 {
			o.Between()
		}
		if o.Middle != nil && round == (o.Rounds-1)/2 {
			o.Middle()
		}
	}
	if bar != nil {
		bar.Done()
	}
	return r
}

func (r *Runs) index(name string) int {
	for i, n := range r.Names {
		if n == name {
			return i
		}
	}
	return -1
}

// Median returns the median time of the named way (0 if there is none).
func (r *Runs) Median(name string) time.Duration {
	i := r.index(name)
	if i < 0 {
		return 0
	}
	s := make([]float64, len(r.Times[i]))
	for k, d := range r.Times[i] {
		s[k] = float64(d)
	}
	return time.Duration(median(s))
}

// Min returns the fastest round of the named way (0 if there is none).
// For a time made of waiting (a sleep, a server's delay), the fastest
// round is the one to compare: a busy machine only ever adds to it.
func (r *Runs) Min(name string) time.Duration {
	i := r.index(name)
	if i < 0 || len(r.Times[i]) == 0 {
		return 0
	}
	m := r.Times[i][0]
	for _, d := range r.Times[i] {
		m = min(m, d)
	}
	return m
}

// CoreShare returns the median share of a core the named way got per
// round (its process CPU time ÷ its wall time), NaN when unknown. A way
// that keeps one thread busy (a serial run) gets about 1 on a machine with
// a core to spare; on an oversubscribed one it gets less, and then threads
// that sleep and wake often (a GIL's hand-overs) can get more CPU than it
// did, a speedup the GIL did not give.
func (r *Runs) CoreShare(name string) float64 {
	i := r.index(name)
	if i < 0 || i >= len(r.CPU) || len(r.CPU[i]) != len(r.Times[i]) {
		return math.NaN()
	}
	var shares []float64
	for k, c := range r.CPU[i] {
		if c < 0 || r.Times[i][k] <= 0 {
			return math.NaN()
		}
		shares = append(shares, float64(c)/float64(r.Times[i][k]))
	}
	return median(shares)
}

// Speedup returns how much faster other ran than base, round by round:
// base's time divided by other's in the same round, with base's share of a
// core (CoreShare) attached. An unknown name gives a Ratio with no values
// (NaN).
func (r *Runs) Speedup(base, other string) Ratio {
	b, o := r.index(base), r.index(other)
	ratio := Ratio{Name: other + " over " + base, BaseCoreShare: r.CoreShare(base)}
	if b < 0 || o < 0 {
		return ratio
	}
	for k := range r.Times[b] {
		if k < len(r.Times[o]) && r.Times[o][k] > 0 {
			ratio.Values = append(ratio.Values, float64(r.Times[b][k])/float64(r.Times[o][k]))
		}
	}
	return ratio
}

// LongestOver returns, round by round, the longest of the bases' times
// divided by other's time in the same round: how close running the bases
// together (other) came to the longest of them alone. 1 means the shorter
// ones hid entirely under the longest. Comparing with the longest in each
// round, rather than with one base chosen beforehand, keeps the ratio
// true when the machine's pace changes which base is longer (a CPU task
// sized earlier, on a busier machine, next to a fixed download delay).
// An unknown name gives a Ratio with no values (NaN).
func (r *Runs) LongestOver(other string, bases ...string) Ratio {
	o := r.index(other)
	ratio := Ratio{Name: other + " over the longest of " + strings.Join(bases, ", ")}
	idx := make([]int, len(bases))
	for i, b := range bases {
		if idx[i] = r.index(b); idx[i] < 0 {
			return ratio
		}
	}
	if o < 0 || len(bases) == 0 {
		return ratio
	}
	for k := range r.Times[o] {
		longest := time.Duration(0)
		for _, b := range idx {
			if k < len(r.Times[b]) {
				longest = max(longest, r.Times[b][k])
			}
		}
		if r.Times[o][k] > 0 && longest > 0 {
			ratio.Values = append(ratio.Values, float64(longest)/float64(r.Times[o][k]))
		}
	}
	return ratio
}

// A Ratio is a quotient measured several times (once per round): a
// speedup, or a ratio between two models' figures.
type Ratio struct {
	Name   string
	Values []float64
	// BaseCoreShare is the share of a core the baseline (serial) run got,
	// when known (Runs.Speedup sets it); 0 means unknown.
	BaseCoreShare float64
}

// RatioOf returns a Ratio with the given values.
func RatioOf(name string, values ...float64) Ratio { return Ratio{Name: name, Values: values} }

// Median returns the median value, NaN when there is none.
func (q Ratio) Median() float64 { return median(q.Values) }

// Min and Max return the extremes, NaN when there is none.
func (q Ratio) Min() float64 { lo, _ := q.quartiles(0); return lo }

// Max returns the largest value, NaN when there is none.
func (q Ratio) Max() float64 { _, hi := q.quartiles(0); return hi }

// quartiles returns the values at the given fraction from each end of the
// sorted values (0: min and max; 0.25: the quartiles).
func (q Ratio) quartiles(f float64) (lo, hi float64) {
	if len(q.Values) == 0 {
		return math.NaN(), math.NaN()
	}
	s := append([]float64(nil), q.Values...)
	sort.Float64s(s)
	n := float64(len(s) - 1)
	return s[int(math.Floor(f*n))], s[int(math.Ceil((1-f)*n))]
}

// Spread says how far apart the values lay: "0.97–1.06× over 6 rounds".
func (q Ratio) Spread() string {
	if len(q.Values) < 2 {
		return ""
	}
	return fmt.Sprintf("%s–%s over %d rounds", strFloat(q.Min()), formatValue(q.Max(), "×"), len(q.Values))
}

func strFloat(x float64) string { return fmt.Sprintf("%.2f", x) }

// String formats the median with its spread: "1.02× (0.97–1.06× over 6 rounds)".
func (q Ratio) String() string {
	s := formatValue(q.Median(), "×")
	if sp := q.Spread(); sp != "" {
		s += " (" + sp + ")"
	}
	return s
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

func (r *Runs) rows() [][]string {
	rows := [][]string{}
	for i, name := range r.Names {
		lo, hi := time.Duration(math.MaxInt64), time.Duration(0)
		for _, d := range r.Times[i] {
			lo, hi = min(lo, d), max(hi, d)
		}
		speed := "1×"
		if i > 0 {
			speed = r.Speedup(r.Names[0], name).String()
		}
		share := "—"
		if cs := r.CoreShare(name); !math.IsNaN(cs) {
			share = fmt.Sprintf("%.2f", cs)
		}
		rows = append(rows, []string{name, display.Duration(r.Median(name)),
			display.Duration(lo) + " – " + display.Duration(hi), share, speed})
	}
	return rows
}

var runsColumns = []string{"way", "median", "fastest – slowest", "CPU ÷ wall (cores used)", "speedup over the first (median, spread)"}

func (r *Runs) caption() string {
	rounds := 0
	if len(r.Times) > 0 {
		rounds = len(r.Times[0])
	}
	t := r.Title
	if t == "" {
		t = "Interleaved runs"
	}
	return fmt.Sprintf("%s: %d rounds, each way once per round, the order alternating", t, rounds)
}

// String returns the table as text.
func (r *Runs) String() string {
	var b strings.Builder
	b.WriteString(r.caption() + "\n")
	for _, row := range r.rows() {
		fmt.Fprintf(&b, "%-40s %10s  %-22s %5s  %s\n", row[0], row[1], row[2], row[3], row[4])
	}
	return strings.TrimRight(b.String(), "\n")
}

// Bundle implements mime.Bundler: an HTML table and its text form.
func (r *Runs) Bundle() mime.Bundle {
	var b strings.Builder
	writeTable(&b, r.caption(), runsColumns, r.rows())
	return mime.Bundle{Data: map[string]any{mime.HTML: b.String(), mime.Text: r.String()}}
}
