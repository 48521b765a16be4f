// Package lesson holds the small helpers the lesson notebooks use to state
// what they teach and to set our measurements beside the article's and
// CPython's.
//
//	lesson.Fact("emulated-GIL threads give no CPU speedup", speedup, 0.75, 1.25,
//		"two threads share one GIL, so they take as long as running one after the other")
//
//	py := lesson.Python(`
//	import json, sys, time
//	n = int(sys.argv[1])
//	t0 = time.perf_counter(); sum(i * i for i in range(n))
//	print(json.dumps({"serial": time.perf_counter() - t0}))
//	`, 2_000_000)
//	serial := py.Get("serial") // seconds, or NaN when python3 is missing
//
//	lesson.Published("Asynchronous Python [Part 1]: Mastering GIL, Multithreading, and Multiprocessing").
//		Add("2 threads ÷ 1 thread", "×", 3.83/3.92, py.Get("speedup"), goSpeedup)
//
// # Facts
//
// Fact shows a one-line verdict ("✓ emulated-GIL threads give no CPU
// speedup: 1.02× (expected 0.8–1.15×)") and records the fact in the
// output's metadata under "gokernel_fact" ({"name", "value", "lo", "hi",
// "holds", "state"}), which the notebook tests read back from executed
// lessons. FactIn does the same with another unit ("s", "ms", "" for a
// plain count). A verdict is one of three states: the fact holds, it fails,
// or this machine can't tell right now (Check.CantTell: "? ... can't tell
// here now: 1.0 core free"), which is never shown as ✓. A fact that cannot
// be measured at all (CPython missing) is shown with Skip and records
// nothing; a CPython run that failed is a failed fact.
//
// # Judging
//
// Facts about what a model recorded (GILFacts, ParallelFacts,
// OverlapFacts, MostAtOnce, Share) hold on a busy machine; the tests run
// them against broken models and see them fail. Wall-clock ratios come from
// Interleave (A B, B A, ... rounds, each ratio taken within a round) and are
// judged by Speedup (no free core needed), ParallelSpeedup (against a Watch
// of the parallelism on offer; ParallelSpeedupUpTo for work that also
// waits), and beside CPython by AgreeRatio, AgreeParallel, AgreeFact and
// AgreeRates. Counts over runs (how often an update was lost) are judged
// by RateIn.
//
// The machine's noise decides between "fails" and "can't tell", never
// between "holds" and "fails": a fact fails only when the measurement is
// clear of the band by more than the noise measured in the same cell (the
// middle half of the rounds, on either side of a comparison with CPython;
// a 95 % interval for a count over runs), and can't tell otherwise. A
// model that is wrong by more than that fails, which the tests check
// against broken models and made-up rounds.
//
// An oversubscribed machine (other programs keep every core busy) is the
// one noise no round can average out: threads wait for a core, a woken
// one comes late, a wait stretches. A fact about a CPython run that fails
// while one busy thread got less than 0.8 of a core around that run
// (FreeCore, measured by Python before and after), or while the run's own
// jobs got less (core_share, which the program may report), can't tell
// (PyResult.Check, which every CPython judge goes through); a Go model's
// fact about pace can say the same with OnACore and CoreShareOf.
//
// # CPython beside the Go model
//
// Python writes code to a temporary file and runs it with the python3 on
// PATH (PYTHON overrides it), passing args as sys.argv[1:]. The code prints
// whatever it likes; its last line must be a JSON object, whose numbers
// become the result's values. Without python3 the result is marked Skipped,
// its values are NaN (shown as "—" in tables), and a note says so. The
// child runs in its own process group, which is killed when it exceeds its
// timeout, so a lesson never leaves a Python process behind.
//
// # Published figures
//
// Published returns a table citing an article by title, with a row per
// measure: the figure the article published, CPython measured here, the Go
// model measured here, and the ratios between them.
package lesson
