package lesson

import (
	"runtime"
	"strings"
	"testing"
)

func TestParallelismBounds(t *testing.T) {
	for _, k := range []int{0, 1, 2, 64} {
		p := Parallelism(k)
		if p < 1 || p > float64(max(1, min(k, runtime.NumCPU()))) {
			t.Errorf("Parallelism(%d) = %.2f, outside [1, min(k, NumCPU)]", k, p)
		}
	}
}

func TestWatch(t *testing.T) {
	probes := []float64{1.9, 1.1, 1.6}
	calls := 0
	probe := func(k int) float64 {
		if k != 2 {
			t.Errorf("probe(%d), want 2", k)
		}
		p := probes[calls]
		calls++
		return p
	}
	w := newWatch(2, probe)
	if calls != 1 {
		t.Fatalf("%d probes when made, want 1", calls)
	}
	w.Sample()
	if lo, hi := w.Low(), w.High(); lo != 1.1 || hi != 1.9 {
		t.Errorf("Low, High = %v, %v; want 1.1, 1.9", lo, hi)
	}
	if calls != 3 {
		t.Errorf("%d probes, want 3: the closing probe is taken once, by the first Low or High", calls)
	}
	if s := w.String(); !strings.Contains(s, "1.1× to 1.9×") {
		t.Errorf("String() = %q", s)
	}
}

func TestWatchProbesTheMachine(t *testing.T) {
	w := WatchParallelism(2)
	if lo, hi := w.Low(), w.High(); lo < 1 || hi < lo || hi > float64(max(1, min(2, runtime.NumCPU()))) {
		t.Errorf("Low, High = %.2f, %.2f", lo, hi)
	}
}
