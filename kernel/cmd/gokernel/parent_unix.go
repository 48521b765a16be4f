//go:build unix

package main

import (
	"log"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

// The kernel must not outlive the Jupyter server (or other launcher) that
// started it: a kernel and its worker left running hold the notebook's
// memory for ever. ipykernel watches its parent the same way ("Parent
// appears to have exited, shutting down"). Two signs, checked every
// parentPoll:
//
//   - our parent process changed: the one that started us exited and we
//     were re-parented (to init or a subreaper);
//   - JPY_PARENT_PID, which jupyter_client sets to the launcher's pid, names
//     a process that no longer exists (this catches the launcher's death
//     when a wrapper script sits between it and us and lives on). Only if
//     that pid was one of our ancestors when we started: a kernel started
//     in a container or on another host gets a pid from elsewhere, which
//     must not read as "gone" (ipykernel likewise ignores a JPY_PARENT_PID
//     that is not its parent).
//
// On Linux the parent-death signal (parent_linux.go) wakes the check at
// once instead of at the next poll.

// parentPoll is how often the watcher looks; a second, as ipykernel.
const parentPoll = time.Second

// watchParent calls shutdown once when the process that started the kernel
// has gone. It returns at once; the watching goroutine lives as long as
// the process.
func watchParent(logger *log.Logger, shutdown func()) {
	ppid := os.Getppid()
	jpy := 0
	if v := os.Getenv("JPY_PARENT_PID"); v != "" {
		n, err := strconv.Atoi(v)
		switch {
		case err != nil || n <= 0:
			logger.Printf("JPY_PARENT_PID=%q is not a process id; watching the parent process only", v)
		case n != ppid && n > 1 && isAncestor(n):
			jpy = n
		}
	}
	if ppid <= 1 && jpy == 0 {
		return // started by init (a service manager, a container): nothing to watch
	}
	wake := make(chan os.Signal, 1)
	armParentDeathSignal(wake)
	gone := func() string {
		if ppid > 1 && os.Getppid() != ppid {
			return "parent process " + strconv.Itoa(ppid) + " exited"
		}
		if jpy > 0 && syscall.Kill(jpy, 0) == syscall.ESRCH {
			return "JPY_PARENT_PID " + strconv.Itoa(jpy) + " exited"
		}
		return ""
	}
	go func() {
		t := time.NewTicker(parentPoll)
		defer t.Stop()
		for {
			why := gone()
			if why != "" {
				// The launcher held the read end of our stderr, perhaps:
				// a write there must fail quietly, not kill us with
				// SIGPIPE before the worker is shut down.
				signal.Ignore(syscall.SIGPIPE)
				logger.Printf("%s: shutting down the kernel and its worker", why)
				shutdown()
				return
			}
			select {
			case <-t.C:
			case <-wake:
			}
		}
	}()
}
