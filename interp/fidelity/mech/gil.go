package mech

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gokernel/gokernel/interp/display"
	"github.com/gokernel/gokernel/interp/gil"
	"github.com/gokernel/gokernel/interp/gil/threading"
	"github.com/gokernel/gokernel/interp/rt"
	"github.com/gokernel/gokernel/interp/workloads"
)

// SliceOptions sizes Slices. The zero value is usable.
type SliceOptions struct {
	Intervals []time.Duration // switch intervals; nil: 5 ms, 1 ms, 0.5 ms
	Duration  time.Duration   // per interval and round; 0: 200 ms
	Rounds    int             // CPython and model rounds, alternating; 0: 3
}

// tolFor is the band for an interval: ±15 % at 5 ms and up, ±30 % below
// (issue 12: the scheduler's wake-up latency is a larger part of a short
// slice, on both sides).
func tolFor(iv time.Duration) float64 {
	if iv >= 5*time.Millisecond {
		return 0.15
	}
	return 0.30
}

// Slices runs two CPU-bound threads in CPython (sys.setswitchinterval) and
// in the GIL model (Options.SwitchInterval) at each interval and compares
// the median time slice: how long a thread holds the GIL before the other
// takes it. The rounds alternate CPython and the model so that both see
// the same load.
func Slices(o SliceOptions) Result {
	if o.Intervals == nil {
		o.Intervals = []time.Duration{5 * time.Millisecond, time.Millisecond, 500 * time.Microsecond}
	}
	if o.Duration <= 0 {
		o.Duration = 200 * time.Millisecond
	}
	if o.Rounds <= 0 {
		o.Rounds = 3
	}
	const title = "Time slices of two CPU-bound threads against the switch interval"
	py := map[time.Duration][]float64{}
	model := map[time.Duration][]float64{}
	var ivs []float64
	for _, iv := range o.Intervals {
		ivs = append(ivs, iv.Seconds())
	}
	for range o.Rounds {
		var p map[string][]float64
		if err := Python("slices", map[string]any{"intervals": ivs, "duration": o.Duration.Seconds()}, &p); err != nil {
			return failed(title, err)
		}
		for _, iv := range o.Intervals {
			py[iv] = append(py[iv], p[key(iv)]...)
			model[iv] = append(model[iv], durs(gil.Slices(iv, o.Duration))...)
		}
	}
	r := Result{Title: title, Python: PythonVersion()}
	var pyS, goS, x []float64
	for _, iv := range o.Intervals {
		pm, gm := median(py[iv]), median(model[iv])
		row := Rel(fmt.Sprintf("median slice, interval %s", ms(iv)), pm, gm, "ms", tolFor(iv))
		row.Note = fmt.Sprintf("%d slices in CPython, %d in the model", len(py[iv]), len(model[iv]))
		r.Rows = append(r.Rows, row)
		x = append(x, float64(iv)/float64(time.Millisecond))
		pyS, goS = append(pyS, pm*1000), append(goS, gm*1000)
	}
	c := display.Line(title, x, []display.Series{{Name: "CPython", Values: pyS}, {Name: "GIL model", Values: goS}, {Name: "the interval", Values: x}},
		"switch interval (ms)", "median slice (ms)")
	r.Chart = &c
	r.Notes = append(r.Notes, fmt.Sprintf("%d rounds of %s per interval, CPython and the model alternating. A slice is the interval plus the hand-over: the waiter's timed wait ends, it sets the drop request, the holder drops at its next check and the waiter is woken.", o.Rounds, ms(o.Duration)))
	return r
}

// key is experiments.py's name for an interval (str(float)).
func key(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) }

// ConvoyOptions sizes Convoy. The zero value is usable.
type ConvoyOptions struct {
	Intervals []time.Duration // nil: 5 ms, 1 ms, 0.5 ms
	Sleep     time.Duration   // the I/O thread's wait; 0: 1 ms
	Waits     int             // per interval and round; 0: 60
	Rounds    int             // 0: 2
}

