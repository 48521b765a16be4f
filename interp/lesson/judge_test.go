package lesson

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/gokernel/gokernel/kernel/mime"
)

func fixedWatch(samples ...float64) *Watch {
	i := 0
	return newWatch(2, func(int) float64 {
		v := samples[min(i, len(samples)-1)]
		i++
		return v
	})
}

func TestParallelSpeedup(t *testing.T) {
	tests := []struct {
		desc   string
		values []float64
		probes []float64
		want   State
		text   string
	}{
		{"two free cores, about 2×", []float64{1.9, 1.95, 1.85, 2.0}, []float64{1.95, 1.9}, StateHolds, "✓"},
		{"two free cores, no speedup: fails", []float64{1.0, 1.02, 0.98, 1.01}, []float64{1.95, 1.9}, StateFails, "✗"},
		{"one core free: can't tell, never ✓", []float64{0.88, 0.9, 0.87, 0.91}, []float64{1.0, 1.02}, StateCantTell,
			"can't tell here now: 1.0 core free"},
		{"the core came and went, short of the band", []float64{1.0, 1.1, 1.05, 1.0}, []float64{1.0, 1.9}, StateCantTell, "came and went"},
		{"more than two cores can give: fails", []float64{2.9, 3, 3.1, 3}, []float64{1.95, 1.95}, StateFails, "✗"},
		{"some parallelism on a busy machine holds", []float64{1.28, 1.3, 1.25, 1.3}, []float64{1.2, 1.2}, StateHolds, "✓"},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			c := ParallelSpeedup("goroutines run in parallel", RatioOf("q", tt.values...), fixedWatch(tt.probes...), "")
			if c.State() != tt.want || !strings.Contains(c.verdict(), tt.text) {
				t.Errorf("state %s, verdict %q; want %s containing %q", c.State(), c.verdict(), tt.want, tt.text)
			}
			if c.State() == StateHolds && c.Value < 1.15 {
				t.Errorf("✓ on %.2f×, which contradicts the title", c.Value)
			}
		})
	}
}

func TestSpeedup(t *testing.T) {
	tests := []struct {
		desc   string
		values []float64
		want   State
	}{
		{"inside", []float64{1.0, 0.98, 1.03, 1.01}, StateHolds},
		{"a leaked 1.31×: fails", []float64{1.3, 1.32, 1.31, 1.29}, StateFails},
		{"a leaked 1.6×: fails", []float64{1.6, 1.6, 1.58, 1.62}, StateFails},
		{"rounds straddle the band", []float64{0.9, 1.3, 1.25, 1.0, 1.4, 1.35}, StateCantTell},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			c := Speedup("no speedup", RatioOf("q", tt.values...), 0.8, 1.15, "")
			if c.State() != tt.want {
				t.Errorf("state %s (%s), want %s", c.State(), c.verdict(), tt.want)
			}
		})
	}
}

func TestInterleaveAlternates(t *testing.T) {
	var order []string
	r := Interleave(4, Way{"A", func() { order = append(order, "A") }}, Way{"B", func() { order = append(order, "B") }})
	if got := strings.Join(order, ""); got != "ABBAABBA" {
		t.Errorf("order %s, want ABBAABBA", got)
	}
	if len(r.Speedup("A", "B").Values) != 4 {
		t.Errorf("want 4 ratios")
	}
}

func TestSpeedupRatioPerRound(t *testing.T) {
	r := &Runs{Names: []string{"serial", "par"}, Times: [][]time.Duration{{200, 400, 200}, {100, 200, 100}}}
	q := r.Speedup("serial", "par")
	if q.Median() != 2 || q.Min() != 2 || q.Max() != 2 {
		t.Errorf("ratios %v, want all 2 (taken within each round)", q.Values)
	}
}

func TestLongestOver(t *testing.T) {
	// Round 1: the CPU task is the longer (300 against 250); round 2 the download (300 against 200).
	// Together they took 310 and 400: the first hid, the second added a third.
	r := &Runs{Names: []string{"cpu", "io", "both"}, Times: [][]time.Duration{{300, 200}, {250, 300}, {310, 400}}}
	q := r.LongestOver("both", "cpu", "io")
	want := []float64{300.0 / 310, 300.0 / 400}
	if len(q.Values) != 2 || q.Values[0] != want[0] || q.Values[1] != want[1] {
		t.Errorf("ratios %v, want %v", q.Values, want)
	}
	if q := r.LongestOver("both", "cpu", "nope"); len(q.Values) != 0 {
		t.Errorf("unknown base: ratios %v, want none", q.Values)
	}
}

