//go:build unix && !linux

package main

import "os"

// armParentDeathSignal does nothing: only Linux has a parent-death signal.
// watchParent's poll notices the parent's exit within parentPoll.
func armParentDeathSignal(wake chan<- os.Signal) {}
