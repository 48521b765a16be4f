package residency

import (
	"runtime/debug"
	"sync"
	"time"
)

// An IdleTrimmer returns the process's free heap memory to the operating
// system once the process has been idle for a while.
//
// Go returns freed heap pages lazily, and a heap grows to at least 4 MiB
// before its first collection: after a burst of requests a kernel kept
// some 3 MiB more RSS than it needed (the worker as much again), for as
// long as it sat idle. Busy is called at each request; when no call has
// come for the idle period, one collection runs and the free pages go back
// (debug.FreeOSMemory). A burst of work never pays for it, and an idle
// kernel costs one collection per burst.
type IdleTrimmer struct {
	after time.Duration
	mu    sync.Mutex
	timer *time.Timer
	busy  bool // a request came since the timer was armed
	trims int
}

// NewIdleTrimmer returns a trimmer that trims after the given idle period.
func NewIdleTrimmer(after time.Duration) *IdleTrimmer {
	return &IdleTrimmer{after: after}
}

// Busy notes activity: the trim waits for a full idle period after it.
func (t *IdleTrimmer) Busy() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.timer == nil {
		t.timer = time.AfterFunc(t.after, t.fire)
		return
	}
	t.busy = true // the timer re-arms itself rather than being reset on every request
}

func (t *IdleTrimmer) fire() {
	t.mu.Lock()
	if t.busy {
		t.busy = false
		t.timer.Reset(t.after)
		t.mu.Unlock()
		return
	}
	t.timer = nil
	t.trims++
	t.mu.Unlock()
	debug.FreeOSMemory()
}

// Trims reports how many times the trimmer has returned memory.
func (t *IdleTrimmer) Trims() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.trims
}
