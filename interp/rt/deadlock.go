package rt

// Goroutine origins, leaks and deadlocks.
//
// The preprocessor turns `go f(x)` into GoAt("In[4] line 2", ...), so each
// goroutine a cell starts is known with the place that started it. With the
// wait table (wait.go) that gives, without any cost on the fast paths:
//
//   - the leak note: goroutines still alive when their cell ends;
//   - goleak's table of live goroutines and what each waits on;
//   - deadlock detection: when the running cell's own goroutine and every
//     goroutine started with Go are blocked in registered waits, none of
//     them on a timer and no timer pending, and nothing changes for
//     the time SetDeadlockAfter sets, no goroutine can ever wake another (goroutines blocked
//     in I/O or compiled code are not registered, so they count as
//     running: the check errs on the side of silence). The cell then ends
//     with a *Deadlock error listing every wait, as Go's runtime reports
//     "all goroutines are asleep - deadlock!" for a whole program.

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// deadlockAfter is how long every goroutine must stay blocked before the
// deadlock is reported: $GOKERNEL_DEADLOCK_AFTER (a Go duration), 1s by
// default; 0 turns detection off.
var deadlockAfter atomic.Int64

func init() { deadlockAfter.Store(int64(envDuration("GOKERNEL_DEADLOCK_AFTER", time.Second))) }

// SetDeadlockAfter sets how long every goroutine must stay blocked before
// a deadlock is reported (0 turns detection off) and returns the previous
// setting.
func SetDeadlockAfter(d time.Duration) time.Duration {
	return time.Duration(deadlockAfter.Swap(int64(max(d, 0))))
}

func envDuration(name string, def time.Duration) time.Duration {
	if v := os.Getenv(name); v != "" {
		if d, err := time.ParseDuration(v); err == nil && d >= 0 {
			return d
		}
	}
	return def
}

// GoAt is GoStatement for a go statement at origin ("In[4] line 2"): the
// goroutine is listed with its origin while it lives. Its record is the
// ownership table's (no second table: a storm of a million goroutines
// pays for every map operation twice over, when they start and when an
// interrupt ends them all).
func GoAt(origin string, f func()) { startAt(f, true, origin) }

// goroutineHook is told of the goroutines cells start (SetGoroutineHook).
var goroutineHook atomic.Pointer[func(fn any, thread, origin string) func()]

// SetGoroutineHook installs h, which GoroutineStarted calls. The
// interpreter's debugger installs one to give each goroutine a cell starts
// a thread of its own.
func SetGoroutineHook(h func(fn any, thread, origin string) (end func())) { goroutineHook.Store(&h) }

// GoroutineStarted tells the goroutine hook, if any, that a goroutine
// started by a cell is about to run fn: thread is its GIL-model thread
// name, or ""; origin where its go statement is ("In[4] line 2"), or "".
// The goroutine calls the returned func, if not nil, when fn returns. It
// is called before the code that starts the goroutine goes on (by that
// code for a go statement, before a GIL thread's Start returns), so that
// the hook sees the goroutine start while that code's file still runs.
func GoroutineStarted(fn any, thread, origin string) (end func()) {
	if h := goroutineHook.Load(); h != nil {
		return (*h)(fn, thread, origin)
	}
	return nil
}

// A GoroutineInfo describes a live goroutine started by cell code.
type GoroutineInfo struct {
	ID      int64
	Cell    *Cell
	Origin  string // where its go statement is: "In[4] line 2"
	Started time.Time
	Wait    string // what it waits on ("In[4] line 5: receive on ch"), or "" if it runs
}

