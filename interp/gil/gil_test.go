package gil_test

import (
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gokernel/gokernel/interp/gil"
	"github.com/gokernel/gokernel/interp/gil/threading"
	"github.com/gokernel/gokernel/interp/rt"
	"github.com/gokernel/gokernel/interp/timeline"
	"github.com/gokernel/gokernel/interp/workloads"
)

// spin runs ticks until stop is set, counting them and checking that no
// other spinner of the same group runs at the same moment.
type group struct {
	inside, maxInside atomic.Int32
}

func (g *group) spin(d time.Duration, count *atomic.Int64) {
	end := time.Now().Add(d)
	for i := 0; time.Now().Before(end); i++ {
		rt.Tick()
		in := g.inside.Add(1)
		for {
			m := g.maxInside.Load()
			if in <= m || g.maxInside.CompareAndSwap(m, in) {
				break
			}
		}
		if count != nil {
			count.Add(1)
		}
		g.inside.Add(-1)
	}
}

func TestHandOverAfterDropRequest(t *testing.T) {
	for _, force := range []bool{true, false} {
		name := map[bool]string{true: "forced", false: "unforced"}[force]
		t.Run(name, func(t *testing.T) {
			g := gil.New(gil.Options{SwitchInterval: time.Millisecond, NoForceSwitching: !force})
			var grp group
			var a, b atomic.Int64
			t1 := g.Go("", func() { grp.spin(40*time.Millisecond, &a) })
			t2 := g.Go("", func() { grp.spin(40*time.Millisecond, &b) })
			g.JoinAll()
			st := g.Stats()
			if a.Load() == 0 || b.Load() == 0 {
				t.Fatalf("threads did not both run: %d and %d ticks", a.Load(), b.Load())
			}
			if m := grp.maxInside.Load(); m != 1 {
				t.Errorf("%d threads ran Python code at once under the GIL", m)
			}
			if st.DropRequests == 0 {
				t.Errorf("no drop request: %+v", st)
			}
			// Without forced switching the dropper, on its own OS thread,
			// often takes the lock straight back (why CPython forces the
			// switch); with it, each request ends in a switch.
			if force && st.Switches < 3 {
				t.Errorf("GIL never changed hands on request: %+v", st)
			}
			if force && st.ForcedSwitches == 0 {
				t.Errorf("forced switching never waited for the other thread: %+v", st)
			}
			if t1.Name() != "Thread-1" || t2.Name() != "Thread-2" {
				t.Errorf("names %q %q", t1.Name(), t2.Name())
			}
			rep := g.Report()
			if rep.Lane("Thread-1").WaitingGIL == 0 || rep.Lane("Thread-2").Running == 0 {
				t.Errorf("timeline lacks running/waiting spans: %+v", rep.Lanes)
			}
			if len(rep.Recorder.Events()) == 0 {
				t.Errorf("no drop-request events on the timeline")
			}
		})
	}
}

func TestForcedSwitchingHandsToTheWaiter(t *testing.T) {
	// With FORCE_SWITCHING every drop after a request ends with the other
	// thread holding the lock: count switches against forced drops.
	g := gil.New(gil.Options{SwitchInterval: time.Millisecond})
	var grp group
	g.Go("", func() { grp.spin(30*time.Millisecond, nil) })
	g.Go("", func() { grp.spin(30*time.Millisecond, nil) })
	g.JoinAll()
	st := g.Stats()
	if st.ForcedSwitches == 0 || st.Switches < st.ForcedSwitches {
		t.Errorf("a forced drop did not end in a switch: %+v", st)
	}
}

