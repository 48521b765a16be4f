package interp

import (
	"os/exec"
	"syscall"
)

// leadGroup starts cmd in a process group of its own and makes the
// interrupt kill the whole group. A cell that sets SysProcAttr itself
// replaces this.
func leadGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		if cmd.Process == nil {
			return nil
		}
		if cmd.SysProcAttr != nil && cmd.SysProcAttr.Setpgid {
			return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		}
		return cmd.Process.Kill()
	}
}
