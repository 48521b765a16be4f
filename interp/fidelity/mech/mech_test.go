package mech

import (
	"math"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestJudges(t *testing.T) {
	tests := []struct {
		row  Row
		want bool
	}{
		{Rel("in", 1.0, 1.14, "s", 0.15), true},
		{Rel("out", 1.0, 1.16, "s", 0.15), false},
		{Rel("no CPython", math.NaN(), 1, "s", 0.15), false},
		{Abs("rate in", 0.5, 0.36, "rate", 0.15), true},
		{Abs("rate out", 0.5, 0.30, "rate", 0.15), false},
		{Factor("factor in", 10, 39, "ms", 4), true},
		{Factor("factor out", 10, 2, "ms", 4), false},
		{Same("same", true, true), true},
		{Same("differs", true, false), false},
	}
	for _, tc := range tests {
		if tc.row.OK != tc.want {
			t.Errorf("%s: OK = %v, want %v (%+v)", tc.row.Metric, tc.row.OK, tc.want, tc.row)
		}
	}
}

// Rates: within the band holds; a gap the runs cannot tell from chance
// can't tell; a clear gap fails.
func TestRates(t *testing.T) {
	for _, tc := range []struct {
		py, model, runs int
		ok, cant        bool
	}{
		{30, 22, 150, true, false},  // 0.20 against 0.15: in
		{31, 8, 150, false, true},   // 0.21 against 0.05: 0.16 past, 2 SE = 0.08
		{75, 15, 150, false, false}, // 0.50 against 0.10: 0.40, far past
	} {
		r := Rates("loss", tc.py, tc.runs, tc.model, tc.runs, 0.15)
		if r.OK != tc.ok || r.CantTell != tc.cant {
			t.Errorf("%d and %d of %d: OK %v, can't tell %v; want %v, %v (%s)", tc.py, tc.model, tc.runs, r.OK, r.CantTell, tc.ok, tc.cant, r.Note)
		}
	}
}

// RoundRates: CPython's rounds that disagree by more than twice the band
// can't tell, whatever the model did; steady rounds are judged as Rates
// judges the totals; the rounds are in the note either way.
func TestRoundRates(t *testing.T) {
	for _, tc := range []struct {
		name      string
		py, model []int
		ok, cant  bool
	}{
		{"steady and close", []int{1, 0, 2, 1}, []int{2, 3, 1, 2}, true, false},
		{"steady and far", []int{48, 49, 50, 47}, []int{10, 5, 12, 8}, false, false},
		{"CPython unsteady, model close to its mean", []int{0, 0, 46, 2}, []int{12, 13, 12, 11}, false, true},
		{"CPython unsteady, model far but within chance of its top round", []int{0, 0, 46, 2}, []int{50, 50, 50, 50}, false, true},
		{"CPython unsteady, model past every round", []int{31, 23, 18}, []int{0, 0, 1}, false, false},
		{"CPython unsteady, model past every round by less than chance", []int{10, 19, 28}, []int{0, 0, 0}, false, true},
	} {
		r := RoundRates("waiter first", tc.py, tc.model, 50, 0.15)
		if r.OK != tc.ok || r.CantTell != tc.cant || !strings.Contains(r.Note, "rounds of 50 runs") {
			t.Errorf("%s: OK %v, can't tell %v; want %v, %v (%s)", tc.name, r.OK, r.CantTell, tc.ok, tc.cant, r.Note)
		}
	}
}

// Without CPython there is nothing to compare with: the result fails and
// says why, it does not pass.
func TestMissingPythonFails(t *testing.T) {
	t.Setenv("PYTHON", "/nonexistent/python3")
	r := RaceLoss(RaceOptions{Runs: 1, Rounds: 1})
	if r.Passed() || r.Err == nil {
		t.Fatalf("without CPython: Passed %v, Err %v", r.Passed(), r.Err)
	}
	if s := r.String(); !strings.Contains(s, "CPython did not run") || !strings.Contains(s, "FAIL") {
		t.Errorf("String() = %q", s)
	}
	if len(r.Bundles()) < 2 {
		t.Errorf("Bundles: %d, want the table and the note", len(r.Bundles()))
	}
}

// The experiments run on both sides and fill every row (no timing is
// asserted: only that each side produced a figure).
func TestExperimentsRun(t *testing.T) {
	if _, err := exec.LookPath(pythonCommand()); err != nil {
		t.Skip("python3 is not installed: TestMissingPythonFails covers this case")
	}
	for _, r := range []Result{
		RaceLoss(RaceOptions{Runs: 2, Rounds: 1, Sleep: time.Millisecond}),
		RaceLoss(RaceOptions{Runs: 2, Rounds: 1, Sleep: time.Millisecond, Slow: UpdateLine}),
		RaceLoss(RaceOptions{Runs: 2, Rounds: 1, Sleep: time.Millisecond, Slow: AfterUpdateLine}),
		Convoy(ConvoyOptions{Intervals: []time.Duration{time.Millisecond}, Waits: 3, Rounds: 1}),
		Slices(SliceOptions{Intervals: []time.Duration{time.Millisecond}, Duration: 20 * time.Millisecond, Rounds: 1}),
		PoolTiny(PoolOptions{Repeat: 1}),
		LockWake(LockWakeOptions{Runs: 3, Rounds: 2, Gaps: []time.Duration{0}}),
		Handover(HandoverOptions{N: 50, Batches: 1, Rounds: 1}),
	} {
		if r.Err != nil {
			t.Errorf("%s: %v", r.Title, r.Err)
			continue
		}
		if len(r.Rows) == 0 || r.Python == "" {
			t.Errorf("%s: %d rows, CPython %q", r.Title, len(r.Rows), r.Python)
		}
		for _, row := range r.Rows {
			if math.IsNaN(row.CPython) && !row.Info {
				t.Errorf("%s / %s: no CPython figure", r.Title, row.Metric)
			}
		}
	}
}

// Pinned, the releaser stays on its CPU and the waiter on another one:
// the threads cannot share a CPU, and the count of wins is a count.
func TestLockWakePinned(t *testing.T) {
	if getcpu() < 0 || runtime.NumCPU() < 2 {
		t.Skip("getcpu or a second CPU is missing: the pinned rows are left out there")
	}
	won, together := lockWakeRuns(20, 100*time.Microsecond, 20*time.Microsecond, true)
	if won < 0 {
		t.Skip("this process may not pin its threads (sched_setaffinity refused)")
	}
	if won > 20 || together != 0 {
		t.Errorf("pinned: won %d of 20, together %d; want at most 20, and never together", won, together)
	}
}

func TestBreakevenOf(t *testing.T) {
	ds := []time.Duration{time.Millisecond, 3 * time.Millisecond, 10 * time.Millisecond}
	for _, tt := range []struct {
		speedups []float64
		want     float64
		below    bool
	}{
		{[]float64{1.2, 1.5, 1.9}, 0.001, true},                 // the smallest pays: a bound
		{[]float64{0.5, 1.5, 1.9}, 0.001 * math.Sqrt(3), false}, // halfway in speed-up: halfway in log size
		{[]float64{0.6, 1.0, 1.9}, 0.003 * math.Pow(10.0/3, 0), false},
		{[]float64{1.2, 0.9, 1.9}, 0.003 * math.Pow(10.0/3, 0.1), false}, // a lucky small size does not count
		{[]float64{0.8, 0.9, 0.95}, math.Inf(1), false},
	} {
		got, below := breakevenOf(ds, tt.speedups)
		if math.Abs(got-tt.want) > 1e-12 && !(math.IsInf(got, 1) && math.IsInf(tt.want, 1)) || below != tt.below {
			t.Errorf("breakevenOf(%v) = %v, %v; want %v, %v", tt.speedups, got, below, tt.want, tt.below)
		}
	}
	if !within(0.001, 0.003, 3.5) || within(0.001, 0.01, 3.5) || within(0.001, math.Inf(1), 3.5) || !within(math.Inf(1), math.Inf(1), 3.5) {
		t.Error("within: wrong")
	}
}
