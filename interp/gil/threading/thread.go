package threading

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gokernel/gokernel/interp/rt"
	"github.com/gokernel/gokernel/interp/timeline"
)

// A Scheduler decides when an emulated thread may run; the GIL is one.
// A Runtime without one runs its threads in parallel (goroutines).
// Every method is called on the goroutine of the thread it names.
type Scheduler interface {
	// Acquire is called before t runs its first instruction (take_gil).
	Acquire(t *Thread)
	// Release is called when t ends (drop_gil). It must do nothing when t
	// does not hold what Acquire took (an interrupt may stop Acquire).
	Release(t *Thread)
	// Checkpoint is called at rt.Tick while the scheduler has raised a
	// request (rt.Raise): the GIL hands the lock over here.
	Checkpoint(t *Thread)
	// Blocking is called before t blocks (kind is a timeline kind:
	// sleeping, I/O, blocked); done is called when it wakes.
	Blocking(t *Thread, kind string) (done func())
}

// A Model is what a lesson runs a workload under: the emulated GIL
// (gil.New) or real goroutines (goroutines.New). Swap one value to compare:
//
//	var m threading.Model = gil.New(gil.Options{})   // or goroutines.New(goroutines.Options{})
//	m.Go("", work); m.Go("", work); m.JoinAll()
//	m.Report()
type Model interface {
	Name() string
	Thread(name string, fn func()) *Thread
	Go(name string, fn func()) *Thread
	Run(fn func())
	JoinAll()
	Parallel(n int, fn func(i int))
	NewLock() *Lock
	NewEvent() *Event
	NewQueue(maxsize int) *Queue
	NewPool(workers int) *Pool
	Sleep(d time.Duration)
	Recorder() *timeline.Recorder
	Report() Report
}

var _ Model = (*Runtime)(nil)

// A Runtime owns threads, locks and pools that share one scheduler and one
// timeline. Make one with New (models embed it).
type Runtime struct {
	name  string
	sched Scheduler
	rec   *timeline.Recorder

	osThreads atomic.Bool

	mu       sync.Mutex
	ended    bool // JoinAll returned: the next thread starts a new run
	started  []*Thread
	pools    []*Pool
	nthreads int
	npools   int
}

// New returns a runtime named name (shown in reports) whose threads run
// under sched (nil: in parallel), recording to rec (nil: a new recorder).
func New(name string, sched Scheduler, rec *timeline.Recorder) *Runtime {
	if rec == nil {
		rec = timeline.New()
	}
	if rec.Title == "" {
		rec.Title = name
	}
	return &Runtime{name: name, sched: sched, rec: rec}
}

// SetOSThreads makes each thread started from now on run on an OS thread of
// its own (runtime.LockOSThread), as CPython's threads do: a hand-over from
// one thread to another then goes through the operating system's scheduler
// (a futex wake-up, a wait for a free core on a busy machine) instead of
// Go's, which costs what it costs CPython. The GIL model turns it on.
func (r *Runtime) SetOSThreads(on bool) { r.osThreads.Store(on) }

// Name returns the model's name, e.g. "GIL threads".
func (r *Runtime) Name() string { return r.name }

// Recorder returns the timeline the runtime's threads record to.
func (r *Runtime) Recorder() *timeline.Recorder { return r.rec }

// A Thread is an emulated thread: a goroutine started with rt.Go that runs
// under its Runtime's scheduler, as threading.Thread does under CPython's.
type Thread struct {
	name string
	fn   func()
	r    *Runtime
	lane *Lane
	main bool

	started atomic.Bool
	running chan struct{} // closed once the thread has run (held the GIL) once
	done    chan struct{}
	err     error // set before done is closed
	cell    *rt.Cell
	goid    int64
}

// Thread returns a new thread that will run fn once started. An empty name
// gives "Thread-N", as Python names them.
func (r *Runtime) Thread(name string, fn func()) *Thread {
	r.mu.Lock()
	r.nthreads++
	if name == "" {
		name = fmt.Sprintf("Thread-%d", r.nthreads)
	}
	r.mu.Unlock()
	return &Thread{name: name, fn: fn, r: r, running: make(chan struct{}), done: make(chan struct{})}
}

