//go:build !(linux && (amd64 || arm64))

package mech

// getcpu cannot ask here: -1.
func getcpu() int { return -1 }
