// Package sync holds the look-alikes of sync.Mutex, RWMutex, WaitGroup and
// Cond that cells get when they import "sync": same names, same methods,
// usable zero values, and a cell's code changes in nothing. Unlike the
// standard ones, their waits
//
//   - end with an interrupt (rt.Interrupted), so `mu.Lock(); mu.Lock()`
//     no longer wedges a notebook;
//   - are registered with package rt, so a deadlock is reported with what
//     each goroutine waits on, and goleak shows blocked goroutines;
//   - release the emulated GIL while they wait, as CPython's lock
//     acquisitions release the GIL.
//
// The package is named sync so that %T prints sync.Mutex. Uncontended
// calls cost a channel operation (Mutex) or a short critical section
// (the others), not a registry lookup.
package sync

import (
	gosync "sync"
	"sync/atomic"

	"github.com/gokernel/gokernel/interp/rt"
)

// A Locker is the standard sync.Locker.
type Locker = gosync.Locker

// A Mutex is a mutual exclusion lock, like sync.Mutex. Its zero value is
// an unlocked mutex.
type Mutex struct {
	sem atomic.Pointer[chan struct{}] // a one-slot semaphore, made on first use
}

func (m *Mutex) ch() chan struct{} {
	if p := m.sem.Load(); p != nil {
		return *p
	}
	c := make(chan struct{}, 1)
	if m.sem.CompareAndSwap(nil, &c) {
		return c
	}
	return *m.sem.Load()
}

// Lock locks m, waiting (interruptibly) while another goroutine holds it.
func (m *Mutex) Lock() {
	s := m.ch()
	select {
	case s <- struct{}{}:
		return
	default:
	}
	w := rt.BeginWait("Lock of a sync.Mutex another goroutine holds")
	defer w.End()
	select {
	case s <- struct{}{}:
	case <-w.Stop():
		w.Stopped()
	}
}

// TryLock locks m if it is free and reports whether it did.
func (m *Mutex) TryLock() bool {
	select {
	case m.ch() <- struct{}{}:
		return true
	default:
		return false
	}
}

// Unlock unlocks m. Unlocking an unlocked mutex panics (the standard one
// stops the program), except while an interrupt unwinds the goroutine: a
// deferred Unlock after an interrupted Cond.Wait must not hide the
// interrupt.
func (m *Mutex) Unlock() {
	select {
	case <-m.ch():
	default:
		if !rt.Unwinding() {
			panic("sync: unlock of unlocked mutex")
		}
	}
}

// state is a small monitor: a mutex for the fields of a lock or a group,
// and a channel closed at every change, which waiters wait on.
type state struct {
	mu      gosync.Mutex
	changed chan struct{}
}

// wake tells the waiters that the state changed. Call with mu held.
func (s *state) wake() {
	if s.changed != nil {
		close(s.changed)
		s.changed = nil
	}
}

