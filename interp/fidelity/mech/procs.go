package mech

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gokernel/gokernel/interp/display"
	"github.com/gokernel/gokernel/interp/lesson"
	"github.com/gokernel/gokernel/interp/subprocess"
	"github.com/gokernel/gokernel/interp/workloads"
)

// StartOptions sizes StartMethods. The zero value is usable.
type StartOptions struct {
	Starts int // processes started per method; 0: 4
}

// StartMethods starts and joins a process that does nothing with each of
// CPython's start methods (fork, forkserver, spawn) and with the
// subprocess model, and shows what each copies: fork duplicates the parent
// (its memory, copy-on-write, with every module it has loaded), forkserver
// forks a server process started once (the first start pays for the
// server), spawn starts a fresh interpreter that imports the main module
// again; the model starts the compiled kernel binary afresh, which has
// nothing to import (a compiled, registered function runs at once; a
// function declared in a cell makes the worker load the notebook first).
// The model is judged to lie between fork and spawn.
func StartMethods(o StartOptions) Result {
	if o.Starts <= 0 {
		o.Starts = 4
	}
	const title = "Process start-up: CPython's start methods and the subprocess model"
	var p struct {
		ParentModules           int     `json:"parent_modules"`
		ParentRSS               float64 `json:"parent_rss_mib"`
		Fork, Forkserver, Spawn struct {
			First, Median float64
			Modules       int
		}
	}
	if err := Python("start_methods", map[string]any{"methods": []string{"fork", "forkserver", "spawn"}, "k": o.Starts}, &p); err != nil {
		return failed(title, err)
	}
	var ts []float64
	for range o.Starts {
		var err error
		t := timeIt(func() {
			pr := subprocess.NewProcess(workloads.Noop)
			if err = pr.Start(); err == nil {
				err = pr.Join()
			}
		})
		if err != nil {
			return Result{Title: title, Err: fmt.Errorf("mech: the subprocess model could not start a process: %w", err), Rows: failed(title, err).Rows}
		}
		ts = append(ts, t)
	}
	first, med := ts[0], median(ts[1:])
	if len(ts) == 1 {
		med = first
	}
	r := Result{Title: title, Python: PythonVersion()}
	r.Rows = append(r.Rows,
		Row{Metric: "start + join, fork", CPython: p.Fork.Median, Model: math.NaN(), Unit: "ms", Band: "shown", OK: true, Info: true,
			Note: fmt.Sprintf("copies the parent: %d modules loaded, %.0f MiB resident (copy-on-write)", p.ParentModules, p.ParentRSS)},
		Row{Metric: "start + join, forkserver", CPython: p.Forkserver.Median, Model: math.NaN(), Unit: "ms", Band: "shown", OK: true, Info: true,
			Note: fmt.Sprintf("forks the server, which imported the main module; the first start, which starts the server, took %.1f ms", p.Forkserver.First*1000)},
		Row{Metric: "start + join, spawn", CPython: p.Spawn.Median, Model: math.NaN(), Unit: "ms", Band: "shown", OK: true, Info: true,
			Note: fmt.Sprintf("a new interpreter that imports the main module again: %d modules in the child", p.Spawn.Modules)},
	)
	low := Row{Metric: "model start-up, not below half of fork's", CPython: p.Fork.Median, Model: med, Unit: "ms", Band: "≥ fork / 2", OK: med >= p.Fork.Median/2,
		Note: fmt.Sprintf("the model execs the kernel binary afresh, like spawn but with nothing to import; its first start took %.1f ms", first*1000)}
	high := Row{Metric: "model start-up, not above spawn's", CPython: p.Spawn.Median, Model: med, Unit: "ms", Band: "≤ spawn", OK: med <= p.Spawn.Median}
	r.Rows = append(r.Rows, low, high)
	c := display.Bar(title, []string{"CPython fork", "CPython forkserver", "CPython spawn", "subprocess model"},
		[]float64{p.Fork.Median, p.Forkserver.Median, p.Spawn.Median, med}, "s")
	r.Chart = &c
	r.Notes = append(r.Notes, fmt.Sprintf("median of %d starts per method after the first, each starting and joining a process that does nothing", o.Starts))
	return r
}

