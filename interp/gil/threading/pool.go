package threading

import (
	"errors"
	"fmt"
	"sync"

	"github.com/gokernel/gokernel/interp/rt"
	"github.com/gokernel/gokernel/interp/timeline"
)

// A Pool is concurrent.futures.ThreadPoolExecutor: up to a fixed number of
// worker threads (named "ThreadPoolExecutor-P_W", started as work arrives)
// run submitted functions. A panicking function becomes an error on its
// Future, never a crash.
type Pool struct {
	r    *Runtime
	name string
	max  int
	work *Queue

	mu       sync.Mutex
	workers  []*Thread
	idle     int
	shutdown bool
}

// A Future is the pending result of a function submitted to a Pool.
type Future struct {
	done chan struct{}
	val  any
	err  error
}

// ErrShutdown is the error of work submitted to a pool after Shutdown.
var ErrShutdown = errors.New("threading: cannot schedule new futures after shutdown")

// NewPool returns a pool of at most workers threads (<= 0: 5, Python's
// minimum default).
func (r *Runtime) NewPool(workers int) *Pool {
	if workers <= 0 {
		workers = 5
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	p := &Pool{r: r, name: fmt.Sprintf("ThreadPoolExecutor-%d", r.npools), max: workers, work: r.NewQueue(0)}
	r.npools++
	r.pools = append(r.pools, p)
	return p
}

type job struct {
	fn  func() (any, error)
	fut *Future
}

// Submit schedules fn and returns its Future.
func (p *Pool) Submit(fn func() any) *Future {
	return p.submit(func() (any, error) { return fn(), nil })
}

// SubmitErr schedules fn, whose error becomes the Future's.
func (p *Pool) SubmitErr(fn func() (any, error)) *Future { return p.submit(fn) }

func (p *Pool) submit(fn func() (any, error)) *Future {
	f := &Future{done: make(chan struct{})}
	p.mu.Lock()
	if p.shutdown {
		p.mu.Unlock()
		f.err = ErrShutdown
		close(f.done)
		return f
	}
	var start *Thread
	if p.idle == 0 && len(p.workers) < p.max {
		start = p.r.Thread(fmt.Sprintf("%s_%d", p.name, len(p.workers)), p.worker)
		p.workers = append(p.workers, start)
	} else if p.idle > 0 {
		p.idle--
	}
	p.mu.Unlock()
	p.work.Put(job{fn: fn, fut: f})
	if start != nil {
		start.Start()
	}
	return f
}

func (p *Pool) worker() {
	for {
		v := p.work.Get()
		j, ok := v.(job)
		if !ok {
			return // the shutdown sentinel
		}
		pn := rt.Protect(func() { j.fut.val, j.fut.err = j.fn() })
		if pn != nil {
			if _, ok := pn.Value.(rt.Interrupted); ok {
				j.fut.err = rt.Interrupted{}
				close(j.fut.done)
				panic(pn.Value)
			}
			j.fut.val, j.fut.err = nil, fmt.Errorf("threading: task in %s panicked: %w", CurrentName(), pn)
		}
		close(j.fut.done)
		p.mu.Lock()
		p.idle++
		p.mu.Unlock()
	}
}

// Call runs fn on the pool and waits for its result. It makes a Pool an
// eventloop.Executor (loop.RunInExecutor).
func (p *Pool) Call(fn func() (any, error)) (any, error) { return p.submit(fn).Result() }

// Map runs fn on every item and returns the results in order, with the first
// error (Executor.map).
func (p *Pool) Map(fn func(x any) any, items []any) ([]any, error) {
	futs := make([]*Future, len(items))
	for i, x := range items {
		futs[i] = p.Submit(func() any { return fn(x) })
	}
	return Results(futs)
}

// MapN runs fn(0) ... fn(n-1) and returns the results in order
// (executor.map(fn, range(n))).
func (p *Pool) MapN(n int, fn func(i int) any) ([]any, error) {
	futs := make([]*Future, n)
	for i := range n {
		futs[i] = p.Submit(func() any { return fn(i) })
	}
	return Results(futs)
}

// Results waits for every future and returns their values in order, with
// the first error.
func Results(futs []*Future) ([]any, error) {
	out := make([]any, len(futs))
	var first error
	for i, f := range futs {
		v, err := f.Result()
		out[i] = v
		if err != nil && first == nil {
			first = err
		}
	}
	return out, first
}

// Shutdown stops accepting work, lets the queued work finish and joins the
// workers (shutdown(wait=True)). Calling it again does nothing.
func (p *Pool) Shutdown() {
	p.mu.Lock()
	if p.shutdown {
		p.mu.Unlock()
		return
	}
	p.shutdown = true
	workers := append([]*Thread(nil), p.workers...)
	p.mu.Unlock()
	for range workers {
		p.work.Put(nil)
	}
	for _, w := range workers {
		w.Join()
	}
}

// Workers returns the pool's threads started so far.
func (p *Pool) Workers() []*Thread {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*Thread(nil), p.workers...)
}

// Result waits for the function to finish (releasing the GIL) and returns
// its value and error; a panic is an error wrapping *rt.Panic.
func (f *Future) Result() (any, error) {
	waitChan(timeline.Blocked, f.done)
	return f.val, f.err
}

// Wait waits for the function to finish.
func (f *Future) Wait() { waitChan(timeline.Blocked, f.done) }

// Done reports whether the function has finished.
func (f *Future) Done() bool {
	select {
	case <-f.done:
		return true
	default:
		return false
	}
}
