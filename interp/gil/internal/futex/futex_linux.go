package futex

import (
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// Precise reports that waits use the kernel's timers (Linux).
const Precise = true

const (
	waitPrivate = 128 // FUTEX_WAIT | FUTEX_PRIVATE_FLAG
	wakePrivate = 129 // FUTEX_WAKE | FUTEX_PRIVATE_FLAG
)

// Wait blocks the calling OS thread while *addr == val, for at most d.
// syscall.Syscall6 tells the Go scheduler the thread is in a system call,
// so other goroutines keep their processors meanwhile. It may return
// early (a signal, a wake-up for another reason): callers loop.
func Wait(addr *atomic.Uint32, val uint32, d time.Duration) {
	ts := syscall.NsecToTimespec(int64(d))
	syscall.Syscall6(syscall.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), waitPrivate, uintptr(val),
		uintptr(unsafe.Pointer(&ts)), 0, 0)
}

// Wake wakes up to n threads waiting on addr.
func Wake(addr *atomic.Uint32, n int) {
	syscall.Syscall6(syscall.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), wakePrivate, uintptr(n), 0, 0, 0)
}
