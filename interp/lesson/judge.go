package lesson

import (
	"fmt"
	"math"

	"github.com/gokernel/gokernel/interp/display"
)

// Show displays checks, one verdict each.
func Show(checks ...Check) {
	for _, c := range checks {
		display.Show(c)
	}
}

// Speedup judges a wall-clock ratio measured in interleaved rounds against
// a band: it holds when the median lies in the band; it fails when the
// median and the middle half of the rounds lie outside it; when the rounds
// straddle the band (some in, most out), the machine was too unsteady to
// decide and the fact says so. Use it for ratios that do not depend on how
// many cores are free (sleep-based waits, a GIL's lack of speedup); use
// ParallelSpeedup for those that do.
func Speedup(name string, q Ratio, lo, hi float64, explain string) Check {
	c := Check{Name: name, Value: q.Median(), Lo: lo, Hi: hi, Unit: "×", Explain: explain, Spread: q.Spread()}
	if len(q.Values) == 0 || c.Holds() {
		return c
	}
	q1, q3 := q.quartiles(0.25)
	switch {
	case (q1 <= hi && q3 >= lo) && !(q1 >= lo && q3 <= hi):
		c.CantTell = fmt.Sprintf("the rounds disagree (middle half %.2f–%.2f×, straddling the band)", q1, q3)
	case c.Value > hi && q.BaseCoreShare > 0 && q.BaseCoreShare < starved:
		// On an oversubscribed machine the one-thread run gets a fraction of a core, while threads
		// that sleep and wake often are favoured by the OS's scheduler: a "speedup" the model
		// did not give.
		c.CantTell = fmt.Sprintf("the machine is oversubscribed: the one-thread run got %.2f of a core", q.BaseCoreShare)
	}
	return c
}

// serialCores returns the cores the baseline (serial) run kept busy, and
// whether that was clearly more than one: Go's garbage collector works
// beside a serial run on an idle core, so a parallel run gains less over
// it than over one core's worth.
func (q Ratio) serialCores() (float64, bool) {
	s := q.BaseCoreShare
	return s, s > 1.05 && !math.IsNaN(s)
}

// starved is the share of a core below which a one-thread baseline was
// starved by other work on the machine.
const starved = 0.8

// minParallel is the parallelism a machine must offer for a parallel
// speedup to be told apart from none: below it, 2 tasks on 2 busy cores
// and 2 tasks taking turns look the same.
const minParallel = 1.3

// ParallelSpeedup judges a speedup that needs free cores (goroutines,
// processes) against what the machine offered while it was measured (w,
// for k tasks): the band runs from 0.75·p_low (at least 1.15) to 1.1·k.
// A speedup in the band holds. One short of it can't tell when the
// machine offered less than 1.3 throughout ("1.0 core free"), when its
// offer came and went during the run, or when the rounds straddle the
// band's low edge; otherwise it fails. It is never ✓ on a speedup below
// 1.15, so a ✓ never contradicts its title, and a speedup beyond what k
// cores can give fails.
func ParallelSpeedup(name string, q Ratio, w *Watch, explain string) Check {
	return parallelSpeedup(name, q, w, float64(max(w.k, 1)), explain)
}

// ParallelSpeedupUpTo is ParallelSpeedup for work that also waits, whose
// best speedup on the cores watched is ideal rather than their number:
// two CPU jobs of c seconds and downloads of d that, on an event loop,
// start only once the jobs are done take 2c+d there and max(c, d) with
// the jobs in a pool of two, (2c+d)/max(c, d), which may exceed 2. The
// band's top is then 1.1·ideal.
func ParallelSpeedupUpTo(name string, q Ratio, w *Watch, ideal float64, explain string) Check {
	return parallelSpeedup(name, q, w, ideal, explain)
}

func parallelSpeedup(name string, q Ratio, w *Watch, ideal float64, explain string) Check {
	lo, hi := w.Low(), w.High()
	c := Check{Name: name, Value: q.Median(), Lo: math.Max(1.15, 0.75*lo), Hi: 1.1*ideal + 0.05, Unit: "×",
		Explain: explain, Spread: q.Spread()}
	if share, ok := q.serialCores(); ok {
		// The serial run already used more than a core (Go's garbage
		// collector marks and sweeps on an idle one beside it): the
		// parallel run can only gain the rest.
		c.Lo = math.Max(1.15, 0.75*lo/share)
		c.Explain += fmt.Sprintf(" The serial run itself kept %.2f cores busy (Go's garbage collector works beside it), so the band starts from %.1f ÷ %.2f.", share, lo, share)
	}
	if c.Holds() || c.Value > c.Hi || len(q.Values) == 0 {
		return c
	}
	if lo < minParallel && c.Value >= 1.15 {
		// The machine offered little at some point, yet the tasks ran side by side: that holds.
		c.Lo = 1.15
		return c
	}
	q1, q3 := q.quartiles(0.25)
	switch {
	case hi < minParallel:
		c.Lo = 1.15
		c.CantTell = fmt.Sprintf("%.1f core free", hi)
	case lo < minParallel:
		c.Lo = 1.15
		c.CantTell = fmt.Sprintf("the free cores came and went (%.1f–%.1f)", lo, hi)
	case q3 >= c.Lo && q1 < c.Lo:
		c.CantTell = fmt.Sprintf("the rounds disagree (middle half %.2f–%.2f×)", q1, q3)
	}
	return c
}

