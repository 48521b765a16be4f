// Package gil emulates CPython's Global Interpreter Lock, with the algorithm
// of CPython 3.11 (Python/ceval_gil.h), for threads written in Go:
//
//	g := gil.New(gil.Options{})          // switch interval 5 ms, forced switching
//	t1 := g.Thread("", func() { workloads.SumSquares(n) })
//	t2 := g.Thread("", func() { workloads.SumSquares(n) })
//	t1.Start(); t2.Start()               // Thread-1, Thread-2
//	g.JoinAll()                          // no faster than running both in turn
//	g.Report()                           // who held the GIL when
//
// or, with the cell's own code as the MainThread holding the GIL:
//
//	g.Run(func() {
//		g.Go("", work)
//		work()        // competes with Thread-1 for the GIL
//	})                // joins Thread-1 at the end
//
// The API (threads, Lock, Event, Queue, Pool/Future) is package threading's,
// shared with package goroutines; a *GIL is a threading.Model.
//
// # The algorithm
//
// One lock. A thread that wants it and finds it taken waits on it for one
// switch interval (SetSwitchInterval, sys.setswitchinterval; default 5 ms);
// if the interval passes and the holder has not changed meanwhile (the switch
// counter is the same), it sets the drop request. The holder sees the
// request at its next checkpoint (rt.Tick, which cell code calls at loop
// back-edges and function entries, as CPython's eval loop checks its eval
// breaker at backward jumps and calls), releases the lock and asks for it
// again. With forced switching (on, as in CPython) the dropper then waits
// until another thread has taken the lock, so it cannot take it straight
// back. Blocking calls (time.Sleep in a cell, which becomes rt.Sleep; I/O
// wrapped in rt.Blocking; waits on the package's Lock, Event, Queue, Future
// and Join) release the lock and take it back after, which is why a thread
// doing I/O lets the others run. Nothing here guarantees fairness or order
// beyond what CPython's does.
//
// Code that never reaches a checkpoint (a long compiled call) keeps the
// lock, as a C function holding the GIL does. Goroutines started inside a
// thread (a go statement) are not threads: they run outside the GIL.
//
// Each thread runs on an OS thread of its own (Options.GoroutineThreads
// turns that off), so that handing the lock over costs an operating-system
// wake-up, as it does in CPython.
//
// # Timing
//
// The waits block the OS thread in the kernel, as CPython's condition
// variables and mutex do (package internal/futex, on Linux): the timed
// wait of take_gil ends within tens of microseconds of the interval, and
// a thread woken by a drop takes the lock without a detour through the Go
// scheduler. With a Go timer and goroutine parking the drop request came
// a median 6.9 ms after the holder took the lock at a 5 ms interval
// (CPython: 5.1 ms), and a 0.5 ms interval gave 2.4 ms slices and 1.5 ms
// convoy waits (CPython: 0.6 and 0.8 ms). go run ./interp/fidelity and
// package mech measure both side by side (Slices, ConvoyWaits here).
//
// While such threads live, Go gets one processor more than GOMAXPROCS
// (package threading, procs.go): without it Go's runtime took the waiting
// thread's processor back at every hand-over and polled every 20 µs,
// which made two GIL threads 1.09–1.25 times as slow as serial where
// CPython's are 0.93–1.04; with it, 1.02–1.05.
package gil

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/gokernel/gokernel/interp/gil/internal/futex"
	"github.com/gokernel/gokernel/interp/gil/threading"
	"github.com/gokernel/gokernel/interp/rt"
	"github.com/gokernel/gokernel/interp/timeline"
)

// DefaultSwitchInterval is CPython's default (sys.getswitchinterval() == 0.005).
const DefaultSwitchInterval = 5 * time.Millisecond

// Options configures a GIL. The zero value is CPython's configuration.
type Options struct {
	// SwitchInterval is how long a waiting thread waits before asking the
	// holder to drop the lock; 0 means DefaultSwitchInterval.
	SwitchInterval time.Duration
	// NoForceSwitching turns off FORCE_SWITCHING (on in every CPython build
	// since 3.2): the dropper may then take the lock straight back.
	NoForceSwitching bool
	// Recorder receives the timeline; nil means a new one.
	Recorder *timeline.Recorder
	// Name is the model's name in reports; "" means "GIL threads".
	Name string
	// GoroutineThreads runs the threads as plain goroutines. By default each
	// runs on an OS thread of its own, as in CPython, so that hand-overs
	// pay the operating system's wake-up latency as CPython's do (on a busy
	// machine that is most of what two CPU-bound threads lose).
	GoroutineThreads bool
}

