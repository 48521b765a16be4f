// Package rt is the small runtime that instrumented cell code calls into.
//
// The interpreter's cell preprocessor rewrites user code so that
//
//	for ... { body }        becomes  for ... { rt.Tick(); body }
//	func f() { body }       becomes  func f() { rt.Tick(); body }
//	go f(x)                 becomes  rt.GoStatement(func() { f(x) })   (arguments evaluated first)
//	time.Sleep(d)           resolves to rt.Sleep(d)
//
// and compiled helper packages (the concurrency models, the workloads) call
// the same functions. That one mechanism gives three things yaegi lacks:
//
//   - Interrupt: Cell.Interrupt makes every Tick and Sleep in the cell's
//     goroutines panic with Interrupted, which unwinds the cell like any panic
//     and leaves the interpreter's state intact (yaegi's own context
//     cancellation breaks every closure created before it).
//   - Scheduling: a Scheduler (the emulated GIL) is consulted at each Tick,
//     the places where CPython's eval loop checks its eval breaker, and around
//     blocking calls (Blocking, Sleep), where CPython releases the GIL.
//   - Goroutine ownership: Go records which cell started a goroutine, so its
//     output can be shown under that cell and its panics reported there
//     instead of killing the process. The table is keyed by goroutine id,
//     read from the runtime's goroutine record (GoID, goid.go), and costs a
//     map entry per goroutine: a cell that starts a million goroutines is
//     interrupted at the cost of waking each once (a go statement's
//     goroutine then ends with runtime.Goexit, see GoStatement), and the
//     memory of such a storm is given back once it is gone (Trims).
//
// Tick's fast path is one atomic load; everything else happens only while
// an interrupt or a scheduler request is pending.
package rt

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

// pending counts the reasons Tick must take its slow path: cells being
// interrupted that still have running goroutines, plus scheduler requests.
var pending atomic.Int32

// Tick is called at loop back-edges and function entries. It returns at once
// unless an interrupt or a scheduler request is pending.
func Tick() {
	if pending.Load() == 0 {
		return
	}
	slowTick()
}

func slowTick() {
	id := GoID()
	if g := ownerOf(id); g != nil && g.cell.Interrupted() {
		g.stop()
	}
	if s := currentScheduler(); s != nil {
		s.Checkpoint(id)
	}
}

// Interrupted is the panic value (and error) of code stopped by an interrupt.
type Interrupted struct{}

func (Interrupted) Error() string { return "interrupted" }

// A Scheduler decides which goroutine may run interpreted or instrumented
// code; the emulated GIL is one. Its methods receive the caller's goroutine
// id (GoID) so it need not compute it again.
type Scheduler interface {
	// Checkpoint is called from Tick while the scheduler has raised a
	// request (Raise), on whichever goroutine reaches a Tick. The GIL hands
	// the lock over here when the caller holds it and a drop was requested.
	Checkpoint(goid int64)
	// Blocking is called before a blocking operation (sleep, I/O, a wait);
	// the function it returns is called after it. The GIL releases the lock
	// and takes it back.
	Blocking(goid int64) (done func())
}

// A Sleeper is a Scheduler that sleeps some goroutines itself. The GIL's
// threads sleep in the kernel, precise to tens of microseconds, as
// CPython's time.sleep does: a Go timer wakes up to a millisecond late,
// so two threads that start the same sleep a tenth of a millisecond apart
// wake together, and whether they collide decides races such as the
// read-sleep-write one of lesson 5. Sleep reports whether it slept the
// goroutine (handled; false: not one of its own, sleep it as usual) and
// whether stop ended the sleep early.
type Sleeper interface {
	Sleep(goid int64, d time.Duration, stop <-chan struct{}) (handled, interrupted bool)
}

var sched atomic.Pointer[schedulerBox]

type schedulerBox struct{ s Scheduler }

func currentScheduler() Scheduler {
	if b := sched.Load(); b != nil {
		return b.s
	}
	return nil
}

// SetScheduler installs s (nil removes it) and returns the one it replaced.
// Requests the replaced scheduler raised and never lowered are dropped with
// it: a leaked Raise would leave every Tick on its slow path for good,
// slowing all later cells many times over.
func SetScheduler(s Scheduler) (previous Scheduler) {
	var nb *schedulerBox
	if s != nil {
		nb = &schedulerBox{s}
	}
	old := sched.Swap(nb)
	if n := raised.Swap(0); n > 0 {
		pending.Add(-n)
	}
	if old != nil {
		return old.s
	}
	return nil
}

