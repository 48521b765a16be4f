// Package eventloop is an asyncio-like event loop: one loop, many
// coroutines, only one of them running at a time, each handing control back
// to the loop at every await.
//
//	v, err := eventloop.Run(func(t *eventloop.Task) (any, error) {   // asyncio.run(main())
//		a := t.CreateTask("", delay("TWO", 2*time.Second))              // asyncio.create_task
//		b := t.CreateTask("", delay("THREE", 3*time.Second))
//		t.Await(a); t.Await(b)                                         // about 3 s, not 5
//		res, err := t.Gather(c1, c2, c3)                               // asyncio.gather
//		v, err := t.WaitFor(slow, time.Second)                         // asyncio.wait_for: ErrTimeout
//		v, err = t.RunInExecutor(nil, blockingFn)                      // loop.run_in_executor
//		body, err := t.Get(srv.URL + "/delay/1")                       // non-blocking HTTP GET
//		t.Sleep(time.Second)                                           // await asyncio.sleep(1)
//		t.BlockingSleep(time.Second)                                   // time.sleep(1): stalls the loop
//		return nil, nil
//	})
//
// with a coroutine written as a func of its Task:
//
//	delay := func(name string, d time.Duration) eventloop.Coro {
//		return func(t *eventloop.Task) (any, error) {
//			workloads.Log("%s received", name)
//			t.Sleep(d)
//			workloads.Log("Printing %s", name)
//			return name, nil
//		}
//	}
//
// Keep the loop to see the timeline: loop := eventloop.New(eventloop.Options{});
// loop.Run(main); loop.Report().
//
// # How it runs
//
// Each task runs on its own goroutine (started with rt.Go), but the loop
// hands a baton to exactly one of them at a time and waits until it awaits
// something (Sleep, Await, Gather, WaitFor, RunInExecutor, Get, IO) or
// returns. So a task that blocks without awaiting (t.BlockingSleep, or a
// plain time.Sleep or CPU loop in a cell, exactly as in Python) stalls every
// other task for exactly its duration; the timeline shows the loop busy in
// that task meanwhile. Waiting itself happens off the loop: timers in the
// loop, network and executor work on goroutines whose completion wakes the
// awaiting task, as asyncio's selector does.
//
// Cancellation (Task.Cancel, WaitFor's timeout) unwinds the task from the
// await it is suspended in, by a panic the task's runner recovers (deferred
// calls run, as finally blocks do); awaiting a cancelled task returns
// ErrCancelled.
package eventloop

import (
	"container/heap"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gokernel/gokernel/interp/gil/threading"
	"github.com/gokernel/gokernel/interp/rt"
	"github.com/gokernel/gokernel/interp/timeline"
)

// A Coro is a coroutine: an async def, given the task that runs it.
type Coro func(t *Task) (any, error)

// An Executor runs blocking work off the loop, for RunInExecutor. A
// threading.Pool (gil or goroutines) is one; a process pool can be one by
// implementing Call. Call is made on a goroutine of its own, never on the loop.
type Executor interface {
	Call(fn func() (any, error)) (any, error)
}

// ExecutorFunc adapts a function to Executor.
type ExecutorFunc func(fn func() (any, error)) (any, error)

// Call implements Executor.
func (f ExecutorFunc) Call(fn func() (any, error)) (any, error) { return f(fn) }

// Errors of awaits.
var (
	ErrCancelled = errors.New("eventloop: task was cancelled")
	ErrTimeout   = errors.New("eventloop: timed out")
	ErrDeadlock  = errors.New("eventloop: every task is waiting and nothing can wake them")
	ErrNotDone   = errors.New("eventloop: task is not done")
)

// Options configures a Loop. The zero value is usable.
type Options struct {
	Recorder *timeline.Recorder // nil: a new one
	Executor Executor           // for RunInExecutor(nil, ...); nil: a goroutine per call
	Name     string             // the loop's lane; "": "event loop"
}

