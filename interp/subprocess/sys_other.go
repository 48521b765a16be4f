//go:build !linux

package subprocess

import "syscall"

// sysProcAttr: without Pdeathsig, a worker notices its parent's death when
// the pipe from the parent reaches end of file.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

func killGroup(pid int) { syscall.Kill(-pid, syscall.SIGKILL) }
