package worker

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/gokernel/gokernel/kernel/mime"
)

// Options configure a Client. The zero value runs `<this executable> worker`.
type Options struct {
	// Command is the child's argv. Empty means os.Executable() followed by
	// "worker", the gokernel subcommand that calls Serve.
	Command []string
	// Env is the child's environment; nil means the kernel's own. The Client
	// adds EnvWorker (and EnvFlush) to it.
	Env []string
	// Dir is the child's working directory; "" means the kernel's.
	Dir string
	// Log receives the Client's diagnostics: each child's pid and start-up
	// time, its exit status, full crash reports, restarts, timeouts. nil
	// discards them.
	Log io.Writer
	// Grace is how long an interrupted cell may take to stop before the
	// Client abandons it (Execute returns, the cell runs on in the
	// background, and the next interrupt while it runs restarts the
	// interpreter). An interruptible cell stops within 0.5 s. 0 means 1 s.
	Grace time.Duration
	// CallTimeout bounds Complete, Inspect and IsComplete, so a busy or hung
	// interpreter cannot hang the kernel (they then answer "nothing found").
	// 0 means 3 s.
	CallTimeout time.Duration
	// FlushInterval is how often the child sends stream output while a cell
	// prints without pause (a pause sends at once). 0 means 20 ms.
	FlushInterval time.Duration
	// KeepPublishers is how many earlier cells keep their own Publisher for
	// output tagged with them (goroutines that outlive their cell). 0 means
	// none: such output goes to the Publisher of the latest cell, as
	// ipykernel does for threads, because frontends such as JupyterLab drop
	// output whose request has finished. Raise it when the kernel's
	// Publishers stay usable after Execute returns and the frontend shows
	// late output under its cell.
	KeepPublishers int
}

// A Client runs an Evaluator in a child process (`gokernel worker`, which
// calls Serve) and implements Evaluator by forwarding to it. A fatal error in
// the child (concurrent map writes, out of memory, os.Exit, a signal) ends
// the running Execute with a KernelDied *Error and a fresh child is started at
// once. Its methods are safe for concurrent use; cells run one at a time.
type Client struct {
	opts   Options
	log    *log.Logger
	seq    atomic.Uint64 // cell and call ids, unique across children
	routes router
	comms  commRoutes // Publishers of comm messages (comm.go)
	out    outbox
	exec   chan struct{} // one Execute at a time
	wg     sync.WaitGroup

	mu      sync.Mutex
	w       *child
	closed  bool
	lost    string       // why the state was lost while no cell ran; told to the next cell
	running *runningCell // the Execute in progress

	debug debugHook // the Jupyter debugger's events (debug.go)
}

type runningCell struct{ intr chan struct{} }

var _ Evaluator = (*Client)(nil)

var errUnsupported = errors.New("worker: the interpreter process needs Linux or macOS (pipes on extra file descriptors)")

// ErrClosed is returned by calls on a closed Client.
var ErrClosed = errors.New("worker: client closed")

// New returns a Client and starts its child in the background: New does not
// wait for it, and the first call waits only as long as the child still needs
// to be ready.
func New(opts Options) *Client {
	if opts.Grace <= 0 {
		opts.Grace = time.Second
	}
	if opts.CallTimeout <= 0 {
		opts.CallTimeout = 3 * time.Second
	}
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = defaultFlush
	}
	lw := opts.Log
	if lw == nil {
		lw = io.Discard
	}
	c := &Client{opts: opts, log: log.New(lw, "worker: ", log.LstdFlags|log.Lmicroseconds), exec: make(chan struct{}, 1)}
	c.routes.keep = opts.KeepPublishers
	if _, err := memoryLimit(); err != nil { // the child inherits the variable
		c.lost = fmt.Sprintf("gokernel: %v; the interpreter runs without a memory limit.\n\n", err)
	}
	c.out.interval = opts.FlushInterval
	// fork+exec costs a millisecond or two: do even that off the caller's
	// path. The mutex is handed to the goroutine, so the first call (or
	// Close) waits for the spawn.
	c.mu.Lock()
	go func() {
		defer c.mu.Unlock()
		c.w, _ = c.spawnLocked()
	}()
	return c
}

// Ready waits until the child is ready to run cells (or ctx is done) and
// returns how long the current child took to start. Nothing needs to call it;
// it serves start-up measurements and a kernel that wants to warm up.
func (c *Client) Ready(ctx context.Context) (time.Duration, error) {
	w, err := c.get(ctx)
	if err != nil {
		return 0, err
	}
	return w.readyIn, nil
}

// PID returns the process id of the current child, or 0.
func (c *Client) PID() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.w == nil || c.w.cmd.Process == nil {
		return 0
	}
	return c.w.cmd.Process.Pid
}