// PoolOptions sizes PoolTiny. The zero value is usable.
type PoolOptions struct {
	Repeat int // 0: 3
}

// PoolTiny runs article 001's Pool(5).map(square, range(10)) in CPython
// (pool start-up and shutdown included, as in its with block) and the same
// with the subprocess model's Pool and workloads.Square, beside the ten
// calls in a loop: the pool costs thousands of times the work.
func PoolTiny(o PoolOptions) Result {
	if o.Repeat <= 0 {
		o.Repeat = 3
	}
	const title = "Pool(5).map(square, range(10)) against a loop"
	var p struct {
		Serial, Pool, Map float64
		MapMin            float64 `json:"map_min"`
	}
	if err := Python("pool_tiny", map[string]any{"repeat": o.Repeat}, &p); err != nil {
		return failed(title, err)
	}
	var ser, pooled, mapped []float64
	items := make([]int, 10)
	for i := range items {
		items[i] = i
	}
	for range o.Repeat {
		ser = append(ser, timeIt(func() {
			for _, x := range items {
				workloads.Square(x)
			}
		}))
		var err error
		t := timeIt(func() {
			var pool *subprocess.Pool
			if pool, err = subprocess.NewPool(5); err != nil {
				return
			}
			defer pool.Close()
			_, err = pool.Map(workloads.Square, items)
		})
		if err != nil {
			return Result{Title: title, Err: err, Rows: failed(title, err).Rows}
		}
		// The map alone, as on the CPython side: on a pool whose five
		// workers have each run a task already (the model's workers are
		// exec'd, so right after NewPool they are still starting).
		pool, err := subprocess.NewPool(5)
		if err != nil {
			return Result{Title: title, Err: err, Rows: failed(title, err).Rows}
		}
		_, err = pool.MapChunk(workloads.Square, items[:5], 1)
		for i := 0; i < 5 && err == nil; i++ { // a map takes about a millisecond: several, for the median
			mapped = append(mapped, timeIt(func() { _, err = pool.Map(workloads.Square, items) }))
		}
		pool.Close()
		if err != nil {
			return Result{Title: title, Err: err, Rows: failed(title, err).Rows}
		}
		pooled = append(pooled, t)
	}
	gs, gp, gm := median(ser), median(pooled), median(mapped)
	// The map is judged on the fastest of its runs on each side: a map is
	// a few round trips between processes, and on a shared machine one run
	// in ten can wait milliseconds for a descheduled worker (one run here
	// had CPython's median at 3.2 ms against 0.4-0.5 ms in five others).
	// Delays only add, so the fastest run is the mechanism's own cost; the
	// medians are shown beside it.
	gmin := slices.Min(mapped) // not empty: an error returned above
	r := Result{Title: title, Python: PythonVersion()}
	r.Rows = append(r.Rows,
		Row{Metric: "ten calls in a loop", CPython: p.Serial, Model: gs, Unit: "ms", Band: "shown", OK: true, Info: true},
		Factor("pool: start 5 workers, map, shut down", p.Pool, gp, "ms", 5),
		Factor("the map alone, workers already up (fastest run)", p.MapMin, gmin, "ms", 4),
		Row{Metric: "the map alone, median", CPython: p.Map, Model: gm, Unit: "ms", Band: "shown", OK: true, Info: true},
		Same("the pool is slower than the loop", p.Pool > p.Serial, gp > gs))
	c := display.GroupedBar(title, []string{"loop", "map alone", "pool with start-up"},
		[]display.Series{{Name: "CPython", Values: []float64{p.Serial, p.Map, p.Pool}}, {Name: "model", Values: []float64{gs, gm, gp}}}, "s")
	r.Chart = &c
	r.Notes = append(r.Notes, fmt.Sprintf("median of %d (the map alone: fastest of %d runs, judged; their median shown); CPython's pool forks its workers, the model's execs them. The pool with its start-up is judged within 5x: CPython's own figure ranged 21-107 ms from run to run on a shared 2-core machine", o.Repeat, 5*o.Repeat))
	return r
}