// Convoy measures the convoy effect in both: an I/O thread that sleeps
// (a blocking call) next to a CPU-bound thread must wait for the GIL after
// each sleep, about one switch interval, because the CPU-bound thread
// never releases it on its own. Rows: the median extra delay per interval.
func Convoy(o ConvoyOptions) Result {
	if o.Intervals == nil {
		o.Intervals = []time.Duration{5 * time.Millisecond, time.Millisecond, 500 * time.Microsecond}
	}
	if o.Sleep <= 0 {
		o.Sleep = time.Millisecond
	}
	if o.Waits <= 0 {
		o.Waits = 60
	}
	if o.Rounds <= 0 {
		o.Rounds = 2
	}
	const title = "Convoy effect: an I/O thread's wait for the GIL next to a CPU-bound thread"
	var ivs []float64
	for _, iv := range o.Intervals {
		ivs = append(ivs, iv.Seconds())
	}
	py := map[time.Duration][]float64{}
	model := map[time.Duration][]float64{}
	var alone []float64
	for range o.Rounds {
		var p map[string]struct {
			Mean float64
			All  []float64
		}
		if err := Python("convoy", map[string]any{"intervals": ivs, "waits": o.Waits, "wait": o.Sleep.Seconds()}, &p); err != nil {
			return failed(title, err)
		}
		alone = append(alone, p["alone"].Mean)
		for _, iv := range o.Intervals {
			py[iv] = append(py[iv], p[key(iv)].All...)
			model[iv] = append(model[iv], durs(gil.ConvoyWaits(iv, o.Sleep, o.Waits))...)
		}
	}
	r := Result{Title: title, Python: PythonVersion()}
	var pyS, goS, x []float64
	for _, iv := range o.Intervals {
		pm, gm := median(py[iv]), median(model[iv])
		r.Rows = append(r.Rows, Rel(fmt.Sprintf("I/O thread's extra wait, interval %s", ms(iv)), pm, gm, "ms", 0.30))
		x = append(x, float64(iv)/float64(time.Millisecond))
		pyS, goS = append(pyS, pm*1000), append(goS, gm*1000)
	}
	c := display.Line(title, x, []display.Series{{Name: "CPython", Values: pyS}, {Name: "GIL model", Values: goS}},
		"switch interval (ms)", "median extra wait after a sleep (ms)")
	r.Chart = &c
	r.Notes = append(r.Notes, fmt.Sprintf("median extra delay after each of %d×%d %s sleeps; a sleep alone overshoots by %.2f ms in CPython. The wait is the interval plus wake-ups, which a shared machine stretches on both sides.",
		o.Rounds, o.Waits, ms(o.Sleep), median(alone)*1000))
	return r
}

// IOOptions sizes IOSlowdown. The zero value is usable.
type IOOptions struct {
	Delay    time.Duration // the server's delay per request; 0: 20 ms
	Requests int           // per side, alone and busy; 0: 10
	Rounds   int           // 0: 2
}

// IOSlowdown fetches url+"/delay/{Delay}" alone and next to a CPU-bound
// thread, in CPython (urllib) and in the GIL model (workloads.Fetch), and
// compares how much the CPU-bound thread adds per request: each blocking
// call of the request (resolve, connect, send, each receive) releases the
// GIL, and taking it back after waits for the CPU-bound thread to drop it.
// baseURL is a workloads.Server's URL.
func IOSlowdown(baseURL string, o IOOptions) Result {
	if o.Delay <= 0 {
		o.Delay = 20 * time.Millisecond
	}
	if o.Requests <= 0 {
		o.Requests = 10
	}
	if o.Rounds <= 0 {
		o.Rounds = 2
	}
	title := "An I/O thread's request next to a CPU-bound thread"
	url := fmt.Sprintf("%s/delay/%g", baseURL, o.Delay.Seconds())
	var pyAlone, pyBusy, goAlone, goBusy []float64
	var ferr error
	fetch := func() {
		if _, err := workloads.Fetch(url); err != nil && ferr == nil {
			ferr = err
		}
	}
	for range o.Rounds {
		var p struct{ Alone, Busy float64 }
		if err := Python("io_slowdown", map[string]any{"url": url, "n": o.Requests}, &p); err != nil {
			return failed(title, err)
		}
		pyAlone, pyBusy = append(pyAlone, p.Alone), append(pyBusy, p.Busy)
		a, b := gilFetches(fetch, o.Requests)
		goAlone, goBusy = append(goAlone, a), append(goBusy, b)
	}
	if ferr != nil {
		return failed(title, ferr)
	}
	pa, pb, ga, gb := median(pyAlone), median(pyBusy), median(goAlone), median(goBusy)
	r := Result{Title: title, Python: PythonVersion()}
	r.Rows = append(r.Rows,
		Rel("request alone", pa, ga, "ms", 0.15),
		Rel("request next to a CPU-bound thread", pb, gb, "ms", 0.30),
		Rel("added by the CPU-bound thread", pb-pa, gb-ga, "ms", 0.40))
	c := display.GroupedBar(title, []string{"alone", "next to a CPU-bound thread"},
		[]display.Series{{Name: "CPython", Values: []float64{pa, pb}}, {Name: "GIL model", Values: []float64{ga, gb}}}, "s")
	r.Chart = &c
	r.Notes = append(r.Notes, fmt.Sprintf("GET /delay/%g on loopback, median of %d×%d requests per side. The added time is several switch intervals: one wait for the GIL after each blocking call that returns while the CPU-bound thread holds it.", o.Delay.Seconds(), o.Rounds, o.Requests))
	return r
}

