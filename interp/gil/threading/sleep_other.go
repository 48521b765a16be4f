//go:build !linux

package threading

import "time"

// PreciseSleep sleeps d: on Linux in the kernel with a high-resolution
// timer, elsewhere with time.Sleep. It releases nothing: call it inside
// rt.Blocking.
func PreciseSleep(d time.Duration) { time.Sleep(d) }
