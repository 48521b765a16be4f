package eventloop

import (
	"fmt"
	"time"

	"github.com/gokernel/gokernel/interp/gil/threading"
	"github.com/gokernel/gokernel/interp/rt"
	"github.com/gokernel/gokernel/interp/timeline"
)

const (
	stateScheduled = iota // in the ready queue (or not started yet)
	stateRunning          // holds the baton
	stateSuspended        // awaiting something
	stateDone
)

type wakeMsg struct {
	cancel bool
	timer  bool // woken by its timer (a sleep's end, a timeout)
	done   bool // woken because an awaited task finished
	val    any
	err    error
}

// A Task runs one coroutine on the loop (asyncio.Task). The coroutine gets
// its Task and awaits through it; a Task is also what other coroutines await.
type Task struct {
	loop *Loop
	name string
	coro Coro
	lane *threading.Lane

	resume chan wakeMsg
	done   chan struct{}

	// guarded by loop.mu
	state     int
	gen       uint64 // numbers the task's awaits, so stale wake-ups are ignored
	pending   wakeMsg
	cancelReq bool
	started   bool
	waiters   []waiter
	val       any
	err       error
	cancelled bool
}

type waiter struct {
	t   *Task
	gen uint64
}

type cancelled struct{}

// Name returns the task's name ("Task-N" unless given).
func (t *Task) Name() string { return t.name }

// String returns the task's name.
func (t *Task) String() string { return t.name }

// Loop returns the loop the task runs on.
func (t *Task) Loop() *Loop { return t.loop }

func (t *Task) isDone() bool {
	t.loop.mu.Lock()
	defer t.loop.mu.Unlock()
	return t.state == stateDone
}

// Done reports whether the task has finished (returned, failed or was
// cancelled).
func (t *Task) Done() bool { return t.isDone() }

// Cancelled reports whether the task ended by cancellation.
func (t *Task) Cancelled() bool {
	t.loop.mu.Lock()
	defer t.loop.mu.Unlock()
	return t.cancelled
}

// Result returns the task's value and error once it is done, ErrNotDone
// before.
func (t *Task) Result() (any, error) {
	t.loop.mu.Lock()
	defer t.loop.mu.Unlock()
	if t.state != stateDone {
		return nil, ErrNotDone
	}
	return t.val, t.err
}

// Cancel asks the task to stop: it is resumed at the await it is suspended
// in (or cancelled before it starts) and unwinds. It reports false when the
// task is already done. Safe from any goroutine.
func (t *Task) Cancel() bool {
	l := t.loop
	l.mu.Lock()
	switch t.state {
	case stateDone:
		l.mu.Unlock()
		return false
	case stateSuspended:
		l.mu.Unlock()
		l.wake(t, t.gen, wakeMsg{cancel: true})
		return true
	default: // scheduled or running: delivered at its next resumption
		t.cancelReq = true
		l.mu.Unlock()
		return true
	}
}

// main is the task's goroutine.
func (t *Task) main(first wakeMsg) {
	l := t.loop
	var val any
	var err error
	wasCancelled := false
	t.lane.Enter(timeline.Running, "")
	p := rt.Protect(func() {
		if first.cancel {
			panic(cancelled{})
		}
		val, err = t.coro(t)
	})
	if p != nil {
		switch p.Value.(type) {
		case cancelled:
			wasCancelled, val, err = true, nil, ErrCancelled
		case rt.Interrupted:
			wasCancelled, val, err = true, nil, rt.Interrupted{}
		default:
			val, err = nil, fmt.Errorf("eventloop: task %s panicked: %w", t.name, p)
		}
	}
	t.lane.End()
	l.mu.Lock()
	t.state = stateDone
	t.val, t.err, t.cancelled = val, err, wasCancelled
	for i, x := range l.tasks {
		if x == t {
			l.tasks = append(l.tasks[:i], l.tasks[i+1:]...)
			break
		}
	}
	ws := t.waiters
	t.waiters = nil
	for _, w := range ws {
		l.wakeLocked(w.t, w.gen, wakeMsg{done: true})
	}
	l.mu.Unlock()
	close(t.done)
	l.yield <- struct{}{}
}