// Execute runs code in the child and forwards its outputs to out.
//
// When ctx is cancelled (or Interrupt is called) the cell is interrupted;
// it normally ends with an Interrupted error. If it is still running
// Options.Grace later, the child abandons it: Execute returns an Interrupted
// *Error saying the cell is stuck and keeps running in the background, and
// later cells run normally. An interrupt while an abandoned cell still runs
// restarts the interpreter: Execute returns an InterpreterRestarted *Error.
func (c *Client) Execute(ctx context.Context, code string, out mime.Publisher) (mime.Bundle, error) {
	select {
	case c.exec <- struct{}{}:
	case <-ctx.Done():
		return mime.Bundle{}, &Error{Kind: "Interrupted", Msg: "interrupted before the cell started"}
	}
	defer func() { <-c.exec }()

	w, err := c.get(ctx)
	cell := c.seq.Add(1)
	c.routes.begin(cell, out)
	say := func(msg string) { // after any output still pending
		c.out.stream(route{cell, out}, "stderr", msg)
		c.out.flush()
	}
	if note := c.takeLost(); note != "" {
		say(note)
	}
	if err != nil {
		return mime.Bundle{}, err
	}
	rc := &runningCell{intr: make(chan struct{}, 1)}
	c.mu.Lock()
	c.running = rc
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.running = nil
		c.mu.Unlock()
	}()

	var reply chan *frame
	for attempt := 0; ; attempt++ {
		reply = w.expect(cell)
		err := w.send(&frame{Op: opExecute, ID: cell, Code: code, Parent: parentOf(out)})
		if err == nil {
			break
		}
		w.forget(cell)
		if errors.Is(err, errTooLarge) {
			return mime.Bundle{}, &Error{Kind: "CellTooLarge", Msg: err.Error()} // the interpreter is fine
		}
		w.sendFailed(err)
		select {
		case <-w.dead:
		case <-time.After(5 * time.Second):
			return mime.Bundle{}, &Error{Kind: KernelDied, Msg: fmt.Sprintf("worker: cannot send the cell to the interpreter: %v", err)}
		}
		if attempt > 0 {
			return mime.Bundle{}, w.deathErr
		}
		// It died before this cell reached it (while idle, a moment ago):
		// say so, and run the cell in its successor.
		c.takeLost() // the same news, if finish left it for the next cell
		say(w.deathErr.Error() + "\n\n")
		if w, err = c.get(ctx); err != nil {
			return mime.Bundle{}, err
		}
	}
	defer func() { w.forget(cell) }()

	done := ctx.Done()
	var grace, giveUp <-chan time.Time
	interrupted, abandoned := false, false
	// interrupt is the one interrupt policy (see the package doc): it
	// reports whether the interpreter must be restarted instead.
	interrupt := func() bool {
		if w.stuck.Load() > 0 {
			return true // an abandoned cell still runs: only a restart stops it
		}
		_ = w.send(&frame{Op: opInterrupt, ID: cell})
		if !interrupted {
			interrupted = true
			grace = time.After(c.opts.Grace)
		}
		return false
	}
	restart := func(why string) (mime.Bundle, error) {
		c.log.Printf("restarting the interpreter (pid %d): %s", w.cmd.Process.Pid, why)
		w.kill("restart")
		<-w.dead
		return mime.Bundle{}, &Error{Kind: InterpreterRestarted, Msg: msgRestarted}
	}
	for {
		select {
		case f := <-reply:
			var b mime.Bundle
			if f.Bundle != nil {
				b = *f.Bundle
			}
			err := fromWire(f.Err)
			var n interface{ Name() string }
			if abandoned && errors.As(err, &n) && n.Name() == "Interrupted" {
				err = &Error{Kind: "Interrupted", Msg: fmt.Sprintf(msgAbandoned, c.opts.Grace)}
			}
			return b, err
		case <-w.dead:
			return mime.Bundle{}, w.deathErr
		case <-done:
			done = nil
			if interrupt() {
				return restart(fmt.Sprintf("interrupt of cell %d while an abandoned cell still runs", cell))
			}
		case <-rc.intr:
			if interrupt() {
				return restart(fmt.Sprintf("interrupt of cell %d while an abandoned cell still runs", cell))
			}
		case <-grace:
			// Still running: leave it to itself. The child answers the
			// cell at once; if it does not, it is frozen.
			grace, abandoned = nil, true
			c.log.Printf("cell %d did not stop within %v of the interrupt: abandoning it", cell, c.opts.Grace)
			_ = w.send(&frame{Op: opAbandon, ID: cell})
			giveUp = time.After(abandonTimeout)
		case <-giveUp:
			return restart(fmt.Sprintf("cell %d was abandoned but the interpreter did not answer within %v", cell, abandonTimeout))
		}
	}
}

// abandonTimeout is how long the child may take to answer an abandoned
// cell before it is taken for frozen and restarted.
const abandonTimeout = 5 * time.Second

const (
	msgAbandoned = "interrupted, but the cell did not stop within %v: it is stuck where an interrupt cannot reach it " +
		"(inside compiled code: a system call, cgo, a lock or a loop in a compiled package). " +
		"It keeps running in the background, and later cells run normally. " +
		"Interrupting again while it runs restarts the Go interpreter: that stops it for sure, " +
		"but everything the earlier cells defined (variables, functions, types, imports) is lost."
	msgRestarted = "A cell abandoned after an earlier interrupt was still running, so this interrupt restarted the Go interpreter. " +
		"Everything the earlier cells defined (variables, functions, types, imports) is lost: run them again."
)

