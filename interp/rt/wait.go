package rt

// Blocking operations of cell code.
//
// The cell preprocessor rewrites every channel operation a cell writes so
// that it goes through this file when it would block:
//
//	v := <-ch                 v := <-ǂrv(ch, "In[4] line 3: receive on ch")
//	x, ok := <-ch, f(<-ch)    the same, wherever the receive stands
//	ch <- v                   { ǂc := ch; ǂb := ǂsb(ǂc); ǂb <- v; ǂ.Send(ǂc, ǂb, "...") }
//	for v := range ch {       for v, ǂok := <-ǂrv(ch, ...); ǂok; v, ǂok = <-ǂrv(ch, ...) {
//	select { cases }          select { cases; case <-ǂ.SelectWait("..."): ǂ.StopWait() }
//
// where ǂrv and ǂsb are generic prelude functions around Recv and SendBox.
// The trick that keeps every type as written: Recv receives the value
// itself (through reflect, so it can also wait for an interrupt) and hands
// it back inside a one-element channel of the same type as ch, which the
// interpreted `<-` then empties at once. A send goes the other way: the
// interpreted code puts its value into an empty channel of ch's type
// (yaegi converts untyped constants as for any send), and Send moves it.
//
// A wait that cannot finish at once (the slow path) is registered in a
// table (goroutine -> what and where, for the deadlock report and
// goleak), releases the scheduler (the emulated GIL) as CPython releases
// the GIL in a blocking call, and ends with Interrupted when the cell is
// interrupted. The fast path costs a reflect call and no lookup.

import (
	"reflect"
	"sort"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// A waiter is one goroutine blocked in a registered wait.
type waiter struct {
	gid   int64
	cell  *Cell
	what  string    // "In[4] line 3: receive on ch"
	since time.Time // when the wait began
	timer bool      // it waits on a timer channel: time will wake it
	done  func()    // gives the scheduler back
}

var (
	waitMu  sync.Mutex
	waiting = map[int64]*waiter{}
	waitGen uint64 // bumped on every change of waiting, under waitMu
)

// block registers the calling goroutine as waiting on what and releases the
// scheduler. It panics with Interrupted (or the cell's deadlock report) if
// the cell is already stopped. It returns the channel to select on beside
// the operation: closed when the goroutine must stop.
func block(what string, timer bool) (w *waiter, stop <-chan struct{}) {
	gid := GoID()
	c := cellOf(gid)
	if c != nil && c.Interrupted() {
		stopWith(stopValue(c, gid), gid)
	}
	w = &waiter{gid: gid, cell: c, what: what, since: time.Now(), timer: timer}
	waitMu.Lock()
	waiting[gid] = w
	waitGen++
	waitMu.Unlock()
	if c != nil && gid == c.gid {
		watchDeadlock(c)
	}
	if s := currentScheduler(); s != nil {
		w.done = gilBlocked(s, gid)
	}
	if c == nil {
		return w, nil
	}
	return w, c.doneFor(gid)
}

// gilBlocked is its own function so that the threading package can tell
// from the stack that a thread is blocked (on a channel, a lock), not
// sleeping or doing I/O, and draw it so on the timeline.
//
//go:noinline
func gilBlocked(s Scheduler, gid int64) func() { return s.Blocking(gid) }

// unblock ends w's wait and takes the scheduler back.
func unblock(w *waiter) {
	waitMu.Lock()
	if waiting[w.gid] == w {
		delete(waiting, w.gid)
	}
	waitGen++
	waitMu.Unlock()
	if w.done != nil {
		w.done()
	}
}

// stopped ends w's wait and panics as an interrupted wait does.
func stopped(w *waiter) {
	unblock(w)
	stopWith(stopValue(w.cell, w.gid), w.gid)
}

// stopWith ends the goroutine gid's wait with v: a deadlock report is
// panicked; an interrupt ends it as Stop does (runtime.Goexit for the
// goroutines of go statements, see GoStatement).
func stopWith(v any, gid int64) {
	if _, ok := v.(Interrupted); ok {
		if g := ownerOf(gid); g != nil {
			g.stop()
		}
	}
	panic(v)
}

// stopValue is the panic that ends a stopped wait: the deadlock report for
// the cell's own goroutine when a deadlock stopped the cell, Interrupted
// otherwise.
func stopValue(c *Cell, gid int64) any {
	if c != nil && gid == c.gid {
		if d := deadlockOf(c); d != nil {
			return d
		}
	}
	return Interrupted{}
}

// Recv receives from ch (any channel value) as `<-ch` does, waiting
// interruptibly, and returns a channel of ch's own type from which one
// receive gives what ch gave: the value, or the zero value and !ok if ch
// was closed.
func Recv(ch any, what string) any {
	v := reflect.ValueOf(ch)
	if v.Kind() != reflect.Chan {
		panic("rt.Recv: not a channel: " + v.Kind().String())
	}
	x, ok := v.TryRecv()
	if !ok && !x.IsValid() {
		x, ok = recvSlow(v, what)
	}
	return boxed(v.Type(), x, ok)
}

func recvSlow(v reflect.Value, what string) (reflect.Value, bool) {
	w, stop := block(what, isTimerChan(v))
	defer unblock(w)
	cases := []reflect.SelectCase{{Dir: reflect.SelectRecv, Chan: v}}
	if stop != nil {
		cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(stop)})
	}
	if v.IsNil() {
		cases[0].Chan = reflect.Value{} // a nil channel blocks for ever, as in Go
	}
	i, x, ok := reflect.Select(cases)
	if i == 1 {
		stopWith(stopValue(w.cell, w.gid), w.gid) // the deferred unblock ends the wait
	}
	return x, ok
}

