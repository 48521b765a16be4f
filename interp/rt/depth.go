package rt

// Call depth.
//
// Go stops a program whose stack passes 1 GB with a fatal error nothing can
// recover, and yaegi needs many Go frames per interpreted call, so runaway
// recursion in a cell would take the whole kernel down, with every
// variable of the notebook, after seconds spent growing the stack. Enter,
// which the preprocessor puts at the entry of every interpreted function,
// bounds the depth instead: every checkEvery calls (counted over all
// goroutines, one atomic add) it counts the calling goroutine's frames,
// up to the limit, and panics with a *RecursionError past it.
//
// The limit is MaxDepth interpreted calls (default 10,000, about what
// Python allows by default times ten), set with $GOKERNEL_MAX_DEPTH or
// SetMaxDepth; it is checked in Go frames, goFramesPerCall per call, so
// it is approximate by a few percent and by up to checkEvery calls.

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// DefaultMaxDepth is the default bound on interpreted call depth.
const DefaultMaxDepth = 1000

// goFramesPerCall is how many Go frames yaegi v0.16.1 uses per
// interpreted call (measured by TestFramesPerCall).
const goFramesPerCall = 2

const checkEvery = 256

var (
	calls     atomic.Uint32
	maxFrames atomic.Int64
	frameBufs sync.Pool
)

func init() {
	d := DefaultMaxDepth
	if v, err := strconv.Atoi(os.Getenv("GOKERNEL_MAX_DEPTH")); err == nil && v > 0 {
		d = v
	}
	SetMaxDepth(d)
}

// SetMaxDepth sets the interpreted call depth past which a call fails with
// a *RecursionError, and returns the previous one.
func SetMaxDepth(n int) (previous int) {
	if n < 1 {
		n = 1
	}
	old := maxFrames.Swap(int64(n) * goFramesPerCall)
	return int(old / goFramesPerCall)
}

// MaxDepth returns the interpreted call depth limit.
func MaxDepth() int { return int(maxFrames.Load() / goFramesPerCall) }

// Enter is called at the entry of interpreted functions: it is Tick, plus
// the depth check every checkEvery calls.
func Enter() {
	if calls.Add(1)%checkEvery == 0 {
		checkDepth()
	}
	if pending.Load() == 0 {
		return
	}
	slowTick()
}

func checkDepth() {
	limit := int(maxFrames.Load())
	buf, _ := frameBufs.Get().(*[]uintptr)
	if buf == nil || len(*buf) < limit+1 {
		b := make([]uintptr, limit+1)
		buf = &b
	}
	n := runtime.Callers(3, (*buf)[:limit+1])
	frameBufs.Put(buf)
	if n > limit {
		panic(&RecursionError{Limit: limit / goFramesPerCall})
	}
}

// A RecursionError ends a call that went deeper than the limit.
type RecursionError struct {
	Limit int
	// Frame is the innermost call as the notebook shows it ("In[3] line
	// 1:22  in rec"), filled in by the session from the panic's trace.
	Frame string
}

func (e *RecursionError) Error() string {
	where := ""
	if pos, fn, ok := strings.Cut(e.Frame, "  in "); ok {
		where = " in " + fn + " (" + pos + ")"
	} else if e.Frame != "" {
		where = " at " + e.Frame
	}
	return fmt.Sprintf("maximum call depth exceeded%s (about %d nested calls; runaway recursion?). "+
		"The limit is $GOKERNEL_MAX_DEPTH or goleak.SetMaxDepth", where, e.Limit)
}

// Kind names the error for the notebook, as Python's RecursionError.
func (e *RecursionError) Kind() string { return "RecursionError" }