// gilFetches times n fetches on a GIL thread alone, then n next to a
// CPU-bound thread, and returns the medians in seconds.
func gilFetches(fetch func(), n int) (alone, busy float64) {
	run := func(withCPU bool) float64 {
		g := gil.New(gil.Options{})
		var ts []float64
		stop := make(chan struct{})
		if withCPU {
			g.Go("cpu", func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					workloads.Countdown(1000)
				}
			})
		}
		g.Go("io", func() {
			defer close(stop)
			for range n {
				ts = append(ts, timeIt(fetch))
			}
		})
		g.JoinAll()
		return median(ts)
	}
	return run(false), run(true)
}

// HandoverOptions sizes Handover. The zero value is usable.
type HandoverOptions struct {
	N       int // round trips per batch; 0: 1000
	Batches int // batches per round and side, the median kept; 0: 3
	Rounds  int // alternating rounds; 0: 3
}

// Handover measures how fast two threads hand control back and forth
// through two Events (ping, then pong): each hand-over is one thread
// setting an event and blocking, the other waking from its wait. Pools,
// queues, futures, start and join hand over the same way. CPython's Event
// is Python code around a lock (a semaphore in the kernel); the model's
// parks the waiting goroutine on a channel and Go's scheduler wakes its
// OS thread. Waits in the kernel instead made the model's round trip half
// CPython's (20 µs against 40 µs on the development VM): the two costs are
// alike only as sums.
func Handover(o HandoverOptions) Result {
	if o.N <= 0 {
		o.N = 1000
	}
	if o.Batches <= 0 {
		o.Batches = 3
	}
	if o.Rounds <= 0 {
		o.Rounds = 3
	}
	const title = "Two threads handing over through Events"
	var py, model []float64
	for range o.Rounds {
		var p struct {
			RoundTrip float64 `json:"round_trip"`
		}
		if err := Python("handover", map[string]any{"n": o.N, "batches": o.Batches}, &p); err != nil {
			return failed(title, err)
		}
		py = append(py, p.RoundTrip)
		var ts []float64
		for range o.Batches {
			ts = append(ts, handoverRun(o.N))
		}
		model = append(model, median(ts))
	}
	r := Result{Title: title, Python: PythonVersion()}
	r.Rows = append(r.Rows, Rel("round trip (two hand-overs), median of rounds", median(py), median(model), "us", 0.30))
	r.Notes = append(r.Notes, fmt.Sprintf("%d round trips per batch, the median of %d batches per round, %d rounds alternating; CPython's rounds %s, the model's %s", o.N, o.Batches, o.Rounds, us(py), us(model)))
	return r
}

// handoverRun is Handover's model side: seconds per round trip.
func handoverRun(n int) float64 {
	g := gil.New(gil.Options{})
	var d time.Duration
	g.Run(func() {
		ping, pong := g.NewEvent(), g.NewEvent()
		g.Go("ponger", func() {
			for range n {
				ping.Wait()
				ping.Clear()
				pong.Set()
			}
		})
		start := time.Now()
		for range n {
			ping.Set()
			pong.Wait()
			pong.Clear()
		}
		d = time.Since(start)
	})
	return d.Seconds() / float64(n)
}

// us lists seconds as microseconds ("23.1 41.0 39.2 µs").
func us(xs []float64) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprintf("%.1f", x*1e6)
	}
	return strings.Join(parts, " ") + " µs"
}

// LockWakeOptions sizes LockWake. The zero value is usable.
type LockWakeOptions struct {
	Runs   int             // releases per gap, side and round; 0: 50
	Rounds int             // alternating rounds, each CPython's a fresh process; 0: 4
	Gaps   []time.Duration // how long the releaser works before trying again; nil: 0, 5 µs, 20 µs
	Wait   time.Duration   // how long the waiter has waited at the release; 0: 100 µs, a slow log write's
}

