package subprocess

import (
	"errors"
	"fmt"
	"hash/fnv"
	"reflect"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gokernel/gokernel/interp/rt"
	"github.com/gokernel/gokernel/interp/timeline"
)

// Options configures a Pool. The zero value is usable.
type Options struct {
	// Workers is the number of worker processes; 0 means runtime.NumCPU(),
	// as Python's Pool() does.
	Workers int
	// Name prefixes the workers' names (their timeline lanes); default
	// "PoolWorker" ("PoolWorker-1", ...).
	Name string
	// Timeline receives the workers' spans (starting, message, running,
	// idle); nil makes a new one, returned by Timeline.
	Timeline *timeline.Recorder
}

// MaxWorkers bounds the size of a pool, so a typo cannot fork thousands of
// processes on a shared machine.
const MaxWorkers = 64

// ErrPoolClosed is returned by calls on a closed or terminated pool.
var ErrPoolClosed = errors.New("subprocess: the pool is closed")

// A Pool is a set of worker processes that run function calls, like
// Python's multiprocessing.Pool. Workers start when the pool is made and
// are reused from call to call; a worker that dies is replaced. Close (or
// Terminate) it when done: a pool left open keeps its processes until the
// kernel exits.
type Pool struct {
	// The workers' goroutines hold the state, not the Pool: a Pool the
	// notebook has dropped (a cell re-run makes a new one) becomes garbage,
	// and its finalizer ends its processes.
	*poolState
}

type poolState struct {
	name    string
	n       int
	rec     *timeline.Recorder
	queue   taskQueue
	closing chan struct{} // closed by Close and Terminate: slots stop taking work once the queue is empty
	killAll chan struct{} // closed by Terminate
	wg      sync.WaitGroup
	closed  atomic.Bool
	once    sync.Once

	mu      sync.Mutex
	slots   []*slotState
	started int // workers started so far, for names
	stats   []WorkerStats
}

type slotState struct {
	w    *worker
	task *task // running now
}

// NewPool starts a pool of n worker processes (0: one per CPU).
func NewPool(n int) (*Pool, error) { return NewPoolOpts(Options{Workers: n}) }

// NewPoolOpts starts a pool configured by o.
func NewPoolOpts(o Options) (*Pool, error) {
	if o.Workers < 0 {
		return nil, fmt.Errorf("subprocess: a pool needs at least one worker, not %d", o.Workers)
	}
	if o.Workers == 0 {
		o.Workers = runtime.NumCPU()
	}
	if o.Workers > MaxWorkers {
		return nil, fmt.Errorf("subprocess: %d worker processes is more than a notebook should start (at most %d)", o.Workers, MaxWorkers)
	}
	if o.Name == "" {
		o.Name = "PoolWorker"
	}
	if o.Timeline == nil {
		o.Timeline = timeline.New()
		o.Timeline.Title = "Process pool"
	}
	p := &poolState{name: o.Name, n: o.Workers, rec: o.Timeline, closing: make(chan struct{}), killAll: make(chan struct{})}
	p.queue.init()
	p.rec.Lane("MainProcess")
	p.slots = make([]*slotState, o.Workers)
	for i := range p.slots {
		w, err := p.spawn()
		if err != nil {
			for _, s := range p.slots[:i] {
				s.w.kill()
			}
			return nil, err
		}
		p.slots[i] = &slotState{w: w}
	}
	for i := range p.slots {
		p.wg.Add(1)
		go p.slot(i)
	}
	pool := &Pool{p}
	runtime.SetFinalizer(pool, func(pool *Pool) { go pool.poolState.terminate() })
	return pool, nil
}

func (p *poolState) spawn() (*worker, error) {
	p.mu.Lock()
	p.started++
	name := fmt.Sprintf("%s-%d", p.name, p.started)
	p.mu.Unlock()
	return spawn(name, p.rec)
}

// Workers returns the number of worker processes.
func (p *Pool) Workers() int { return p.n }

// Timeline returns the recorder of the pool's activity, a lane per worker.
func (p *Pool) Timeline() *timeline.Recorder { return p.rec }