// Interrupt interrupts the running cell, as cancelling Execute's ctx does.
// The kernel should call it on every interrupt_request and SIGINT, in
// addition to cancelling the ctx, and also when no cell runs: while a cell
// abandoned after an earlier interrupt still runs, an interrupt restarts the
// interpreter (the next cell is told that the state was lost), which a
// context cannot express. Otherwise, with no cell running, it does nothing.
func (c *Client) Interrupt() {
	c.mu.Lock()
	rc := c.running
	c.mu.Unlock()
	if rc != nil {
		select {
		case rc.intr <- struct{}{}:
		default:
		}
		return
	}
	// No cell runs: only an abandoned cell can need stopping.
	c.mu.Lock()
	w := c.w
	if w == nil || w.stuck.Load() == 0 || w.isDead() || c.closed {
		c.mu.Unlock()
		return
	}
	defer c.mu.Unlock()
	c.lost = msgRestarted + "\n\n"
	c.log.Printf("restarting the interpreter (pid %d): interrupt while an abandoned cell still runs", w.cmd.Process.Pid)
	w.kill("restart")
	// The next cell must not find the dying child: start its successor
	// now (finish does not, as it is no longer the current one).
	_, _ = c.spawnLocked()
}

// Complete forwards to the child; it returns no matches if the child does
// not answer within Options.CallTimeout.
func (c *Client) Complete(code string, cursor int) ([]mime.Completion, int, int) {
	f, err := c.call(&frame{Op: opComplete, Code: code, Cursor: cursor})
	if err != nil || f.Err != nil {
		return nil, cursor, cursor
	}
	return f.Matches, f.Start, f.End
}

// Inspect forwards to the child; it finds nothing if the child does not
// answer within Options.CallTimeout.
func (c *Client) Inspect(code string, cursor int, detail int) (mime.Bundle, bool) {
	f, err := c.call(&frame{Op: opInspect, Code: code, Cursor: cursor, Detail: detail})
	if err != nil || f.Err != nil || f.Bundle == nil {
		return mime.Bundle{}, false
	}
	return *f.Bundle, f.Found
}

// IsComplete forwards to the child; it answers "unknown" if the child does
// not answer within Options.CallTimeout.
func (c *Client) IsComplete(code string) (string, string) {
	f, err := c.call(&frame{Op: opIsComplete, Code: code})
	if err != nil || f.Err != nil || f.Status == "" {
		return "unknown", ""
	}
	return f.Status, f.Indent
}

func (c *Client) call(f *frame) (*frame, error) {
	ctx, cancel := context.WithTimeout(context.Background(), c.opts.CallTimeout)
	defer cancel()
	w, err := c.get(ctx)
	if err != nil {
		return nil, err
	}
	f.ID = c.seq.Add(1)
	reply := w.expect(f.ID)
	defer w.forget(f.ID)
	if err := w.send(f); err != nil {
		if !errors.Is(err, errTooLarge) {
			w.sendFailed(err)
		}
		return nil, err
	}
	select {
	case r := <-reply:
		if r.Err != nil {
			c.log.Printf("%s: %s", f.Op, r.Err.Msg)
		}
		return r, nil
	case <-w.dead:
		return nil, w.deathErr
	case <-ctx.Done():
		c.log.Printf("%s: no answer from the interpreter within %v", f.Op, c.opts.CallTimeout)
		return nil, ctx.Err()
	}
}

// Close stops the child (closing its pipe, then killing its process group)
// and reaps it. In-flight calls return errors; Close waits for the Client's
// goroutines, except those still inside a Publisher's Input.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	w := c.w
	c.mu.Unlock()
	if w != nil {
		w.kill("close")
		<-w.dead
	}
	c.wg.Wait()
	c.out.flush()
	return nil
}

// get returns a ready child, starting one if there is none (or the last
// one could not start).
func (c *Client) get(ctx context.Context) (*child, error) {
	for {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return nil, ErrClosed
		}
		w := c.w
		if w == nil || w.isDead() {
			var err error
			if w, err = c.spawnLocked(); err != nil {
				c.mu.Unlock()
				return nil, err
			}
		}
		c.mu.Unlock()
		select {
		case <-w.exited:
			// Gone, and finish is still at work: wait for it, then take
			// (or start) its successor rather than fail on a dead child.
			select {
			case <-w.dead:
				continue
			case <-ctx.Done():
				return nil, &Error{Kind: "Interrupted", Msg: "worker: interrupted while the Go interpreter was restarting"}
			}
		default:
		}
		select {
		case <-w.ready:
			select {
			case <-w.exited:
				continue // it died since: the check above waits for its successor
			default:
				return w, nil
			}
		case <-w.dead:
			if w.gotReady {
				continue // it ran, then died: take its successor
			}
			return nil, w.deathErr
		case <-ctx.Done():
			return nil, &Error{Kind: "Interrupted", Msg: "worker: interrupted while the Go interpreter was starting"}
		}
	}
}