// A GIL is an emulated interpreter lock and the threads that run under it.
type GIL struct {
	*threading.Runtime

	interval atomic.Int64 // nanoseconds
	force    bool

	// mu is gil->mutex. Its waiters block their OS threads (a futex, as a
	// pthread mutex does): a waiter woken by a drop takes it right after
	// the dropper lets go, where a parked goroutine locked to its thread
	// would first need the Go scheduler to hand it a processor.
	mu           futex.Lock
	locked       bool
	holder       *threading.Thread
	lastHolder   *threading.Thread
	switchNumber uint64
	dropRequest  atomic.Bool // written under mu; read without it at checkpoints
	waiters      []*waiter
	nwaiting     int
	switched     *waiter // signalled and replaced whenever lastHolder changes

	stats Stats
}

// Stats counts what the GIL did.
type Stats struct {
	Switches       int // times the lock went to a different thread than its last holder
	DropRequests   int // drop requests set by waiting threads
	ForcedSwitches int // drops that waited for another thread to take the lock
	// Retakes counts drops on a drop request, with another thread waiting,
	// after which the dropper took the lock back before any other thread
	// had it: none with forced switching, by construction.
	Retakes      int
	Acquisitions int // takes of the lock, by any thread
}

var _ threading.Model = (*GIL)(nil)
var _ threading.Scheduler = (*GIL)(nil)

// New returns a GIL with no threads.
func New(o Options) *GIL {
	g := &GIL{force: !o.NoForceSwitching, switched: newWaiter()}
	iv := o.SwitchInterval
	if iv <= 0 {
		iv = DefaultSwitchInterval
	}
	g.interval.Store(int64(iv))
	name := o.Name
	if name == "" {
		name = "GIL threads"
	}
	g.Runtime = threading.New(name, g, o.Recorder)
	if !o.GoroutineThreads {
		g.SetOSThreads(true)
	}
	return g
}

// SetSwitchInterval sets the switch interval, as sys.setswitchinterval does;
// it takes effect at the next wait. A non-positive d is an error (Python
// raises ValueError).
func (g *GIL) SetSwitchInterval(d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("gil: switch interval must be strictly positive, got %v", d)
	}
	g.interval.Store(int64(d))
	return nil
}

// SwitchInterval returns the switch interval (sys.getswitchinterval).
func (g *GIL) SwitchInterval() time.Duration { return time.Duration(g.interval.Load()) }

// Stats returns the counters so far.
func (g *GIL) Stats() Stats {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.stats
}

// ResetCounters implements threading.CounterResetter: a new run counts
// from zero.
func (g *GIL) ResetCounters() {
	g.mu.Lock()
	g.stats = Stats{}
	g.mu.Unlock()
}

// Counters implements threading.Counterer, for reports.
func (g *GIL) Counters() map[string]int {
	s := g.Stats()
	return map[string]int{"GIL switches": s.Switches, "drop requests": s.DropRequests, "forced switches": s.ForcedSwitches,
		"retakes after a drop request": s.Retakes}
}

// Holder returns the name of the thread holding the lock, or "".
func (g *GIL) Holder() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.holder == nil {
		return ""
	}
	return g.holder.Name()
}

// Acquire implements threading.Scheduler: take_gil.
func (g *GIL) Acquire(t *threading.Thread) { g.take(t) }

// Release implements threading.Scheduler: drop_gil at thread exit.
func (g *GIL) Release(t *threading.Thread) { g.drop(t, "") }

// Checkpoint implements threading.Scheduler: the eval breaker. The holder
// drops the lock when a drop was requested and asks for it again.
func (g *GIL) Checkpoint(t *threading.Thread) {
	if !g.dropRequest.Load() {
		return
	}
	g.mu.Lock()
	mine, sw, waiting := g.holder == t, g.switchNumber, g.nwaiting > 0
	g.mu.Unlock()
	if !mine {
		return
	}
	g.drop(t, timeline.WaitingGIL)
	g.take(t)
	if waiting {
		g.mu.Lock()
		if g.switchNumber == sw { // nobody else held it in between
			g.stats.Retakes++
		}
		g.mu.Unlock()
	}
}

// Blocking implements threading.Scheduler: Py_BEGIN_ALLOW_THREADS around a
// blocking call.
func (g *GIL) Blocking(t *threading.Thread, kind string) (done func()) {
	g.mu.Lock()
	mine := g.holder == t
	g.mu.Unlock()
	if !mine {
		t.Lane().Enter(kind, "")
		return func() { t.Lane().Enter(timeline.Running, "") }
	}
	g.drop(t, kind)
	return func() { g.take(t) }
}

func stopOf(t *threading.Thread) <-chan struct{} {
	if c := t.Cell(); c != nil {
		return c.Done()
	}
	return nil
}