// boxes hands out one-element channels by element type; see Recv. A box
// goes back to the pool as soon as it is handed out: the only receiver is
// the goroutine it was handed to, and while it still holds that value
// TrySend fails for anyone else who takes it from the pool.
var boxes sync.Map // reflect.Type (element) -> *sync.Pool

var closedBoxes sync.Map // reflect.Type (channel) -> reflect.Value (a closed channel of that type)

func boxed(t reflect.Type, x reflect.Value, ok bool) any {
	if !ok {
		if c, found := closedBoxes.Load(t); found {
			return c.(reflect.Value).Interface()
		}
		c := reflect.MakeChan(reflect.ChanOf(reflect.BothDir, t.Elem()), 0)
		c.Close()
		c = c.Convert(t)
		closedBoxes.Store(t, c)
		return c.Interface()
	}
	b := box(t.Elem())
	if !b.TrySend(x) {
		b = reflect.MakeChan(reflect.ChanOf(reflect.BothDir, t.Elem()), 1)
		b.Send(x)
	}
	poolOf(t.Elem()).Put(b)
	if t.ChanDir() != reflect.BothDir {
		b = b.Convert(t)
	}
	return b.Interface()
}

func poolOf(elem reflect.Type) *sync.Pool {
	if p, ok := boxes.Load(elem); ok {
		return p.(*sync.Pool)
	}
	p, _ := boxes.LoadOrStore(elem, &sync.Pool{New: func() any {
		return reflect.MakeChan(reflect.ChanOf(reflect.BothDir, elem), 1)
	}})
	return p.(*sync.Pool)
}

// box returns an empty-looking box for elem (it may still hold a value its
// last user has not taken yet; TrySend tells).
func box(elem reflect.Type) reflect.Value { return poolOf(elem).Get().(reflect.Value) }

// SendBox returns an empty one-element channel of ch's type (a channel
// that can be sent on), for Send.
func SendBox(ch any) any {
	t := reflect.TypeOf(ch)
	if t == nil || t.Kind() != reflect.Chan {
		panic("rt.SendBox: not a channel")
	}
	b := box(t.Elem())
	if b.Len() != 0 {
		b = reflect.MakeChan(reflect.ChanOf(reflect.BothDir, t.Elem()), 1)
	}
	if t.ChanDir() != reflect.BothDir {
		return b.Convert(t).Interface()
	}
	return b.Interface()
}