// raised counts the Raises not yet lowered, the scheduler's share of pending.
var raised atomic.Int32

// Raise asks every Tick to take the slow path (and so call the scheduler's
// Checkpoint) until the matching Lower.
func Raise() {
	raised.Add(1)
	pending.Add(1)
}

// Lower undoes one Raise. Extra calls (after SetScheduler dropped the
// requests) do nothing.
func Lower() {
	for {
		n := raised.Load()
		if n <= 0 {
			return
		}
		if raised.CompareAndSwap(n, n-1) {
			pending.Add(-1)
			return
		}
	}
}

// Blocking tells the scheduler that the calling goroutine is about to block;
// call the returned function when it is done. Without a scheduler it costs
// nothing.
//
//	defer rt.Blocking()()
func Blocking() (done func()) {
	s := currentScheduler()
	if s == nil {
		return func() {}
	}
	return s.Blocking(GoID())
}

// Sleep pauses the calling goroutine for d, as time.Sleep does, but releases
// the scheduler meanwhile and wakes at once (panicking with Interrupted) when
// the goroutine's cell is interrupted.
func Sleep(d time.Duration) {
	id := GoID()
	g := ownerOf(id)
	var c *Cell
	if g != nil {
		c = g.cell
		if c.Interrupted() {
			g.stop()
		}
	}
	var done func()
	if s := currentScheduler(); s != nil {
		if sl, ok := s.(Sleeper); ok {
			var stop <-chan struct{}
			if c != nil {
				stop = c.doneFor(id)
			}
			if handled, interrupted := sl.Sleep(id, d, stop); handled {
				if interrupted {
					g.stop()
				}
				return
			}
		}
		done = s.Blocking(id)
	}
	interrupted := false
	if d > 0 {
		t := time.NewTimer(d)
		if c != nil {
			select {
			case <-t.C:
			case <-c.doneFor(id):
				t.Stop()
				interrupted = true
			}
		} else {
			<-t.C
		}
	}
	if done != nil {
		done()
	}
	if interrupted {
		g.stop()
	}
}

// A Cell is one execution of a notebook cell: the goroutine that runs it and
// every goroutine started from it (through Go) belong to it.
type Cell struct {
	ID    uint64
	Value any // owner data; the interpreter keeps the cell's Publisher here

	done        chan struct{}
	interrupted atomic.Bool
	live        atomic.Int64 // goroutines of this cell still running, the main one included
	raised      atomic.Bool  // whether this cell holds a pending count
	ended       atomic.Bool
	gid         int64 // the goroutine that began it
	// mainDone is closed just before done, for the cell's own goroutine:
	// its wait is readied first, so an interrupted cell replies at once even
	// when a million of its goroutines wake with it (they leave after).
	mainDone chan struct{}
	doneOnce sync.Once
}

var (
	nextCell atomic.Uint64
	owners   ownerTable
	lastCell atomic.Pointer[Cell]
	liveGo   atomic.Int64 // goroutines started with Go and still running
)

// LiveGoroutines reports how many goroutines started with Go are running.
func LiveGoroutines() int64 { return liveGo.Load() }

// BeginCell makes a cell owned by the calling goroutine. Call End when the
// cell's own code returns; goroutines it started stay attributed to it.
func BeginCell(value any) *Cell { return BeginCellOn(GoID(), value) }

// BeginCellOn is BeginCell for a caller that knows its goroutine id (GoID
// walks the stack, and a goroutine that runs cell after cell need not).
func BeginCellOn(gid int64, value any) *Cell {
	c := &Cell{ID: nextCell.Add(1), Value: value, done: make(chan struct{}), mainDone: make(chan struct{}), gid: gid}
	c.live.Store(1)
	owners.store(gid, &goroutine{cell: c})
	lastCell.Store(c)
	return c
}

// Goroutine returns the id of the goroutine that began the cell.
func (c *Cell) Goroutine() int64 { return c.gid }

// End marks the cell's main code as finished and releases the calling
// goroutine from it.
func (c *Cell) End() {
	if c.ended.Swap(true) {
		return
	}
	owners.delete(c.gid)
	c.exit()
}

// closeDone closes done, once.
func (c *Cell) closeDone() { c.doneOnce.Do(func() { close(c.done) }) }

