package display

import (
	"time"

	"github.com/gokernel/gokernel/interp/timeline"
)

// sampleTimeline records two threads taking turns on an emulated GIL, one
// sleeping, and a process starting, on a fake clock.
func sampleTimeline() *timeline.Recorder {
	clk := &timeline.FakeClock{}
	rec := timeline.NewWithClock(clk)
	rec.Title = "2 threads, CPU-bound, under the GIL"
	ms := time.Millisecond
	add := func(lane, kind string, a, b int, label string) {
		rec.Add(timeline.Span{Lane: lane, Kind: kind, Start: time.Duration(a) * ms, End: time.Duration(b) * ms, Label: label})
	}
	rec.Lane("MainThread")
	rec.Lane("Thread-1")
	rec.Lane("Thread-2")
	add("MainThread", timeline.Blocked, 0, 60, "join")
	for i := 0; i < 6; i++ {
		a, b := i*10, i*10+5
		if i%2 == 0 {
			add("Thread-1", timeline.Running, a, a+5, "")
			add("Thread-2", timeline.WaitingGIL, a, a+5, "")
			add("Thread-1", timeline.WaitingGIL, b, b+5, "")
			add("Thread-2", timeline.Running, b, b+5, "")
		} else {
			add("Thread-1", timeline.Running, a, a+5, "")
			add("Thread-2", timeline.WaitingGIL, a, a+5, "")
			add("Thread-1", timeline.IO, b, b+5, "read")
			add("Thread-2", timeline.Running, b, b+5, "")
		}
	}
	add("Process-1", timeline.Starting, 0, 18, "fork+exec")
	add("Process-1", timeline.Running, 18, 50, "")
	add("Process-1", timeline.Message, 50, 55, "pickle result")
	add("Process-1", timeline.Sleeping, 55, 60, "")
	clk.Advance(5 * ms)
	rec.Mark("Thread-2", "drop request")
	clk.Advance(30 * ms)
	rec.Mark("Thread-1", "drop request")
	return rec
}

func sampleCharts() map[string]Chart {
	return map[string]Chart{
		"bar": Bar("Sum of squares, 10M ints", []string{"sequential", "2 threads (GIL)", "2 goroutines", "2 processes"},
			[]float64{1.234, 1.31, 0.642, 0.71}, "s"),
		"grouped": GroupedBar("Time by model and workers", []string{"CPU-bound", "I/O-bound"},
			[]Series{{"threads", []float64{1.2, 0.11}}, {"goroutines", []float64{0.31, 0.1}}, {"processes", []float64{0.35, 0.16}}}, "s"),
		"line": Line("Speedup against workers", []float64{1, 2, 4, 8},
			[]Series{{"goroutines", []float64{1, 1.9, 3.6, 3.7}}, {"threads (GIL)", []float64{1, 0.95, 0.9, 0.88}}}, "workers", "speedup (×)"),
		"timeline": Timeline(sampleTimeline()),
	}
}
