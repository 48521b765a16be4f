package threading

import (
	"runtime"
	"sync"
)

// A spare processor while threads run on OS threads of their own.
//
// A thread waiting for the GIL (or a lock, or a sleep) waits in a system
// call, as CPython's do. Go's runtime then sees a processor (a P) held by
// a thread in a system call and, with no idle one left (GOMAXPROCS is the
// number of cores, and the GIL's holder has the other), its monitor takes
// it back after 20 µs and starts polling every 20 µs again: some 7,500
// wake-ups a second while two threads hand the GIL over every 5 ms, which
// preempted the running thread hundreds of times a run and made two GIL
// threads take 1.09–1.10 times as long as the same work done serially,
// where CPython's take 1.00–1.03. With one processor more than
// GOMAXPROCS while such threads live, the monitor leaves the waiting
// thread's processor alone: 1.02–1.03 (median of 12 interleaved pairs,
// two 100 ms SumSquares calls). The extra processor changes nothing else:
// there are no more cores, and the GIL lets one thread run at a time.
//
// runtime.GOMAXPROCS(0) reads one more than before while GIL threads live;
// a GOMAXPROCS set meanwhile is kept (the old value is put back only if
// nobody changed it).

var spare struct {
	sync.Mutex
	threads int // live threads on OS threads of their own
	base    int // GOMAXPROCS before the first of them
}

// osThreadBegins notes a thread that runs on an OS thread of its own.
func osThreadBegins() {
	spare.Lock()
	defer spare.Unlock()
	spare.threads++
	if spare.threads == 1 {
		spare.base = runtime.GOMAXPROCS(0)
		runtime.GOMAXPROCS(spare.base + 1)
	}
}

// osThreadEnds notes the end of such a thread.
func osThreadEnds() {
	spare.Lock()
	defer spare.Unlock()
	spare.threads--
	if spare.threads == 0 && runtime.GOMAXPROCS(0) == spare.base+1 {
		runtime.GOMAXPROCS(spare.base)
	}
}