// BreakevenOptions sizes Breakeven. The zero value is usable.
type BreakevenOptions struct {
	Durations []time.Duration // CPU time per task, ascending; nil: 0.1, 0.3, 1, 3, 10, 30 ms
	Tasks     int             // tasks per map; 0: 4
	Workers   int             // pool size; 0: 2
	Repeat    int             // 0: 2
}

// Breakeven maps Tasks tasks of each duration on a pool of Workers that is
// already started, and runs them in a loop, in CPython and in the model
// (tasks sized by time on each side, so that a task costs as long in
// both), and finds the task duration at which the pool starts to be
// faster (breakevenOf): below it, shipping each task and its result costs
// more than the parallelism gains. The model's break-even is judged within
// a factor of 3.5 (one step of the durations) of CPython's, and can't
// tell when CPython's own two rounds lie further apart than that. Three
// runs on 2026-12-05 (quiet 2-vCPU VM): CPython 0.27–0.45 ms, the model
// 0.18–0.26 ms, 0.49–0.71 of CPython's: the model ships a task for less.
// CPython's pool is started afresh for each size (a new process, right
// before the model's) and warmed with two untimed maps of the size; before
// that warm-up its break-even read 0.43–1.08 ms.
func Breakeven(o BreakevenOptions) Result {
	if o.Durations == nil {
		o.Durations = []time.Duration{100 * time.Microsecond, 300 * time.Microsecond, time.Millisecond, 3 * time.Millisecond, 10 * time.Millisecond, 30 * time.Millisecond}
	}
	if o.Tasks <= 0 {
		o.Tasks = 4
	}
	if o.Workers <= 0 {
		o.Workers = 2
	}
	if o.Repeat <= 0 {
		o.Repeat = 2
	}
	const title = "When does a process pool start to pay?"
	pool, err := subprocess.NewPool(o.Workers)
	if err != nil {
		return Result{Title: title, Err: err, Rows: failed(title, err).Rows}
	}
	defer pool.Close()
	pool.Map(workloads.Square, []int{1, 2}) // the workers are up
	// Whether a pool pays depends on a second core being free: on a
	// shared machine it comes and goes, for both sides alike.
	watch := lesson.WatchParallelism(o.Workers)
	r := Result{Title: title, Python: PythonVersion()}
	// Rounds of the whole sweep: CPython's own break-even moves from one
	// round to the next on a shared machine, and a model judged against a
	// figure that unsteady could pass or fail by luck.
	pyS := make([][]float64, len(o.Durations)) // per size, per round
	goS := make([][]float64, len(o.Durations))
	const rounds = 2
	for range rounds {
		for i, d := range o.Durations {
			n := workloads.Calibrate(d, func(n int) { workloads.SumSquares(n) })
			args := make([]int, o.Tasks)
			for i := range args {
				args[i] = n
			}
			var ser, par []float64
			for range o.Repeat {
				ser = append(ser, timeIt(func() {
					for _, a := range args {
						workloads.SumSquares(a)
					}
				}))
				par = append(par, timeIt(func() { _, err = pool.MapChunk(workloads.SumSquares, args, 1) }))
			}
			if err != nil {
				return Result{Title: title, Err: err, Rows: failed(title, err).Rows}
			}
			// CPython for this size right before the model's, so both see the
			// same load (a shared machine may offer a second core or not)
			var p struct{ Sizes map[string]json2 }
			if err := Python("pool_breakeven", map[string]any{"durations": []float64{d.Seconds()}, "tasks": o.Tasks, "workers": o.Workers, "repeat": o.Repeat}, &p); err != nil {
				return failed(title, err)
			}
			pk := p.Sizes[strconv.FormatFloat(d.Seconds(), 'f', -1, 64)]
			ps, gs := pk.Serial/pk.Pool, median(ser)/median(par)
			pyS[i], goS[i] = append(pyS[i], ps), append(goS[i], gs)
			watch.Sample()
		}
	}
	var pyBEs, goBEs []float64
	for k := range rounds {
		var pyRound, goRound []float64
		for i := range o.Durations {
			pyRound, goRound = append(pyRound, pyS[i][k]), append(goRound, goS[i][k])
		}
		pb, _ := breakevenOf(o.Durations, pyRound)
		gb, _ := breakevenOf(o.Durations, goRound)
		pyBEs, goBEs = append(pyBEs, pb), append(goBEs, gb)
	}
	var x, pyMed, goMed []float64
	for i, d := range o.Durations {
		x = append(x, float64(d)/float64(time.Millisecond))
		pyMed, goMed = append(pyMed, median(pyS[i])), append(goMed, median(goS[i]))
		r.Rows = append(r.Rows, Row{Metric: fmt.Sprintf("speed-up of the pool, tasks of %s", ms(d)), CPython: pyMed[i], Model: goMed[i], Unit: "x", Band: "shown", OK: true, Info: true})
	}
	pyBE, pyBelow := breakevenOf(o.Durations, pyMed)
	goBE, goBelow := breakevenOf(o.Durations, goMed)
	be := Row{Metric: "task size at which the pool starts to pay", CPython: pyBE, Model: goBE, Unit: "ms", Band: "within 3.5x"}
	be.OK = within(goBE, pyBE, 3.5)
	if math.IsInf(pyBE, 1) || math.IsInf(goBE, 1) {
		be.Note = "∞: no task size tried paid (the machine may offer less than a second core now)"
	}
	if pyBelow || goBelow {
		// A crossing below the smallest size is known only as a bound: it
		// passes if the band can hold it, and the note says so.
		be.Note = strings.TrimSpace(be.Note + fmt.Sprintf(" the smallest size (%s) already paid for %s: its crossing lies below it", ms(o.Durations[0]), map[[2]bool]string{{true, false}: "CPython", {false, true}: "the model", {true, true}: "both"}[[2]bool{pyBelow, goBelow}]))
		switch {
		case pyBelow && goBelow:
			be.OK = true
		case goBelow:
			be.OK = goBE <= pyBE*3.5
		default:
			be.OK = pyBE <= goBE*3.5
		}
	}
	be.Note = strings.TrimSpace(be.Note + fmt.Sprintf(" break-even by round: CPython %s; model %s", msList(pyBEs), msList(goBEs)))
	if !within(pyBEs[0], pyBEs[1], 3.5) {
		// CPython's own rounds lie further apart than the band: a model
		// judged against either could pass or fail by luck. It still fails
		// when it lies outside the band of every CPython round.
		near := false
		for _, p := range pyBEs {
			near = near || within(goBE, p, 3.5)
		}
		be.OK, be.CantTell = false, near
		be.Note += "; CPython's own rounds lie more than the band apart: not a steady figure to judge against"
		if !near {
			be.Note += ", and the model lies outside the band of each"
		}
	}
	if lo := watch.Low(); lo < 0.8*float64(o.Workers) {
		// With less than a second core the speed-ups hover about 1 on
		// both sides, and which size first crosses 1 is noise.
		be.CantTell = true
		be.Note = strings.TrimSpace(be.Note + fmt.Sprintf("; can't tell here now: %s (%.1f× at least is needed to judge)", watch, 0.8*float64(o.Workers)))
	}
	r.Rows = append(r.Rows, be)
	c := display.Line(title, x, []display.Series{{Name: "CPython", Values: pyMed}, {Name: "model", Values: goMed}}, "CPU time per task (ms)", "loop time / pool time")
	r.Chart = &c
	r.Notes = append(r.Notes, fmt.Sprintf("%d tasks per map on %d workers started beforehand, chunk size 1; median of %d per size and round, 2 rounds alternating CPython and the model size by size; the speed-ups shown are the medians of the rounds", o.Tasks, o.Workers, o.Repeat))
	return r
}

