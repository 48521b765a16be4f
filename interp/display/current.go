package display

import (
	"sync/atomic"

	"github.com/gokernel/gokernel/kernel/mime"
)

var current atomic.Pointer[func() mime.Publisher]

// SetCurrent installs the function Current calls to find the publisher of
// the running cell. The interpreter calls it once, with a function that looks
// up the cell owning the calling goroutine; nil removes it.
func SetCurrent(f func() mime.Publisher) {
	if f == nil {
		current.Store(nil)
		return
	}
	current.Store(&f)
}

// Current returns the publisher of the running cell. It is never nil: with no
// cell (outside the kernel, in tests), it returns a publisher that drops
// everything and answers no input.
func Current() mime.Publisher {
	if f := current.Load(); f != nil {
		if p := (*f)(); p != nil {
			return p
		}
	}
	return nop{}
}

// nop is the Publisher of code running outside any cell.
type nop struct{}

func (nop) Stream(name, text string)         {}
func (nop) Display(b mime.Bundle, id string) {}
func (nop) Update(b mime.Bundle, id string)  {}
func (nop) Clear(wait bool)                  {}
func (nop) Input(prompt string, password bool) (string, error) {
	return "", mime.ErrNoStdin
}
