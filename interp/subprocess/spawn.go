package subprocess

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gokernel/gokernel/interp/timeline"
)

// A worker is the parent's handle on one worker process.
type worker struct {
	name string // lane name: "PoolWorker-1", "Process-2"
	rec  *timeline.Recorder

	cmd     *exec.Cmd
	pid     int
	pw      *os.File // the write end of the pipe to the worker
	l       *link
	spawned time.Time
	born    time.Duration // recorder time of the spawn

	ready   chan struct{} // closed when the worker said it is ready
	startup time.Duration // spawn to ready, valid after ready

	replies chan *msg     // task results and pongs, in order
	eof     chan struct{} // closed when the reader has read everything the worker sent
	dead    chan struct{} // closed once the process has exited, been reaped, and its messages read
	stderr  *tailWriter

	mu       sync.Mutex
	reaped   bool
	killed   bool // by us (Terminate, an interrupt)
	state    *os.ProcessState
	srcHash  uint64 // the cell source last sent
	tasksRun int
	busy     time.Duration
}

// The worker processes alive now, so Shutdown can end them all.
var live = struct {
	sync.Mutex
	m map[*worker]struct{}
}{m: map[*worker]struct{}{}}

// Spawns go through one goroutine locked to its OS thread: Pdeathsig is
// delivered when the thread that forked the child ends, and Go ends threads
// (a goroutine that exits while locked to one), so forking from an arbitrary
// thread could kill a worker long before its parent process dies.
var spawner struct {
	once sync.Once
	reqs chan spawnReq
}

type spawnReq struct {
	cmd  *exec.Cmd
	done chan error
}

func startCmd(cmd *exec.Cmd) error {
	spawner.once.Do(func() {
		spawner.reqs = make(chan spawnReq)
		go func() {
			runtime.LockOSThread() // never unlocked: this thread lives as long as the process
			for r := range spawner.reqs {
				r.done <- startProtected(r.cmd)
			}
		}()
	})
	done := make(chan error, 1)
	spawner.reqs <- spawnReq{cmd, done}
	return <-done
}

func startProtected(cmd *exec.Cmd) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic starting the process: %v", r)
		}
	}()
	return cmd.Start()
}

var (
	depthErr = errors.New("subprocess: a worker process cannot start worker processes of its own " +
		"(this guards against a notebook's declarations starting pools each time a worker loads them)")
	spawned atomic.Int64
)

// spawn starts a worker process. It returns once the process exists; ready
// is closed when it has answered.
func spawn(name string, rec *timeline.Recorder) (*worker, error) {
	if IsChild() {
		return nil, depthErr
	}
	if rec == nil {
		rec = timeline.New()
	}
	hooks.RLock()
	exe, args := hooks.exe, hooks.args
	hooks.RUnlock()
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return nil, fmt.Errorf("subprocess: cannot find the program to start workers with: %w", err)
		}
		args = []string{childArg}
	}
	// Two pipes: parent → child on the child's fd 3, child → parent on fd 4.
	cr, pw, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("subprocess: starting %s: %w", name, err)
	}
	pr, cw, err := os.Pipe()
	if err != nil {
		cr.Close()
		pw.Close()
		return nil, fmt.Errorf("subprocess: starting %s: %w", name, err)
	}
	w := &worker{
		name:    name,
		rec:     rec,
		ready:   make(chan struct{}),
		replies: make(chan *msg, 16),
		eof:     make(chan struct{}),
		dead:    make(chan struct{}),
		stderr:  newTail(os.Stderr, 4096),
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), envChild+"=worker", envParent+"="+strconv.Itoa(os.Getpid()))
	cmd.Stdout = os.Stdout // inherited: what a task prints goes where the parent's output goes
	cmd.Stderr = w.stderr  // copied, keeping a tail for the report of a crash
	cmd.ExtraFiles = []*os.File{cr, cw}
	cmd.SysProcAttr = sysProcAttr()
	cmd.WaitDelay = 500 * time.Millisecond // a grandchild holding stderr open must not block the reaper
	w.cmd = cmd
	w.born = rec.Since()
	w.spawned = time.Now()
	err = startCmd(cmd)
	cr.Close()
	cw.Close()
	if err != nil {
		pw.Close()
		pr.Close()
		return nil, fmt.Errorf("subprocess: starting %s (%s): %w", name, exe, err)
	}
	spawned.Add(1)
	w.pid = cmd.Process.Pid
	w.l = newLink(pr, pw)
	w.pw = pw
	rec.Lane(w.name)
	live.Lock()
	live.m[w] = struct{}{}
	live.Unlock()
	go w.readLoop(pr)
	go w.reap(pw, pr)
	return w, nil
}

// reap waits for the process to exit, so none is left a zombie, and
// records how it ended.
func (w *worker) reap(pw, pr *os.File) {
	defer recoverQuietly()
	err := w.cmd.Wait()
	pw.Close() // the child is gone: writes now fail instead of blocking
	w.mu.Lock()
	w.reaped = true
	w.state = w.cmd.ProcessState
	w.mu.Unlock()
	_ = err // the state says it all
	// A result written just before exiting must be read before the worker
	// counts as dead, or it would be reported as lost.
	t := time.NewTimer(2 * time.Second)
	select {
	case <-w.eof:
	case <-t.C:
	}
	t.Stop()
	w.rec.Mark(w.name, "exit: "+w.status())
	live.Lock()
	delete(live.m, w)
	live.Unlock()
	close(w.dead)
	pr.Close()
}