// Goroutines lists the live goroutines started by go statements in cells,
// in the order they were started.
func Goroutines() []GoroutineInfo {
	var out []GoroutineInfo
	owners.each(func(id int64, g *goroutine) {
		if g.origin != "" {
			out = append(out, GoroutineInfo{ID: id, Cell: g.cell, Origin: g.origin, Started: g.started})
		}
	})
	for i := range out {
		out[i].Wait = waitOf(out[i].ID)
	}
	// Goroutine ids grow in the order the go statements ran.
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// CellGoroutines lists the live goroutines c started.
func CellGoroutines(c *Cell) []GoroutineInfo {
	var out []GoroutineInfo
	for _, g := range Goroutines() {
		if g.Cell == c {
			out = append(out, g)
		}
	}
	return out
}

// StopGoroutines stops the goroutines that ended cells started (their next
// checkpoint or wait panics with Interrupted, which ends them quietly) and
// returns how many there were. The running cell is left alone.
func StopGoroutines() int {
	cells := map[*Cell]bool{}
	n := 0
	for _, g := range Goroutines() {
		if g.Cell != nil && g.Cell.ended.Load() {
			cells[g.Cell] = true
			n++
		}
	}
	for c := range cells {
		c.Interrupt()
	}
	return n
}

// LeakNote returns the line shown under a cell that ended while goroutines
// it started still run ("" if none, or if the cell was interrupted, which
// stops them), after giving them grace to finish:
//
//	2 goroutines started by this cell are still running (In[4] line 3 ×2); goleak.List() shows them, goleak.StopAll() stops them
func LeakNote(c *Cell, grace time.Duration) string {
	deadline := time.Now().Add(grace)
	others := func() int { // the cell's goroutines but its own
		n := c.Running()
		if !c.ended.Load() {
			n--
		}
		return n
	}
	for others() > 0 && time.Now().Before(deadline) {
		if c.Interrupted() {
			return ""
		}
		time.Sleep(grace / 10)
	}
	n := others()
	if n <= 0 || c.Interrupted() {
		return ""
	}
	live := CellGoroutines(c)
	count := map[string]int{}
	var order []string
	waiting := 0
	for _, g := range live {
		if count[g.Origin] == 0 {
			order = append(order, g.Origin)
		}
		count[g.Origin]++
		if g.Wait != "" {
			waiting++
		}
	}
	if n > len(live) { // started by compiled code (rt.Go), not a go statement
		order = append(order, "compiled code")
		count["compiled code"] = n - len(live)
	}
	var where []string
	for _, o := range order {
		if count[o] > 1 {
			where = append(where, fmt.Sprintf("%s ×%d", o, count[o]))
		} else {
			where = append(where, o)
		}
	}
	subject := "1 goroutine started by this cell is still running"
	if n > 1 {
		subject = fmt.Sprintf("%d goroutines started by this cell are still running", n)
	}
	state := ""
	switch {
	case waiting == n && n == 1:
		state = ", blocked"
	case waiting == n:
		state = ", all blocked"
	case waiting > 0:
		state = fmt.Sprintf(", %d blocked", waiting)
	}
	return fmt.Sprintf("%s (%s%s); goleak.List() shows them, goleak.StopAll() stops them", subject, strings.Join(where, ", "), state)
}

// A Deadlock is the error of a cell stopped because every goroutine was
// blocked for good.
type Deadlock struct {
	Cell  *Cell
	Waits []Wait
	text  string
}

func (d *Deadlock) Error() string { return d.text }

// Kind names the error for the notebook ("Deadlock", where other panics
// show "panic").
func (d *Deadlock) Kind() string { return "Deadlock" }

var (
	deadlocks sync.Map // *Cell -> *Deadlock
	watched   sync.Map // *Cell -> struct{}: a watcher runs
)

func deadlockOf(c *Cell) *Deadlock {
	if d, ok := deadlocks.Load(c); ok {
		return d.(*Deadlock)
	}
	return nil
}

// watchDeadlock starts, if none runs, the goroutine that checks c for a
// deadlock while c's own goroutine is blocked.
func watchDeadlock(c *Cell) {
	after := time.Duration(deadlockAfter.Load())
	if after <= 0 {
		return
	}
	if _, running := watched.LoadOrStore(c, struct{}{}); running {
		return
	}
	go func() {
		defer watched.Delete(c)
		step := after / 4
		var gen uint64
		var since time.Time
		for {
			time.Sleep(step)
			if c.ended.Load() || c.Interrupted() {
				return
			}
			g, stuck, mainWaits := deadlockState(c)
			if !mainWaits {
				return // waitDeadlock runs again at the next wait
			}
			switch {
			case !stuck:
				since = time.Time{}
			case since.IsZero() || g != gen:
				since, gen = time.Now(), g
			case time.Since(since) >= after:
				d := newDeadlock(c)
				deadlocks.Store(c, d)
				c.Interrupt()
				return
			}
		}
	}()
}

// deadlockState reports the wait table's generation, whether every
// goroutine that could wake another is blocked, and whether c's own
// goroutine waits.
func deadlockState(c *Cell) (gen uint64, stuck, mainWaits bool) {
	waitMu.Lock()
	defer waitMu.Unlock()
	gen = waitGen
	mw := waiting[c.gid]
	mainWaits = mw != nil
	if mw == nil || mw.timer || pendingTimers.Load() > 0 {
		return gen, false, mainWaits
	}
	blocked := int64(0)
	for _, w := range waiting {
		if w.timer {
			return gen, false, mainWaits
		}
		if w.cell != nil && w.gid != c.gid {
			blocked++
		}
	}
	return gen, blocked == liveGo.Load(), mainWaits
}

func newDeadlock(c *Cell) *Deadlock {
	waits := Waits()
	origins := map[int64]string{}
	owners.each(func(id int64, g *goroutine) {
		if g.origin != "" {
			origins[id] = g.origin
		}
	})
	var b strings.Builder
	b.WriteString("all goroutines are asleep - deadlock!\n\n")
	b.WriteString("Every goroutine is blocked waiting for another one, so none can ever go on:\n")
	type row struct{ who, what string }
	var rows []row
	width := 0
	for _, w := range waits {
		who := fmt.Sprintf("goroutine %d", w.Goroutine)
		switch {
		case w.Goroutine == c.gid:
			who = "the cell"
		case origins[w.Goroutine] != "":
			who = "goroutine started at " + origins[w.Goroutine]
		}
		if w.Goroutine == c.gid {
			rows = append([]row{{who, w.What}}, rows...)
		} else {
			rows = append(rows, row{who, w.What})
		}
		if len(who) > width {
			width = len(who)
		}
	}
	for _, r := range rows {
		fmt.Fprintf(&b, "  %-*s  waits at %s\n", width, r.who, r.what)
	}
	b.WriteString("\nThe cell was stopped, with the goroutines it started; everything defined before it is kept.")
	return &Deadlock{Cell: c, Waits: waits, text: b.String()}
}
