package rt

// A fast goroutine id.
//
// GoID parses the header of runtime.Stack, which walks the whole stack:
// in deep interpreted code (yaegi uses two Go frames per call) that is
// milliseconds, and the session asks for it once per line of a panic's
// trace, so unwinding a runaway recursion cost the square of its depth.
// fastGoID reads the id from the runtime's goroutine structure instead:
// getg (a few lines of assembly) gives its address, and the offset of the
// id in it is found at start-up by comparing with the slow way on two
// goroutines. When that fails (another architecture, a runtime whose
// layout hides the id) GoID stays the slow way.

import (
	"bytes"
	"runtime"
	"strconv"
	"unsafe"
)

// goidOffset is the offset of goid in runtime.g, or -1 if unknown.
var goidOffset = calibrateGoID()

// fastGoID returns the calling goroutine's id and true, or false if the
// fast way is not available.
func fastGoID() (int64, bool) {
	if goidOffset < 0 {
		return 0, false
	}
	return *(*int64)(unsafe.Add(getg(), goidOffset)), true
}

func slowGoID() int64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	if i := bytes.IndexByte(b, ' '); i > 0 {
		b = b[:i]
	}
	id, _ := strconv.ParseInt(string(b), 10, 64)
	return id
}

// calibrateGoID finds the offset of the id in runtime.g: the one offset,
// among the first words of the structure, that holds the id on this
// goroutine and on another one.
func calibrateGoID() int {
	const words = 48 // runtime.g is far larger; goid sits well inside this
	candidates := func() map[int]bool {
		g := getg()
		if g == nil {
			return nil
		}
		id := slowGoID()
		out := map[int]bool{}
		for off := 0; off < words*8; off += 8 {
			if *(*int64)(unsafe.Add(g, off)) == id {
				out[off] = true
			}
		}
		return out
	}
	here := candidates()
	ch := make(chan map[int]bool)
	go func() { ch <- candidates() }()
	there := <-ch
	found := -1
	for off := range here {
		if there[off] {
			if found >= 0 {
				return -1 // ambiguous
			}
			found = off
		}
	}
	return found
}