// A Loop runs coroutines. Make one with New, run it with Run; a Loop runs
// once at a time, from one goroutine.
type Loop struct {
	rec  *timeline.Recorder
	exec Executor
	lane *threading.Lane
	runs int // Runs begun; l.mu

	mu       sync.Mutex
	ready    []*Task
	timers   timerHeap
	seq      uint64
	tasks    []*Task // not done
	ntasks   int
	inflight int // executor and I/O calls under way
	current  *Task
	running  bool
	nexec    int
	freeExec []int

	poke  chan struct{}
	yield chan struct{}
	stats map[string]int
}

// New returns a loop.
func New(o Options) *Loop {
	rec := o.Recorder
	if rec == nil {
		rec = timeline.New()
	}
	if rec.Title == "" {
		rec.Title = "event loop"
	}
	name := o.Name
	if name == "" {
		name = "event loop"
	}
	return &Loop{rec: rec, exec: o.Executor, lane: threading.NewLane(rec, name),
		poke: make(chan struct{}, 1), yield: make(chan struct{}), stats: map[string]int{}}
}

// Run runs main on a new loop until it returns (asyncio.run).
func Run(main Coro) (any, error) { return New(Options{}).Run(main) }

// Recorder returns the loop's timeline.
func (l *Loop) Recorder() *timeline.Recorder { return l.rec }

// Report summarises the loop's timeline: the loop lane's running and idle
// time, each task's running, sleeping, I/O and blocked time.
func (l *Loop) Report() threading.Report {
	l.mu.Lock()
	c := map[string]int{}
	for k, v := range l.stats {
		c[k] = v
	}
	l.mu.Unlock()
	return threading.NewReport("event loop", l.rec, c)
}

// Tasks returns the tasks not yet done (asyncio.all_tasks).
func (l *Loop) Tasks() []*Task {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]*Task(nil), l.tasks...)
}

// Run runs main as the first task (Task-1) until it returns, then cancels
// the tasks still pending and lets them unwind, as asyncio.run does.
// Interrupting the cell cancels every task and panics with rt.Interrupted.
func (l *Loop) Run(main Coro) (any, error) {
	l.mu.Lock()
	if l.running {
		l.mu.Unlock()
		return nil, errors.New("eventloop: this loop is already running")
	}
	l.running = true
	if l.runs > 0 {
		// a new run: the timeline and counters show this one alone, not a
		// warm-up run under it (asyncio.run makes a new loop each time)
		l.rec.Reset()
		l.rec.Lane(l.lane.Name())
		clear(l.stats)
	}
	l.runs++
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		l.running = false
		l.mu.Unlock()
		l.lane.End()
	}()
	var stop <-chan struct{}
	if c := rt.Current(); c != nil {
		stop = c.Done()
	}
	m := l.newTask("", main)
	l.mu.Lock()
	l.ready = append(l.ready, m)
	l.mu.Unlock()
	interrupted := false
	for !m.isDone() {
		if err := l.once(stop); err != nil {
			if errors.Is(err, rt.Interrupted{}) {
				interrupted = true
				break
			}
			l.shutdown()
			return nil, err
		}
	}
	l.shutdown()
	if interrupted {
		panic(rt.Interrupted{})
	}
	return m.val, m.err
}

// shutdown cancels the tasks still pending and runs the loop until they
// have finished (each is resumed with a cancellation, so it unwinds).
func (l *Loop) shutdown() {
	for {
		l.mu.Lock()
		pending := append([]*Task(nil), l.tasks...)
		l.mu.Unlock()
		if len(pending) == 0 {
			return
		}
		for _, t := range pending {
			t.Cancel()
		}
		for range 1000 {
			if err := l.once(nil); err != nil {
				break
			}
			l.mu.Lock()
			n := len(l.tasks)
			l.mu.Unlock()
			if n == 0 {
				return
			}
		}
	}
}