// Pids returns the process ids of the current workers.
func (p *Pool) Pids() []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	var pids []int
	for _, s := range p.slots {
		if s.w != nil && !s.w.isDead() {
			pids = append(pids, s.w.pid)
		}
	}
	return pids
}

// A call is one Map, Apply or Imap: its tasks deliver item results here.
type call struct {
	t         target
	n         int
	out       chan itemResult // buffered n
	cancelled atomic.Bool
	srcHash   uint64
	src       string
}

type itemResult struct {
	i   int
	v   any
	err error
}

// A task is a chunk of a call's items, run by one worker in one message.
type task struct {
	c     *call
	first int       // index of the first item
	args  [][]value // one argument list per item
}

func (t *task) describe() string {
	if t.c.n == 1 {
		return t.c.t.name
	}
	if len(t.args) == 1 {
		return fmt.Sprintf("%s(item %d)", t.c.t.name, t.first)
	}
	return fmt.Sprintf("%s(items %d-%d)", t.c.t.name, t.first, t.first+len(t.args)-1)
}

func (p *poolState) newCall(fn any, n int) (*call, error) {
	if p.closed.Load() {
		return nil, ErrPoolClosed
	}
	t, err := resolve(fn)
	if err != nil {
		return nil, err
	}
	c := &call{t: t, n: n, out: make(chan itemResult, n)}
	if t.cell {
		c.src, _ = cellSource()
		h := fnv.New64a()
		h.Write([]byte(c.src))
		c.srcHash = h.Sum64() | 1
	}
	return c, nil
}

// submit encodes the argument lists and queues them in chunks.
func (p *poolState) submit(c *call, argLists [][]any, chunk int) error {
	end := p.rec.BeginLabel("MainProcess", timeline.Message, "encode the arguments of "+c.t.name)
	enc := make([][]value, len(argLists))
	for i, args := range argLists {
		vs, err := c.t.encodeArgs(args)
		if err != nil {
			end()
			if len(argLists) > 1 {
				return fmt.Errorf("item %d: %w", i, err)
			}
			return err
		}
		enc[i] = vs
	}
	end()
	if chunk < 1 {
		chunk = 1
	}
	var ts []*task
	for i := 0; i < len(enc); i += chunk {
		j := min(i+chunk, len(enc))
		ts = append(ts, &task{c: c, first: i, args: enc[i:j]})
	}
	if !p.queue.push(ts...) {
		return ErrPoolClosed
	}
	return nil
}

// cellDone is the interrupt channel of the calling goroutine's cell (nil
// outside cells: never ready).
func cellDone() <-chan struct{} {
	if c := rt.Current(); c != nil {
		return c.Done()
	}
	return nil
}

// wait returns the next item result of c; an interrupt of the cell cancels
// the call, kills the workers running it, and panics with rt.Interrupted.
func (p *poolState) wait(c *call, done <-chan struct{}) itemResult {
	select {
	case r := <-c.out:
		return r
	case <-done:
		p.cancel(c)
		panic(rt.Interrupted{})
	}
}

// cancel drops c's queued tasks and kills the workers running its tasks;
// the pool replaces them.
func (p *poolState) cancel(c *call) {
	c.cancelled.Store(true)
	p.mu.Lock()
	var ws []*worker
	for _, s := range p.slots {
		if s.task != nil && s.task.c == c && s.w != nil {
			ws = append(ws, s.w)
		}
	}
	p.mu.Unlock()
	for _, w := range ws {
		w.kill()
	}
	for _, w := range ws {
		<-w.dead
	}
}

// Map calls fn on each element of items (a slice or array) in the workers
// and returns the results in order, like Python's Pool.map. Items are sent
// in chunks of about len(items)/(4×workers), as Python does; use MapChunk to
// choose. On failure it returns the results that succeeded and the error
// of the first item that failed (by index).
func (p *Pool) Map(fn any, items any) ([]any, error) { return p.MapChunk(fn, items, 0) }

