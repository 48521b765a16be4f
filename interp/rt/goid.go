package rt

import (
	"bytes"
	"runtime"
	"strconv"
	"unsafe"
)

// GoID returns the calling goroutine's id. Ownership is looked up by
// goroutine (Current, Sleep, each goroutine Go starts, output routing), so
// this is on the paths a storm of goroutines takes a million times.
//
// Go offers no API for it. The fast way reads the id from the runtime's
// goroutine record, at an offset found once at start-up by matching the id
// the stack trace prints (goidOffset); where that fails (another
// architecture, a runtime whose record does not match), the stack trace is
// parsed each time, which costs a walk of the whole stack: deep in
// interpreted code, tens of microseconds.
func GoID() int64 {
	if goidOff >= 0 {
		return *(*int64)(unsafe.Add(getg(), goidOff))
	}
	return stackGoID()
}

// goidOff is the offset of the id in the runtime's goroutine record, or -1.
var goidOff = goidOffset()

// goidOffset finds the one word of the goroutine record that holds the id
// the stack trace prints, in this goroutine and in another one (so the
// match is not a coincidence), or returns -1.
func goidOffset() int {
	const words = 48 // the id sits well inside the record's first 384 bytes
	g := getg()
	if g == nil {
		return -1
	}
	candidates := func(g unsafe.Pointer, id int64) map[int]bool {
		m := map[int]bool{}
		for i := 0; i < words; i++ {
			if *(*int64)(unsafe.Add(g, i*8)) == id {
				m[i*8] = true
			}
		}
		return m
	}
	here := candidates(g, stackGoID())
	ch := make(chan map[int]bool)
	go func() { ch <- candidates(getg(), stackGoID()) }()
	there := <-ch
	found := -1
	for off := range here {
		if there[off] {
			if found != -1 {
				return -1 // ambiguous
			}
			found = off
		}
	}
	return found
}

// stackGoID parses the first line of the goroutine's stack trace
// ("goroutine 42 [running]:").
func stackGoID() int64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	if i := bytes.IndexByte(b, ' '); i > 0 {
		b = b[:i]
	}
	id, _ := strconv.ParseInt(string(b), 10, 64)
	return id
}
