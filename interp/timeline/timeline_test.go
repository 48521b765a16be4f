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
