package yaegiframe

import (
	"os"
	"syscall"
	"unsafe"
)

// mapped reports whether the n bytes at p are in mapped memory: learning
// a closure's layout looks at words that may be integers, and reads
// through one only when it points at mapped memory (mincore fails with
// ENOMEM on an unmapped page).
func mapped(p unsafe.Pointer, n uintptr) bool {
	page := uintptr(os.Getpagesize())
	start := uintptr(p) &^ (page - 1)
	end := (uintptr(p) + n + page - 1) &^ (page - 1)
	var vec [16]byte
	if (end-start)/page > uintptr(len(vec)) {
		return false
	}
	_, _, errno := syscall.Syscall(syscall.SYS_MINCORE, start, end-start, uintptr(unsafe.Pointer(&vec[0])))
	return errno == 0
}