// until waits until try (called with mu held) reports true.
func (s *state) until(what string, try func() bool) {
	s.mu.Lock()
	if try() {
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	w := rt.BeginWait(what)
	defer w.End()
	for {
		s.mu.Lock()
		if try() {
			s.mu.Unlock()
			return
		}
		if s.changed == nil {
			s.changed = make(chan struct{})
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-w.Stop():
			w.Stopped()
		}
	}
}

// An RWMutex is a reader/writer mutual exclusion lock, like sync.RWMutex:
// any number of readers or one writer. A blocked Lock call keeps new
// readers out, as in Go. Its zero value is an unlocked mutex.
type RWMutex struct {
	st      state
	writer  bool
	readers int
	writers int // Lock calls waiting
}

// Lock locks rw for writing.
func (rw *RWMutex) Lock() {
	queued := false
	rw.st.until("Lock of a sync.RWMutex others hold", func() bool {
		if !rw.writer && rw.readers == 0 {
			rw.writer = true
			if queued {
				rw.writers--
			}
			return true
		}
		if !queued {
			queued = true
			rw.writers++
		}
		return false
	})
}

// RLock locks rw for reading.
func (rw *RWMutex) RLock() {
	rw.st.until("RLock of a sync.RWMutex a writer holds or waits for", func() bool {
		if !rw.writer && rw.writers == 0 {
			rw.readers++
			return true
		}
		return false
	})
}

// TryLock locks rw for writing if it is free, and reports whether it did.
func (rw *RWMutex) TryLock() bool {
	rw.st.mu.Lock()
	defer rw.st.mu.Unlock()
	if rw.writer || rw.readers > 0 {
		return false
	}
	rw.writer = true
	return true
}

// TryRLock locks rw for reading if no writer holds or waits for it.
func (rw *RWMutex) TryRLock() bool {
	rw.st.mu.Lock()
	defer rw.st.mu.Unlock()
	if rw.writer || rw.writers > 0 {
		return false
	}
	rw.readers++
	return true
}

// Unlock unlocks rw for writing.
func (rw *RWMutex) Unlock() {
	rw.st.mu.Lock()
	defer rw.st.mu.Unlock()
	if !rw.writer {
		if rt.Unwinding() {
			return
		}
		panic("sync: Unlock of unlocked RWMutex")
	}
	rw.writer = false
	rw.st.wake()
}

// RUnlock undoes one RLock.
func (rw *RWMutex) RUnlock() {
	rw.st.mu.Lock()
	defer rw.st.mu.Unlock()
	if rw.readers == 0 {
		if rt.Unwinding() {
			return
		}
		panic("sync: RUnlock of unlocked RWMutex")
	}
	rw.readers--
	if rw.readers == 0 {
		rw.st.wake()
	}
}

// RLocker returns a Locker whose Lock and Unlock are rw's RLock and RUnlock.
func (rw *RWMutex) RLocker() Locker { return rlocker{rw} }

type rlocker struct{ rw *RWMutex }

func (r rlocker) Lock()   { r.rw.RLock() }
func (r rlocker) Unlock() { r.rw.RUnlock() }

// A WaitGroup waits for a collection of goroutines to finish, like
// sync.WaitGroup. Its zero value is an empty group.
type WaitGroup struct {
	st state
	n  int
}

// Add adds delta, which may be negative, to the counter.
func (wg *WaitGroup) Add(delta int) {
	wg.st.mu.Lock()
	defer wg.st.mu.Unlock()
	wg.n += delta
	if wg.n < 0 {
		wg.n = 0
		panic("sync: negative WaitGroup counter")
	}
	if wg.n == 0 {
		wg.st.wake()
	}
}

// Done decrements the counter by one.
func (wg *WaitGroup) Done() { wg.Add(-1) }

// Wait waits (interruptibly) until the counter is zero.
func (wg *WaitGroup) Wait() {
	wg.st.until("Wait on a sync.WaitGroup whose counter is not zero", func() bool { return wg.n == 0 })
}

// Go calls f on a new goroutine of the cell and adds that task to the
// group (sync.WaitGroup.Go, Go 1.25).
func (wg *WaitGroup) Go(f func()) {
	wg.Add(1)
	rt.Go(func() {
		defer wg.Done()
		f()
	})
}

// A Cond is a condition variable, like sync.Cond: L is held while
// checking the condition and around Wait.
type Cond struct {
	L Locker

	mu      gosync.Mutex
	waiters []chan struct{}
}

// NewCond returns a Cond with Locker l.
func NewCond(l Locker) *Cond { return &Cond{L: l} }

// Wait unlocks c.L, waits (interruptibly) for Signal or Broadcast, and
// locks c.L again before returning. An interrupt ends it without taking
// c.L back.
func (c *Cond) Wait() {
	t := make(chan struct{})
	c.mu.Lock()
	c.waiters = append(c.waiters, t)
	c.mu.Unlock()
	c.L.Unlock()
	select {
	case <-t:
	default:
		w := rt.BeginWait("Wait on a sync.Cond no one signals")
		select {
		case <-t:
			w.End()
		case <-w.Stop():
			c.forget(t)
			w.Stopped()
		}
	}
	c.L.Lock()
}

func (c *Cond) forget(t chan struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, x := range c.waiters {
		if x == t {
			c.waiters = append(c.waiters[:i], c.waiters[i+1:]...)
			return
		}
	}
}

// Signal wakes one goroutine waiting on c, if there is any.
func (c *Cond) Signal() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.waiters) > 0 {
		close(c.waiters[0])
		c.waiters = c.waiters[1:]
	}
}

// Broadcast wakes all goroutines waiting on c.
func (c *Cond) Broadcast() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, t := range c.waiters {
		close(t)
	}
	c.waiters = nil
}
