package threading

import (
	"time"

	"github.com/gokernel/gokernel/interp/gil/internal/futex"
	"github.com/gokernel/gokernel/interp/timeline"
)

// Sleep is time.sleep for emulated threads: a blocking call (the GIL is
// released meanwhile) that lasts d to within tens of microseconds, as
// CPython's clock_nanosleep does. rt.Sleep (a cell's time.Sleep) waits on
// a Go timer, which the runtime's poller rounds up to as much as a
// millisecond; two threads that sleep the same time a tenth of a
// millisecond apart then wake together, where in CPython they wake a
// tenth of a millisecond apart (which decides, for one, whether the
// article's read-sleep-write race loses an update). An interrupt of the
// calling cell ends the sleep within 4 ms (it unwinds with rt.Interrupted).
func Sleep(d time.Duration) {
	wait(timeline.Sleeping, func(stop <-chan struct{}) bool { return sleepFor(d, stop) })
}

// sleepFor sleeps d in the kernel, in slices of at most 4 ms so that a
// closed stop ends it within one; it reports whether it slept the whole d.
//
// Between slices, and once more a millisecond before the end, the thread
// yields to Go's scheduler, so that it wakes as a freshly scheduled
// goroutine: futex.Refresh says why. (A thread that woke from a 20 ms sleep
// was otherwise preempted soon after, under the GIL.)
func sleepFor(d time.Duration, stop <-chan struct{}) bool {
	deadline := time.Now().Add(d)
	for {
		select {
		case <-stop:
			return false
		default:
		}
		rem := time.Until(deadline)
		if rem <= 0 {
			return true
		}
		if rem <= freshLead {
			PreciseSleep(rem)
			continue
		}
		PreciseSleep(min(rem-freshLead, sleepSlice))
		futex.Refresh()
	}
}

const (
	sleepSlice = futex.MaxWait    // well under the monitor's 10 ms
	freshLead  = time.Millisecond // the last yield comes this long before the end
)
