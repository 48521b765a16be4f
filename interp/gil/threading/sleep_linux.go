package threading

import (
	"syscall"
	"time"
)

// PreciseSleep blocks the calling OS thread for d in the kernel
// (nanosleep: a high-resolution timer with tens of microseconds of slack),
// as a blocking system call in CPython does. It releases nothing: Sleep is
// the blocking call that releases the GIL; call this inside rt.Blocking
// (a slow write, say).
func PreciseSleep(d time.Duration) {
	ts := syscall.NsecToTimespec(int64(d))
	for ts.Sec > 0 || ts.Nsec > 0 {
		var rem syscall.Timespec
		if err := syscall.Nanosleep(&ts, &rem); err != syscall.EINTR {
			return
		}
		ts = rem // a signal (Go's preemption) cut it short: sleep the rest
	}
}
