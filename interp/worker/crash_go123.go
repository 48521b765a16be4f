//go:build go1.23

package worker

import (
	"os"
	"runtime/debug"
)

// setCrashOutput makes the runtime copy its crash report (the goroutine dump
// after "fatal error: ...") to f, a pipe the parent reads at once: its first
// byte tells the parent the child is dying, so the parent starts emptying the
// stdout and stderr pipes itself before a large dump fills them and blocks
// the dying process.
func setCrashOutput(f *os.File) {
	_ = debug.SetCrashOutput(f, debug.CrashOptions{})
	f.Close() // SetCrashOutput keeps its own copy
}