func TestAgreeWithoutPython(t *testing.T) {
	name := "the GIL model's two-thread speedup matches CPython's (±15 %)"
	if _, ok := Kept(name); !ok {
		t.Fatalf("no kept figure for %q", name)
	}
	k := keptNote{name: name, f: kept[name], ok: true}
	for _, want := range []string{"KEPT", "Python 3.11", "2026-12-03", "not measured now"} {
		if !strings.Contains(k.String(), want) {
			t.Errorf("kept note %q does not say %q", k.String(), want)
		}
	}
}

func TestFailedPythonRunFails(t *testing.T) {
	r := PyResult{Err: errTest}
	c := r.Check(Check{Name: "x", Value: 1, Lo: 0, Hi: 2})
	if c.State() != StateFails {
		t.Errorf("a failed Python run gave %s, want a failed fact", c.State())
	}
}

var errTest = errors.New("lesson: Python exited with status 1")

func TestSpeedupOnAStarvedBaseline(t *testing.T) {
	q := RatioOf("q", 1.5, 1.6, 1.55, 1.7)
	if c := Speedup("no speedup", q, 0.8, 1.15, ""); c.State() != StateFails {
		t.Errorf("unknown core share: %s, want fails", c.State())
	}
	q.BaseCoreShare = 0.4
	if c := Speedup("no speedup", q, 0.8, 1.15, ""); c.State() != StateCantTell || !strings.Contains(c.verdict(), "oversubscribed") {
		t.Errorf("starved baseline: %s", c.verdict())
	}
	q.BaseCoreShare = 0.97
	if c := Speedup("no speedup", q, 0.8, 1.15, ""); c.State() != StateFails {
		t.Errorf("a baseline with its core: %s, want fails", c.State())
	}
}

func TestCoreShare(t *testing.T) {
	r := Interleave(2, Way{Name: "spin", Run: func() { spin(1 << 22) }}, Way{Name: "sleep", Run: func() { time.Sleep(20 * time.Millisecond) }})
	if s := r.CoreShare("sleep"); !(s < 0.5) {
		t.Errorf("a sleep got %.2f of a core, want little", s)
	}
	if s := r.CoreShare("spin"); !(s > 0) {
		t.Errorf("a spin got %.2f of a core", s)
	}
}

func TestAgreeParallelTellsNoiseFromAGap(t *testing.T) {
	py := func(vs ...float64) PyResult {
		l := make([]any, len(vs))
		for i, v := range vs {
			l[i] = v
		}
		return PyResult{JSON: map[string]any{"speedups": l}, Values: map[string]float64{}}
	}
	tests := []struct {
		desc   string
		goVals []float64
		pyVals []float64
		want   State
	}{
		{"same speedups hold", []float64{1.8, 1.85, 1.9, 1.82, 1.88, 1.86}, []float64{1.84, 1.9, 1.87, 1.8, 1.85, 1.83}, StateHolds},
		{"medians apart, rounds overlapping: can't tell", []float64{1.12, 1.3, 1.4, 1.45, 1.7, 1.88}, []float64{1.7, 1.8, 1.85, 1.9, 1.88, 1.95}, StateCantTell},
		{"a model half as fast, steady rounds: fails", []float64{0.95, 1.0, 1.02, 0.98, 1.01, 0.99}, []float64{1.85, 1.9, 1.88, 1.92, 1.86, 1.9}, StateFails},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			c := agreeParallel("speedups agree", RatioOf("go", tt.goVals...), py(tt.pyVals...), "speedups", fixedWatch(1.95, 1.95), 0.15, "")
			if c.State() != tt.want {
				t.Errorf("state %s (%s), want %s", c.State(), c.verdict(), tt.want)
			}
		})
	}
}

func TestRateIn(t *testing.T) {
	tests := []struct {
		hits, runs int
		want       State
	}{
		{0, 30, StateHolds},
		{3, 30, StateHolds},
		{5, 30, StateCantTell}, // 17 %, but 7–34 % at 95 %: could be under 10 %
		{15, 30, StateFails},   // 50 %: 33–67 %
		{100, 100, StateFails},
	}
	for _, tt := range tests {
		c := RateIn("rarely lost", tt.hits, tt.runs, 0, 10, "")
		if c.State() != tt.want {
			t.Errorf("%d of %d: state %s (%s), want %s", tt.hits, tt.runs, c.State(), c.verdict(), tt.want)
		}
	}
}