func TestReleaseOnBlockingCalls(t *testing.T) {
	// The spinner holds the GIL and never blocks; the other thread blocks
	// (sleep, or a call wrapped in rt.Blocking) until the spinner has made
	// progress, which it can only do if the blocking call released the GIL.
	// Without the release this would wait the full 10 s and fail.
	var progress atomic.Int64
	waitForProgress := func(block func(time.Duration)) bool {
		before := progress.Load()
		for range 1000 {
			block(10 * time.Millisecond)
			if progress.Load() > before {
				return true
			}
		}
		return false
	}
	block := map[string]func(time.Duration){
		"sleep":       func(d time.Duration) { rt.Sleep(d) },
		"rt.Blocking": func(d time.Duration) { done := rt.Blocking(); time.Sleep(d); done() },
	}
	kinds := map[string]string{"sleep": timeline.Sleeping, "rt.Blocking": timeline.IO}
	for name, f := range block {
		t.Run(name, func(t *testing.T) {
			g := gil.New(gil.Options{})
			var stop atomic.Bool
			var ran bool
			g.Go("spinner", func() {
				for !stop.Load() {
					rt.Tick()
					progress.Add(1)
				}
			})
			g.Go("blocker", func() {
				ran = waitForProgress(f)
				stop.Store(true)
			})
			g.JoinAll()
			if !ran {
				t.Fatal("the other thread did not run while the first was blocked")
			}
			l := g.Report().Lane("blocker")
			if got := map[string]time.Duration{timeline.Sleeping: l.Sleeping, timeline.IO: l.IO}[kinds[name]]; got == 0 {
				t.Errorf("no %s span on the blocker's lane: %+v", kinds[name], l)
			}
		})
	}
}

func TestSwitchInterval(t *testing.T) {
	g := gil.New(gil.Options{})
	if g.SwitchInterval() != 5*time.Millisecond {
		t.Errorf("default interval %v", g.SwitchInterval())
	}
	for _, bad := range []time.Duration{0, -time.Millisecond} {
		if err := g.SetSwitchInterval(bad); err == nil {
			t.Errorf("SetSwitchInterval(%v) gave no error", bad)
		}
	}
	// Threads spinning for the same time switch far more often with a
	// 0.5 ms interval than with a 50 ms one (a 100x difference, so no
	// timing luck decides it).
	var grp group
	switches := map[time.Duration]int{}
	for _, iv := range []time.Duration{500 * time.Microsecond, 50 * time.Millisecond} {
		g := gil.New(gil.Options{})
		if err := g.SetSwitchInterval(iv); err != nil {
			t.Fatal(err)
		}
		g.Go("", func() { grp.spin(30*time.Millisecond, nil) })
		g.Go("", func() { grp.spin(30*time.Millisecond, nil) })
		g.JoinAll()
		switches[iv] = g.Stats().DropRequests
	}
	if switches[500*time.Microsecond] <= switches[50*time.Millisecond] {
		t.Errorf("drop requests per interval: %v", switches)
	}
}

func TestLostUpdate(t *testing.T) {
	tests := []struct {
		name    string
		lock    bool
		between bool
		pause   bool
		want    int // final counter after 2 updates, -1: not checked
	}{
		{name: "sleep between read and write", pause: true, want: 1},
		{name: "sleep under a lock", pause: true, lock: true, want: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := gil.New(gil.Options{})
			var c workloads.Counter
			lock := g.NewLock()
			var l *threading.Lock
			if tc.lock {
				l = lock
			}
			pool := g.NewPool(2)
			for range 2 {
				pool.Submit(func() any {
					var locker interface {
						Lock()
						Unlock()
					}
					if l != nil {
						locker = l
					}
					workloads.UpdateCounter(nil, &c, func() { rt.Sleep(20 * time.Millisecond) }, locker)
					return nil
				})
			}
			pool.Shutdown()
			if got := c.Value(); got != tc.want {
				t.Errorf("final value %d, want %d", got, tc.want)
			}
		})
	}
}

func TestIncrementRace(t *testing.T) {
	// Lost increments happen only when a switch can fall between the read
	// and the write.
	for _, between := range []bool{false, true} {
		name := map[bool]string{false: "checkpoint only at the back-edge", true: "checkpoint between read and write"}[between]
		t.Run(name, func(t *testing.T) {
			g := gil.New(gil.Options{SwitchInterval: 200 * time.Microsecond})
			var c workloads.Counter
			n := 2000000
			g.Go("", func() { workloads.Increment(&c, n, between) })
			g.Go("", func() { workloads.Increment(&c, n, between) })
			g.JoinAll()
			lost := 2*n - c.Value()
			st := g.Stats()
			if !between && lost != 0 {
				t.Errorf("%d increments lost with no checkpoint inside the update", lost)
			}
			// Each switch lands between the read and the write about half
			// the time: a dozen switches make a loss all but certain.
			if between && st.Switches >= 12 && lost == 0 {
				t.Errorf("no increment lost across %d switches", st.Switches)
			}
			// A switch between the read and the write makes the first thread
			// write back a stale value, wiping out everything the other did
			// meanwhile: losses need switches, not one per switch.
			if lost > 0 && st.Switches < 2 {
				t.Errorf("%d increments lost without the GIL changing hands", lost)
			}
		})
	}
}