// mustRun checks that t is the task holding the baton: awaits can only be
// made from a task's own coroutine.
func (t *Task) mustRun(op string) {
	t.loop.mu.Lock()
	ok := t.loop.current == t && t.state == stateRunning
	t.loop.mu.Unlock()
	if !ok {
		panic(fmt.Errorf("eventloop: %s called on task %s from outside its coroutine", op, t.name))
	}
}

// prepare marks t suspended in a new await and returns the await's number;
// wake-ups must carry it. Call with l.mu held.
func (t *Task) prepare() uint64 {
	t.gen++
	t.state = stateSuspended
	return t.gen
}

// suspend hands the baton back to the loop until a wake-up for the current
// await arrives; a cancellation unwinds the task from here.
func (t *Task) suspend(kind, label string) wakeMsg {
	t.lane.Enter(kind, label)
	t.loop.yield <- struct{}{}
	m := <-t.resume
	t.lane.Enter(timeline.Running, "")
	if m.cancel {
		panic(cancelled{})
	}
	return m
}

// Sleep suspends the task for d, letting the others run (asyncio.sleep);
// Sleep(0) just yields.
func (t *Task) Sleep(d time.Duration) {
	t.mustRun("Sleep")
	l := t.loop
	l.mu.Lock()
	gen := t.prepare()
	l.addTimer(time.Now().Add(d), t, gen)
	l.mu.Unlock()
	t.suspend(timeline.Sleeping, "")
}

// BlockingSleep sleeps d without awaiting, as time.sleep inside a coroutine
// does: the loop and every other task stall for exactly d. (A plain
// time.Sleep in a cell does the same; this one also marks the stall on the
// timeline.)
func (t *Task) BlockingSleep(d time.Duration) {
	t.mustRun("BlockingSleep")
	t.loop.lane.Enter(timeline.Blocked, "stalled by "+t.name)
	t.lane.Enter(timeline.Blocked, "blocking sleep")
	t.loop.mu.Lock()
	t.loop.stats["blocking calls"]++
	t.loop.mu.Unlock()
	rt.Sleep(d)
	t.lane.Enter(timeline.Running, "")
	t.loop.lane.Enter(timeline.Running, t.name)
}

// CreateTask schedules c as a new task (asyncio.create_task); it starts at
// the loop's next turn. An empty name gives "Task-N".
func (t *Task) CreateTask(name string, c Coro) *Task {
	t.mustRun("CreateTask")
	n := t.loop.newTask(name, c)
	t.loop.mu.Lock()
	t.loop.ready = append(t.loop.ready, n)
	t.loop.mu.Unlock()
	return n
}

// Await suspends until u is done and returns its value and error
// (ErrCancelled if it was cancelled). A done task returns at once.
func (t *Task) Await(u *Task) (any, error) {
	t.mustRun("Await")
	if u == t {
		return nil, fmt.Errorf("eventloop: task %s cannot await itself", t.name)
	}
	return t.await(u, timeline.Awaiting, "await "+u.name)
}

// await suspends t until u is done, drawn on the timeline as kind: a task
// awaiting is not a stalled loop (the loop runs the others meanwhile), so
// it has a kind and colour of its own.
func (t *Task) await(u *Task, kind, label string) (any, error) {
	if t.waitOn(u, 0) {
		return u.val, u.err
	}
	t.suspend(kind, label)
	return u.Result()
}

// waitOn registers t to be woken when u finishes, and also after d when d
// is positive. done reports that u had already finished: nothing was
// registered and t must not suspend.
func (t *Task) waitOn(u *Task, d time.Duration) (done bool) {
	l := t.loop
	l.mu.Lock()
	defer l.mu.Unlock()
	if u.state == stateDone {
		return true
	}
	gen := t.prepare()
	u.waiters = append(u.waiters, waiter{t, gen})
	if d > 0 {
		l.addTimer(time.Now().Add(d), t, gen)
	}
	return false
}

// Gather runs the coroutines as tasks and waits for all of them; it returns
// their values in order and the first error (asyncio.gather).
func (t *Task) Gather(cs ...Coro) ([]any, error) {
	ts := make([]*Task, len(cs))
	for i, c := range cs {
		ts[i] = t.CreateTask("", c)
	}
	return t.GatherTasks(ts...)
}

