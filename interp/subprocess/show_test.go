package subprocess

import (
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gokernel/gokernel/interp/rt"
	"github.com/gokernel/gokernel/interp/timeline"
	"github.com/gokernel/gokernel/kernel/mime"
)

func TestMeasureAndShow(t *testing.T) {
	c, err := MeasureOpts(MeasureOptions{Starts: 2, RoundTrips: 5, Sizes: []int{1024, 1 << 20}, Repeat: 1})
	if err != nil {
		t.Fatal(err)
	}
	if c.Startup.N != 2 || c.RoundTrip.N != 5 || c.Call.N != 5 || c.Ints.N != 1 || len(c.Transfers) != 2 {
		t.Errorf("measured %+v", c)
	}
	if c.Startup.Min <= 0 || c.Startup.Min > c.Startup.Max || c.Transfers[1].MBps <= 0 {
		t.Errorf("implausible figures: %+v", c)
	}
	bs := c.Bundles()
	if len(bs) != 2 || bs[0].Data[mime.HTML] == nil || bs[1].Data[mime.VegaLite] == nil {
		t.Errorf("Bundles() types: %v, %v", bs[0].Types(), bs[len(bs)-1].Types())
	}
	for _, want := range []string{"process start-up", "message round trip", "send 1 MiB"} {
		if !strings.Contains(c.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, c)
		}
	}
	noStrays(t)
}

func TestPoolTimeline(t *testing.T) {
	rec := timeline.New()
	p, err := NewPoolOpts(Options{Workers: 2, Name: "W", Timeline: rec})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := p.MapChunk("square", []int{1, 2, 3, 4}, 1); err != nil {
			t.Fatal(err)
		}
	}
	stats := p.Stats()
	p.Close()
	kinds := map[string]map[string]bool{}
	for _, s := range rec.Spans() {
		if kinds[s.Lane] == nil {
			kinds[s.Lane] = map[string]bool{}
		}
		kinds[s.Lane][s.Kind] = true
		if s.End < s.Start {
			t.Errorf("span ends before it starts: %+v", s)
		}
	}
	busy := 0
	for _, lane := range []string{"W-1", "W-2"} {
		for _, k := range []string{timeline.Starting} {
			if !kinds[lane][k] {
				t.Errorf("lane %s has no %q span (has %v)", lane, k, kinds[lane])
			}
		}
		if kinds[lane][timeline.Running] {
			busy++
			if !kinds[lane][timeline.Message] {
				t.Errorf("lane %s ran tasks but has no message spans", lane)
			}
		}
	}
	if busy == 0 || !kinds["MainProcess"][timeline.Message] {
		t.Errorf("lanes and kinds: %v", kinds)
	}
	total := 0
	for _, s := range stats {
		total += s.Tasks
	}
	if total != 12 {
		t.Errorf("stats count %d items run, want 12: %+v", total, stats)
	}
	bs := p.Bundles()
	if len(bs) != 2 || !strings.Contains(bs[0].Data[mime.Text].(string), "W-1") || bs[1].Data[mime.VegaLite] == nil {
		t.Errorf("Bundles(): %v", bs)
	}
	if s := NewProcess("square", 2).String(); !strings.Contains(s, "initial") {
		t.Errorf("Process.String() = %q", s)
	}
}