// Go makes a thread and starts it.
func (r *Runtime) Go(name string, fn func()) *Thread {
	t := r.Thread(name, fn)
	t.Start()
	return t
}

// Parallel runs fn(0) ... fn(n-1) on n new threads and joins them.
func (r *Runtime) Parallel(n int, fn func(i int)) {
	ts := make([]*Thread, n)
	for i := range n {
		ts[i] = r.Go("", func() { fn(i) })
	}
	for _, t := range ts {
		t.Join()
	}
}

// Name returns the thread's name.
func (t *Thread) Name() string { return t.name }

// String returns the thread's name.
func (t *Thread) String() string { return t.name }

// Runtime returns the runtime the thread belongs to.
func (t *Thread) Runtime() *Runtime { return t.r }

// Lane returns the thread's timeline lane. Schedulers record the thread's
// state there (running, waiting for GIL, sleeping, ...).
func (t *Thread) Lane() *Lane { return t.lane }

// Cell returns the notebook cell the thread belongs to, or nil.
func (t *Thread) Cell() *rt.Cell { return t.cell }

// ErrStartedTwice is the panic value of a second Start, as Python raises
// RuntimeError.
var ErrStartedTwice = errors.New("threading: threads can only be started once")

// Start starts the thread and, like Python's Thread.start, returns once it
// has begun to run (under the GIL: once it has taken the GIL).
func (t *Thread) Start() {
	if t.started.Swap(true) {
		panic(fmt.Errorf("%w (%s)", ErrStartedTwice, t.name))
	}
	t.r.mu.Lock()
	t.r.beginRun()
	t.r.started = append(t.r.started, t)
	t.r.mu.Unlock()
	t.lane = NewLane(t.r.rec, t.name)
	rt.Go(t.bootstrap)
	wait(timeline.Blocked, func(stop <-chan struct{}) bool {
		select {
		case <-t.running:
			return true
		case <-stop:
			return false
		}
	})
}

func (t *Thread) bootstrap() {
	own := t.r.osThreads.Load()
	if own {
		// Never unlocked: the OS thread ends with the goroutine, as a
		// CPython thread's does, so starting threads costs what it costs.
		runtime.LockOSThread()
		osThreadBegins()
	}
	t.goid = rt.GoID()
	t.cell = rt.Current()
	register(t.goid, t)
	var p *rt.Panic
	defer func() {
		unregister(t.goid)
		select {
		case <-t.running:
		default:
			close(t.running)
		}
		if p != nil {
			t.err = p
			if _, ok := p.Value.(rt.Interrupted); !ok {
				// What Python prints for an exception that ends a thread,
				// before a join returns; the program (the cell) goes on.
				fmt.Fprintf(os.Stderr, "Exception in thread %s:\npanic: %v\n\n%s\n", t.name, p.Value, p.Stack)
			}
		}
		if own {
			osThreadEnds() // before a joiner goes on: it reads GOMAXPROCS
		}
		close(t.done)
	}()
	p = rt.Protect(func() {
		t.r.acquire(t)
		end := rt.GoroutineStarted(t.fn, t.name, "") // before Start returns: see there
		close(t.running)
		defer t.r.release(t)
		if end != nil {
			defer end()
		}
		t.fn()
	})
}

func (r *Runtime) acquire(t *Thread) {
	if r.sched != nil {
		r.sched.Acquire(t)
		return
	}
	t.lane.Enter(timeline.Running, "")
}

func (r *Runtime) release(t *Thread) {
	if r.sched != nil {
		r.sched.Release(t)
	}
	t.lane.End()
}

// block is called around every blocking operation of t (from the rt router
// and from this package's waits).
func (t *Thread) block(kind string) (done func()) {
	if t.r.sched != nil {
		return t.r.sched.Blocking(t, kind)
	}
	t.lane.Enter(kind, "")
	return func() { t.lane.Enter(timeline.Running, "") }
}

// Join waits until the thread has finished (releasing the GIL meanwhile).
// Joining a thread that was never started returns at once.
func (t *Thread) Join() {
	if !t.started.Load() {
		return
	}
	waitChan(timeline.Blocked, t.done)
}