func (c *Cell) exit() {
	if c.live.Add(-1) == 0 && c.raised.CompareAndSwap(true, false) {
		pending.Add(-1)
	}
}

// Interrupt stops the cell: every Tick and Sleep in its goroutines panics with
// Interrupted from now on, and Done is closed.
func (c *Cell) Interrupt() {
	if c.interrupted.Swap(true) {
		return
	}
	// The cell's own goroutine goes first: closing done readies every
	// goroutine waiting on it, and with a storm of them the cell's reply
	// would queue behind them all. The others follow mainFirst later, by
	// when the reply is out (waking them as soon as the cell's code ends
	// would still come before the reply is handed over).
	close(c.mainDone)
	if c.ended.Load() {
		c.closeDone()
	} else {
		time.AfterFunc(mainFirst, c.closeDone)
	}
	if c.live.Load() > 0 && !c.raised.Swap(true) {
		pending.Add(1)
		// The last goroutine may have exited between the two lines above.
		if c.live.Load() == 0 && c.raised.CompareAndSwap(true, false) {
			pending.Add(-1)
		}
	}
}

// Interrupted reports whether Interrupt was called.
func (c *Cell) Interrupted() bool { return c.interrupted.Load() }

// mainFirst is how long an interrupt lets the cell's own goroutine unwind and reply
// before it wakes the cell's other goroutines that wait.
const mainFirst = 100 * time.Millisecond

// Done is closed when the cell is interrupted. Blocking waits in compiled
// helpers select on it.
func (c *Cell) Done() <-chan struct{} { return c.doneFor(GoID()) }

// doneFor is Done for goroutine gid.
func (c *Cell) doneFor(gid int64) <-chan struct{} {
	if gid == c.gid {
		return c.mainDone
	}
	return c.done
}

// Running returns how many of the cell's goroutines are still running,
// counting the cell's own until End.
func (c *Cell) Running() int { return int(c.live.Load()) }

// Current returns the cell that owns the calling goroutine, or nil.
func Current() *Cell { return cellOf(GoID()) }

// Last returns the most recently begun cell, or nil. Output from goroutines
// no cell owns is shown there.
func Last() *Cell { return lastCell.Load() }

// Output returns the cell that output written by the calling goroutine
// belongs to: its owner, or Last when no cell owns it. It is Current for
// output routing, without Current's cost in the common case: while no
// goroutine started with Go is running, only a cell's own goroutine can be
// printing, and that is the latest cell. (GoID walks the whole stack, which
// is deep in interpreted code: printing 100,000 lines paid seconds for it.)
func Output() *Cell {
	if liveGo.Load() == 0 {
		return Last()
	}
	if c := Current(); c != nil {
		return c
	}
	return Last()
}

func cellOf(id int64) *Cell {
	if g := ownerOf(id); g != nil {
		return g.cell
	}
	return nil
}

// A goroutine is what the ownership table knows of one goroutine.
type goroutine struct {
	cell *Cell
	// statement: started by a go statement in a cell (GoStatement), so an
	// interrupt ends it with runtime.Goexit rather than a panic.
	statement bool
	origin    string      // where its go statement is ("In[4] line 2"), for GoAt
	started   time.Time   // when, for GoAt
	gone      atomic.Bool // it has exited (see ownerTable)
}

func ownerOf(id int64) *goroutine {
	if g := owners.load(id); g != nil && !g.gone.Load() {
		return g
	}
	return nil
}

// stop ends the calling goroutine's part in its interrupted cell.
func (g *goroutine) stop() {
	if g.statement {
		runtime.Goexit()
	}
	panic(Interrupted{})
}

// Stop ends the calling goroutine's part in an interrupted cell: a panic
// with Interrupted, or for a goroutine a go statement in the cell started,
// runtime.Goexit (see GoStatement). The cell preprocessor's interrupt
// cases call it.
func Stop() {
	if g := ownerOf(GoID()); g != nil {
		g.stop()
	}
	panic(Interrupted{})
}

// A Panic is a panic recovered by Go or Protect, with the goroutine's stack.
type Panic struct {
	Value any
	Stack []byte
}

func (p *Panic) Error() string { return fmt.Sprintf("panic: %v", p.Value) }

// PanicHandler receives panics recovered in goroutines started with Go; cell
// is the owning cell, or nil. The interpreter installs one that shows the
// panic as an error output under the cell.
var panicHandler atomic.Pointer[func(cell *Cell, p *Panic)]