// breakevenOf is the task duration (seconds) at which the pool starts to
// pay: where the speed-up crosses 1 below the smallest size from which on
// every larger one pays (one lucky small size does not make a pool pay),
// interpolated between that size and the one before it, linearly in the
// speed-up against the logarithm of the duration. A grid of sizes alone
// would move the figure a whole step (3×) for a speed-up of 0.99 or 1.01.
// When the smallest size already pays, the crossing lies below it and the
// smallest size is returned, with below true; +Inf when the largest does
// not pay.
func breakevenOf(ds []time.Duration, speedups []float64) (be float64, below bool) {
	i := len(ds)
	for i > 0 && speedups[i-1] > 1 {
		i--
	}
	switch {
	case i == len(ds):
		return math.Inf(1), false
	case i == 0:
		return ds[0].Seconds(), true
	}
	lo, hi := ds[i-1].Seconds(), ds[i].Seconds()
	f := (1 - speedups[i-1]) / (speedups[i] - speedups[i-1]) // in [0, 1): s[i-1] <= 1 < s[i]
	return lo * math.Pow(hi/lo, f), false
}

func msList(xs []float64) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		if math.IsInf(x, 1) {
			parts[i] = "∞"
		} else {
			parts[i] = ms(time.Duration(x * float64(time.Second)))
		}
	}
	return strings.Join(parts, " / ")
}

