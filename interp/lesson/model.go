package lesson

import (
	"math"
	"slices"
	"sort"
	"time"

	"github.com/gokernel/gokernel/interp/timeline"
)

// Facts judged on what a model recorded (its timeline and counters) rather
// than on the wall clock: they stay true on a busy machine, where a core
// comes and goes, because they are about the model's own bookkeeping (who
// held the GIL, who ran beside whom), not about how fast the machine went.

// MostAtOnce returns the largest number of lanes that were in kind (e.g.
// timeline.Running) at the same instant, leaving out the lanes named in
// except (an event loop's own lane, which runs whenever one of its tasks
// does).
func MostAtOnce(rec *timeline.Recorder, kind string, except ...string) int {
	most, _ := atOnce(rec, kind, 2, except...)
	return most
}

// TimeAtOnce returns the share of the shortest lane's time in kind during
// which at least k lanes were in kind together: about 1 for k goroutines
// started together (the first to finish ran beside the others all along),
// 0 under a GIL.
func TimeAtOnce(rec *timeline.Recorder, kind string, k int) float64 {
	_, atK := atOnce(rec, kind, k)
	perLane := map[string]time.Duration{}
	for _, s := range rec.Spans() {
		if s.Kind == kind {
			perLane[s.Lane] += s.Duration()
		}
	}
	shortest := time.Duration(-1)
	for _, d := range perLane {
		if shortest < 0 || d < shortest {
			shortest = d
		}
	}
	if len(perLane) < k || shortest <= 0 {
		return 0
	}
	return math.Min(1, float64(atK)/float64(shortest))
}

func atOnce(rec *timeline.Recorder, kind string, k int, except ...string) (most int, atK time.Duration) {
	skip := map[string]bool{}
	for _, l := range except {
		skip[l] = true
	}
	type edge struct {
		at    time.Duration
		delta int
	}
	var edges []edge
	for _, s := range rec.Spans() {
		if s.Kind == kind && s.End > s.Start && !skip[s.Lane] {
			edges = append(edges, edge{s.Start, +1}, edge{s.End, -1})
		}
	}
	// Ends before starts at the same instant: a hand-over is not an overlap.
	sort.Slice(edges, func(i, j int) bool {
		if edges[i].at != edges[j].at {
			return edges[i].at < edges[j].at
		}
		return edges[i].delta < edges[j].delta
	})
	var n int
	for i, e := range edges {
		if i > 0 && n >= k {
			atK += e.at - edges[i-1].at
		}
		n += e.delta
		most = max(most, n)
	}
	return most, atK
}

// Spans returns the durations of the spans of kind, on any lane, with
// consecutive spans of one lane that touch merged into one (a thread that
// keeps the GIL across a checkpoint has one slice, not two).
func Spans(rec *timeline.Recorder, kind string) []time.Duration {
	byLane := map[string][]timeline.Span{}
	for _, s := range rec.Spans() {
		if s.Kind == kind {
			byLane[s.Lane] = append(byLane[s.Lane], s)
		}
	}
	var out []time.Duration
	for _, ss := range byLane {
		sort.Slice(ss, func(i, j int) bool { return ss[i].Start < ss[j].Start })
		cur := ss[0]
		for _, s := range ss[1:] {
			if s.Start-cur.End <= 20*time.Microsecond {
				cur.End = max(cur.End, s.End)
				continue
			}
			out = append(out, cur.Duration())
			cur = s
		}
		out = append(out, cur.Duration())
	}
	return out
}

