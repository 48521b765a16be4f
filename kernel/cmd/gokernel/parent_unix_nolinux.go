//go:build unix && !linux

package main

import "os"

// armParentDeathSignal does nothing: only Linux has a parent-death signal.
// watchParent's poll notices the parent's exit within parentPoll.
func armParentDeathSignal(wake chan<- os.Signal) {}

// isAncestor reports whether pid is this process's parent: without /proc
// the chain above it is not cheap to read, so a launcher further up is not
// trusted (the parent check still sees our own parent exit).
func isAncestor(pid int) bool { return pid == os.Getppid() }