type json2 struct{ Serial, Pool float64 }

// ShippingOptions sizes Shipping. The zero value is usable.
type ShippingOptions struct {
	N      int // ints to sum; 0: 1,000,000
	Repeat int // 0: 3
}

// Shipping sums N ints in this process and in two pool processes that each
// receive half of them, in CPython (pickled through a pipe) and in the
// model (encoded through a pipe): summing costs far less than sending the
// numbers, so the two processes lose to the one.
func Shipping(o ShippingOptions) Result {
	if o.N <= 0 {
		o.N = 1_000_000
	}
	if o.Repeat <= 0 {
		o.Repeat = 3
	}
	title := fmt.Sprintf("Shipping data: summing %d ints in one process or two", o.N)
	var p struct{ Serial, Pool float64 }
	if err := Python("shipping", map[string]any{"n": o.N, "repeat": o.Repeat}, &p); err != nil {
		return failed(title, err)
	}
	data := make([]int, o.N)
	for i := range data {
		data[i] = i
	}
	pool, err := subprocess.NewPool(2)
	if err != nil {
		return Result{Title: title, Err: err, Rows: failed(title, err).Rows}
	}
	defer pool.Close()
	pool.Map(workloads.Square, []int{1, 2})
	var ser, par []float64
	half := o.N / 2
	for range o.Repeat {
		ser = append(ser, timeIt(func() { workloads.SumInts(data) }))
		par = append(par, timeIt(func() { _, err = pool.Map(workloads.SumInts, [][]int{data[:half], data[half:]}) }))
	}
	if err != nil {
		return Result{Title: title, Err: err, Rows: failed(title, err).Rows}
	}
	gs, gp := median(ser), median(par)
	r := Result{Title: title, Python: PythonVersion()}
	r.Rows = append(r.Rows,
		Row{Metric: "one process", CPython: p.Serial, Model: gs, Unit: "ms", Band: "shown", OK: true, Info: true},
		Row{Metric: "two pool processes, half each", CPython: p.Pool, Model: gp, Unit: "ms", Band: "shown", OK: true, Info: true},
		Same("two processes are slower than one", p.Pool > p.Serial, gp > gs))
	c := display.GroupedBar(title, []string{"one process", "two processes"},
		[]display.Series{{Name: "CPython", Values: []float64{p.Serial, p.Pool}}, {Name: "model", Values: []float64{gs, gp}}}, "s")
	r.Chart = &c
	r.Notes = append(r.Notes, "the pools are started beforehand; Go sums far faster than CPython, but both spend most of the pool's time encoding and piping the numbers")
	return r
}
