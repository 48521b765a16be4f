//go:build !linux

package interp

import "os/exec"

// leadGroup leaves cmd as it is: the interrupt kills the process itself.
func leadGroup(cmd *exec.Cmd) {}
