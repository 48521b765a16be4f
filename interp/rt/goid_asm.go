//go:build amd64 || arm64

package rt

import "unsafe"

// getg returns the runtime's g of the calling goroutine (goid_*.s).
func getg() unsafe.Pointer