func (c *Client) takeLost() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.lost
	c.lost = ""
	return s
}

// child is one interpreter process and its pipes.
type child struct {
	c         *Client
	cmd       *exec.Cmd
	toChild   *os.File // its fd 3
	fromChild *os.File // its fd 4
	outR      *os.File // read ends of its fd 1 and fd 2, read only after it died
	errR      *os.File
	started   time.Time
	readyIn   time.Duration
	ready     chan struct{}
	exited    chan struct{} // closed when Wait returned
	dead      chan struct{} // closed after exit, reaping and the post-mortem
	deathErr  error         // set before dead is closed

	wmu   sync.Mutex // serialises writes to toChild
	cmu   sync.Mutex
	calls map[uint64]chan *frame

	why      atomic.Value // string: why the Client killed it ("restart", "close")
	stuck    atomic.Int32 // abandoned cells still running, as the child last said
	lost     atomic.Value // string: which of its pipes the child lost (a cell closed it)
	tail     tail         // the last stderr the child forwarded
	gotReady bool         // read loop only
	carry    [2][]byte    // read loop only: incomplete UTF-8 ending raw stdout, stderr

	crashR    *os.File      // the runtime's crash report (SetCrashOutput)
	crashing  chan struct{} // closed at its first byte
	rescueEnd chan struct{} // closed when rescue returns
	rescued   [2][]byte     // what the parent took from fd 1 and fd 2 while it was dying
	rescueMu  sync.Mutex
}

// utf8 returns a stream frame's text; raw frames (pipe bytes cut anywhere)
// keep an incomplete trailing UTF-8 sequence for the next frame of the same
// stream, so a character split between two reads is not shown as two
// replacement characters.
func (w *child) utf8(f *frame) string {
	i := 0
	if f.Name == "stderr" {
		i = 1
	}
	if !f.raw {
		if len(w.carry[i]) == 0 {
			return f.Text
		}
		s := string(w.carry[i]) + f.Text
		w.carry[i] = nil
		return s
	}
	b := append(w.carry[i], f.Text...)
	cut := completeUTF8(b)
	w.carry[i] = append([]byte(nil), b[cut:]...)
	return string(b[:cut])
}

// completeUTF8 returns the length of b without a trailing incomplete UTF-8
// sequence.
func completeUTF8(b []byte) int {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		c := b[i]
		if c < utf8.RuneSelf {
			return len(b)
		}
		if utf8.RuneStart(c) {
			if utf8.FullRune(b[i:]) {
				return len(b)
			}
			return i
		}
	}
	return len(b)
}

// watchCrash reads the crash pipe. Its first byte means the runtime is
// printing a crash report with every goroutine frozen, the child's pumps
// included: from then on the parent empties fd 1 and fd 2 itself, or a
// report larger than the pipe would block the dying process forever.
func (w *child) watchCrash() {
	buf := make([]byte, 32<<10)
	first := true
	for {
		n, err := w.crashR.Read(buf)
		if n > 0 && first {
			first = false
			close(w.crashing)
			go w.rescue()
		}
		if err != nil {
			return
		}
	}
}

const rescueMax = 4 << 20

func (w *child) rescue() {
	defer close(w.rescueEnd)
	for {
		out, errb := drainPipe(w.outR), drainPipe(w.errR)
		w.rescueMu.Lock()
		// Keep the beginning (where the report says what happened); drain
		// the rest all the same, so the process can finish dying.
		for i, b := range [][]byte{out, errb} {
			w.rescued[i] = append(w.rescued[i], b[:min(len(b), max(0, rescueMax-len(w.rescued[i])))]...)
		}
		w.rescueMu.Unlock()
		select {
		case <-w.exited:
			return
		case <-time.After(2 * time.Millisecond):
		}
	}
}

func (w *child) isDead() bool {
	select {
	case <-w.dead:
		return true
	default:
		return false
	}
}

// spawnLocked starts a child and makes it the current one.
func (c *Client) spawnLocked() (*child, error) {
	w, err := c.spawn()
	if err != nil {
		c.log.Print(err)
		c.w = nil
		return nil, &Error{Kind: WorkerUnavailable, Msg: err.Error()}
	}
	c.w = w
	return w, nil
}

