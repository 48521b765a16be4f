//go:build amd64 || arm64

package rt

import "unsafe"

// getg returns the running goroutine's runtime.g.
func getg() unsafe.Pointer