func TestParallelSpeedupUpTo(t *testing.T) {
	// Downloads that start after the CPU jobs on the loop: 2.4× on two cores is right, not too much.
	c := ParallelSpeedupUpTo("hybrid", RatioOf("q", 2.35, 2.4, 2.45, 2.38), fixedWatch(1.95, 1.95), 2.6, "")
	if c.State() != StateHolds {
		t.Errorf("state %s (%s), want holds", c.State(), c.verdict())
	}
	c = ParallelSpeedup("cpu", RatioOf("q", 2.35, 2.4, 2.45, 2.38), fixedWatch(1.95, 1.95), "")
	if c.State() != StateFails {
		t.Errorf("pure CPU work at 2.4× on two cores: state %s, want fails", c.State())
	}
}

func TestParallelSpeedupCountsTheSerialRunsOwnCores(t *testing.T) {
	q := RatioOf("q", 1.42, 1.43, 1.44, 1.43)
	if c := ParallelSpeedup("pool", q, fixedWatch(1.93, 1.93), ""); c.State() != StateFails {
		t.Errorf("a serial run on one core: %s, want fails below 0.75 × 1.93", c.verdict())
	}
	q.BaseCoreShare = 1.35 // the collector ran beside the serial run
	if c := ParallelSpeedup("pool", q, fixedWatch(1.93, 1.93), ""); c.State() != StateHolds || !strings.Contains(c.Explain, "1.35 cores") {
		t.Errorf("a serial run on 1.35 cores: %s (%s), want holds", c.verdict(), c.Explain)
	}
}

func TestAgreeParallelCountsGosSerialCores(t *testing.T) {
	py := PyResult{JSON: map[string]any{"speedups": []any{1.76, 1.77, 1.78, 1.77}}, Values: map[string]float64{}}
	goQ := RatioOf("go", 1.36, 1.37, 1.38, 1.37)
	if c := agreeParallel("pools agree", goQ, py, "speedups", fixedWatch(1.93, 1.93), 0.15, ""); c.State() != StateFails {
		t.Errorf("serial on one core: %s, want fails", c.verdict())
	}
	goQ.BaseCoreShare = 1.38
	if c := agreeParallel("pools agree", goQ, py, "speedups", fixedWatch(1.93, 1.93), 0.15, ""); c.State() != StateHolds {
		t.Errorf("serial on 1.38 cores: %s, want holds", c.verdict())
	}
}

// OnACore: a failing fact can't tell when its run got less than 0.8 of a
// core; one that holds, or a run with a core, is left alone. CPython
// checks take the share measured around their run.
func TestOnACore(t *testing.T) {
	fails := Check{Name: "f", Value: 0.7, Lo: 1.4, Hi: 8}
	holds := Check{Name: "h", Value: 5, Lo: 1.4, Hi: 8}
	if c := OnACore(0.6, fails); c.State() != StateCantTell || !strings.Contains(c.verdict(), "oversubscribed") {
		t.Errorf("starved failing fact: %s", c.verdict())
	}
	if c := OnACore(0.95, fails); c.State() != StateFails {
		t.Errorf("failing fact on a core: %s", c.verdict())
	}
	if c := OnACore(0.6, holds); c.State() != StateHolds {
		t.Errorf("holding fact: %s", c.verdict())
	}
	if c := OnACore(math.NaN(), fails); c.State() != StateFails {
		t.Errorf("unknown share: %s", c.verdict())
	}
	if c := (PyResult{FreeCore: 0.6}).Check(fails); c.State() != StateCantTell {
		t.Errorf("CPython run on an oversubscribed machine: %s", c.verdict())
	}
	if c := (PyResult{FreeCore: 0.6, Err: errors.New("boom")}).Check(fails); c.State() != StateFails {
		t.Errorf("a failed CPython run fails whatever the machine: %s", c.verdict())
	}
	if f := FreeCore(); !(f > 0 && f <= 1) {
		t.Errorf("FreeCore = %v, want in (0, 1]", f)
	}
}

func TestRunsTableHTML(t *testing.T) {
	r := &Runs{Names: []string{"serial", "a<b"}, Times: [][]time.Duration{{200 * time.Millisecond, 220 * time.Millisecond}, {100 * time.Millisecond, 120 * time.Millisecond}}}
	h := r.Bundle().Data[mime.HTML].(string)
	for _, s := range []string{"<caption", "<th style=\"text-align:left", "serial", "a&lt;b", "</tbody></table>"} {
		if !strings.Contains(h, s) {
			t.Errorf("HTML lacks %q:\n%s", s, h)
		}
	}
	if strings.Count(h, "<tr>") != 3 { // the header and two ways
		t.Errorf("want 3 rows:\n%s", h)
	}
}