// LockWake measures the race that decides the article's lost updates with
// slow log writes: a thread waits for a lock (logging's handler lock), the
// holder releases it, works a few microseconds (making its next log
// record) and asks for it again. Who gets it first, the waiter woken by
// the release or the releaser? In CPython it is up to the kernel: how soon
// the woken thread runs, on which CPU, and whether it preempts the
// releaser there. The model's locks wait in the kernel as CPython's do
// (package futex), but its threads are Go's, and the rows show whether the
// kernel treats them alike. The sides alternate in rounds (RoundRates).
//
// The kernel does not always treat them alike: measured with C threads on the development VM under
// one busy process, a woken waiter preempted its releaser 0.99 of the
// time, but 0.01 once the waiter had spent 50 µs of CPU, or called
// sched_yield three times, between its start and its wait: the kernel
// (EEVDF) remembers who ran more than its share. A Go thread brings such
// a history (the runtime's start-up and scheduling work), and there the
// model's waiter came first 0.00–0.08 of the time where CPython's did
// 0.84–0.96. Reference rows show how often the two threads ran on one CPU
// when the race was decided: on a quiet machine CPython's were nearly
// always apart and the model's together in about half the releases, where
// a woken waiter queues behind its releaser.
//
// Why the kernel places them so: a Go process wakes far more threads than
// CPython's does for the same program. Recorded with perf sched on the
// development VM, 300 releases at a 20 µs gap took 6.4 thread wake-ups per
// release in CPython and 15 in the model, a third of them of one runtime
// thread that is neither emulated thread; the kernel's wake-up placement
// (which CPU is idle, whom a thread last woke) sees that traffic. Moving a
// new thread off its creator's CPU at its start (sched_setaffinity, tried
// and not kept) put the two apart in 52–97 % of the releases, process by
// process, against CPython's 99–100 %, and the model's waiter still came
// first at a 20 µs gap in only 0.36–0.60 of the releases of a fidelity run
// (CPython 0.92–1.00).
//
// Placement is the whole difference. Reference rows run the model again
// with the releaser pinned to the CPU it starts on and the waiter to the
// other (sched_setaffinity), where the kernel puts CPython's two threads
// on a quiet machine: the model's waiter then came first 0.00 / 0.03 /
// 0.98 of the time at gaps 0 / 5 / 20 µs, CPython's 0.00 / 0.01 / 0.98
// (fidelity run, 2026-12-05, quiet 2-vCPU VM), so the model's lock does
// what CPython's does once the kernel places its threads alike. Recorded
// with getcpu around each step, unpinned, the model's threads part ways at
// birth: the new thread's goroutine runs on a reused Go thread, on the
// releaser's CPU in about a quarter of the runs (a new CPython thread is
// cloned and put on the idlest CPU), and the waiter then wakes where it
// went to sleep. Go's monitor also polls at its fastest (every 20 µs
// asked, about 100 µs with timer slack) throughout, because it rests
// whenever all processors go idle between runs and restarts at its fastest
// poll each time; its wake-ups land on the idle CPU. Pinning is a
// measurement, not the model: pinned threads could not move off a busy
// CPU as CPython's do.
//
// The monitor's polling does not pack the threads: it spreads them.
// Trials on 2026-12-05 (fidelity runs, not kept): a goroutine parked for
// good in a raw futex wait, with processors to spare, keeps the monitor
// from resting and restarting at its fastest poll; the model's two threads
// then shared a CPU in 0.88–0.93 of the releases (0.41–0.51 without) and
// the waiter came first at 20 µs in 0.14 (0.51–0.57). Raw system calls
// for the model's own waits (no hand-back of the processor) and a
// processor per live thread left both about where they were: on one CPU
// 0.40–0.67 and 0.41–0.51 of the time, the waiter first 0.48 and 0.51.
func LockWake(o LockWakeOptions) Result {
	if o.Runs <= 0 {
		o.Runs = 50
	}
	if o.Rounds <= 0 {
		o.Rounds = 4
	}
	if o.Gaps == nil {
		o.Gaps = []time.Duration{0, 5 * time.Microsecond, 20 * time.Microsecond}
	}
	if o.Wait <= 0 {
		o.Wait = 100 * time.Microsecond
	}
	const title = "A lock's woken waiter against its releaser coming back"
	us := make([]float64, len(o.Gaps))
	for i, g := range o.Gaps {
		us[i] = float64(g) / float64(time.Microsecond)
	}
	py := make([][]int, len(o.Gaps)) // per gap, per round
	model := make([][]int, len(o.Gaps))
	pyTogether := make([]int, len(o.Gaps)) // over all rounds; < 0: not asked
	modelTogether := make([]int, len(o.Gaps))
	pinnedWon := make([]int, len(o.Gaps)) // over all rounds; < 0: cannot pin
	for range o.Rounds {
		var p struct {
			Wins     []int
			Together []*int
		}
		if err := Python("lock_wake", map[string]any{"runs": o.Runs, "gaps_us": us, "wait": o.Wait.Seconds()}, &p); err != nil || len(p.Wins) != len(o.Gaps) {
			if err == nil {
				err = fmt.Errorf("lock_wake: %d results for %d gaps", len(p.Wins), len(o.Gaps))
			}
			return failed(title, err)
		}
		for i, gap := range o.Gaps {
			py[i] = append(py[i], p.Wins[i])
			if i < len(p.Together) && p.Together[i] != nil && pyTogether[i] >= 0 {
				pyTogether[i] += *p.Together[i]
			} else {
				pyTogether[i] = -1
			}
			won, together := lockWakeRuns(o.Runs, o.Wait, gap, false)
			model[i] = append(model[i], won)
			if pw, _ := lockWakeRuns(o.Runs, o.Wait, gap, true); pw >= 0 && pinnedWon[i] >= 0 {
				pinnedWon[i] += pw
			} else {
				pinnedWon[i] = -1
			}
			if together >= 0 && modelTogether[i] >= 0 {
				modelTogether[i] += together
			} else {
				modelTogether[i] = -1
			}
		}
	}
	r := Result{Title: title, Python: PythonVersion()}
	var labels []string
	var pyRates, modelRates []float64
	n := float64(o.Runs * o.Rounds)
	for i, gap := range o.Gaps {
		metric := fmt.Sprintf("the waiter takes it first, releaser back after %s", ms(gap))
		r.Rows = append(r.Rows, RoundRates(metric, py[i], model[i], o.Runs, 0.15))
		if pyTogether[i] >= 0 && modelTogether[i] >= 0 {
			r.Rows = append(r.Rows, Row{Metric: fmt.Sprintf("the two threads on one CPU, releaser back after %s", ms(gap)),
				CPython: float64(pyTogether[i]) / n, Model: float64(modelTogether[i]) / n, Unit: "rate", Band: "shown", OK: true, Info: true})
		}
		if pinnedWon[i] >= 0 {
			r.Rows = append(r.Rows, Row{Metric: fmt.Sprintf("the waiter takes it first, the model's threads pinned to two CPUs, releaser back after %s", ms(gap)),
				CPython: float64(sumInts(py[i])) / n, Model: float64(pinnedWon[i]) / n, Unit: "rate", Band: "shown", OK: true, Info: true})
		}
		labels = append(labels, ms(gap))
		pyRates = append(pyRates, float64(sumInts(py[i]))/n)
		modelRates = append(modelRates, float64(sumInts(model[i]))/n)
	}
	c := display.GroupedBar(title, labels, []display.Series{{Name: "CPython", Values: pyRates}, {Name: "GIL model", Values: modelRates}}, "share of releases")
	r.Chart = &c
	r.Notes = append(r.Notes, fmt.Sprintf("%d releases per gap and side, in %d alternating rounds; the waiter has waited %s in the kernel when the lock is released (a slow log write's time). A woken thread runs about 2.4 µs after the wake-up when the kernel puts it on the releaser's CPU and it preempts the releaser there, about 16 µs when it is put on the other, idle CPU (a halted virtual CPU: the hypervisor must wake it); measured in C on the development machine (a 2-vCPU VM)", o.Runs*o.Rounds, o.Rounds, ms(o.Wait)))
	return r
}