// take is take_gil: wait for the lock one interval at a time, asking the
// holder to drop it when an interval passes without a switch.
func (g *GIL) take(t *threading.Thread) {
	stop := stopOf(t)
	g.mu.Lock()
	if g.locked {
		t.Lane().Enter(timeline.WaitingGIL, "")
		g.nwaiting++
		for g.locked {
			saved := g.switchNumber
			w := newWaiter()
			g.waiters = append(g.waiters, w)
			g.mu.Unlock()
			_, interrupted := w.await(g.SwitchInterval(), stop)
			g.mu.Lock()
			// the drop's signal may arrive after the timeout: it wins, as in a condvar
			signalled := !g.removeWaiter(w)
			timedOut := !signalled && !interrupted
			if interrupted {
				g.nwaiting--
				if signalled {
					g.signalOne() // pass the wake-up on
				}
				g.wakeSwitch()
				g.mu.Unlock()
				panic(rt.Interrupted{})
			}
			if timedOut && g.locked && g.switchNumber == saved {
				g.setDropRequest(t)
			}
		}
		g.nwaiting--
	}
	g.locked = true
	g.holder = t
	g.stats.Acquisitions++
	if g.lastHolder != t {
		g.lastHolder = t
		g.switchNumber++
		g.stats.Switches++
		g.wakeSwitch()
	}
	if g.dropRequest.Load() {
		g.resetDropRequest()
	}
	g.mu.Unlock()
	t.Lane().Enter(timeline.Running, "")
}

// drop is drop_gil: release the lock, wake one waiter, and with forced
// switching wait until some other thread has taken it. kind is the state
// the thread enters ("" when it ends).
func (g *GIL) drop(t *threading.Thread, kind string) {
	g.mu.Lock()
	if g.holder != t {
		g.mu.Unlock()
		return
	}
	g.locked = false
	g.holder = nil
	g.lastHolder = t
	g.signalOne()
	if kind == "" {
		t.Lane().End()
	} else {
		t.Lane().Enter(kind, "")
	}
	if g.force && g.dropRequest.Load() && g.lastHolder == t && g.nwaiting > 0 {
		g.resetDropRequest()
		g.stats.ForcedSwitches++
		stop := stopOf(t)
	wait:
		for g.lastHolder == t && g.nwaiting > 0 {
			sw := g.switched
			g.mu.Unlock()
			_, interrupted := sw.await(-1, stop)
			g.mu.Lock()
			if interrupted {
				break wait // the interrupt unwinds the thread at its next checkpoint
			}
		}
	}
	if g.dropRequest.Load() && g.nwaiting == 0 {
		g.resetDropRequest() // nobody left to hand over to
	}
	g.mu.Unlock()
}

// signalOne wakes the longest waiter (COND_SIGNAL on gil_cond). g.mu held.
func (g *GIL) signalOne() {
	if len(g.waiters) > 0 {
		g.waiters[0].signal()
		g.waiters = g.waiters[1:]
	}
}

// removeWaiter takes w off the wait list and reports whether it was there
// (false: a drop signalled it). g.mu held.
func (g *GIL) removeWaiter(w *waiter) bool {
	for i, x := range g.waiters {
		if x == w {
			g.waiters = append(g.waiters[:i], g.waiters[i+1:]...)
			return true
		}
	}
	return false
}

// wakeSwitch wakes a forced-switching dropper (COND_SIGNAL on switch_cond).
// g.mu held.
func (g *GIL) wakeSwitch() {
	g.switched.signal()
	g.switched = newWaiter()
}

// setDropRequest is SET_GIL_DROP_REQUEST: rt.Raise makes every rt.Tick take
// its slow path, where the holder's Checkpoint sees the request. g.mu held.
func (g *GIL) setDropRequest(by *threading.Thread) {
	if g.dropRequest.Load() {
		return
	}
	g.dropRequest.Store(true)
	rt.Raise()
	g.stats.DropRequests++
	if g.holder != nil && g.holder.Lane() != nil {
		g.holder.Lane().Mark("drop request from " + by.Name())
	}
}

// resetDropRequest is RESET_GIL_DROP_REQUEST. g.mu held.
func (g *GIL) resetDropRequest() {
	if g.dropRequest.Load() {
		g.dropRequest.Store(false)
		rt.Lower()
	}
}

// String is the counters in a line.
func (s Stats) String() string {
	return fmt.Sprintf("%d switches, %d drop requests, %d forced switches, %d retakes, %d acquisitions", s.Switches, s.DropRequests, s.ForcedSwitches, s.Retakes, s.Acquisitions)
}
