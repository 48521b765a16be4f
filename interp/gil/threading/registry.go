package threading

import (
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/gokernel/gokernel/interp/rt"
	"github.com/gokernel/gokernel/interp/timeline"
)

// The registry maps goroutine ids to the emulated threads running on them,
// for every Runtime at once. rt has a single Scheduler slot, so one router
// is installed there while any thread is alive, and it forwards each call to
// the Scheduler of the calling goroutine's Runtime (a GIL, or none). Calls
// from goroutines that are not threads (the cell itself, event-loop tasks,
// other packages' goroutines) do nothing.
var (
	threads sync.Map // int64 goroutine id -> *Thread

	regMu     sync.Mutex
	live      int
	installed bool
	previous  rt.Scheduler
)

func register(goid int64, t *Thread) {
	threads.Store(goid, t)
	regMu.Lock()
	defer regMu.Unlock()
	live++
	if !installed {
		previous = rt.SetScheduler(router{})
		installed = true
	}
}

func unregister(goid int64) {
	threads.Delete(goid)
	regMu.Lock()
	defer regMu.Unlock()
	live--
	if live == 0 && installed {
		rt.SetScheduler(previous)
		previous, installed = nil, false
	}
}

func lookup(goid int64) *Thread {
	if v, ok := threads.Load(goid); ok {
		return v.(*Thread)
	}
	return nil
}

// Current returns the emulated thread running on the calling goroutine, or
// nil when the caller is not one (the cell's own goroutine outside Run, an
// event-loop task, a plain goroutine).
func Current() *Thread { return lookup(rt.GoID()) }

// CurrentName returns the calling thread's name, as Python's
// threading.current_thread().name: "MainThread" when the caller is not an
// emulated thread (a cell, and the event loop, run on the main thread).
func CurrentName() string {
	if t := Current(); t != nil {
		return t.name
	}
	return "MainThread"
}

type router struct{}

func (router) Checkpoint(goid int64) {
	if t := lookup(goid); t != nil && t.r.sched != nil {
		t.r.sched.Checkpoint(t)
	}
}

func (router) Blocking(goid int64) (done func()) {
	t := lookup(goid)
	if t == nil {
		return func() {}
	}
	return t.block(blockingKind())
}

// Sleep sleeps an emulated thread as Sleep does (rt.Sleeper): a cell's
// time.Sleep on a thread is then as precise as CPython's time.sleep.
func (router) Sleep(goid int64, d time.Duration, stop <-chan struct{}) (handled, interrupted bool) {
	t := lookup(goid)
	if t == nil {
		return false, false
	}
	done := t.block(timeline.Sleeping)
	defer done()
	return true, !sleepFor(d, stop)
}

// blockingKind tells a sleep from other blocking calls: rt.Sleep and
// rt.Blocking both end in Scheduler.Blocking, and only the stack says which
// one called it. It costs a microsecond, on a path that is about to block.
func blockingKind() string {
	var pcs [6]uintptr
	n := runtime.Callers(3, pcs[:])
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		if strings.HasSuffix(f.Function, "/interp/rt.Sleep") {
			return timeline.Sleeping
		}
		if strings.HasSuffix(f.Function, "/interp/rt.gilBlocked") { // a channel, lock or wait group (rt/wait.go)
			return timeline.Blocked
		}
		if strings.HasSuffix(f.Function, "/interp/rt.Blocking") || !more {
			return timeline.IO
		}
	}
}