// MapChunk is Map with chunk items per message (0: Python's default).
func (p *Pool) MapChunk(fn any, items any, chunk int) ([]any, error) {
	argLists, err := oneArgEach(items)
	if err != nil {
		return nil, err
	}
	return p.starmap(fn, argLists, chunk)
}

// Starmap calls fn(args...) for each argument list, like Python's
// Pool.starmap.
func (p *Pool) Starmap(fn any, argLists [][]any) ([]any, error) { return p.starmap(fn, argLists, 0) }

func (p *poolState) starmap(fn any, argLists [][]any, chunk int) ([]any, error) {
	c, err := p.newCall(fn, len(argLists))
	if err != nil {
		return nil, err
	}
	if chunk <= 0 {
		chunk = p.defaultChunk(len(argLists))
	}
	if err := p.submit(c, argLists, chunk); err != nil {
		return nil, err
	}
	done := cellDone()
	defer rt.Blocking()() // an emulated GIL is released while waiting, as CPython's is
	res := make([]any, len(argLists))
	var first error
	firstAt := len(argLists)
	for range argLists {
		r := p.wait(c, done)
		res[r.i] = r.v
		if r.err != nil && r.i < firstAt {
			first, firstAt = r.err, r.i
		}
	}
	return res, first
}

func (p *poolState) defaultChunk(n int) int {
	chunk, extra := n/(4*p.n), n%(4*p.n)
	if extra > 0 {
		chunk++
	}
	return max(chunk, 1)
}

func oneArgEach(items any) ([][]any, error) {
	v := reflect.ValueOf(items)
	if v.Kind() != reflect.Slice && v.Kind() != reflect.Array {
		return nil, fmt.Errorf("subprocess: items must be a slice or an array, not %T", items)
	}
	out := make([][]any, v.Len())
	for i := range out {
		out[i] = []any{v.Index(i).Interface()}
	}
	return out, nil
}

// Apply calls fn(args...) in a worker and waits for its result, like
// Python's Pool.apply.
func (p *Pool) Apply(fn any, args ...any) (any, error) {
	return p.ApplyAsync(fn, args...).Get()
}

// An AsyncResult is the future of ApplyAsync.
type AsyncResult struct {
	p    *Pool
	c    *call
	err  error // a submission error
	once sync.Once
	r    itemResult
	done chan struct{}
}

// ApplyAsync starts fn(args...) in a worker and returns at once, like
// Python's Pool.apply_async.
func (p *Pool) ApplyAsync(fn any, args ...any) *AsyncResult {
	a := &AsyncResult{p: p, done: make(chan struct{})}
	a.c, a.err = p.newCall(fn, 1)
	if a.err == nil {
		a.err = p.submit(a.c, [][]any{args}, 1)
	}
	if a.err != nil {
		a.r.err = a.err
		close(a.done)
	}
	return a
}

// Get waits for the result.
func (a *AsyncResult) Get() (any, error) {
	a.fetch(cellDone())
	return a.r.v, a.r.err
}

func (a *AsyncResult) fetch(done <-chan struct{}) {
	if a.err != nil {
		return
	}
	select {
	case <-a.done:
		return
	default:
	}
	defer rt.Blocking()()
	a.once.Do(func() {
		defer close(a.done)
		defer func() {
			if r := recover(); r != nil { // an interrupt: later Gets fail instead of hanging
				a.r.err = fmt.Errorf("subprocess: %s was interrupted", a.c.t.name)
				panic(r)
			}
		}()
		a.r = a.p.wait(a.c, done)
	})
	<-a.done
}

// Ready reports whether the call has finished.
func (a *AsyncResult) Ready() bool {
	select {
	case <-a.done:
		return true
	default:
	}
	if a.err != nil || len(a.c.out) == 0 {
		return false
	}
	a.fetch(nil)
	return true
}

// Wait waits for the call to finish.
func (a *AsyncResult) Wait() { a.fetch(cellDone()) }