func (c *Client) spawn() (*child, error) {
	if !supported {
		return nil, errUnsupported
	}
	argv := c.opts.Command
	if len(argv) == 0 {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("worker: cannot find the kernel executable to start the interpreter: %w", err)
		}
		argv = []string{exe, "worker"}
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	env := c.opts.Env
	if env == nil {
		env = os.Environ()
	}
	cmd.Env = append(env[:len(env):len(env)], EnvWorker+"=1", EnvFlush+"="+c.opts.FlushInterval.String())
	cmd.Dir = c.opts.Dir
	cmd.SysProcAttr = childAttr()

	var files []*os.File // every end, closed on failure
	pipe := func() (r, w *os.File, err error) {
		if r, w, err = os.Pipe(); err == nil {
			files = append(files, r, w)
		}
		return r, w, err
	}
	closeAll := func() {
		for _, f := range files {
			f.Close()
		}
	}
	inR, inW, err1 := pipe()
	frR, frW, err2 := pipe()
	outR, outW, err3 := pipe()
	errR, errW, err4 := pipe()
	crR, crW, err5 := pipe()
	if err := errors.Join(err1, err2, err3, err4, err5); err != nil {
		closeAll()
		return nil, fmt.Errorf("worker: creating pipes: %w", err)
	}
	for _, f := range []*os.File{outR, errR} {
		if rc, err := f.SyscallConn(); err == nil {
			_ = rc.Control(func(fd uintptr) { setPipeSize(fd, 1<<20) })
		}
	}
	cmd.Stdout, cmd.Stderr = outW, errW
	cmd.ExtraFiles = []*os.File{inR, frW, outR, errR, crW} // fds 3, 4, 5, 6, 7
	start := time.Now()
	if err := cmd.Start(); err != nil {
		closeAll()
		return nil, fmt.Errorf("worker: starting the interpreter %q: %w", argv[0], err)
	}
	// The child's ends are its own now. outR and errR stay open here too:
	// after the child dies, what it wrote but did not forward (a crash
	// report) is still in those pipes.
	inR.Close()
	frW.Close()
	outW.Close()
	errW.Close()
	crW.Close()
	w := &child{
		c: c, cmd: cmd, toChild: inW, fromChild: frR, outR: outR, errR: errR, crashR: crR,
		started:   start,
		ready:     make(chan struct{}),
		exited:    make(chan struct{}),
		dead:      make(chan struct{}),
		crashing:  make(chan struct{}),
		rescueEnd: make(chan struct{}),
		calls:     make(map[uint64]chan *frame),
	}
	c.wg.Add(3)
	go func() {
		defer c.wg.Done()
		w.watchCrash()
	}()
	go func() {
		defer c.wg.Done()
		_ = cmd.Wait()
		close(w.exited)
		// The read loop ends at EOF on fd 4; if something still holds that
		// pipe open (a child process that inherited it before Serve
		// marked it close-on-exec), stop waiting for EOF.
		select {
		case <-w.dead:
		case <-time.After(time.Second):
			w.fromChild.Close()
		}
	}()
	go func() {
		defer c.wg.Done()
		w.finish(w.readLoop())
	}()
	c.log.Printf("started the interpreter: pid %d (%s)", cmd.Process.Pid, strings.Join(argv, " "))
	return w, nil
}

func (w *child) expect(id uint64) chan *frame {
	ch := make(chan *frame, 1)
	w.cmu.Lock()
	w.calls[id] = ch
	w.cmu.Unlock()
	return ch
}

func (w *child) forget(id uint64) {
	w.cmu.Lock()
	delete(w.calls, id)
	w.cmu.Unlock()
}

func (w *child) deliver(f *frame) {
	w.cmu.Lock()
	ch := w.calls[f.ID]
	w.cmu.Unlock()
	if ch != nil {
		select {
		case ch <- f:
		default:
		}
	}
}

// closeWait is how long a closed child may take to end the processes its
// cells started and exit before its whole tree is killed.
const closeWait = 2 * time.Second

func (w *child) send(f *frame) error {
	b, err := encodeFrame(f)
	if err != nil {
		return err
	}
	w.wmu.Lock()
	defer w.wmu.Unlock()
	// The child's read loop never blocks, so a full pipe means a frozen
	// child: do not hang the kernel on it.
	_ = w.toChild.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_, err = w.toChild.Write(b)
	if err != nil {
		return fmt.Errorf("worker: writing to the interpreter: %w", err)
	}
	return nil
}

// sendFailed handles a frame that could not be written to the child: its
// end of the pipe is closed while it runs (a cell closed it), or the child
// is frozen (the pipe stayed full for the write timeout). Either way the
// child is useless; killing it makes finish restart it and say why.
func (w *child) sendFailed(err error) {
	select {
	case <-w.exited:
		return // already dead: finish tells why
	default:
	}
	if errors.Is(err, syscall.EPIPE) {
		w.lost.CompareAndSwap(nil, fdNames[fdIn])
	} else {
		w.lost.CompareAndSwap(nil, fmt.Sprintf("%s: it stopped reading it (%v)", fdNames[fdIn], err))
	}
	w.c.log.Printf("interpreter pid %d: %v: killing it", w.cmd.Process.Pid, err)
	killTree(w.cmd.Process)
}

// kill stops the child on the Client's behalf: closing its input makes
// Serve return and the child end the processes its cells started
// (EndDescendants); its process tree is killed if it has not exited soon.
func (w *child) kill(why string) {
	w.why.CompareAndSwap(nil, why)
	w.wmu.Lock()
	w.toChild.Close()
	w.wmu.Unlock()
	if why == "restart" {
		killTree(w.cmd.Process) // it is stuck: no point waiting
		return
	}
	go func() {
		select {
		case <-w.exited:
		case <-time.After(closeWait):
			killTree(w.cmd.Process)
		}
	}()
}