func sumInts(xs []int) (n int) {
	for _, x := range xs {
		n += x
	}
	return n
}

// lockWakeRuns is LockWake's model side: how many of runs releases the
// waiter wins, and in how many the two threads ran on one CPU (asked once
// the race is decided, as the CPython side asks; -1 where it cannot be).
// With pinned, the releaser is pinned to the CPU it starts on and the
// waiter to another, as the kernel places CPython's two threads on a
// quiet machine; won is -1 where threads cannot be pinned.
func lockWakeRuns(runs int, wait, gap time.Duration, pinned bool) (won, together int) {
	for range runs {
		g := gil.New(gil.Options{})
		var first atomic.Value // "waiter" or "releaser", whoever held it first
		var waiterCPU, releaserCPU int
		unpinnable := false
		g.Run(func() {
			home := -1
			if pinned {
				var undo func()
				home, undo = pinOther(getcpu(), false)
				defer undo()
				unpinnable = home < 0
			}
			lock := g.NewLock()
			lock.Acquire()
			started := g.NewEvent()
			g.Go("waiter", func() {
				if pinned {
					to, undo := pinOther(home, true)
					defer undo()
					if to < 0 {
						unpinnable = true // read after JoinAll
					}
				}
				started.Set()
				lock.Acquire()
				waiterCPU = getcpu()
				first.CompareAndSwap(nil, "waiter")
				lock.Release()
			})
			started.Wait()
			g.Sleep(wait)
			lock.Release()
			for end := time.Now().Add(gap); time.Now().Before(end); {
				rt.Tick() // interpreted work, with its checkpoints
			}
			if lock.TryAcquire() {
				releaserCPU = getcpu()
				first.CompareAndSwap(nil, "releaser")
				lock.Release()
			} else {
				releaserCPU = getcpu()
				lock.Acquire()
				lock.Release()
			}
			g.JoinAll()
		})
		if unpinnable {
			return -1, -1
		}
		if first.Load() == "waiter" {
			won++
		}
		if releaserCPU >= 0 && releaserCPU == waiterCPU {
			together++
		}
	}
	if getcpu() < 0 {
		together = -1
	}
	return won, together
}

