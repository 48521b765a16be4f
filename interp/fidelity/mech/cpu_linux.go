//go:build linux && (amd64 || arm64)

package mech

import (
	"syscall"
	"unsafe"
)

// getcpu returns the CPU the calling OS thread runs on (getcpu(2)), or -1.
func getcpu() int {
	var cpu, node uint32
	if _, _, e := syscall.RawSyscall(sysGetcpu, uintptr(unsafe.Pointer(&cpu)), uintptr(unsafe.Pointer(&node)), 0); e != 0 {
		return -1
	}
	return int(cpu)
}
