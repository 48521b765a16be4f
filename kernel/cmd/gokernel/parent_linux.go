package main

import (
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
)

// parentDeathSignal is what Linux sends us when our parent exits
// (prctl PR_SET_PDEATHSIG). Not SIGTERM: the kernel also gets the signal
// when the parent *thread* that started it exits while the parent process
// lives on (a launcher using a thread pool), so the signal only wakes
// watchParent, which then checks whether the parent process is really gone.
const parentDeathSignal = syscall.SIGUSR2

// armParentDeathSignal asks Linux to signal the kernel when its parent
// exits, and sends such signals to wake.
func armParentDeathSignal(wake chan<- os.Signal) {
	signal.Notify(wake, parentDeathSignal)
	// The setting survives exec but not fork, and concerns the calling
	// thread's process as a whole: any thread may make the call.
	if err := prctlPdeathsig(parentDeathSignal); err != nil {
		signal.Stop(wake) // polling still works
	}
}

func prctlPdeathsig(sig syscall.Signal) error {
	_, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_PDEATHSIG, uintptr(sig), 0)
	if errno != 0 {
		return errno
	}
	return nil
}

// isAncestor reports whether pid is an ancestor of this process, following
// parent ids in /proc.
func isAncestor(pid int) bool {
	p := os.Getppid()
	for i := 0; i < 1000 && p > 1; i++ { // bounded: /proc may change under us
		if p == pid {
			return true
		}
		b, err := os.ReadFile("/proc/" + strconv.Itoa(p) + "/stat")
		if err != nil {
			return false
		}
		s := string(b)
		j := strings.LastIndexByte(s, ')')
		if j < 0 {
			return false
		}
		f := strings.Fields(s[j+1:]) // state, ppid, ...
		if len(f) < 2 {
			return false
		}
		if p, err = strconv.Atoi(f[1]); err != nil {
			return false
		}
	}
	return false
}