// An Iter yields results as they come, from Imap and ImapUnordered:
//
//	it := pool.Imap(square, xs)
//	for it.Next() {
//		fmt.Println(it.Index(), it.Value())
//	}
//	if err := it.Err(); err != nil { ... }
type Iter struct {
	p       *Pool
	c       *call
	ordered bool
	err     error
	pending map[int]itemResult
	next    int // ordered: the index due next
	got     int
	cur     itemResult
}

// Imap is Map yielding each result as soon as it and those before it are
// done, like Python's Pool.imap (chunk 1 item per message; see ImapChunk).
func (p *Pool) Imap(fn any, items any) *Iter { return p.imap(fn, items, 1, true) }

// ImapChunk is Imap with chunk items per message.
func (p *Pool) ImapChunk(fn any, items any, chunk int) *Iter { return p.imap(fn, items, chunk, true) }

// ImapUnordered yields results in the order they finish.
func (p *Pool) ImapUnordered(fn any, items any) *Iter { return p.imap(fn, items, 1, false) }

func (p *Pool) imap(fn any, items any, chunk int, ordered bool) *Iter {
	it := &Iter{p: p, ordered: ordered, pending: map[int]itemResult{}}
	argLists, err := oneArgEach(items)
	if err == nil {
		it.c, err = p.newCall(fn, len(argLists))
	}
	if err == nil {
		err = p.submit(it.c, argLists, chunk)
	}
	it.err = err
	return it
}

// Next waits for the next result; it returns false at the end or at the
// first failed item (see Err).
func (it *Iter) Next() bool {
	if it.err != nil || it.c == nil || it.got == it.c.n {
		return false
	}
	done := cellDone()
	defer rt.Blocking()()
	var r itemResult
	if it.ordered {
		for {
			if x, ok := it.pending[it.next]; ok {
				delete(it.pending, it.next)
				r = x
				break
			}
			x := it.p.wait(it.c, done)
			it.pending[x.i] = x
		}
		it.next++
	} else {
		r = it.p.wait(it.c, done)
	}
	it.got++
	if r.err != nil {
		it.err = fmt.Errorf("item %d: %w", r.i, r.err)
		return false
	}
	it.cur = r
	return true
}

// Value returns the current result.
func (it *Iter) Value() any { return it.cur.v }

// Index returns the index in items of the current result.
func (it *Iter) Index() int { return it.cur.i }

// Err returns the error that ended the iteration, if any.
func (it *Iter) Err() error { return it.err }

// slot runs worker i: it takes tasks from the queue one at a time, and
// replaces the worker when it dies.
func (p *poolState) slot(i int) {
	defer p.wg.Done()
	defer recoverQuietly()
	s := p.slots[i]
	lastEnd := time.Duration(-1)
	for {
		p.mu.Lock()
		w := s.w
		p.mu.Unlock()
		if w != nil && w.isDead() {
			p.retire(w)
			w = nil
			if !isClosed(p.closing) {
				w, _ = p.replace(s) // replaced at once, ready for the next task; an error shows there
			}
		}
		t, ok := p.queue.pop(p.closing)
		if !ok {
			if w != nil {
				if isClosed(p.killAll) {
					w.kill()
					<-w.dead
				} else {
					w.stop(time.Second)
				}
				p.retire(w)
			}
			return
		}
		if t.c.cancelled.Load() {
			continue
		}
		if w == nil {
			var err error
			if w, err = p.replace(s); err != nil {
				p.fail(t, err)
				time.Sleep(50 * time.Millisecond) // do not spin when processes cannot start
				continue
			}
			lastEnd = -1
		}
		if lastEnd >= 0 {
			p.rec.Add(timeline.Span{Lane: w.name, Kind: timeline.Idle, Start: lastEnd, End: p.rec.Since()})
		}
		p.mu.Lock()
		s.task = t
		p.mu.Unlock()
		p.run(s, w, t)
		p.mu.Lock()
		s.task = nil
		p.mu.Unlock()
		lastEnd = p.rec.Since()
	}
}