// RaceOptions sizes RaceLoss. The zero value is usable.
type RaceOptions struct {
	Runs       int           // per side and round; 0: 50
	Rounds     int           // 0: 2
	Sleep      time.Duration // the article's sleep, scaled; 0: 5 ms
	WriteDelay time.Duration // how long a log write takes; 0: 0.1 ms; < 0: no delay (the program as written)
	Slow       SlowPart      // where WriteDelay is spent; the zero value: in every log write
}

// A SlowPart says where RaceLoss spends its WriteDelay. Where the time
// between the read and the write goes decides how often an update is
// lost, and the model follows CPython in some of these forms and not in
// others (RaceLoss says why).
type SlowPart int

const (
	// EveryWrite: every log write takes WriteDelay (a slow stream), so
	// each line holds logging's handler lock that long.
	EveryWrite SlowPart = iota
	// UpdateLine: only the "Updating Value" line's write is slow (inside
	// the handler's lock); the other lines are written at once.
	UpdateLine
	// AfterUpdateLine: the log is fast, and a blocking call of WriteDelay
	// (time.sleep) follows the "Updating Value" line, outside logging:
	// the form lesson 5 counts.
	AfterUpdateLine
)

// py is the form's name on the Python side (experiments.py, race_log).
func (s SlowPart) py() string {
	switch s {
	case UpdateLine:
		return "update"
	case AfterUpdateLine:
		return "after"
	}
	return "every"
}

