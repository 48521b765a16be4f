package gil

import (
	"sync/atomic"
	"time"

	"github.com/gokernel/gokernel/interp/gil/internal/futex"
)

// A waiter is one thread's wait on gil_cond: the dropper signals it (the
// COND_SIGNAL of drop_gil), or its switch interval runs out.
//
// The timed wait is precise where the platform allows (package futex: a
// futex with a relative timeout, the kernel's high-resolution timer, as
// CPython's pthread_cond_timedwait is). A Go timer is not: the runtime's
// poller sleeps in whole milliseconds and a timer that fires must then
// wake the waiter's locked OS thread, so at a 5 ms interval the drop
// request came a median 6.9 ms after the holder took the lock (CPython:
// 5.1 ms) and a 0.5 ms interval gave 2.4 ms slices (CPython: 0.6 ms).
type waiter struct {
	word atomic.Uint32 // 1 once signalled (the futex word)
	ch   chan struct{} // closed once signalled, for the portable wait
}

func newWaiter() *waiter { return &waiter{ch: make(chan struct{})} }

// signal wakes the waiter. g.mu held, at most once per waiter.
func (w *waiter) signal() {
	w.word.Store(1)
	close(w.ch)
	futex.Wake(&w.word, 1)
}

// await waits until w is signalled, d passes (d < 0: never) or stop is
// closed, and reports which: signalled, timed out (neither true) or
// interrupted.
//
// The forced-switching wait of drop_gil uses it too: blocking the OS
// thread in the kernel, as CPython's condition variable does, hands the
// lock over with one wake-up, where parking a goroutine locked to its OS
// thread costs the Go scheduler a hand-off of its processor as well.
func (w *waiter) await(d time.Duration, stop <-chan struct{}) (signalled, interrupted bool) {
	if futex.Precise {
		forever := d < 0
		deadline := time.Now().Add(d)
		for {
			if w.word.Load() == 1 {
				return true, false
			}
			select {
			case <-stop:
				return false, true
			default:
			}
			rem := time.Until(deadline)
			if forever {
				rem = futex.MaxWait
			} else if rem <= 0 {
				return false, false
			}
			// an interrupt is seen within futex.MaxWait even with a long interval
			slice := min(rem, futex.MaxWait)
			futex.Wait(&w.word, 0, slice)
			if slice == futex.MaxWait && w.word.Load() == 0 && time.Until(deadline) > 0 {
				futex.Refresh() // a long wait: see futex.Refresh
			}
		}
	}
	var timeout <-chan time.Time
	if d >= 0 {
		timer := time.NewTimer(d)
		defer timer.Stop()
		timeout = timer.C
	}
	select {
	case <-w.ch:
		return true, false
	case <-timeout:
		return false, false
	case <-stop:
		return false, true
	}
}