func TestPoolErrors(t *testing.T) {
	g := gil.New(gil.Options{})
	pool := g.NewPool(2)
	ok := pool.Submit(func() any { return 7 })
	bad := pool.Submit(func() any { panic("boom") })
	res, err := pool.MapN(5, func(i int) any { return i * i })
	if err != nil || len(res) != 5 || res[4] != 16 {
		t.Errorf("MapN = %v, %v", res, err)
	}
	if v, err := ok.Result(); v != 7 || err != nil {
		t.Errorf("ok = %v, %v", v, err)
	}
	_, err = bad.Result()
	var p *rt.Panic
	if !errors.As(err, &p) || p.Value != "boom" {
		t.Errorf("panicking task gave %v", err)
	}
	if _, err := pool.Map(func(x any) any { return x.(int) + 1 }, []any{1, "x"}); err == nil {
		t.Errorf("Map with a panicking item gave no error")
	}
	pool.Shutdown()
	if _, err := pool.Submit(func() any { return 1 }).Result(); !errors.Is(err, threading.ErrShutdown) {
		t.Errorf("submit after shutdown: %v", err)
	}
	if ws := pool.Workers(); len(ws) != 2 || ws[0].Name() != "ThreadPoolExecutor-0_0" {
		t.Errorf("workers %v", ws)
	}
}

func TestQueueEventJoin(t *testing.T) {
	g := gil.New(gil.Options{})
	q := g.NewQueue(2)
	ev := g.NewEvent()
	var got []int
	g.Run(func() {
		g.Go("producer", func() {
			for i := range 5 {
				q.Put(i)
			}
			ev.Wait()
			q.Put(-1)
		})
		cons := g.Go("consumer", func() {
			for {
				v := q.Get().(int)
				if v < 0 {
					return
				}
				got = append(got, v)
				if len(got) == 5 {
					ev.Set()
				}
			}
		})
		cons.Join()
	})
	if len(got) != 5 || got[0] != 0 || got[4] != 4 {
		t.Errorf("consumer got %v", got)
	}
	if g.Holder() != "" {
		t.Errorf("GIL still held by %q", g.Holder())
	}
}

func TestThreadPanicIsReported(t *testing.T) {
	g := gil.New(gil.Options{})
	th := g.Go("", func() { panic("in thread") })
	th.Join()
	var p *rt.Panic
	if !errors.As(th.Err(), &p) {
		t.Errorf("Err = %v", th.Err())
	}
	other := g.Go("", func() {})
	other.Join()
	if g.Holder() != "" {
		t.Errorf("GIL held after threads ended: %q", g.Holder())
	}
}

// TestInterruptStopsThreads: threads spinning, or waiting for a lock, a
// sleep, an event, a queue, a future or another thread, the MainThread
// waiting for an event, and JoinAll all end when their cell is
// interrupted, whether the interrupt comes before they wait or while they
// do.
func TestInterruptStopsThreads(t *testing.T) {
	for _, delay := range []time.Duration{0, 20 * time.Millisecond} {
		t.Run(fmt.Sprint("interrupt after ", delay), func(t *testing.T) {
			var ths []*threading.Thread
			var mainPanic, joinPanic *rt.Panic
			done := make(chan struct{})
			go func() {
				defer close(done)
				cell := rt.BeginCell(nil)
				defer cell.End()
				g := gil.New(gil.Options{})
				lock := g.NewLock()
				lock.Acquire()
				ev, q := g.NewEvent(), g.NewQueue(0)
				block := g.NewPool(1).Submit(func() any { ev.Wait(); return nil })
				ths = append(ths, g.Go("spin", func() {
					for {
						rt.Tick()
					}
				}))
				ths = append(ths, g.Go("lock", func() { lock.Acquire() }))
				ths = append(ths, g.Go("sleep", func() { rt.Sleep(time.Hour) }))
				ths = append(ths, g.Go("event", ev.Wait))
				ths = append(ths, g.Go("queue", func() { q.Get() }))
				ths = append(ths, g.Go("future", func() { block.Wait() }))
				first := ths[0]
				ths = append(ths, g.Go("join", first.Join))
				if delay == 0 {
					cell.Interrupt()
				} else {
					time.AfterFunc(delay, cell.Interrupt)
				}
				mainPanic = rt.Protect(func() { g.Run(ev.Wait) })
				joinPanic = rt.Protect(g.JoinAll) // the interrupted cell stops waiting too
			}()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("the MainThread or JoinAll still waits after the interrupt")
			}
			if mainPanic == nil {
				t.Error("the MainThread's wait was not interrupted")
			} else if _, ok := mainPanic.Value.(rt.Interrupted); !ok {
				t.Errorf("the MainThread ended with %v, want rt.Interrupted", mainPanic.Value)
			}
			if joinPanic == nil {
				t.Errorf("JoinAll in an interrupted cell did not stop")
			}
			for _, th := range ths {
				select {
				case <-th.Done():
				case <-time.After(10 * time.Second):
					t.Fatalf("thread %s still running after the interrupt", th.Name())
				}
			}
		})
	}
}