// once is one turn of the loop: wait for a timer, a completion or a poke
// when nothing is ready, move due timers to the ready queue, and run every
// task that was ready at the start of the turn.
func (l *Loop) once(stop <-chan struct{}) error {
	l.mu.Lock()
	if len(l.ready) == 0 {
		var wait <-chan time.Time
		if len(l.timers) > 0 {
			d := time.Until(l.timers[0].at)
			if d > 0 {
				tm := time.NewTimer(d)
				defer tm.Stop()
				wait = tm.C
			}
		} else if l.inflight == 0 {
			l.mu.Unlock()
			return ErrDeadlock
		}
		if len(l.timers) == 0 || wait != nil {
			l.mu.Unlock()
			l.lane.Enter(timeline.Idle, "")
			select {
			case <-l.poke:
			case <-wait:
			case <-stop:
				return rt.Interrupted{}
			}
			l.mu.Lock()
		}
	}
	now := time.Now()
	for len(l.timers) > 0 && !l.timers[0].at.After(now) {
		e := heap.Pop(&l.timers).(*timerEntry)
		l.wakeLocked(e.task, e.gen, wakeMsg{timer: true})
	}
	batch := l.ready
	l.ready = nil
	l.mu.Unlock()
	for _, t := range batch {
		l.step(t)
	}
	select {
	case <-stop:
		return rt.Interrupted{}
	default:
	}
	return nil
}

// step gives the baton to t until it suspends or finishes.
func (l *Loop) step(t *Task) {
	l.mu.Lock()
	if t.state != stateScheduled {
		l.mu.Unlock()
		return
	}
	t.state = stateRunning
	msg := t.pending
	t.pending = wakeMsg{}
	if t.cancelReq {
		msg.cancel = true
		t.cancelReq = false
	}
	l.current = t
	first := !t.started
	t.started = true
	l.stats["task steps"]++
	l.mu.Unlock()

	l.lane.Enter(timeline.Running, t.name)
	if first {
		rt.Go(func() { t.main(msg) })
	} else {
		t.resume <- msg
	}
	<-l.yield
	l.mu.Lock()
	l.current = nil
	l.mu.Unlock()
}

func (l *Loop) newTask(name string, c Coro) *Task {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ntasks++
	if name == "" {
		name = fmt.Sprintf("Task-%d", l.ntasks)
	}
	t := &Task{loop: l, name: name, coro: c, resume: make(chan wakeMsg), done: make(chan struct{}),
		state: stateScheduled, lane: threading.NewLane(l.rec, name)}
	l.tasks = append(l.tasks, t)
	return t
}

// wakeLocked schedules t if it is still suspended in the await numbered gen.
// l.mu held.
func (l *Loop) wakeLocked(t *Task, gen uint64, m wakeMsg) {
	if t.state != stateSuspended || t.gen != gen {
		return // a stale wake-up: the task has moved on
	}
	t.state = stateScheduled
	t.pending = m
	l.ready = append(l.ready, t)
}

// wake is wakeLocked from any goroutine.
func (l *Loop) wake(t *Task, gen uint64, m wakeMsg) {
	l.mu.Lock()
	l.wakeLocked(t, gen, m)
	l.mu.Unlock()
	l.poke1()
}

// poke1 wakes the loop if it waits for something to happen.
func (l *Loop) poke1() {
	select {
	case l.poke <- struct{}{}:
	default:
	}
}

func (l *Loop) addTimer(at time.Time, t *Task, gen uint64) {
	l.seq++
	heap.Push(&l.timers, &timerEntry{at: at, seq: l.seq, task: t, gen: gen})
}

type timerEntry struct {
	at   time.Time
	seq  uint64
	task *Task
	gen  uint64
}

type timerHeap []*timerEntry

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if h[i].at.Equal(h[j].at) {
		return h[i].seq < h[j].seq
	}
	return h[i].at.Before(h[j].at)
}
func (h timerHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *timerHeap) Push(x any)   { *h = append(*h, x.(*timerEntry)) }
func (h *timerHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}
