package subprocess

import "syscall"

// sysProcAttr puts a worker in its own process group (so an interrupt of the
// parent's terminal does not reach it, and killing the group also ends what
// it started) and has the kernel kill it when its parent dies.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

func killGroup(pid int) { syscall.Kill(-pid, syscall.SIGKILL) }