func TestMainThreadCompetes(t *testing.T) {
	// Inside Run the cell's goroutine is the MainThread and holds the GIL
	// like any thread: it and Thread-1 take turns.
	g := gil.New(gil.Options{SwitchInterval: time.Millisecond})
	var grp group
	var a, b atomic.Int64
	g.Run(func() {
		g.Go("", func() { grp.spin(20*time.Millisecond, &a) })
		grp.spin(20*time.Millisecond, &b)
	})
	if a.Load() == 0 || b.Load() == 0 || grp.maxInside.Load() != 1 || g.Stats().Switches < 3 {
		t.Errorf("ticks %d %d, max inside %d, %+v", a.Load(), b.Load(), grp.maxInside.Load(), g.Stats())
	}
	if rep := g.Report(); rep.Lane("MainThread").WaitingGIL == 0 {
		t.Errorf("MainThread never waited for the GIL: %+v", rep.Lanes)
	}
}

func TestSlicesAndConvoy(t *testing.T) {
	s := gil.Slices(time.Millisecond, 60*time.Millisecond)
	if len(s) < 2 {
		t.Fatalf("two CPU-bound threads for 60 ms at a 1 ms interval switched %d times", len(s))
	}
	for _, d := range s {
		if d <= 0 {
			t.Fatalf("a slice of %v", d)
		}
	}
	w := gil.ConvoyWaits(time.Millisecond, 200*time.Microsecond, 5)
	if len(w) != 5 {
		t.Fatalf("ConvoyWaits gave %d waits, want 5", len(w))
	}
	if gil.Median(nil) != 0 || gil.Median([]time.Duration{3, 1, 2}) != 2 {
		t.Error("Median")
	}
}

func TestString(t *testing.T) {
	g := gil.New(gil.Options{SwitchInterval: time.Millisecond})
	g.Go("a", func() { workloads.Countdown(1000) })
	g.JoinAll()
	s := g.String()
	for _, want := range []string{"GIL threads", "switch interval 1ms", "1 threads", "switches", "a: held the GIL"} {
		if !strings.Contains(s, want) {
			t.Errorf("String() = %q, want it to mention %q", s, want)
		}
	}
}

// TestWaitsHandOver runs the waits that hand control from one GIL thread
// to another (Event, Queue, Future, Start and Join) many times over: a
// wrong hand-over loses an item or a result, a lost wake-up hangs it.
func TestWaitsHandOver(t *testing.T) {
	g := gil.New(gil.Options{})
	const items = 2000
	var sum, results int
	g.Run(func() {
		q := g.NewQueue(1) // every Put waits for the Get before it
		g.Go("producer", func() {
			for i := 1; i <= items; i++ {
				q.Put(i)
			}
		})
		for range items {
			sum += q.Get().(int)
		}
		ping, pong := g.NewEvent(), g.NewEvent()
		g.Go("ponger", func() {
			for range 200 {
				ping.Wait()
				ping.Clear()
				pong.Set()
			}
		})
		for range 200 {
			ping.Set()
			pong.Wait()
			pong.Clear()
		}
		p := g.NewPool(2)
		var futs []*threading.Future
		for i := range 100 {
			futs = append(futs, p.Submit(func() any { return i }))
		}
		for _, f := range futs {
			v, err := f.Result()
			if err != nil {
				t.Error(err)
			}
			results += v.(int)
		}
	})
	if sum != items*(items+1)/2 || results != 99*100/2 {
		t.Errorf("sum %d, results %d", sum, results)
	}
}
