//go:build go1.24

package interp

import (
	"os"
	"reflect"
	"sync"
	"time"
	"weak"

	"github.com/gokernel/gokernel/interp/rt"
)

// Pipes a cell makes end their reads and writes with an interrupt.
//
// os.Pipe in a cell is os.Pipe, and its ends are *os.File as in Go; they are
// also kept, weakly, in a registry. When a cell is interrupted, every live
// pipe end made by cells gets a deadline in the past, which wakes a Read or
// Write blocked on it (it returns os.ErrDeadlineExceeded, and the cell
// stops with Interrupted at its next checkpoint or when it ends). Before
// the next cell runs, once the interrupted cell's goroutines have ended (or
// after pipeWakeFor), the deadlines are cleared, so the pipes stay usable. The price, in that
// window: a read or write on such a pipe by another cell's goroutine also
// returns os.ErrDeadlineExceeded, and a deadline the cell set itself is
// cleared. (A pipe end whose Fd was called is in blocking mode, where
// deadlines do nothing; io.Pipe is not covered. Built with Go before 1.24,
// which has no weak pointers, os.Pipe is left as it is.)

func pipeExports() map[string]reflect.Value {
	return map[string]reflect.Value{"Pipe": reflect.ValueOf(cellPipe)}
}

var pipes struct {
	sync.Mutex
	ends []weak.Pointer[os.File]
}

func cellPipe() (r, w *os.File, err error) {
	r, w, err = os.Pipe()
	if err != nil {
		return r, w, err
	}
	pipes.Lock()
	live := pipes.ends[:0]
	for _, p := range pipes.ends {
		if p.Value() != nil {
			live = append(live, p)
		}
	}
	pipes.ends = append(live, weak.Make(r), weak.Make(w))
	pipes.Unlock()
	return r, w, nil
}

// pipeWakeFor bounds how long the pipes' deadlines stay in the past while
// goroutines of the interrupted cell still run.
const pipeWakeFor = 100 * time.Millisecond

// wakePipes wakes reads and writes blocked on cells' pipes for an
// interrupt of c (see above). The runner calls restore once the cell has
// returned, before the next cell can run: it clears the deadlines once c's
// other goroutines have ended too, or pipeWakeFor after the wake. (A woken
// call sees the deadline only once it runs again: clearing it at once
// could put it back to sleep.)
func wakePipes(c *rt.Cell) (restore func()) {
	pipes.Lock()
	var files []*os.File
	for _, p := range pipes.ends {
		if f := p.Value(); f != nil {
			files = append(files, f)
		}
	}
	pipes.Unlock()
	if len(files) == 0 {
		return func() {}
	}
	for _, f := range files {
		f.SetDeadline(time.Now()) // (fails on a closed end: nothing to wake)
	}
	until := time.Now().Add(pipeWakeFor)
	return func() {
		for c.Running() > 0 && time.Now().Before(until) {
			time.Sleep(5 * time.Millisecond)
		}
		for _, f := range files {
			f.SetDeadline(time.Time{})
		}
	}
}