func (p *poolState) replace(s *slotState) (*worker, error) {
	w, err := p.spawn()
	p.mu.Lock()
	s.w = w
	p.mu.Unlock()
	return w, err
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// WorkerStats describes one worker process of a pool.
type WorkerStats struct {
	Name    string        `display:"worker"`
	Pid     int           `display:"pid"`
	Startup time.Duration `display:"start-up"`
	Tasks   int           `display:"items run"`
	Busy    time.Duration `display:"running"`
	Status  string        `display:"status"`
}

func (w *worker) stats() WorkerStats {
	st := WorkerStats{Name: w.name, Pid: w.pid, Status: w.status()}
	if isClosed(w.ready) {
		st.Startup = w.startup
	}
	w.mu.Lock()
	st.Tasks, st.Busy = w.tasksRun, w.busy
	w.mu.Unlock()
	return st
}

// Stats returns the statistics of every worker the pool has had, those
// that are gone first.
func (p *Pool) Stats() []WorkerStats {
	p.mu.Lock()
	out := append([]WorkerStats(nil), p.stats...)
	var cur []*worker
	for _, s := range p.slots {
		if s.w != nil {
			cur = append(cur, s.w)
		}
	}
	p.mu.Unlock()
	seen := map[string]bool{}
	for _, st := range out {
		seen[st.Name] = true
	}
	for _, w := range cur {
		if !seen[w.name] {
			out = append(out, w.stats())
		}
	}
	return out
}

// retire records the statistics of a worker that is gone.
func (p *poolState) retire(w *worker) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, st := range p.stats {
		if st.Name == w.name {
			return
		}
	}
	p.stats = append(p.stats, w.stats())
}

func (p *poolState) fail(t *task, err error) {
	for k := range t.args {
		t.c.out <- itemResult{i: t.first + k, err: err}
	}
}

// run sends one task to w and delivers its results. When w dies, its
// replacement is started before the failure is delivered, so a caller that
// sees the error finds the pool whole again.
func (p *poolState) run(s *slotState, w *worker, t *task) {
	select {
	case <-w.ready:
	case <-w.dead:
	}
	var r *msg
	var err error
	if w.isDead() {
		err = w.diedError(t.describe())
	} else if t.c.t.cell && w.srcHash != t.c.srcHash {
		if w.l.send(&msg{Op: opLoad, Src: t.c.src, Hash: t.c.srcHash}) != nil {
			<-w.dead
			err = w.diedError(t.describe())
		}
		w.srcHash = t.c.srcHash
	}
	if err == nil {
		r, err = w.call(t.c.t, t.args, false, "", t.describe(), p.killAll)
	}
	if err != nil {
		if w.isDead() && !isClosed(p.closing) && !t.c.cancelled.Load() {
			p.retire(w)
			p.replace(s)
		}
		p.fail(t, err)
		return
	}
	p.deliver(t, r)
}

// call sends a task message to w and waits for its result message.
func (w *worker) call(tg target, args [][]value, exit bool, label, what string, abort <-chan struct{}) (*msg, error) {
	id := taskIDs.Add(1)
	sent := w.rec.Since()
	m := &msg{Op: opTask, ID: id, Name: tg.name, Sym: tg.sym, Cell: tg.cell, Calls: args, Exit: exit, Label: label}
	if err := w.l.send(m); err != nil {
		<-w.dead
		return nil, w.diedError(what)
	}
	var r *msg
	select {
	case r = <-w.replies:
	case <-w.dead:
		// The reader may have queued the result just before the end.
		select {
		case r = <-w.replies:
		default:
			return nil, w.diedError(what)
		}
	case <-abort:
		w.kill()
		<-w.dead
		return nil, ErrPoolClosed
	}
	got := w.rec.Since()
	// The child's clock readings, moved onto the recorder's time line and
	// kept inside [sent, got].
	now := time.Now()
	t0 := clamp(got-now.Sub(time.Unix(0, r.T0)), sent, got)
	t1 := clamp(got-now.Sub(time.Unix(0, r.T1)), t0, got)
	w.rec.Add(timeline.Span{Lane: w.name, Kind: timeline.Message, Start: sent, End: t0, Label: "arguments to " + w.name})
	w.rec.Add(timeline.Span{Lane: w.name, Kind: timeline.Running, Start: t0, End: t1, Label: what})
	w.rec.Add(timeline.Span{Lane: w.name, Kind: timeline.Message, Start: t1, End: got, Label: "results from " + w.name})
	w.mu.Lock()
	w.tasksRun += len(args)
	w.busy += t1 - t0
	w.mu.Unlock()
	return r, nil
}