// Agree judges that the Go model's figure matches CPython's: the fact's
// value is goFig ÷ pyFig, in the band 1 ± tol (0.15 for CPU-bound ratios,
// 0.02 for sleep-based times). With CPython not run (py skipped) it shows
// what the repository keeps instead (see Kept) and records nothing; a
// failed CPython run is a failed fact. As every fact about a CPython run
// (PyResult.Check), it can't tell when it fails on an oversubscribed
// machine.
func Agree(name string, goFig float64, py PyResult, key string, tol float64, explain string) Check {
	return py.Check(Check{Name: name, Value: goFig / py.Get(key), Lo: 1 - tol, Hi: 1 + tol, Unit: "×", Explain: explain})
}

// AgreeFact shows Agree's verdict, or, without python3, the figure the
// repository keeps for key (Kept), labelled as such.
func AgreeFact(name string, goFig float64, py PyResult, key string, tol float64, explain string) {
	if py.Skipped {
		showKept(name, key)
		return
	}
	display.Show(Agree(name, goFig, py, key, tol, explain))
}

// AgreeRatio judges that a Go model's ratio measured in interleaved
// rounds (goQ) agrees with CPython's (the list under key) within 1 ± tol,
// as AgreeParallel does for ratios that need no free cores (a GIL's lack
// of speedup, an overlap of I/O): it can't tell only when the rounds of
// either spread wider than the band.
func AgreeRatio(name string, goQ Ratio, py PyResult, key string, tol float64, explain string) {
	AgreeParallel(name, goQ, py, key, nil, tol, explain)
}

// AgreeParallel judges that two speedups that both need free cores, Go's
// (goQ) and CPython's (the list under key, see PyResult.Ratio), agree
// within 1 ± tol, medians against medians. When they do not, and the
// machine cannot be blamed-free, the fact says it can't tell: the
// parallelism it offered (w) stayed below 1.3 or moved by more than 0.3
// during the cell, or the rounds of either spread wider than the band
// (the middle half of the rounds over 2·tol of the median apart).
func AgreeParallel(name string, goQ Ratio, py PyResult, key string, w *Watch, tol float64, explain string) {
	if py.Skipped {
		showKept(name, key)
		return
	}
	display.Show(agreeParallel(name, goQ, py, key, w, tol, explain))
}

func agreeParallel(name string, goQ Ratio, py PyResult, key string, w *Watch, tol float64, explain string) Check {
	pyQ := py.Ratio(key)
	if share, ok := goQ.serialCores(); ok && w != nil {
		// Go's serial run kept more than a core busy (its garbage collector
		// works beside it on an idle core), where CPython's runs on one:
		// compare what each parallel run gains over one core's worth.
		scaled := Ratio{Name: goQ.Name}
		for _, v := range goQ.Values {
			scaled.Values = append(scaled.Values, v*share)
		}
		goQ = scaled
		explain += fmt.Sprintf(" Go's speedup is counted over the %.2f cores its serial run kept busy (Go's garbage collector works beside it).", share)
	}
	c := Check{Name: name, Value: goQ.Median() / pyQ.Median(), Lo: 1 - tol, Hi: 1 + tol, Unit: "×", Explain: explain}
	c = py.Check(c)
	lo, hi := 2.0, 2.0 // no watch: the ratios do not depend on free cores
	if w != nil {
		lo, hi = w.Low(), w.High()
	}
	wide := func(q Ratio) bool { a, b := q.quartiles(0.25); return (b-a)/q.Median() > 2*tol }
	// The quotient of any two rounds' values from the middle halves of Go's
	// and CPython's: when that range reaches into the band, the gap between
	// the medians is within this machine's round-to-round noise.
	gLo, gHi := goQ.quartiles(0.25)
	pLo, pHi := pyQ.quartiles(0.25)
	overlap := gHi/pLo >= 1-tol && gLo/pHi <= 1+tol
	if py.Err == nil && !c.Holds() {
		switch {
		case hi < minParallel:
			c.CantTell = fmt.Sprintf("%.1f core free", hi)
		case hi-lo > 0.3:
			c.CantTell = fmt.Sprintf("the free cores moved from %.1f to %.1f during the cell", lo, hi)
		case wide(goQ) || wide(pyQ):
			c.CantTell = fmt.Sprintf("the rounds spread too wide to compare (Go %s, CPython %s)", goQ.Spread(), pyQ.Spread())
		case goQ.BaseCoreShare > 0 && goQ.BaseCoreShare < starved:
			c.CantTell = fmt.Sprintf("the machine is oversubscribed: the Go one-thread run got %.2f of a core", goQ.BaseCoreShare)
		case overlap:
			c.CantTell = fmt.Sprintf("the gap is within the rounds' noise (middle halves: Go %.2f–%.2f×, CPython %.2f–%.2f×)", gLo, gHi, pLo, pHi)
		}
	}
	return c
}

