package lesson

import (
	"math"
	"testing"
	"time"

	"github.com/gokernel/gokernel/interp/timeline"
)

const ms1 = time.Millisecond

func recorder(spans ...timeline.Span) *timeline.Recorder {
	rec := timeline.New()
	for _, s := range spans {
		rec.Add(s)
	}
	return rec
}

func TestMostAtOnceAndTimeAtOnce(t *testing.T) {
	// Two lanes taking turns, touching at the hand-overs: never two at once.
	zip := recorder(
		timeline.Span{Lane: "T1", Kind: timeline.Running, Start: 0, End: 5 * ms1},
		timeline.Span{Lane: "T2", Kind: timeline.Running, Start: 5 * ms1, End: 10 * ms1},
		timeline.Span{Lane: "T1", Kind: timeline.Running, Start: 10 * ms1, End: 15 * ms1},
	)
	if got := MostAtOnce(zip, timeline.Running); got != 1 {
		t.Errorf("taking turns: MostAtOnce = %d, want 1", got)
	}
	if got := TimeAtOnce(zip, timeline.Running, 2); got != 0 {
		t.Errorf("taking turns: TimeAtOnce = %v, want 0", got)
	}
	// Side by side, one finishing early.
	side := recorder(
		timeline.Span{Lane: "T1", Kind: timeline.Running, Start: 0, End: 10 * ms1},
		timeline.Span{Lane: "T2", Kind: timeline.Running, Start: 0, End: 8 * ms1},
		timeline.Span{Lane: "loop", Kind: timeline.Running, Start: 0, End: 10 * ms1},
	)
	if got := MostAtOnce(side, timeline.Running, "loop"); got != 2 {
		t.Errorf("side by side: MostAtOnce = %d, want 2", got)
	}
	if got := TimeAtOnce(side, timeline.Running, 2); got != 1 {
		t.Errorf("side by side: TimeAtOnce = %v, want 1 (the shorter lane ran beside the other throughout)", got)
	}
	if got := Share(side, "T2", timeline.Running); math.Abs(got-0.8) > 1e-9 {
		t.Errorf("Share = %v, want 0.8", got)
	}
}

func TestGILFactsOnRecordedSlices(t *testing.T) {
	var spans []timeline.Span
	for i := 0; i < 20; i++ {
		lane := []string{"T1", "T2"}[i%2]
		spans = append(spans, timeline.Span{Lane: lane, Kind: timeline.Running, Start: time.Duration(i) * 5 * ms1, End: time.Duration(i+1) * 5 * ms1})
	}
	cs := GILFacts(recorder(spans...), map[string]int{"GIL switches": 19, "drop requests": 19, "retakes after a drop request": 0}, 5*ms1)
	for _, c := range cs {
		if c.State() != StateHolds {
			t.Errorf("%s", c.verdict())
		}
	}
	cs = GILFacts(recorder(spans...), map[string]int{"GIL switches": 1, "drop requests": 19, "retakes after a drop request": 18}, 50*ms1)
	if cs[1].State() != StateFails || cs[2].State() != StateFails {
		t.Errorf("a 50 ms interval and no hand-overs should fail: %s / %s", cs[1].verdict(), cs[2].verdict())
	}
}

func TestAgreeRatesCantTellOnFewRuns(t *testing.T) {
	tests := []struct {
		goHits, goRuns int
		pyHits, pyRuns float64
		want           State
	}{
		{5, 10, 5, 10, StateHolds},
		{8, 10, 5, 10, StateCantTell}, // 0.8 against 0.5 over 10 runs: within chance
		{400, 400, 200, 400, StateFails},
	}
	for _, tt := range tests {
		py := PyResult{Values: map[string]float64{"lost": tt.pyHits, "runs": tt.pyRuns}}
		c := agreeRates("rates", tt.goHits, tt.goRuns, py, "lost", "runs", 0.15, "")
		if c.State() != tt.want {
			t.Errorf("%d/%d against %v/%v: %s, want %s", tt.goHits, tt.goRuns, tt.pyHits, tt.pyRuns, c.verdict(), tt.want)
		}
	}
}
