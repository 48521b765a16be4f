//go:build !linux

package futex

import (
	"sync/atomic"
	"time"
)

// Precise reports that waits use the kernel's timers (Linux only).
const Precise = false

// Wait polls *addr every 50 µs for at most d (no futex here).
func Wait(addr *atomic.Uint32, val uint32, d time.Duration) {
	end := time.Now().Add(d)
	for addr.Load() == val && time.Now().Before(end) {
		time.Sleep(50 * time.Microsecond)
	}
}

// Wake does nothing: waiters poll.
func Wake(addr *atomic.Uint32, n int) {}