func TestInterruptEachWait(t *testing.T) {
	cases := []struct {
		name string
		// wait starts something that signals on q once it runs, then waits.
		wait func(p *Pool, q *Queue)
	}{
		{"Map", func(p *Pool, q *Queue) { p.Starmap("signalThenSleep", [][]any{{q, time.Minute}}) }},
		{"ApplyAsync.Get", func(p *Pool, q *Queue) { p.ApplyAsync("signalThenSleep", q, time.Minute).Get() }},
		{"Imap", func(p *Pool, q *Queue) { p.Imap("signalAndHang", []*Queue{q}).Next() }},
		{"Close", func(p *Pool, q *Queue) { p.ApplyAsync("signalThenSleep", q, time.Minute); p.Close() }},
		{"Process.Join", func(p *Pool, q *Queue) {
			pr := NewProcess("signalThenSleep", q, time.Minute)
			pr.Start()
			pr.Join()
		}},
		{"Queue.Get", func(p *Pool, q *Queue) { q.Put(0); NewQueue().Get() }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := newPool(t, 1)
			q := NewQueue()
			var recovered any
			guard(t, 15*time.Second, c.name+" in an interrupted cell", func() {
				done := make(chan struct{})
				go func() {
					defer close(done)
					cell := rt.BeginCell(nil)
					defer cell.End()
					defer func() { recovered = recover() }()
					go func() {
						q.Get()
						cell.Interrupt()
					}()
					c.wait(p, q)
				}()
				<-done
			})
			if _, ok := recovered.(rt.Interrupted); !ok {
				t.Errorf("recovered %v, want rt.Interrupted", recovered)
			}
			p.Terminate()
			noStrays(t)
		})
	}
}

func TestDroppedPoolIsCollected(t *testing.T) {
	pids := func() []int {
		p, err := NewPool(1)
		if err != nil {
			t.Fatal(err)
		}
		p.Apply("square", 1)
		return p.Pids()
	}()
	guard(t, 15*time.Second, "the finalizer", func() {
		for {
			runtime.GC()
			if !alive(pids[0]) && len(Live()) == 0 && len(children(t)) == 0 {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
	noStrays(t)
}

func TestMeasureSpeedup(t *testing.T) {
	s, err := MeasureSpeedupOpts(SpeedupOptions{Workers: 2, Repeat: 2}, spin, 100_000)
	if err != nil {
		t.Fatal(err)
	}
	if s.Serial <= 0 || s.Parallel <= 0 || s.Startup <= 0 || s.Speedup <= 0 || s.Ideal <= 0 || s.Workers != 2 {
		t.Errorf("MeasureSpeedup = %+v", s)
	}
	lanes := s.Timeline.Lanes()
	if len(lanes) != 3 || lanes[0] != "MainProcess" {
		t.Errorf("timeline lanes %v, want MainProcess and 2 processes", lanes)
	}
	if bs := s.Bundles(); len(bs) != 3 || !strings.Contains(s.String(), "2 processes") {
		t.Errorf("%d bundles; text:\n%s", len(bs), s)
	}
	for _, c := range []struct {
		name string
		fn   any
		n    int
		want string
	}{
		{"failing function", "failOn3", 1, "three is not allowed"},
		{"negative workers", spin, -1, "at least 1 worker"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := MeasureSpeedupOpts(SpeedupOptions{Workers: c.n}, c.fn, 3)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want %q", err, c.want)
			}
		})
	}
	noStrays(t)
}

// countingScheduler stands for the emulated GIL: it counts the waits that
// release it.
type countingScheduler struct{ blocking, released atomic.Int32 }

func (s *countingScheduler) Checkpoint(int64) {}
func (s *countingScheduler) Blocking(int64) func() {
	s.blocking.Add(1)
	return func() { s.released.Add(1) }
}

func TestWaitsReleaseTheScheduler(t *testing.T) {
	p := newPool(t, 1)
	cases := []struct {
		name string
		wait func()
	}{
		{"Map", func() { p.Map("square", []int{1, 2}) }},
		{"Apply", func() { p.Apply("square", 1) }},
		{"Imap", func() { p.Imap("square", []int{1}).Next() }},
		{"Process.Join", func() { pr := NewProcess("square", 1); pr.Start(); pr.Join() }},
		{"Queue.Get", func() { q := NewQueue(); q.Put(1); q.Get() }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := &countingScheduler{}
			rt.SetScheduler(s)
			c.wait()
			rt.SetScheduler(nil)
			if s.blocking.Load() == 0 || s.blocking.Load() != s.released.Load() {
				t.Errorf("Blocking called %d times, released %d times", s.blocking.Load(), s.released.Load())
			}
		})
	}
}
