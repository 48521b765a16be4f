package timeline_test

import (
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/gokernel/gokernel/interp/timeline"
)

func TestFakeClock(t *testing.T) {
	c := &timeline.FakeClock{}
	t0 := c.Now()
	c.Advance(3 * time.Second)
	if got := c.Now().Sub(t0); got != 3*time.Second {
		t.Errorf("after Advance(3s): %v", got)
	}
	s := &timeline.FakeClock{Step: time.Millisecond}
	a, b := s.Now(), s.Now()
	if b.Sub(a) != time.Millisecond {
		t.Errorf("Step: %v", b.Sub(a))
	}
}

func TestRecorder(t *testing.T) {
	clk := &timeline.FakeClock{}
	rec := timeline.NewWithClock(clk)
	rec.Lane("main")
	end := rec.BeginLabel("worker", timeline.Running, "task 1")
	clk.Advance(5 * time.Millisecond)
	end()
	rec.Mark("main", "join")
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ { // concurrent use, for -race
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec.Begin("pool", timeline.IO)()
		}()
	}
	wg.Wait()
	if got, want := rec.Lanes(), []string{"main", "worker", "pool"}; !reflect.DeepEqual(got, want) {
		t.Errorf("lanes %v, want %v", got, want)
	}
	sp := rec.Spans()
	if len(sp) != 5 || sp[len(sp)-1].Lane != "worker" && sp[0].Duration() != 5*time.Millisecond {
		t.Errorf("spans %+v", sp)
	}
	if tot := rec.Total()["worker"][timeline.Running]; tot != 5*time.Millisecond {
		t.Errorf("total %v", tot)
	}
	if ev := rec.Events(); len(ev) != 1 || ev[0].At != 5*time.Millisecond {
		t.Errorf("events %+v", ev)
	}
	var nilRec *timeline.Recorder
	nilRec.Begin("x", "y")() // a nil recorder records nothing and does not panic
	nilRec.Mark("x", "y")
}

// Reset starts a new run: earlier spans and events are gone, a span open
// across the reset keeps its later part, and times count from the reset.
func TestReset(t *testing.T) {
	clk := &timeline.FakeClock{}
	rec := timeline.NewWithClock(clk)
	rec.Title = "one run"
	rec.Begin("warm-up", timeline.Running)()
	clk.Advance(10 * time.Millisecond)
	rec.Mark("warm-up", "old")
	open := rec.Begin("main", timeline.Sleeping)
	clk.Advance(5 * time.Millisecond)
	rec.Reset()
	clk.Advance(2 * time.Millisecond)
	open()
	end := rec.Begin("worker", timeline.Running)
	clk.Advance(3 * time.Millisecond)
	end()
	want := []timeline.Span{
		{Lane: "main", Kind: timeline.Sleeping, Start: 0, End: 2 * time.Millisecond},
		{Lane: "worker", Kind: timeline.Running, Start: 2 * time.Millisecond, End: 5 * time.Millisecond},
	}
	if got := rec.Spans(); !reflect.DeepEqual(got, want) {
		t.Errorf("spans after Reset:\n got %+v\nwant %+v", got, want)
	}
	if n := len(rec.Events()); n != 0 {
		t.Errorf("%d events survived Reset", n)
	}
	if got := rec.Lanes(); !reflect.DeepEqual(got, []string{"main", "worker"}) {
		t.Errorf("lanes %v", got)
	}
	if rec.Title != "one run" {
		t.Errorf("title %q", rec.Title)
	}
}

func TestRecorderString(t *testing.T) {
	clk := &timeline.FakeClock{}
	rec := timeline.NewWithClock(clk)
	rec.Title = "two threads"
	end := rec.Begin("a", timeline.Running)
	clk.Advance(3 * time.Millisecond)
	end()
	if got, want := rec.String(), "two threads: 1 lanes, 1 spans, 0 events over 3ms"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}