// RaceLoss runs the article's read-sleep-write race (update(): log, sleep,
// read, log "Updating Value", write) in two pool threads, many times, in
// CPython and in the GIL model, with each log write taking WriteDelay, and
// compares how often an update is lost (the final value is 1, not 2). The
// sleep comes before the read, so an update is lost only when the other
// thread runs between the read and the write: during the slow log write.
//
// With slow writes a reference row shows where the runs part: how often
// the second thread's first log line comes before the first thread's
// second, that is, how often the second thread, woken by the release of
// the handler's lock after the first line, takes it before the first
// thread's next call asks for it again (the race LockWake measures). On
// the development VM, quiet, CPython's second thread cut in 0.58–0.79 of
// the runs and the model's 0.18–0.21. CPython's next call also comes
// later after a slow write than after a fast one (testdata/logcost):
// 11–21 µs from the release to the next acquire, against 6.6–6.9 µs, where
// the model's Logger spends a flat 7 µs.
//
// Both differences decide the race; neither does alone. Trials on
// 2026-12-05 (3 × 50 runs a side, rates of runs that lose an update,
// CPython beside the model): the pool threads pinned to two CPUs, with
// the model's flat log cost, 0.45 against 0.03 (cut-in 0.67 against
// 0.17); unpinned with each call costing 20 µs, 0.26 against 0.11; pinned
// with 14 µs (about what a CPython call costs right after a 0.1 ms write,
// 1.6–1.9 times a warm one), 0.59 against 0.67, cut-in 0.75 against 0.85.
// Placing threads and charging costs that way is fitting this VM, not
// modelling CPython, so the model keeps its flat cost and Go's placement,
// and the row says how far apart they are.
//
// Where the slow part sits (Slow) decides whether the model follows. With
// a blocking call after the "Updating Value" line (AfterUpdateLine, the
// form lesson 5 counts) the window between the read and the write is that
// call, which releases the GIL, and both lose nearly every run. With the
// slowness inside logging (EveryWrite, UpdateLine) the window opens only
// when a thread woken by the release of the handler's lock takes it before
// its releaser asks again: the lock wake-up race, decided by the kernel's
// treatment of the threads, where the model's Go threads lose (LockWake).
//
// CPython's own rates move with the machine. On the development VM after
// a reboot (2026-12-05, afternoon; the figures above are from the
// morning) CPython lost 0.01–0.09 of the runs with every write slow
// (0.37–0.56 before), so that row passed, while the after-line form
// failed: CPython 0.89–0.97, the model 0.59–0.76 (0.97–1.00 before). There
// an update is lost when the second thread reads within the first one's
// read–write window (about 200 µs in both), and the second thread began
// its sleep 200–240 µs after the first in the model against 170–190 µs in
// CPython, whose first log call after the sleep in a new thread also ran
// cold (medians 47–68 µs after a 5 ms sleep against 12–17 µs in a
// long-lived thread, testdata/logcost; the model's Logger charges a flat
// 8 µs), which narrows the gap between the reads.
// Most of the model's extra offset is Thread.Start's wait: a goroutine
// locked to its OS thread is woken from a channel through the Go
// scheduler, 100–200 µs here. Waiting in the kernel instead (package
// futex) brought the offset to 80 µs and the rate to 0.99–1.00, but it
// holds the waiter's processor: with every processor held by a waiting
// thread a new thread could not start until Go's monitor took one back
// (10–18 ms in the goroutine model's delay row). Not kept.
func RaceLoss(o RaceOptions) Result {
	if o.Runs <= 0 {
		o.Runs = 50
	}
	if o.Rounds <= 0 {
		o.Rounds = 2
	}
	if o.Sleep <= 0 {
		o.Sleep = 5 * time.Millisecond
	}
	title := fmt.Sprintf("Lost updates in the article's race as written (fast log writes), sleep %s", ms(o.Sleep))
	switch {
	case o.WriteDelay < 0:
		o.WriteDelay = 0
	case o.WriteDelay == 0:
		o.WriteDelay = 100 * time.Microsecond
		fallthrough
	default:
		switch o.Slow {
		case UpdateLine:
			title = fmt.Sprintf("Lost updates in the article's race, only the \"Updating Value\" write taking %s", ms(o.WriteDelay))
		case AfterUpdateLine:
			title = fmt.Sprintf("Lost updates in the article's race, %s of blocking I/O after the \"Updating Value\" line (lesson 5's form)", ms(o.WriteDelay))
		default:
			title = fmt.Sprintf("Lost updates in the article's race, log writes taking %s", ms(o.WriteDelay))
		}
	}
	var pyRounds, goRounds []int
	pyCut, goCut := 0, 0 // runs whose second thread cut in (slow writes only)
	for range o.Rounds {
		var p struct {
			Lost  int
			CutIn *int `json:"cut_in"`
		}
		params := map[string]any{"runs": o.Runs, "sleep": o.Sleep.Seconds(), "write": o.WriteDelay.Seconds(), "slow": o.Slow.py()}
		if err := Python("race_log", params, &p); err != nil {
			return failed(title, err)
		}
		pyRounds = append(pyRounds, p.Lost)
		if p.CutIn != nil {
			pyCut += *p.CutIn
		}
		lost, cut := raceRuns(o, false)
		goRounds = append(goRounds, lost)
		goCut += cut
	}
	pyLost, goLost := sumInts(pyRounds), sumInts(goRounds)
	var p struct{ Lost int }
	if err := Python("race_log", map[string]any{"runs": o.Runs, "sleep": o.Sleep.Seconds(), "write": o.WriteDelay.Seconds(), "slow": o.Slow.py(), "lock": true}, &p); err != nil {
		return failed(title, err)
	}
	goLocked, _ := raceRuns(o, true)
	pyLocked := p.Lost
	n := float64(o.Runs * o.Rounds)
	r := Result{Title: title, Python: PythonVersion()}
	r.Rows = append(r.Rows,
		RoundRates("share of runs that lose an update, no lock", pyRounds, goRounds, o.Runs, 0.15),
		Abs("share of runs that lose an update, Lock", float64(pyLocked)/float64(o.Runs), float64(goLocked)/float64(o.Runs), "rate", 0))
	if o.WriteDelay > 0 {
		// Where the runs part: after the first thread's first line, the
		// second thread (waiting for the handler's lock since it started)
		// is woken by the release and races the first thread's next log
		// call for the lock: the race LockWake measures.
		r.Rows = append(r.Rows, Row{Metric: "share of runs whose second thread logs before the first thread's second line",
			CPython: float64(pyCut) / n, Model: float64(goCut) / n, Unit: "rate", Band: "shown", OK: true, Info: true})
	}
	c := display.Bar(title, []string{"CPython, no lock", "GIL model, no lock", "CPython, Lock", "GIL model, Lock"},
		[]float64{float64(pyLost) / n, float64(goLost) / n, float64(pyLocked) / float64(o.Runs), float64(goLocked) / float64(o.Runs)}, "share of runs")
	r.Chart = &c
	r.Notes = append(r.Notes, fmt.Sprintf("%d runs per side without the lock (%d rounds, alternating), %d with it; the article's sleep scaled to %s. Each log call also costs the model what logging.info costs CPython (workloads.LogRecordCost) before its write.",
		int(n), o.Rounds, o.Runs, ms(o.Sleep)))
	return r
}

