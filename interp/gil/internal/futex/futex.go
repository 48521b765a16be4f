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
	"sync/atomic"
	"time"
)

// MaxWait bounds one wait, so that callers can notice an interrupt (a
// closed channel, which a futex cannot see) within it.
const MaxWait = 10 * time.Millisecond

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
		Wait(&l.word, 1, MaxWait)
		l.waiters.Add(-1)
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