// readLoop handles frames from the child until EOF or a bad frame.
func (w *child) readLoop() error {
	r := bufio.NewReaderSize(w.fromChild, 64<<10)
	for {
		f, err := readFrameDeadline(r, w.fromChild.SetReadDeadline)
		if f != nil && err != nil { // what arrived of a raw frame
			_ = w.handle(f)
		}
		if err != nil {
			return err
		}
		if err := w.handle(f); err != nil {
			return err
		}
	}
}

func (w *child) handle(f *frame) error {
	c := w.c
	switch f.Op {
	case opReady:
		if !w.gotReady {
			w.gotReady = true
			w.readyIn = time.Since(w.started)
			c.log.Printf("interpreter pid %d ready in %v", f.PID, w.readyIn)
			close(w.ready)
		}
	case opResult:
		c.out.flush() // the cell's output goes before its result
		w.stuck.Store(int32(f.Stuck))
		w.deliver(f)
	case opStuck:
		w.stuck.Store(int32(f.Stuck))
	case opLost:
		w.lost.CompareAndSwap(nil, f.Text)
	case opReply:
		w.deliver(f)
	case opDebugEvent:
		c.debugEvent(f.Text)
	case opStream:
		if f.Name != "stderr" && f.Name != "stdout" {
			return &protocolError{fmt.Sprintf("stream %q", f.Name)}
		}
		text := w.utf8(f)
		if f.Name == "stderr" {
			w.tail.write(text)
		}
		if r := c.route(f.Cell); r.pub != nil && text != "" {
			c.out.stream(r, f.Name, text)
		}
	case opDisplay, opUpdate:
		if f.Bundle == nil {
			return &protocolError{f.Op + " without a bundle"}
		}
		if p := c.route(f.Cell).pub; p != nil {
			c.out.do(func() {
				if f.Op == opDisplay {
					p.Display(*f.Bundle, f.DisplayID)
				} else {
					p.Update(*f.Bundle, f.DisplayID)
				}
			})
		}
	case opSend:
		return c.sendFrame(f)
	case opClear:
		if p := c.route(f.Cell).pub; p != nil {
			c.out.do(func() { p.Clear(f.Wait) })
		}
	case opInput:
		p := c.route(f.Cell).pub
		c.out.flush() // the prompt after the output before it
		// Input blocks until the user answers: never in the read loop.
		go func() {
			text, err := "", mime.ErrNoStdin
			if p != nil {
				text, err = p.Input(f.Prompt, f.Password)
			}
			_ = w.send(&frame{Op: opInputReply, ID: f.ID, Text: text, Err: toWire(err)})
		}()
	default:
		return &protocolError{fmt.Sprintf("unknown op %q", f.Op)}
	}
	return nil
}

// finish runs once the read loop has ended: it makes sure the child is dead
// and reaped, forwards what it wrote but never sent, and decides what to tell
// the user and whether to start a new child.
func (w *child) finish(cause error) {
	c := w.c
	var pe *protocolError
	if !errors.As(cause, &pe) {
		// EOF: it is exiting; let it finish so its exit status is known.
		select {
		case <-w.exited:
		case <-time.After(time.Second):
			// Still alive with its protocol pipe closed: useless. No
			// exit makes this: a cell closed the pipe.
			if w.why.Load() == nil {
				w.lost.CompareAndSwap(nil, fdNames[fdOut])
			}
		}
	}
	select {
	case <-w.exited:
		// Reaped: its pid may name another process by now. Its process
		// group cannot, while any member (a process a cell started) is
		// left.
		killGroup(w.cmd.Process)
	default:
		killTree(w.cmd.Process) // also the processes its cells started
	}
	<-w.exited
	w.toChild.Close()
	w.fromChild.Close()
	select {
	case <-w.crashing:
		<-w.rescueEnd
	default:
	}
	w.rescueMu.Lock()
	out := append(w.rescued[0], drainPipe(w.outR)...)
	errb := append(w.rescued[1], drainPipe(w.errR)...)
	w.rescueMu.Unlock()
	w.outR.Close()
	w.errR.Close()
	w.crashR.Close()
	if len(w.carry[0]) > 0 {
		out = append(w.carry[0], out...)
	}
	if len(w.carry[1]) > 0 {
		errb = append(w.carry[1], errb...)
	}

	why, _ := w.why.Load().(string)
	status := "unknown"
	if w.cmd.ProcessState != nil {
		status = w.cmd.ProcessState.String()
	}
	c.log.Printf("interpreter pid %d ended (%s; read loop: %v)", w.cmd.Process.Pid, status, cause)
	if len(errb) > 0 {
		c.log.Printf("interpreter pid %d wrote to stderr before it ended:\n%s", w.cmd.Process.Pid, clip(string(errb), 256<<10, ""))
	}
	if why == "" {
		// It died on its own: show what it left behind under the cell.
		if r := c.routes.get(0); r.pub != nil {
			if len(out) > 0 {
				c.out.stream(r, "stdout", string(out))
			}
			if len(errb) > 0 {
				c.out.stream(r, "stderr", clip(string(errb), 16<<10, " in the kernel log"))
			}
		}
	}
	c.out.flush()
	w.tail.write(string(errb))

	switch why {
	case "close":
		w.deathErr = ErrClosed
	case "restart":
		w.deathErr = &Error{Kind: InterpreterRestarted, Msg: msgRestarted}
	default:
		w.deathErr = w.deathError(cause, status)
	}
	c.mu.Lock()
	if !c.closed && c.w == w && why == "" && w.gotReady && c.running == nil {
		// No cell is there to return the error: the next one tells it.
		// Said before dead is closed, so that a cell that finds this child
		// dead (get) always finds the news too.
		c.lost = w.deathErr.Error() + "\n\n"
		if r := c.routes.get(0); r.pub != nil {
			c.out.stream(r, "stderr", c.lost)
			c.out.flush()
		}
	}
	c.mu.Unlock()
	close(w.dead)

	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || c.w != w {
		return
	}
	if !w.gotReady && why == "" {
		// It died while starting: do not loop; the next call retries.
		c.w = nil
		return
	}
	_, _ = c.spawnLocked()
}