var taskIDs atomic.Uint64

func clamp(d, lo, hi time.Duration) time.Duration { return max(lo, min(d, hi)) }

func (p *poolState) deliver(t *task, r *msg) {
	rt := t.c.t.resultType()
	for k := range t.args {
		ir := itemResult{i: t.first + k}
		if k >= len(r.Results) {
			ir.err = fmt.Errorf("subprocess: %s: the worker sent no result", t.describe())
		} else if res := r.Results[k]; res.Err != "" {
			ir.err = &TaskError{Func: t.c.t.name, Item: t.first + k, Msg: res.Err, Panic: res.Panic}
		} else if v, err := decode(res.V, rt, nil); err != nil {
			ir.err = err
		} else {
			ir.v = v.Interface()
		}
		t.c.out <- ir
	}
}

// A TaskError is a call that failed in a worker: it returned an error or
// panicked. The worker goes on with the next task.
type TaskError struct {
	Func  string
	Item  int
	Msg   string // the error's text, or "panic: ..." with the stack
	Panic bool
}

func (e *TaskError) Error() string {
	return fmt.Sprintf("subprocess: %s failed in a worker: %s", e.Func, e.Msg)
}

// Close stops taking calls, lets the queued ones finish, stops the workers
// and waits for them to exit. Python's Pool.close followed by join.
//
// An interrupt of the cell while it waits terminates the pool (and panics
// with rt.Interrupted).
func (p *Pool) Close() error {
	p.once.Do(func() {
		p.closed.Store(true)
		close(p.closing)
	})
	defer rt.Blocking()()
	finished := make(chan struct{})
	go func() {
		p.wg.Wait()
		close(finished)
	}()
	select {
	case <-finished:
	case <-cellDone():
		p.terminate()
		panic(rt.Interrupted{})
	}
	return nil
}

// Terminate kills the workers now, like Python's Pool.terminate; calls
// waiting on the pool fail with ErrPoolClosed.
func (p *Pool) Terminate() { p.terminate() }

func (p *poolState) terminate() {
	defer recoverQuietly()
	p.once.Do(func() {
		p.closed.Store(true)
		close(p.closing)
	})
	p.mu.Lock()
	if !isClosed(p.killAll) {
		close(p.killAll)
	}
	p.mu.Unlock()
	for _, t := range p.queue.drain() {
		p.fail(t, ErrPoolClosed)
	}
	p.wg.Wait()
	for _, t := range p.queue.drain() {
		p.fail(t, ErrPoolClosed)
	}
}

// A taskQueue is an unbounded FIFO of tasks that a slot can wait on
// together with the pool's closing.
type taskQueue struct {
	mu     sync.Mutex
	items  []*task
	wake   chan struct{}
	closed bool
}

func (q *taskQueue) init() { q.wake = make(chan struct{}) }

func (q *taskQueue) push(ts ...*task) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return false
	}
	q.items = append(q.items, ts...)
	close(q.wake)
	q.wake = make(chan struct{})
	return true
}

// pop waits for a task; after closing it returns the remaining tasks and
// then false.
func (q *taskQueue) pop(closing <-chan struct{}) (*task, bool) {
	for {
		q.mu.Lock()
		if len(q.items) > 0 {
			t := q.items[0]
			q.items[0] = nil
			q.items = q.items[1:]
			q.mu.Unlock()
			return t, true
		}
		wake := q.wake
		q.mu.Unlock()
		select {
		case <-wake:
		case <-closing:
			q.mu.Lock()
			q.closed = true
			empty := len(q.items) == 0
			q.mu.Unlock()
			if empty {
				return nil, false
			}
		}
	}
}

func (q *taskQueue) drain() []*task {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	ts := q.items
	q.items = nil
	return ts
}