// GatherTasks waits for every task and returns their values in order and
// the first error.
func (t *Task) GatherTasks(ts ...*Task) ([]any, error) {
	out := make([]any, len(ts))
	var first error
	t.mustRun("Gather")
	for i, u := range ts {
		if u == t {
			return out, fmt.Errorf("eventloop: task %s cannot gather itself", t.name)
		}
		v, err := t.await(u, timeline.AwaitingGather, "awaiting gather")
		out[i] = v
		if err != nil && first == nil {
			first = err
		}
	}
	return out, first
}

// WaitFor runs c as a task and waits at most d for it (asyncio.wait_for):
// on timeout the task is cancelled (and has unwound when WaitFor returns)
// and the error is ErrTimeout.
func (t *Task) WaitFor(c Coro, d time.Duration) (any, error) {
	u := t.CreateTask("", c)
	return t.WaitTask(u, d)
}

// WaitTask waits at most d for u, cancelling it on timeout.
func (t *Task) WaitTask(u *Task, d time.Duration) (any, error) {
	t.mustRun("WaitFor")
	if t.waitOn(u, max(d, 1)) { // d ≤ 0 times out at once, as asyncio does
		return u.val, u.err
	}
	m := t.suspend(timeline.Awaiting, "wait_for "+u.name)
	if m.timer {
		u.Cancel()
		t.Await(u)
		l := t.loop
		l.mu.Lock()
		l.stats["timeouts"]++
		l.mu.Unlock()
		return nil, ErrTimeout
	}
	return u.Result()
}

// RunInExecutor runs the blocking fn on ex (nil: the loop's executor, or a
// goroutine of its own) and suspends until it returns
// (loop.run_in_executor). A panic in fn is an error.
func (t *Task) RunInExecutor(ex Executor, fn func() (any, error)) (any, error) {
	t.mustRun("RunInExecutor")
	if ex == nil {
		ex = t.loop.exec
	}
	return t.offLoop(timeline.Blocked, "executor", ex, fn)
}

// IO runs fn, an I/O call, off the loop and suspends until it returns: the
// loop keeps running other tasks meanwhile, as with non-blocking I/O.
func (t *Task) IO(label string, fn func() (any, error)) (any, error) {
	t.mustRun("IO")
	return t.offLoop(timeline.IO, label, nil, fn)
}

// Get fetches url without blocking the loop (aiohttp's session.get) and
// returns the body. As in asyncio, each step (connect, send, read) waits
// for the loop: a task hogging the loop holds up the request itself.
func (t *Task) Get(url string) ([]byte, error) {
	t.mustRun("Get")
	return t.get(url)
}

func (t *Task) offLoop(kind, label string, ex Executor, fn func() (any, error)) (any, error) {
	l := t.loop
	l.mu.Lock()
	gen := t.prepare()
	l.inflight++
	var slot int
	if ex == nil && kind == timeline.Blocked {
		slot = l.execSlot()
	}
	l.mu.Unlock()
	rt.Go(func() {
		var m wakeMsg
		var lane *threading.Lane
		if ex == nil && kind == timeline.Blocked {
			lane = threading.NewLane(l.rec, fmt.Sprintf("executor-%d", slot))
			lane.Enter(timeline.Running, t.name)
		}
		p := rt.Protect(func() {
			if ex != nil {
				m.val, m.err = ex.Call(fn)
			} else {
				m.val, m.err = fn()
			}
		})
		if p != nil {
			m.val, m.err = nil, fmt.Errorf("eventloop: %s in task %s panicked: %w", label, t.name, p)
		}
		lane.End()
		// The call leaves inflight and its task joins the ready queue in
		// one critical section: between the two the loop would see nothing
		// ready, no timer and nothing in flight, and report a deadlock.
		l.mu.Lock()
		l.inflight--
		if ex == nil && kind == timeline.Blocked {
			l.freeExec = append(l.freeExec, slot)
		}
		l.wakeLocked(t, gen, m)
		l.mu.Unlock()
		l.poke1()
	})
	m := t.suspend(kind, label)
	return m.val, m.err
}

// execSlot numbers default-executor lanes, reusing free ones. l.mu held.
func (l *Loop) execSlot() int {
	if n := len(l.freeExec); n > 0 {
		s := l.freeExec[n-1]
		l.freeExec = l.freeExec[:n-1]
		return s
	}
	l.nexec++
	return l.nexec - 1
}