// Send sends on ch the value the cell put into b (from SendBox), as
// `ch <- v` does, waiting interruptibly.
func Send(ch, b any, what string) {
	v, bv := reflect.ValueOf(ch), reflect.ValueOf(b)
	if bv.Type().ChanDir() != reflect.BothDir {
		// The box is typed as ch is (chan<- T), and was made
		// bidirectional (SendBox): see it so again to take the value.
		p := bv.UnsafePointer()
		bv = reflect.NewAt(reflect.ChanOf(reflect.BothDir, bv.Type().Elem()), unsafe.Pointer(&p)).Elem()
	}
	x, ok := bv.TryRecv()
	if !ok {
		panic("rt.Send: empty box")
	}
	defer poolOf(bv.Type().Elem()).Put(bv)
	if v.IsNil() {
		sendSlow(v, x, what)
		return
	}
	if v.TrySend(x) {
		return
	}
	sendSlow(v, x, what)
}

func sendSlow(v, x reflect.Value, what string) {
	w, stop := block(what, false)
	defer unblock(w)
	cases := []reflect.SelectCase{{Dir: reflect.SelectSend, Chan: v, Send: x}}
	if v.IsNil() {
		cases[0] = reflect.SelectCase{Dir: reflect.SelectSend}
	}
	if stop != nil {
		cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(stop)})
	}
	if i, _, _ := reflect.Select(cases); i == 1 {
		stopWith(stopValue(w.cell, w.gid), w.gid) // the deferred unblock ends the wait
	}
}

// SelectWait is called, through the case the preprocessor adds to every
// select without a default, when the select starts: it registers the wait
// and releases the scheduler, and returns the channel that ends the select
// on an interrupt. Every other case begins with EndWait. chans are the
// select's channels that could be named without side effects, to tell
// waits on a timer.
func SelectWait(what string, chans ...any) <-chan struct{} { return selectWait(what, false, chans) }

// SelectWaitTimed is SelectWait for a select with a channel operand that
// could not be named again (time.After(d), f()): it may be a timer's, so
// the wait never counts towards a deadlock.
func SelectWaitTimed(what string, chans ...any) <-chan struct{} {
	return selectWait(what, true, chans)
}

func selectWait(what string, timer bool, chans []any) <-chan struct{} {
	for _, ch := range chans {
		if isTimerChan(reflect.ValueOf(ch)) {
			timer = true
		}
	}
	_, stop := block(what, timer)
	if stop == nil {
		return never
	}
	return stop
}

var never = make(chan struct{})

// EndWait ends the calling goroutine's select wait (see SelectWait).
func EndWait() {
	gid := GoID()
	waitMu.Lock()
	w := waiting[gid]
	waitMu.Unlock()
	if w != nil {
		unblock(w)
	}
}

// StopWait is the body of the interrupt case of a select: it ends the wait
// and stops the goroutine.
func StopWait() {
	gid := GoID()
	waitMu.Lock()
	w := waiting[gid]
	waitMu.Unlock()
	if w != nil {
		stopped(w)
	}
	stopWith(stopValue(cellOf(gid), gid), gid)
}

// Timers. A goroutine waiting on a timer's channel is not deadlocked: time
// will wake it. time.After, time.Tick and the channels of new timers and
// tickers are noted here (the session makes cells' time functions these).

var (
	timerChans    sync.Map     // channel (reflect pointer) -> struct{}
	pendingTimers atomic.Int64 // AfterFunc timers not yet fired: their functions may wake anyone
)

func isTimerChan(v reflect.Value) bool {
	if !v.IsValid() || v.Kind() != reflect.Chan || v.IsNil() {
		return false
	}
	_, ok := timerChans.Load(v.Pointer())
	return ok
}

// After is time.After; its channel counts as a timer's until it fires.
func After(d time.Duration) <-chan time.Time {
	t := time.NewTimer(d)
	p := reflect.ValueOf(t.C).Pointer()
	timerChans.Store(p, struct{}{})
	time.AfterFunc(d+time.Second, func() { timerChans.Delete(p) })
	return t.C
}