// MedianSpan returns the median of Spans(rec, kind), 0 when there are none.
// The first and last slice of each lane are short by nature (a thread's
// start and end), so with more than six spans the shortest and longest
// tenth are left out before taking the median.
func MedianSpan(rec *timeline.Recorder, kind string) time.Duration {
	ds := Spans(rec, kind)
	if len(ds) == 0 {
		return 0
	}
	xs := make([]float64, len(ds))
	for i, d := range ds {
		xs[i] = float64(d)
	}
	sort.Float64s(xs)
	if cut := len(xs) / 10; len(xs) > 6 && cut > 0 {
		xs = xs[cut : len(xs)-cut]
	}
	return time.Duration(median(xs))
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// GILFacts judges a run of two or more CPU-bound threads under an emulated
// GIL with the given switch interval, on what the model recorded:
//
//   - never more than one thread running at an instant (a model without a
//     GIL fails it);
//   - the GIL changed hands about once per switch interval: the median
//     slice a thread ran lies between 0.8 and 5 intervals (a model whose
//     interval is ten times too long fails it; CPython 3.11's slices at
//     5 ms last about 5.1 ms on an idle machine, and both stretch when the
//     machine is so busy that the waiting thread's wake-up comes late:
//     14.8 ms was seen here at a load average of 15 on 2 cores);
//   - each drop request ended with the lock going to another thread
//     (forced switching, on since CPython 3.2): no thread that dropped the
//     lock on a request took it straight back ("retakes after a drop
//     request" is 0). Without forced switching the dropper wins some of
//     those races and the fact fails. A ratio of switches to drop requests
//     told the two apart only on a quiet machine: under load the dropper is
//     often descheduled and the waiter wins anyway, but not every time.
//
// counters are the model's (Report.Counters, GIL.Counters): "drop requests"
// and "retakes after a drop request".
func GILFacts(rec *timeline.Recorder, counters map[string]int, interval time.Duration) []Check {
	slice := ms(MedianSpan(rec, timeline.Running))
	iv := ms(interval)
	retakes := math.NaN()
	if n, ok := counters["retakes after a drop request"]; ok && counters["drop requests"] > 0 {
		retakes = float64(n)
	}
	return []Check{
		{Name: "under the GIL, never more than one thread ran at once", Value: float64(MostAtOnce(rec, timeline.Running)),
			Lo: 1, Hi: 1, Unit: "threads",
			Explain: "Read off the model's timeline: the largest number of threads in the running state at the same instant."},
		{Name: "the GIL changed hands about once per switch interval", Value: slice, Lo: 0.8 * iv, Hi: 5 * iv, Unit: "ms",
			Explain: "The median slice a thread held the GIL, from the timeline. A waiting thread asks for the lock after one interval and the holder lets go at its next check."},
		{Name: "every drop request handed the GIL to the thread that asked", Value: retakes, Lo: 0, Hi: 0, Unit: "retakes",
			Explain: "Drop requests after which the thread that let go took the GIL straight back, from the model's counters. With forced switching (CPython since 3.2) it waits until another thread has taken it, so none."},
	}
}

// ParallelFacts judges a run of k CPU-bound threads on goroutines (no GIL)
// on what the model recorded: k of them were running at once for at least
// 90 % of the shortest one's run. A model that serialised them (a GIL where there
// should be none) fails it.
func ParallelFacts(rec *timeline.Recorder, k int) []Check {
	return []Check{{
		Name:  "without a GIL, the threads all ran at once",
		Value: 100 * TimeAtOnce(rec, timeline.Running, k), Lo: 90, Hi: 100, Unit: "%",
		Explain: "Read off the model's timeline: the share of the shortest thread's run during which all the threads were in the running state together.",
	}}
}

// OverlapFacts judges a run where one lane waits (kind: timeline.IO or
// timeline.Sleeping) beside CPU-bound ones: of the part of the wait during
// which another lane had work to do (running, or waiting for the GIL),
// the share during which one of them was running. Under a GIL a waiting
// thread has let go of the lock, so another runs whenever one is ready
// (at least 80 %, the rest being hand-over latency); a model that kept
// the lock through the wait would leave them waiting for the GIL. The
// part of the wait after the others have finished counts for nothing
// either way, so a CPU task that ends before the download does cannot
// fail it.
func OverlapFacts(rec *timeline.Recorder, kind string) []Check {
	var ready, covered time.Duration
	spans := rec.Spans()
	for _, w := range spans {
		if w.Kind != kind {
			continue
		}
		ready += coveredBy(spans, w, timeline.Running, timeline.WaitingGIL)
		covered += coveredBy(spans, w, timeline.Running)
	}
	share := math.NaN()
	if ready > 0 {
		share = 100 * float64(covered) / float64(ready)
	}
	return []Check{{
		Name:  "another thread ran while this one waited",
		Value: share, Lo: 80, Hi: 100, Unit: "%",
		Explain: "Read off the model's timeline: of the waiting thread's " + kind + " time during which another thread was ready to run, the share during which one was running. The waiting thread does not hold the GIL.",
	}}
}

// coveredBy returns how much of w other lanes spent in any of kinds.
func coveredBy(spans []timeline.Span, w timeline.Span, kinds ...string) time.Duration {
	var ivs [][2]time.Duration
	for _, s := range spans {
		if s.Lane == w.Lane || !slices.Contains(kinds, s.Kind) {
			continue
		}
		a, b := max(s.Start, w.Start), min(s.End, w.End)
		if b > a {
			ivs = append(ivs, [2]time.Duration{a, b})
		}
	}
	sort.Slice(ivs, func(i, j int) bool { return ivs[i][0] < ivs[j][0] })
	var total, end time.Duration
	for _, iv := range ivs {
		a := max(iv[0], end)
		if iv[1] > a {
			total += iv[1] - a
			end = iv[1]
		}
	}
	return total
}

// Share returns the part of the run (from the first span's start to the
// last span's end, on any lane) that lane spent in kind: how busy an event
// loop's own lane was, for instance.
func Share(rec *timeline.Recorder, lane, kind string) float64 {
	var first, last, in time.Duration
	seen := false
	for _, s := range rec.Spans() {
		if !seen || s.Start < first {
			first = s.Start
		}
		if !seen || s.End > last {
			last = s.End
		}
		seen = true
		if s.Lane == lane && s.Kind == kind {
			in += s.Duration()
		}
	}
	if !seen || last <= first {
		return math.NaN()
	}
	return float64(in) / float64(last-first)
}
