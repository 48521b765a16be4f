package lesson

import (
	"fmt"
	"math"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// spinSink keeps the compiler from removing the probe's loop.
var spinSink atomic.Uint64

func spin(n int) {
	var x uint64 = 1
	for i := 0; i < n; i++ {
		x = x*6364136223846793005 + 1442695040888963407
	}
	spinSink.Add(x)
}

// Parallelism measures how much faster k CPU-bound tasks finish side by side
// than one after the other on this machine right now, at most k and the
// number of CPUs: the speedup a parallel model can reach here. On a
// dedicated 2-core machine it is about 2; a virtual machine whose cores are
// shared with others may offer much less, and for minutes at a time, so
// facts about parallel speedups are stated against this figure rather than
// against the number of cores. It takes about a quarter of a second.
func Parallelism(k int) float64 {
	k = min(k, runtime.NumCPU())
	if k <= 1 {
		return 1
	}
	n := 1 << 20
	for { // size the task to about 20 ms
		start := time.Now()
		spin(n)
		if time.Since(start) > 10*time.Millisecond || n > 1<<30 {
			break
		}
		n *= 2
	}
	ratios := make([]float64, 0, 3)
	for r := 0; r < 3; r++ {
		start := time.Now()
		for i := 0; i < k; i++ {
			spin(n)
		}
		serial := time.Since(start)
		start = time.Now()
		var wg sync.WaitGroup
		for i := 0; i < k; i++ {
			wg.Add(1)
			go func() { defer wg.Done(); spin(n) }()
		}
		wg.Wait()
		ratios = append(ratios, serial.Seconds()/time.Since(start).Seconds())
	}
	sort.Float64s(ratios)
	return math.Max(1, math.Min(float64(k), ratios[1]))
}

// A Watch follows the parallelism this machine offers across an
// experiment: a probe (Parallelism) when it is made, another when the
// facts ask for the result. A parallel speedup is then judged against what
// the machine offered while it was measured, not at the top of the lesson:
// on a shared virtual machine the second core comes and goes, for minutes
// at a time, and a lesson takes a minute or two.
//
//	w := lesson.WatchParallelism(2)
//	... run the experiment ...
//	lesson.Fact("goroutines run CPU-bound tasks in parallel", speedup, 0.55*w.Low(), 1.3*w.High(), "...")
//
// Low is the lowest probe and High the highest: if the core left or came
// back during the experiment, its speedup lies between them.
type Watch struct {
	k       int
	samples []float64
	closed  bool
	probe   func(int) float64 // Parallelism; tests replace it
}

// WatchParallelism probes now and returns the Watch.
func WatchParallelism(k int) *Watch {
	return newWatch(k, Parallelism)
}

func newWatch(k int, probe func(int) float64) *Watch {
	return &Watch{k: k, samples: []float64{probe(k)}, probe: probe}
}

// Sample probes again, for experiments long enough to want a probe in
// the middle too.
func (w *Watch) Sample() { w.samples = append(w.samples, w.probe(w.k)) }

// close takes the closing probe, once.
func (w *Watch) close() {
	if !w.closed {
		w.closed = true
		w.Sample()
	}
}

// Low returns the lowest parallelism seen (taking the closing probe first
// if none was taken yet).
func (w *Watch) Low() float64 { lo, _ := w.bounds(); return lo }

// High returns the highest parallelism seen (taking the closing probe
// first if none was taken yet).
func (w *Watch) High() float64 { _, hi := w.bounds(); return hi }

func (w *Watch) bounds() (lo, hi float64) {
	w.close()
	lo, hi = w.samples[0], w.samples[0]
	for _, s := range w.samples {
		lo, hi = math.Min(lo, s), math.Max(hi, s)
	}
	return lo, hi
}

// String says what the machine offered, as a sentence (lessons append it
// to a fact's explanation).
func (w *Watch) String() string {
	lo, hi := w.bounds()
	if hi-lo < 0.05 {
		return fmt.Sprintf("While this ran, %d CPU-bound tasks could go %.1f× faster side by side than one after the other", w.k, lo)
	}
	return fmt.Sprintf("While this ran, %d CPU-bound tasks could go %.1f× to %.1f× faster side by side than one after the other (the machine's cores are shared)", w.k, lo, hi)
}

// CoreShareOf runs f and returns the share of a core this process used
// meanwhile: its CPU time (all threads) ÷ the wall time. For code that
// keeps one thread busy at a time (GIL threads, a serial loop) it is about
// 1 when the machine has a core to spare and less when other programs
// take turns on the cores. NaN where CPU time cannot be read.
func CoreShareOf(f func()) float64 {
	c0, t0 := processCPU(), time.Now()
	f()
	c1, wall := processCPU(), time.Since(t0)
	if c0 < 0 || c1 < 0 || wall <= 0 {
		return math.NaN()
	}
	return float64(c1-c0) / float64(wall)
}

// FreeCore returns the share of a core one busy thread gets right now
// (CoreShareOf a 30 ms spin, at most 1): about 1 when a core is free, 2/3
// when two other programs keep both cores of a 2-core machine busy. A
// thread woken from a sleep then waits for a core, which changes who wins
// a race and how often a GIL changes hands.
func FreeCore() float64 {
	return math.Min(1, CoreShareOf(func() {
		for end := time.Now().Add(30 * time.Millisecond); time.Now().Before(end); {
			spin(1 << 12)
		}
	}))
}

// OnACore returns c, unless c fails while the run it judges got less than
// 0.8 of a core (share, from CoreShareOf, FreeCore or Runs.CoreShare):
// then the machine was oversubscribed, which can make a fact about
// threads fail that holds on the same machine when it has a core to
// spare, and c can't tell. A fact that holds, or already can't tell, is
// returned as it is, as is any fact when share is unknown (0 or NaN).
func OnACore(share float64, c Check) Check {
	if c.CantTell == "" && !c.Holds() && !math.IsNaN(c.Value) && share > 0 && share < starved {
		c.CantTell = fmt.Sprintf("the machine is oversubscribed: a busy thread got %.2f of a core", share)
	}
	return c
}