// AfterFunc is time.AfterFunc, noted as a pending timer until it fires
// (stopping the timer first leaves it pending: it only delays a deadlock
// report).
func AfterFunc(d time.Duration, f func()) *time.Timer {
	pendingTimers.Add(1)
	var once sync.Once
	release := func() { once.Do(func() { pendingTimers.Add(-1) }) }
	time.AfterFunc(d, release)
	return time.AfterFunc(d, func() { release(); f() })
}

// NewTimer is time.NewTimer; its channel counts as a timer's.
func NewTimer(d time.Duration) *time.Timer {
	t := time.NewTimer(d)
	timerChans.Store(reflect.ValueOf(t.C).Pointer(), struct{}{})
	return t
}

// NewTicker is time.NewTicker; its channel counts as a timer's.
func NewTicker(d time.Duration) *time.Ticker {
	t := time.NewTicker(d)
	timerChans.Store(reflect.ValueOf(t.C).Pointer(), struct{}{})
	return t
}

// TimeTick is time.Tick; its channel counts as a timer's.
func TimeTick(d time.Duration) <-chan time.Time {
	c := time.Tick(d)
	if c != nil {
		timerChans.Store(reflect.ValueOf(c).Pointer(), struct{}{})
	}
	return c
}

// A Wait describes one goroutine blocked in cell code.
type Wait struct {
	Goroutine int64
	Cell      *Cell
	What      string // "In[4] line 3: receive on ch"
	Since     time.Time
	Timer     bool // on a timer's channel
}

// Waits lists the goroutines blocked in registered waits, oldest first.
func Waits() []Wait {
	waitMu.Lock()
	out := make([]Wait, 0, len(waiting))
	for _, w := range waiting {
		out = append(out, Wait{Goroutine: w.gid, Cell: w.cell, What: w.what, Since: w.since, Timer: w.timer})
	}
	waitMu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Since.Before(out[j].Since) })
	return out
}

// waitOf returns what goroutine gid waits on, or "".
func waitOf(gid int64) string {
	waitMu.Lock()
	defer waitMu.Unlock()
	if w := waiting[gid]; w != nil {
		return w.what
	}
	return ""
}

// A Waiting is a registered wait begun by BeginWait, for compiled helpers
// (the cells' sync types) that block on behalf of cell code.
type Waiting struct{ w *waiter }

// BeginWait registers the calling goroutine as blocked on what (shown in
// deadlock reports and goleak) and releases the scheduler; call End when
// the wait is over, and Stopped when Stop is closed. It panics at once if
// the goroutine's cell is already stopped.
func BeginWait(what string) Waiting {
	w, _ := block(what, false)
	if h, ok := hints.LoadAndDelete(w.gid); ok {
		waitMu.Lock()
		w.what = h.(string) + " (" + what + ")"
		waitMu.Unlock()
	}
	return Waiting{w}
}

// hints: goroutine id -> the cell statement about to call a method that
// may wait through BeginWait (see At).
var hints sync.Map

// At notes that the calling goroutine is about to run the statement site
// ("In[5] line 11: mu.Lock()"), which may wait in a compiled helper (a
// sync type) that cannot know its caller's position. The preprocessor
// puts it before every statement mu.Lock(), mu.RLock() and x.Wait().
func At(site string) {
	hints.Store(GoID(), site)
}

// Stop is closed when the waiting goroutine must stop (its cell was
// interrupted); nil for goroutines no cell owns.
func (w Waiting) Stop() <-chan struct{} {
	if w.w.cell == nil {
		return nil
	}
	return w.w.cell.done
}

// End ends the wait and takes the scheduler back.
func (w Waiting) End() { unblock(w.w) }

// Stopped ends the wait and panics as an interrupted wait does (with the
// deadlock report, for the cell's own goroutine after a deadlock).
func (w Waiting) Stopped() { stopped(w.w) }

// Unwinding reports whether the calling goroutine's cell was interrupted,
// so that its deferred calls are running because of the interrupt.
func Unwinding() bool {
	c := Current()
	return c != nil && c.Interrupted()
}
