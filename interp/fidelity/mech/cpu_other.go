//go:build !(linux && (amd64 || arm64))

package mech

// getcpu cannot ask here: -1.
func getcpu() int { return -1 }

// pinOther cannot pin here: -1.
func pinOther(cpu int, other bool) (int, func()) { return -1, func() {} }