// raceRuns runs the race o.Runs times under the GIL model, the main thread
// holding the GIL and submitting to a pool of two, and counts lost updates,
// and the runs whose second line is the second thread's (its first).
func raceRuns(o RaceOptions, lock bool) (lost, cutIn int) {
	for range o.Runs {
		g := gil.New(gil.Options{})
		var c workloads.Counter
		log := &workloads.Logger{W: io.Discard, Cost: workloads.LogRecordCost}
		switch o.Slow {
		case EveryWrite:
			log.WriteDelay = o.WriteDelay
		case UpdateLine:
			log.W = slowLines{match: "Updating Value", d: o.WriteDelay}
		}
		g.Run(func() {
			var l = g.NewLock()
			p := g.NewPool(2)
			for range 2 {
				p.Submit(func() any {
					var locker sync.Locker
					if lock {
						locker = l
					}
					if o.Slow == AfterUpdateLine {
						updateSlowAfter(log, &c, o.Sleep, o.WriteDelay, locker)
					} else {
						workloads.Update(log, &c, o.Sleep, locker)
					}
					return nil
				})
			}
			p.Shutdown()
		})
		if c.Value() != 2 {
			lost++
		}
		if m := log.Messages(); len(m) >= 2 && threadOf(m[0]) != threadOf(m[1]) {
			cutIn++
		}
	}
	return lost, cutIn
}

// slowLines is a log stream whose writes of lines containing match take
// d (a blocking call: Logger writes with the GIL released), the others
// none: the Python side's SlowStream with the same filter.
type slowLines struct {
	match string
	d     time.Duration
}

func (w slowLines) Write(p []byte) (int, error) {
	if strings.Contains(string(p), w.match) {
		threading.PreciseSleep(w.d)
	}
	return len(p), nil
}

// updateSlowAfter is workloads.Update with a blocking call of slow
// (time.sleep, the GIL released) between the "Updating Value" line and
// the write, as lesson 5 makes the window: experiments.py's update with
// slow "after".
func updateSlowAfter(l *workloads.Logger, c *workloads.Counter, sleep, slow time.Duration, lock sync.Locker) {
	l.Log("Update Started")
	l.Log("Sleeping")
	threading.Sleep(sleep)
	if lock != nil {
		lock.Lock()
	}
	l.Log("Reading Value From Db")
	v := c.Read()
	l.Log("Updating Value")
	threading.Sleep(slow)
	c.Write(v + 1)
	if lock != nil {
		lock.Unlock()
	}
	l.Log("Update Finished")
}

// threadOf is the thread name of a Logger message ("Thread-1:Sleeping").
func threadOf(msg string) string {
	name, _, _ := strings.Cut(msg, ":")
	return name
}