// SetPanicHandler installs h for panics in goroutines started with Go.
func SetPanicHandler(h func(cell *Cell, p *Panic)) { panicHandler.Store(&h) }

// Go starts f on a new goroutine owned by the caller's cell. A panic in f is
// recovered and passed to the panic handler (an Interrupted panic is
// dropped quietly), so user code can never crash the process from a
// goroutine.
func Go(f func()) { start(f, false) }

// GoStatement is Go for the go statements of cells. An interrupt ends such
// a goroutine with runtime.Goexit instead of an Interrupted panic: its
// defers run as they would for a panic nobody recovers (cells cannot
// recover an interrupt anyway), but the interpreter does not record the
// unwinding frame by frame as it does a panic's. yaegi walks each
// function's whole tree for each frame a panic leaves; for a storm of a
// million goroutines that was most of the time the interrupt took.
// Compiled helpers use Go: they recover Interrupted to clean up after it.
func GoStatement(f func()) { start(f, true) }

func start(f func(), statement bool) { startAt(f, statement, "") }

// startAt is start for a goroutine whose go statement is at origin (or "").
// The goroutine's frames are few on purpose: an interrupt ends a storm of
// them with runtime.Goexit, which reads every frame of every stack, and
// that memory has gone cold by then.
func startAt(f func(), statement bool, origin string) {
	c := Current()
	if c != nil {
		c.live.Add(1)
	}
	if n := liveGo.Add(1); n > peakGo.Load() {
		peakGo.Store(n) // (a racing Store may keep a lower peak: it is a hint)
	}
	// The hook runs here, before the go statement returns: the debugger
	// gives the goroutine its thread while the file that starts it still
	// runs under it (a goroutine scheduled after the file ended ran
	// without breakpoints).
	var end func()
	if origin != "" {
		end = GoroutineStarted(f, "", origin)
	}
	go func() {
		// One frame and one defer for the whole goroutine (not Protect's
		// on top of this one's): see above.
		var id int64
		var g *goroutine
		if c != nil {
			id = GoID()
			g = &goroutine{cell: c, statement: statement, origin: origin}
			if origin != "" {
				g.started = time.Now()
			}
			owners.store(id, g)
		}
		defer func() {
			if end != nil {
				end()
			}
			if r := recover(); r != nil {
				if _, ok := r.(Interrupted); !ok {
					p := &Panic{Value: r, Stack: debug.Stack()}
					if h := panicHandler.Load(); h != nil {
						(*h)(c, p)
					} else {
						fmt.Printf("panic in goroutine: %v\n%s", p.Value, p.Stack)
					}
				}
			}
			if c != nil {
				owners.retire(g)
				if origin != "" {
					hints.Delete(id) // an At whose call did not wait
				}
				c.exit()
			}
			goroutineExited()
		}()
		f()
	}()
}

// stormSize is how many goroutines make a storm: once their number falls
// to a sixteenth of such a peak, the memory their stacks held goes back to
// the operating system at once, not over minutes (interpreted code needs
// deep stacks: some 20 KB a goroutine).
const stormSize = 10000

var peakGo atomic.Int64 // the most goroutines started with Go running at once, since the last trim

func goroutineExited() {
	n := liveGo.Add(-1)
	if p := peakGo.Load(); p >= stormSize && n <= p/16 && peakGo.CompareAndSwap(p, n) {
		// Once the storm has died down (no goroutine left, or none
		// exiting any more): the collection frees their stacks,
		// FreeOSMemory returns them.
		go func() {
			for prev := liveGo.Load(); prev > 0; {
				time.Sleep(20 * time.Millisecond)
				now := liveGo.Load()
				if now >= prev {
					break
				}
				prev = now
			}
			debug.FreeOSMemory()
			trims.Add(1)
		}()
	}
}

var trims atomic.Int64

// Trims reports how many times the memory of a storm of goroutines was
// given back to the operating system.
func Trims() int64 { return trims.Load() }

// Protect runs f and returns the panic it raised, if any, with its stack.
func Protect(f func()) (p *Panic) {
	defer func() {
		if r := recover(); r != nil {
			p = &Panic{Value: r}
			// An interrupt unwinds every goroutine of a cell at once,
			// maybe a million: its stacks are never shown, and walking
			// each one took most of the time to stop them.
			if _, ok := r.(Interrupted); !ok {
				p.Stack = debug.Stack()
			}
		}
	}()
	f()
	return nil
}
