package threading

import (
	"errors"
	"sync"
	"time"

	"github.com/gokernel/gokernel/interp/gil/internal/futex"
	"github.com/gokernel/gokernel/interp/timeline"
)

// A Lock is threading.Lock: waiting for it releases the GIL. It also
// satisfies sync.Locker (Lock/Unlock), so workloads can take either kind.
// The zero value is unlocked. A waiter blocks its OS thread in the kernel
// and the releaser wakes it directly (package futex), as CPython's lock
// (a semaphore) does: who gets the lock first after a release, the woken
// waiter or the releaser coming back for it, is then decided as in CPython.
type Lock struct {
	l futex.Lock
}

// NewLock returns an unlocked lock.
func (r *Runtime) NewLock() *Lock { return &Lock{} }

// Acquire waits until the lock is free and takes it.
func (l *Lock) Acquire() {
	if l.l.TryAcquire() {
		return
	}
	wait(timeline.Blocked, func(stop <-chan struct{}) bool { return l.l.Acquire(stop) })
}

// TryAcquire takes the lock if it is free (acquire(blocking=False)).
func (l *Lock) TryAcquire() bool { return l.l.TryAcquire() }

// ErrUnlocked is the panic value of releasing a lock that is not held.
var ErrUnlocked = errors.New("threading: release unlocked lock")

// Release frees the lock; it panics with ErrUnlocked if it is not held.
func (l *Lock) Release() {
	if !l.l.Release() {
		panic(ErrUnlocked)
	}
}

// Locked reports whether the lock is held.
func (l *Lock) Locked() bool { return l.l.Locked() }

// String describes the lock ("<unlocked Lock>", as Python prints it).
func (l *Lock) String() string {
	if l.Locked() {
		return "<locked Lock>"
	}
	return "<unlocked Lock>"
}

// Lock is Acquire (sync.Locker).
func (l *Lock) Lock() { l.Acquire() }

// Unlock is Release (sync.Locker).
func (l *Lock) Unlock() { l.Release() }

// An Event is threading.Event: a flag threads can wait for.
type Event struct {
	mu  sync.Mutex
	set bool
	ch  chan struct{} // closed while set
}

// NewEvent returns an event that is not set.
func (r *Runtime) NewEvent() *Event { return &Event{ch: make(chan struct{})} }

// Set sets the flag and wakes every waiter.
func (e *Event) Set() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.set {
		e.set = true
		close(e.ch)
	}
}

// Clear resets the flag.
func (e *Event) Clear() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.set {
		e.set = false
		e.ch = make(chan struct{})
	}
}

// IsSet reports whether the flag is set.
func (e *Event) IsSet() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.set
}

// Wait waits until the flag is set.
func (e *Event) Wait() {
	e.mu.Lock()
	ch := e.ch
	e.mu.Unlock()
	waitChan(timeline.Blocked, ch)
}

// WaitTimeout waits at most d and reports whether the flag is set.
func (e *Event) WaitTimeout(d time.Duration) bool {
	e.mu.Lock()
	ch := e.ch
	e.mu.Unlock()
	timer := time.NewTimer(d)
	defer timer.Stop()
	wait(timeline.Blocked, func(stop <-chan struct{}) bool {
		select {
		case <-ch:
		case <-timer.C:
		case <-stop:
			return false
		}
		return true
	})
	return e.IsSet()
}

// A Queue is queue.Queue: a FIFO that threads put to and get from; a full
// (maxsize > 0) or empty queue blocks, releasing the GIL.
type Queue struct {
	mu      sync.Mutex
	items   []any
	max     int
	changed chan struct{} // closed and replaced on every Put and Get
}

// NewQueue returns an empty queue; maxsize <= 0 means unbounded.
func (r *Runtime) NewQueue(maxsize int) *Queue {
	return &Queue{max: maxsize, changed: make(chan struct{})}
}

func (q *Queue) notify() {
	close(q.changed)
	q.changed = make(chan struct{})
}

// Put appends v, waiting while the queue is full.
func (q *Queue) Put(v any) {
	for {
		q.mu.Lock()
		if q.max <= 0 || len(q.items) < q.max {
			q.items = append(q.items, v)
			q.notify()
			q.mu.Unlock()
			return
		}
		ch := q.changed
		q.mu.Unlock()
		waitChan(timeline.Blocked, ch)
	}
}

// Get removes and returns the oldest item, waiting while the queue is empty.
func (q *Queue) Get() any {
	for {
		if v, ok := q.TryGet(); ok {
			return v
		}
		q.mu.Lock()
		if len(q.items) > 0 {
			q.mu.Unlock()
			continue
		}
		ch := q.changed
		q.mu.Unlock()
		waitChan(timeline.Blocked, ch)
	}
}

// TryGet returns the oldest item if there is one (get_nowait).
func (q *Queue) TryGet() (any, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items) == 0 {
		return nil, false
	}
	v := q.items[0]
	q.items[0] = nil
	q.items = q.items[1:]
	q.notify()
	return v, true
}

// Len returns the number of items in the queue (qsize).
func (q *Queue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}