func (w *child) deathError(cause error, status string) error {
	if !w.gotReady {
		return &Error{Kind: WorkerUnavailable, Msg: fmt.Sprintf(
			"worker: the Go interpreter process exited while starting (%s)%s", status, indentTail(w.tail.excerpt()))}
	}
	if r := w.tail.reason(); strings.HasPrefix(r, lostMark) {
		w.lost.CompareAndSwap(nil, strings.TrimSuffix(strings.TrimPrefix(r, lostMark), lostEnd))
	}
	if r := w.tail.reason(); strings.HasPrefix(r, memMark) {
		msg := fmt.Sprintf("The Go interpreter was stopped and restarted: %s. "+
			"Everything the earlier cells defined (variables, functions, types, imports) is lost: run them again.",
			strings.TrimPrefix(r, memMark))
		return &Error{Kind: "MemoryLimit", Msg: msg}
	}
	if lost, _ := w.lost.Load().(string); lost != "" {
		msg := fmt.Sprintf("The Go interpreter lost %s: a cell closed it (or stopped the interpreter from reading it). "+
			"The interpreter was restarted; everything the earlier cells defined (variables, functions, types, imports) is lost: run them again.", lost)
		return &Error{Kind: KernelDied, Msg: msg}
	}
	reason := w.tail.reason()
	var pe *protocolError
	switch {
	case errors.As(cause, &pe):
		reason = pe.Error()
	case strings.Contains(reason, "netpoll failed"):
		reason += ": the Go runtime lost its own poller descriptor (epoll), which a cell that closes descriptors it did not open can do"
	case reason == "" && strings.Contains(status, "killed"):
		reason = status + ": perhaps out of memory (the system's OOM killer)"
	case reason == "":
		reason = status
	}
	msg := fmt.Sprintf("The Go interpreter process died (%s) and was restarted. "+
		"Everything the earlier cells defined (variables, functions, types, imports) is lost: run them again.", reason)
	lines := []string{msg}
	if ex := w.tail.excerpt(); ex != "" {
		msg += "\n\nWhat it wrote to stderr last:\n" + ex
		lines = append(lines, "", "What it wrote to stderr last:")
		lines = append(lines, strings.Split(ex, "\n")...)
	}
	return &Error{Kind: KernelDied, Msg: msg, Lines: lines}
}

func indentTail(s string) string {
	if s == "" {
		return ""
	}
	return ":\n" + s
}

// clip cuts s to n bytes, saying how much was left out and where to find it.
func clip(s string, n int, where string) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + fmt.Sprintf("\n... (%d more bytes%s)\n", len(s)-n, where)
}

// drainPipe reads what is left in a pipe of a dead child, without waiting
// for EOF (a process the child started may still hold the write end).
func drainPipe(f *os.File) []byte {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil
	}
	var out []byte
	_ = rc.Control(func(fd uintptr) {
		buf := make([]byte, 64<<10)
		for len(out) < 4<<20 {
			n, err := fionread(fd)
			if err != nil || n == 0 {
				return
			}
			k, err := readFD(fd, buf[:min(n, len(buf))])
			if k <= 0 || err != nil {
				return
			}
			out = append(out, buf[:k]...)
		}
	})
	return out
}

// tail keeps the end of the child's stderr, and the beginning of the last
// crash report in it (which a large goroutine dump would push out of the
// end).
type tail struct {
	mu    sync.Mutex
	buf   []byte
	crash []byte // from the last crash mark on, at most crashSize
}

const (
	tailSize  = 16 << 10
	crashSize = 8 << 10
)

