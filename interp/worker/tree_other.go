//go:build !linux

package worker

import "os"

// Without PR_SET_CHILD_SUBREAPER and /proc, the process group is what
// identifies the processes cells started: one that left it (setsid,
// setpgid) is not found.

func becomeSubreaper()       {}
func killTree(p *os.Process) { killGroup(p) }

// EndDescendants does nothing here: the kernel kills the interpreter's
// process group when the interpreter ends.
func EndDescendants() {}
