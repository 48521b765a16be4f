//go:build !unix

package lesson

import (
	"os/exec"
	"time"
)

// ownGroup does nothing where process groups do not exist.
func ownGroup(cmd *exec.Cmd) {}

// killGroup kills the child itself.
func killGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = cmd.Process.Kill()
	}
}

// processCPU cannot be read here.
func processCPU() time.Duration { return -1 }