func (t *tail) write(s string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	// Look for a mark in s, and across its boundary with what came before.
	from := max(0, len(t.buf)-64)
	t.buf = append(t.buf, s...)
	if i := crashStart(string(t.buf[from:])); i >= 0 {
		t.crash = append(t.crash[:0], t.buf[from+i:min(len(t.buf), from+i+crashSize)]...)
	} else if len(t.crash) > 0 && len(t.crash) < crashSize {
		t.crash = append(t.crash, s[:min(len(s), crashSize-len(t.crash))]...)
	}
	if len(t.buf) > tailSize {
		t.buf = append(t.buf[:0:0], t.buf[len(t.buf)-tailSize:]...)
	}
}

var crashMarks = []string{"fatal error: ", "panic: ", "runtime: out of memory", "SIGSEGV", "SIGBUS", "unexpected fault address"}

// crashStart returns where the last crash report in b begins, or -1.
func crashStart(b string) int {
	best := -1
	for _, m := range crashMarks {
		for i := strings.LastIndex(b, m); i >= 0; i = strings.LastIndex(b[:i], m) {
			if i == 0 || b[i-1] == '\n' {
				best = max(best, i)
				break
			}
		}
	}
	return best
}

// reason returns the first line of the last crash report, or "".
func (t *tail) reason() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	line, _, _ := strings.Cut(string(t.crash), "\n")
	return strings.TrimSpace(line)
}

// excerpt returns the start of the last crash report (the lines that say
// what happened and where), or else the last lines of stderr.
func (t *tail) excerpt() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	const maxLines = 20
	if len(t.crash) > 0 {
		lines := strings.Split(strings.TrimRight(string(t.crash), "\n"), "\n")
		if len(lines) > maxLines {
			lines = append(lines[:maxLines], "...")
		}
		return strings.Join(lines, "\n")
	}
	s := strings.TrimRight(string(t.buf), "\n")
	if s == "" {
		return ""
	}
	lines := strings.Split(s, "\n")
	if len(lines) > maxLines {
		lines = lines[len(lines)-maxLines:]
	}
	return strings.Join(lines, "\n")
}

// router maps the cell id a child tags its outputs with to the Publisher
// of that cell's Execute.
type router struct {
	mu    sync.Mutex
	keep  int
	cells []route // oldest first; the last is the latest cell
}

type route struct {
	id  uint64
	pub mime.Publisher
}

func (r *router) begin(id uint64, pub mime.Publisher) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cells = append(r.cells, route{id, pub})
	if n := len(r.cells) - (r.keep + 1); n > 0 {
		r.cells = append(r.cells[:0:0], r.cells[n:]...)
	}
}

// get returns the route for cell, or the latest cell's when cell is not
// kept (0 means untagged). Its pub is nil before the first cell.
func (r *router) get(cell uint64) route {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.cells) == 0 {
		return route{}
	}
	for i := len(r.cells) - 1; i >= 0; i-- {
		if r.cells[i].id == cell {
			return r.cells[i]
		}
	}
	return r.cells[len(r.cells)-1]
}

// outbox batches stream text on its way to the kernel's Publishers, so a
// cell printing 100,000 lines makes a few Stream calls, not 100,000. It sits
// in the parent because the parent does not crash: the child never holds
// output back. Text after a quiet spell goes at once; during a burst, once
// per interval; and always before any other output, a result or an input
// prompt, so order is kept.
type outbox struct {
	mu       sync.Mutex
	interval time.Duration
	pending  []pendingStream
	size     int
	last     time.Time
	timer    *time.Timer
	armed    bool
}

type pendingStream struct {
	route
	name string
	text []byte
}

const outboxMax = 1 << 20 // send at once when this much is pending

func (o *outbox) stream(r route, name, text string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	// Routes compare by cell id: a Publisher need not be comparable.
	if n := len(o.pending); n > 0 && o.pending[n-1].id == r.id && o.pending[n-1].name == name {
		o.pending[n-1].text = append(o.pending[n-1].text, text...)
	} else {
		o.pending = append(o.pending, pendingStream{r, name, []byte(text)})
	}
	o.size += len(text)
	now := time.Now()
	switch {
	case o.size >= outboxMax || now.Sub(o.last) >= o.interval:
		o.flushLocked()
	case !o.armed:
		o.armed = true
		d := o.last.Add(o.interval).Sub(now)
		if o.timer == nil {
			o.timer = time.AfterFunc(d, o.flush)
		} else {
			o.timer.Reset(d)
		}
	}
}

// do runs f (a Publisher call) after the pending text.
func (o *outbox) do(f func()) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.flushLocked()
	f()
}

func (o *outbox) flush() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.flushLocked()
}

func (o *outbox) flushLocked() {
	if o.armed {
		o.armed = false
		o.timer.Stop()
	}
	if len(o.pending) == 0 {
		return
	}
	for _, p := range o.pending {
		p.pub.Stream(p.name, string(p.text))
	}
	o.pending, o.size = nil, 0
	o.last = time.Now()
}
