package subprocess

import (
	"errors"
	"fmt"
	"hash/fnv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gokernel/gokernel/interp/rt"
	"github.com/gokernel/gokernel/interp/timeline"
)

var processCount atomic.Int64

// A Process runs one call of a function in a new worker process, like
// Python's multiprocessing.Process:
//
//	p := subprocess.NewProcess(countdown, 50_000_000)
//	p.Start()
//	err := p.Join() // nil when the process exited with status 0
//	fmt.Println(p.Name, p.Pid(), p.ExitCode())
//
// The process exits with status 0 when the function returns, 1 when it
// returns an error or panics (the error is printed on its stderr, as Python
// prints the traceback), or whatever the function passes to os.Exit.
type Process struct {
	Name     string             // "Process-1" unless set before Start
	Timeline *timeline.Recorder // receives the process's lane; nil: a new one

	fn   any
	args []any

	mu      sync.Mutex
	w       *worker
	started bool
	done    chan struct{} // closed when the process has exited
	result  any
	err     error // the call's error, or the worker's death
}

// NewProcess prepares a process that will call fn(args...). fn is a
// registered compiled function, a function declared in a cell, or the name
// of either.
func NewProcess(fn any, args ...any) *Process {
	return &Process{Name: fmt.Sprintf("Process-%d", processCount.Add(1)), fn: fn, args: args, done: make(chan struct{})}
}

// ErrNotStarted is returned by Join on a process never started.
var ErrNotStarted = errors.New("subprocess: the process was not started")

// Start starts the process. It returns once the OS process exists; the
// call's arguments are sent when it is ready.
func (p *Process) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.started {
		return fmt.Errorf("subprocess: %s was started already (a Process starts once)", p.Name)
	}
	t, err := resolve(p.fn)
	if err != nil {
		return err
	}
	args, err := t.encodeArgs(p.args)
	if err != nil {
		return err
	}
	var src string
	var hash uint64
	if t.cell {
		src, _ = cellSource()
		h := fnv.New64a()
		h.Write([]byte(src))
		hash = h.Sum64() | 1
	}
	if p.Timeline == nil {
		p.Timeline = timeline.New()
		p.Timeline.Title = p.Name
	}
	w, err := spawn(p.Name, p.Timeline)
	if err != nil {
		return err
	}
	p.w, p.started = w, true
	go p.run(w, t, args, src, hash)
	return nil
}

func (p *Process) run(w *worker, t target, args []value, src string, hash uint64) {
	defer recoverQuietly()
	defer close(p.done)
	var res any
	var err error
	select {
	case <-w.ready:
	case <-w.dead:
	}
	if !w.isDead() && t.cell {
		w.l.send(&msg{Op: opLoad, Src: src, Hash: hash})
	}
	if w.isDead() {
		err = w.diedError(t.name)
	} else {
		var r *msg
		r, err = w.call(t, [][]value{args}, true, p.Name, t.name, nil)
		if err == nil {
			if len(r.Results) == 0 {
				err = fmt.Errorf("subprocess: %s sent no result", p.Name)
			} else if x := r.Results[0]; x.Err != "" {
				err = &TaskError{Func: t.name, Msg: x.Err, Panic: x.Panic}
			} else if v, derr := decode(x.V, t.resultType(), nil); derr != nil {
				err = derr
			} else {
				res = v.Interface()
			}
		}
	}
	<-w.dead
	if err == nil {
		if code, _ := w.exitCode(); code != 0 {
			err = w.diedError(t.name)
		}
	}
	p.mu.Lock()
	p.result, p.err = res, err
	p.mu.Unlock()
}

// Join waits for the process to exit. It returns nil when it exited with
// status 0, else the call's error or how the process died. An interrupt of
// the cell kills the process and panics with rt.Interrupted.
func (p *Process) Join() error {
	p.mu.Lock()
	started := p.started
	p.mu.Unlock()
	if !started {
		return ErrNotStarted
	}
	defer rt.Blocking()() // an emulated GIL is released while waiting
	select {
	case <-p.done:
	case <-cellDone():
		p.Kill()
		<-p.done
		panic(rt.Interrupted{})
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// JoinTimeout waits at most d; it reports whether the process has exited.
func (p *Process) JoinTimeout(d time.Duration) bool {
	if !p.isStarted() {
		return false
	}
	defer rt.Blocking()()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-p.done:
		return true
	case <-t.C:
		return false
	case <-cellDone():
		p.Kill()
		<-p.done
		panic(rt.Interrupted{})
	}
}

func (p *Process) isStarted() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.started
}

// Result returns what the function returned, after Join (an extension:
// Python's Process drops it).
func (p *Process) Result() (any, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.result, p.err
}

// Pid returns the process id, 0 before Start.
func (p *Process) Pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.w == nil {
		return 0
	}
	return p.w.pid
}

// ExitCode returns the exit status, minus the signal number for a process
// ended by a signal (Python's exitcode), and -1000 while it runs or before
// it started (Python's None).
func (p *Process) ExitCode() int {
	p.mu.Lock()
	w := p.w
	p.mu.Unlock()
	if w == nil {
		return NoExitCode
	}
	code, ok := w.exitCode()
	if !ok {
		return NoExitCode
	}
	return code
}

// NoExitCode is ExitCode's value for a process that has not exited.
const NoExitCode = -1000

// IsAlive reports whether the process was started and has not exited.
func (p *Process) IsAlive() bool {
	p.mu.Lock()
	w := p.w
	p.mu.Unlock()
	return w != nil && !w.isDead()
}

// Startup returns how long the process took from spawn to ready (0 if it
// has not answered yet).
func (p *Process) Startup() time.Duration {
	p.mu.Lock()
	w := p.w
	p.mu.Unlock()
	if w == nil || !isClosed(w.ready) {
		return 0
	}
	return w.startup
}

// Terminate sends the process SIGTERM (its exit code is then -15).
func (p *Process) Terminate() {
	if w := p.worker(); w != nil {
		w.terminate()
	}
}

// Kill sends the process (and what it started) SIGKILL.
func (p *Process) Kill() {
	if w := p.worker(); w != nil {
		w.kill()
	}
}

func (p *Process) worker() *worker {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.w
}
