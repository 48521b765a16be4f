//go:build !go1.23

package worker

import "os"

// setCrashOutput needs Go 1.23; without it a crash report larger than the
// stderr pipe (1 MiB) blocks the dying child until it is restarted.
func setCrashOutput(f *os.File) { f.Close() }
