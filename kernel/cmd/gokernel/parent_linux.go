package main

import (
	"os"
	"os/signal"
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