// AgreeRates judges that a rate counted over runs in the Go model (goHits
// of goRuns) matches CPython's (pyHits of pyRuns) within ±tol (absolute,
// e.g. 0.15 for a loss rate). When the two differ by more than tol but
// less than tol plus twice the standard error of the difference (the runs
// were too few to tell a real gap from chance), it can't tell.
func AgreeRates(name string, goHits, goRuns int, py PyResult, hitsKey, runsKey string, tol float64, explain string) {
	if py.Skipped {
		showKept(name, hitsKey)
		return
	}
	display.Show(agreeRates(name, goHits, goRuns, py, hitsKey, runsKey, tol, explain))
}

func agreeRates(name string, goHits, goRuns int, py PyResult, hitsKey, runsKey string, tol float64, explain string) Check {
	g := float64(goHits) / float64(goRuns)
	pr := py.Get(runsKey)
	p := py.Get(hitsKey) / pr
	c := py.Check(Check{Name: name, Value: g - p, Lo: -tol, Hi: tol, Unit: "",
		Explain: explain, Spread: fmt.Sprintf("Go %d/%d, CPython %.0f/%.0f", goHits, goRuns, py.Get(hitsKey), pr)})
	if py.Err == nil && !c.Holds() && goRuns > 0 && pr > 0 {
		if noise := RateGapNoise(g, goRuns, p, int(pr)); math.Abs(g-p) <= tol+noise {
			c.CantTell = fmt.Sprintf("too few runs: the gap %.2f is within chance (±%.2f) of the band", g-p, noise)
		}
	}
	return c
}

// RateGapNoise is how far apart two rates counted over runs (a of aRuns,
// b of bRuns) can be by chance: twice the standard error of their
// difference. A gap past a band by less than this can't tell.
func RateGapNoise(a float64, aRuns int, b float64, bRuns int) float64 {
	return 2 * math.Sqrt(a*(1-a)/float64(aRuns)+b*(1-b)/float64(bRuns))
}

// RateIn judges a rate counted over runs (hits of runs, shown in %)
// against a band lo–hi (in %). It holds when the observed rate lies in
// the band. When it does not, but the 95 % Wilson interval of the rate
// reaches into the band (the runs were too few to tell the rate from one
// in the band), it can't tell; otherwise it fails. So 3 losses in 30 runs
// can't fail "at most 5 %", while 15 in 30 does.
func RateIn(name string, hits, runs int, lo, hi float64, explain string) Check {
	c := Check{Name: name, Value: 100 * float64(hits) / float64(runs), Lo: lo, Hi: hi, Unit: "%", Explain: explain,
		Spread: fmt.Sprintf("%d of %d runs", hits, runs)}
	if runs <= 0 || c.Holds() {
		return c
	}
	a, b := wilson(hits, runs)
	if 100*b >= lo && 100*a <= hi {
		c.CantTell = fmt.Sprintf("too few runs: the rate could be %.0f–%.0f %% (95 %%)", 100*a, 100*b)
	}
	return c
}

// wilson is the 95 % Wilson score interval of hits/runs.
func wilson(hits, runs int) (lo, hi float64) {
	const z = 1.96
	n := float64(runs)
	p := float64(hits) / n
	den := 1 + z*z/n
	mid := (p + z*z/(2*n)) / den
	half := z * math.Sqrt(p*(1-p)/n+z*z/(4*n*n)) / den
	return math.Max(0, mid-half), math.Min(1, mid+half)
}