func (w *worker) readLoop(pr *os.File) {
	defer recoverQuietly()
	defer close(w.eof)
	readyOnce := false
	for {
		m := new(msg)
		if err := w.l.recv(m); err != nil {
			if !readyOnce {
				close(w.ready) // unblock waiters; they find the worker dead
			}
			w.kill() // a broken stream: make sure the process goes too
			return
		}
		switch m.Op {
		case opReady:
			if !readyOnce {
				readyOnce = true
				w.startup = time.Since(w.spawned)
				w.rec.Add(timeline.Span{Lane: w.name, Kind: timeline.Starting, Start: w.born,
					End: w.born + w.startup, Label: fmt.Sprintf("%s (pid %d) start-up %s", w.name, w.pid, fmtDur(w.startup))})
				close(w.ready)
			}
		case opResult, opPong:
			select {
			case w.replies <- m:
			case <-w.dead:
				return
			}
		case opQPut:
			q := lookupQueue(m.Q)
			if q != nil {
				q.putValue(m.V)
			}
		case opQGet, opQLen:
			go w.serveGet(m)
		}
	}
}

// serveGet answers a worker's Get (or Len) on a queue the parent hosts.
func (w *worker) serveGet(m *msg) {
	defer recoverQuietly()
	reply := &msg{Op: opQGot, ID: m.ID}
	q := lookupQueue(m.Q)
	switch {
	case q == nil:
		reply.Name = ErrClosed.Error()
	case m.Op == opQLen:
		reply.N = q.Len()
	default:
		v, err := q.getValue(time.Duration(m.Timeout), w.dead)
		if err != nil {
			reply.Name = err.Error()
		} else {
			reply.V = v
		}
	}
	w.l.send(reply)
}

func (w *worker) isDead() bool {
	select {
	case <-w.dead:
		return true
	default:
		return false
	}
}

// kill ends the worker and the processes it started (its process group).
func (w *worker) kill() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.reaped {
		return
	}
	w.killed = true
	killGroup(w.pid)
	w.cmd.Process.Kill()
}

// terminate sends SIGTERM, as Python's Process.terminate does.
func (w *worker) terminate() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.reaped {
		return
	}
	w.killed = true
	w.cmd.Process.Signal(syscall.SIGTERM)
}

// stop asks an idle worker to exit and waits; a worker that does not exit
// within grace is killed.
func (w *worker) stop(grace time.Duration) {
	w.l.send(&msg{Op: opExit})
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-w.dead:
	case <-t.C:
		w.kill()
		<-w.dead
	}
}

// exitCode is Python's Process.exitcode: the exit status, or minus the
// signal that ended the process; ok is false while it runs.
func (w *worker) exitCode() (code int, ok bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.state == nil {
		return 0, false
	}
	if ws, isWS := w.state.Sys().(syscall.WaitStatus); isWS && ws.Signaled() {
		return -int(ws.Signal()), true
	}
	return w.state.ExitCode(), true
}

func (w *worker) status() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.state == nil {
		return "running"
	}
	s := w.state.String()
	if w.killed {
		s += " (ended by the parent)"
	}
	return s
}

// diedError describes the death of a worker while it ran task.
func (w *worker) diedError(task string) error {
	return &WorkerError{Worker: w.name, Pid: w.pid, Task: task, Status: w.status(),
		Stderr: w.stderr.String(), Killed: w.wasKilled()}
}

func (w *worker) wasKilled() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.killed
}

// A WorkerError reports a worker process that died while it ran a task (it
// called os.Exit, was killed by a signal, or hit a fatal error such as
// concurrent map writes or running out of memory).
type WorkerError struct {
	Worker string // "PoolWorker-2"
	Pid    int
	Task   string // "square(item 3)"
	Status string // "exit status 3", "signal: killed"
	Stderr string // the last few KiB the worker wrote to stderr
	Killed bool   // ended by the parent (Terminate, an interrupt), not by itself
}

func (e *WorkerError) Error() string {
	s := fmt.Sprintf("subprocess: worker %s (pid %d) died while running %s: %s", e.Worker, e.Pid, e.Task, e.Status)
	if t := strings.TrimSpace(e.Stderr); t != "" {
		s += "; the end of its stderr:\n" + t
	}
	return s
}

// Shutdown kills every worker process this process started and waits for
// them. The kernel calls it when it exits or restarts; pools and processes
// still referenced afterwards start new workers when used.
func Shutdown() {
	live.Lock()
	ws := make([]*worker, 0, len(live.m))
	for w := range live.m {
		ws = append(ws, w)
	}
	live.Unlock()
	for _, w := range ws {
		w.kill()
	}
	for _, w := range ws {
		<-w.dead
	}
}

// Live returns the process ids of the worker processes alive now.
func Live() []int {
	live.Lock()
	defer live.Unlock()
	pids := make([]int, 0, len(live.m))
	for w := range live.m {
		pids = append(pids, w.pid)
	}
	return pids
}

// A tailWriter copies to dst and keeps the last max bytes.
type tailWriter struct {
	dst io.Writer
	mu  sync.Mutex
	buf []byte
	max int
}

func newTail(dst io.Writer, max int) *tailWriter { return &tailWriter{dst: dst, max: max} }

func (t *tailWriter) Write(p []byte) (int, error) {
	t.mu.Lock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.max:]...)
	}
	t.mu.Unlock()
	if t.dst != nil {
		t.dst.Write(p)
	}
	return len(p), nil
}

func (t *tailWriter) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

func recoverQuietly() {
	if r := recover(); r != nil {
		fmt.Fprintf(os.Stderr, "subprocess: internal error: %v\n", r)
	}
}

func fmtDur(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.1f ms", float64(d)/1e6)
	default:
		return fmt.Sprintf("%.1f µs", float64(d)/1e3)
	}
}
