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

// cpuMask is a sched_setaffinity mask for up to 1024 CPUs.
type cpuMask [16]uint64

func (m *cpuMask) has(cpu int) bool { return cpu >= 0 && cpu < 1024 && m[cpu/64]&(1<<(cpu%64)) != 0 }

func affinity(set bool, m *cpuMask) bool {
	nr := uintptr(syscall.SYS_SCHED_GETAFFINITY)
	if set {
		nr = syscall.SYS_SCHED_SETAFFINITY
	}
	_, _, e := syscall.RawSyscall(nr, 0, unsafe.Sizeof(*m), uintptr(unsafe.Pointer(m)))
	return e == 0
}

// pinOther pins the calling OS thread (the caller has it locked) to a CPU
// it may run on: cpu itself when other is false, else the first allowed
// CPU after it. It returns the CPU and a function that puts the thread's
// old affinity back, or -1 and a no-op when it cannot.
func pinOther(cpu int, other bool) (int, func()) {
	var old cpuMask
	if cpu < 0 || !affinity(false, &old) {
		return -1, func() {}
	}
	to := -1
	for i := 0; i < 1024 && to < 0; i++ {
		c := (cpu + i) % 1024
		if old.has(c) && (c != cpu) == other {
			to = c
		}
	}
	if to < 0 {
		return -1, func() {}
	}
	var m cpuMask
	m[to/64] = 1 << (to % 64)
	if !affinity(true, &m) {
		return -1, func() {}
	}
	return to, func() { affinity(true, &old) }
}
