// Package futex blocks OS threads the way CPython's locks and condition
// variables do, for the emulated GIL and its locks: a wait is a system
// call on the waiting thread, woken directly by the thread that releases,
// with the kernel's high-resolution timeout.
//
// Parking a goroutine instead (a channel, sync.Mutex) costs a thread of
// the GIL model two operating-system wake-ups per hand-over, because the
// goroutine is locked to its OS thread: the Go scheduler first wakes a
// spare thread to find the goroutine, which then hands its processor to
// the locked thread. And Go timers fire up to a millisecond late. Both
// changed who wins a race against a thread just woken, and made a 0.5 ms
// switch interval last 2.4 ms.
package futex

import (
	"runtime"
	"sync/atomic"
	"time"
)

// MaxWait bounds one wait, so that callers can notice an interrupt (a
// closed channel, which a futex cannot see) within it, and can Refresh.
const MaxWait = 4 * time.Millisecond

// Refresh yields to Go's scheduler (runtime.Gosched), so that the caller
// goes on as a freshly scheduled goroutine. A long wait calls it after
// each slice of MaxWait that passes without a wake-up.
//
// Go's monitor preempts a goroutine that has run on the same scheduling
// tick for 10 ms, and a goroutine locked to its OS thread that waits in
// the kernel (as every emulated thread does) never gets a new tick by
// itself. Waking from a wait longer than that, it was preempted within
// its first hundred microseconds or so, and the hand-over of its
// processor through another OS thread stalled it for 20–40 µs in whatever
// it did next, under the GIL: CPython's threads have no such stall. In
// the article's read–log–write race the stall fell between the read and
// the write often enough that the model lost 8–12 % of the updates where
// CPython lost 0–2 %. Refresh costs the same stall, but while the thread
// is waiting anyway, at most every MaxWait.
func Refresh() { runtime.Gosched() }

// A Lock is a mutex whose waiters block in the kernel. The zero value is
// unlocked.
type Lock struct {
	word    atomic.Uint32 // 0 free, 1 held
	waiters atomic.Int32
}

// TryAcquire takes the lock if it is free.
func (l *Lock) TryAcquire() bool { return l.word.CompareAndSwap(0, 1) }

// Acquire takes the lock, waiting for it; it gives up and returns false
// when stop is closed first.
func (l *Lock) Acquire(stop <-chan struct{}) bool {
	for !l.TryAcquire() {
		select {
		case <-stop:
			return false
		default:
		}
		l.waiters.Add(1)
		start := time.Now()
		Wait(&l.word, 1, MaxWait)
		l.waiters.Add(-1)
		if time.Since(start) >= MaxWait && l.Locked() {
			Refresh() // a long wait: see Refresh
		}
	}
	return true
}

// Release frees the lock and reports whether it was held.
func (l *Lock) Release() bool {
	if !l.word.CompareAndSwap(1, 0) {
		return false
	}
	if l.waiters.Load() > 0 {
		Wake(&l.word, 1)
	}
	return true
}

// Locked reports whether the lock is held.
func (l *Lock) Locked() bool { return l.word.Load() == 1 }

// Lock takes the lock, waiting as long as it takes (sync.Locker): a mutex
// whose waiter blocks its OS thread, as a pthread mutex does.
func (l *Lock) Lock() { l.Acquire(nil) }

// Unlock releases the lock (sync.Locker).
func (l *Lock) Unlock() {
	if !l.Release() {
		panic("futex: unlock of an unlocked lock")
	}
}
