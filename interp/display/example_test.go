package display_test

import (
	"fmt"
	"time"

	"github.com/gokernel/gokernel/interp/display"
	"github.com/gokernel/gokernel/interp/timeline"
	"github.com/gokernel/gokernel/kernel/mime"
)

func ExampleTable() {
	type run struct {
		Model   string
		Workers int
		Time    time.Duration `display:"time"`
	}
	t := display.TableOf([]run{
		{"threads (GIL)", 4, 1234 * time.Millisecond},
		{"goroutines", 4, 321 * time.Millisecond},
		{"processes", 4, 45600 * time.Microsecond},
	})
	t.Title = "Sum of squares"
	fmt.Println(t.Bundle().Data[mime.Text])
	// Output:
	// Sum of squares
	// Model          Workers     time
	// -------------  -------  -------
	// threads (GIL)        4   1.23 s
	// goroutines           4   321 ms
	// processes            4  45.6 ms
}

func ExampleBar() {
	c := display.Bar("Time per run", []string{"threads", "goroutines"}, []float64{1.2, 0.3}, "s")
	b := c.Bundle()
	fmt.Println(b.Types())
	fmt.Println(b.Data[mime.Text])
	// Output:
	// [application/vnd.vegalite.v5+json image/png text/plain]
	// Time per run
	// threads     ██████████████████████████████ 1.20 s
	// goroutines  ███████▌                       300 ms
}

func ExampleTimeline() {
	rec := timeline.NewWithClock(&timeline.FakeClock{})
	rec.Add(timeline.Span{Lane: "T1", Kind: timeline.Running, Start: 0, End: 10 * time.Millisecond})
	rec.Add(timeline.Span{Lane: "T2", Kind: timeline.WaitingGIL, Start: 0, End: 10 * time.Millisecond})
	rec.Add(timeline.Span{Lane: "T2", Kind: timeline.Running, Start: 10 * time.Millisecond, End: 20 * time.Millisecond})
	rec.Add(timeline.Span{Lane: "T1", Kind: timeline.WaitingGIL, Start: 10 * time.Millisecond, End: 20 * time.Millisecond})
	fmt.Println(display.Timeline(rec).Text())
	// Output:
	// lane  running  waiting for GIL  spans
	// ----  -------  ---------------  -----
	// T1    10.0 ms          10.0 ms      2
	// T2    10.0 ms          10.0 ms      2
	//
	// T1 |████████████████████████░░░░░░░░░░░░░░░░░░░░░░░░|
	// T2 |░░░░░░░░░░░░░░░░░░░░░░░░████████████████████████|
	//     0                                         20.0 ms
	// key: █ running  ░ waiting for GIL
}

func ExampleNewProgress() {
	rec := &mime.Recorder{} // in a cell, the bar goes to display.Current()
	clk := &timeline.FakeClock{}
	p := display.NewProgressOpts(100, "experiment", display.ProgressOptions{Publisher: rec, Clock: clk})
	for i := 0; i < 100; i++ {
		clk.Advance(32 * time.Millisecond)
		p.Add(1)
	}
	p.Done()
	out := rec.Outputs()
	fmt.Println(len(out), "outputs (at most one update per 100 ms)")
	fmt.Println(out[len(out)-1].Bundle.Data[mime.Text])
	// Output:
	// 27 outputs (at most one update per 100 ms)
	// experiment: done 100/100 in 3.20 s
}
