package threading

import (
	"time"

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
// calling cell ends the sleep within 10 ms (it unwinds with rt.Interrupted).
func Sleep(d time.Duration) {
	wait(timeline.Sleeping, func(stop <-chan struct{}) bool { return sleepFor(d, stop) })
}

// sleepFor sleeps d in the kernel, in slices of at most 10 ms so that a
// closed stop ends it within one; it reports whether it slept the whole d.
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
		PreciseSleep(min(rem, 10*time.Millisecond))
	}
}