// Alive reports whether the thread has started and not finished.
func (t *Thread) Alive() bool {
	if !t.started.Load() {
		return false
	}
	select {
	case <-t.done:
		return false
	default:
		return true
	}
}

// Done is closed when the thread has finished.
func (t *Thread) Done() <-chan struct{} { return t.done }

// Err returns the panic that ended the thread (an *rt.Panic), or nil. Call it
// after Join.
func (t *Thread) Err() error {
	select {
	case <-t.done:
		return t.err
	default:
		return nil
	}
}

// JoinAll shuts the runtime's pools down and joins every thread started so
// far, as Python does with non-daemon threads when the main thread exits.
// It ends a run: the next thread started (or Run) begins a new one, with a
// fresh timeline and counters, so Report shows the last run alone.
func (r *Runtime) JoinAll() {
	r.mu.Lock()
	pools := append([]*Pool(nil), r.pools...)
	r.mu.Unlock()
	for _, p := range pools {
		p.Shutdown()
	}
	for {
		r.mu.Lock()
		var next *Thread
		for _, t := range r.started {
			if t.Alive() {
				next = t
				break
			}
		}
		if next == nil {
			r.ended = true
			r.mu.Unlock()
			return
		}
		r.mu.Unlock()
		next.Join()
	}
}

// A CounterResetter is a scheduler whose counters start again with a new run.
type CounterResetter interface{ ResetCounters() }

// beginRun starts a new run if the last one ended (JoinAll returned): the
// timeline and the scheduler's counters start again, so that a report and
// its chart show one run, not a warm-up run piled under the measured one.
// r.mu held.
func (r *Runtime) beginRun() {
	if !r.ended {
		return
	}
	r.ended = false
	r.started = nil // all joined
	r.rec.Reset()
	if c, ok := r.sched.(CounterResetter); ok {
		c.ResetCounters()
	}
}

// Run runs fn on the calling goroutine as the runtime's MainThread (under
// the GIL, like a Python script's main thread), then joins every thread
// started meanwhile. Cell code that is not inside Run does not take part in
// the GIL: it only starts and joins threads.
func (r *Runtime) Run(fn func()) {
	goid := rt.GoID()
	if t := lookup(goid); t != nil {
		fn() // already a thread (nested Run): nothing to set up
		return
	}
	t := &Thread{name: "MainThread", fn: fn, r: r, main: true, running: make(chan struct{}), done: make(chan struct{})}
	t.started.Store(true)
	r.mu.Lock()
	r.beginRun()
	r.mu.Unlock()
	t.lane = NewLane(r.rec, t.name)
	t.goid, t.cell = goid, rt.Current()
	if r.osThreads.Load() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		osThreadBegins()
		defer osThreadEnds()
	}
	register(goid, t)
	defer func() {
		r.release(t)
		unregister(goid)
		close(t.done)
	}()
	r.acquire(t)
	close(t.running)
	fn()
	r.JoinAll()
}

// Sleep pauses the calling thread for d, releasing the GIL (time.sleep),
// with the kernel's precision (the package's Sleep). Cell code's
// time.Sleep releases the GIL too, on a coarser Go timer.
func (r *Runtime) Sleep(d time.Duration) { Sleep(d) }

// wait runs w as a blocking operation of the given kind: a thread releases
// the GIL meanwhile. w gets a channel that is closed when the caller's cell
// is interrupted and returns false then; wait panics with rt.Interrupted.
func wait(kind string, w func(stop <-chan struct{}) bool) {
	goid := rt.GoID()
	t := lookup(goid)
	var c *rt.Cell
	if t != nil {
		c = t.cell
	} else {
		c = rt.Current()
	}
	var stop <-chan struct{}
	if c != nil {
		stop = c.Done()
	}
	done := func() {}
	if t != nil {
		done = t.block(kind)
	}
	ok := w(stop)
	done()
	if !ok {
		panic(rt.Interrupted{})
	}
}

func waitChan(kind string, ch <-chan struct{}) {
	select {
	case <-ch:
		return // no need to release anything
	default:
	}
	wait(kind, func(stop <-chan struct{}) bool {
		select {
		case <-ch:
			return true
		case <-stop:
			return false
		}
	})
}
