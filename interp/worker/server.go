package worker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gokernel/gokernel/kernel/mime"
)

// An Evaluator runs notebook cells. It has the method set of kernel.Evaluator
// (declared again here so that this package needs neither kernel nor interp):
// Serve runs one in the child, and *Client is one in the kernel process.
type Evaluator interface {
	Execute(ctx context.Context, code string, out mime.Publisher) (mime.Bundle, error)
	Complete(code string, cursor int) (matches []mime.Completion, start, end int)
	Inspect(code string, cursor int, detail int) (mime.Bundle, bool)
	IsComplete(code string) (status, indent string)
}

// Environment variables the Client sets for the child.
const (
	// EnvWorker is set to "1" in the child's environment. Serve refuses to
	// run without it, so that `gokernel worker` typed in a shell explains
	// itself instead of reading the terminal as frames.
	EnvWorker = "GOKERNEL_WORKER"
	// EnvFlush carries Options.FlushInterval to the child (a time.Duration
	// string).
	EnvFlush = "GOKERNEL_WORKER_FLUSH"
)

// File descriptors of the child, as the Client sets them up (ExtraFiles):
// 3 reads frames from the parent, 4 writes frames to it, 5 and 6 are the read
// ends of the pipes on fd 1 and fd 2, 7 receives a copy of a crash report.
const (
	fdIn     = 3
	fdOut    = 4
	fdStdout = 5
	fdStderr = 6
	fdCrash  = 7 // the runtime's crash report (debug.SetCrashOutput)
)

const (
	defaultFlush = 20 * time.Millisecond
	readChunk    = 256 << 10
	bigDrain     = 512 << 10 // a drain this large means a fast writer: do not pause
)

// Serve runs the child side of the worker protocol on ev until the parent
// Client closes its end (Serve then returns nil) or breaks the protocol. It
// must be called in a process started by a Client; the caller should call
// EndDescendants and exit when it returns, since goroutines and processes
// cells started may still be running.
//
//	// gokernel worker
//	err := worker.Serve(session)
//	worker.EndDescendants()
//	if err != nil { log.Fatal(err) }
//	os.Exit(0)
//
// Everything the process writes to fd 1 and fd 2 (fmt, os.Stdout, log, C
// code, child processes) is forwarded as stream output of the running cell,
// or of the last cell when none runs, in order with the Publisher calls of
// the cells.
func Serve(ev Evaluator) error {
	if !supported {
		return errUnsupported
	}
	if os.Getenv(EnvWorker) != "1" {
		return errors.New("worker: not started by a worker.Client (" + EnvWorker + " is not set); this subcommand is for the kernel's own use")
	}
	// The pipes move to high descriptor numbers (close-on-exec, so the
	// processes cells start do not inherit them either: a grandchild
	// holding fd 4 would hide this process's death from the parent), out
	// of reach of a cell that closes fd 3 or 4 by mistake. guard notices
	// when one is closed all the same.
	var g fdGuard
	fds := make(map[int]int)
	for fd := fdIn; fd <= fdStderr; fd++ {
		if !isPipe(fd) {
			return fmt.Errorf("worker: fd %d is not a pipe: not started by a worker.Client", fd)
		}
		nfd, err := dupHigh(fd)
		if err != nil {
			return fmt.Errorf("worker: fd %d: %w", fd, err)
		}
		// Keep the small number taken (by /dev/null), so that neither the
		// runtime's own descriptors (epoll) nor the cells' files land on
		// it, where a careless close would hit them.
		holdFD(fd)
		fds[fd] = nfd
		movedFDs[fd] = nfd
		g.watch(nfd, fdNames[fd])
		if fd == fdOut {
			// Blocking: splice into it must wait for room, not fail.
			continue
		}
		if err := setNonblock(nfd); err != nil {
			return fmt.Errorf("worker: fd %d: %w", fd, err)
		}
	}
	g.saveStd()
	// Processes the cells start stay in this process's tree, whatever
	// they do, so that EndDescendants and the kernel can find them.
	becomeSubreaper()
	if isPipe(fdCrash) {
		closeOnExec(fdCrash)
		setCrashOutput(os.NewFile(fdCrash, "crash")) // keeps a copy elsewhere
		holdFD(fdCrash)
	}
	interval := defaultFlush
	if d, err := time.ParseDuration(os.Getenv(EnvFlush)); err == nil && d > 0 {
		interval = d
	}
	s := newServer(ev, os.NewFile(uintptr(fds[fdIn]), "worker-in"), os.NewFile(uintptr(fds[fdOut]), "worker-out"), interval)
	s.pipes = []*pipe{
		{name: "stdout", f: os.NewFile(uintptr(fds[fdStdout]), "stdout-r")},
		{name: "stderr", f: os.NewFile(uintptr(fds[fdStderr]), "stderr-r")},
	}
	s.guard = &g
	limit, err := memoryLimit()
	if err != nil {
		// Run all the same (the kernel must start), and say why there is
		// no limit: the parent's log shows the child's stderr.
		fmt.Fprintf(os.Stderr, "gokernel-worker: %v: no memory limit\n", err)
	}
	if limit > 0 {
		s.memLimit = limit
		go s.watchMemory(limit)
	}
	return s.run()
}

type server struct {
	ev       Evaluator
	in       *os.File
	out      *os.File
	interval time.Duration
	pipes    []*pipe
	done     chan struct{} // closed when run returns
	guard    *fdGuard      // nil in tests that build a server by hand
	lost     chan error    // a pipe of this process was closed: run returns the error
	memLimit int64         // EnvMemoryLimit; 0: none

	// mu orders everything sent to the parent: it is held while bytes are
	// taken out of the stdout/stderr pipes and sent, and while frames are
	// written, so bytes written to fd 1 before a Publisher call are always
	// sent before that call's frame. Nothing is held back in memory: bytes
	// leave a pipe only to be written to the parent at once, so when the
	// process dies whatever it did not send is still in the pipe, where the
	// parent finds it.
	mu     sync.Mutex
	buf    []byte
	broken bool            // writing to the parent failed
	outRC  syscall.RawConn // of out, for splice

	cur atomic.Uint64 // running cell, or the last one: owner of pipe output

	cmu    sync.Mutex
	cells  map[uint64]*cellRun
	inputs map[uint64]chan *frame
	nextIn uint64
	// orphans counts cells this server abandoned itself (an Evaluator
	// without Abandon) whose Execute has not returned yet.
	orphans     int
	watchingStk bool // a goroutine reports changes of stuck()
	stkDirty    bool // stuckChanged was called since the watcher last counted
}

// cellRun is a cell whose Execute was sent here and has not been answered.
type cellRun struct {
	cancel    context.CancelFunc
	memBase   int64 // memory held when it started (with a memory limit)
	overMem   bool  // interrupted by the memory limit (cmu)
	answered  bool  // its result frame was sent (cmu)
	abandoned bool  // answered by abandon; Execute still runs (cmu)
}

// An Abandoner can give up waiting for a cell that an interrupt cannot stop:
// the cell keeps running on its own goroutine, the pending Execute returns
// at once with an error saying so, and the next Execute runs normally.
// Abandon reports whether a cell was abandoned; Stuck says how many
// abandoned cells still run. interp.Session implements it. For an Evaluator
// without it, Serve answers the cell itself and leaves its Execute running,
// which is only safe when Execute calls may overlap (the tests' fakes).
type Abandoner interface {
	Abandon() bool
	Stuck() int
}

type pipe struct {
	name string
	f    *os.File
	rc   syscall.RawConn
}

func newServer(ev Evaluator, in, out *os.File, interval time.Duration) *server {
	return &server{
		ev: ev, in: in, out: out, interval: interval,
		done:   make(chan struct{}),
		lost:   make(chan error, 1),
		buf:    make([]byte, readChunk),
		cells:  make(map[uint64]*cellRun),
		inputs: make(map[uint64]chan *frame),
	}
}

func (s *server) run() error {
	defer close(s.done)
	rc, err := s.out.SyscallConn()
	if err != nil {
		return fmt.Errorf("worker: frame pipe: %w", err)
	}
	s.outRC = rc
	for _, p := range s.pipes {
		rc, err := p.f.SyscallConn()
		if err != nil {
			return fmt.Errorf("worker: %s pipe: %w", p.name, err)
		}
		p.rc = rc
	}
	if err := s.send(&frame{Op: opReady, PID: os.Getpid()}); err != nil {
		return err
	}
	for _, p := range s.pipes {
		go s.pump(p)
	}
	defer func() {
		s.mu.Lock()
		s.syncLocked()
		s.mu.Unlock()
	}()
	// The read loop has a goroutine of its own, so that a pipe closed
	// under it (its read may then never return) cannot keep run waiting.
	read := make(chan error, 1)
	go func() { read <- s.readLoop() }()
	select {
	case err := <-read:
		return err
	case err := <-s.lost:
		return err
	}
}

func (s *server) readLoop() error {
	for {
		f, err := readFrame(s.in)
		if err == io.EOF {
			return nil // the parent closed the pipe: we are done
		}
		if err != nil {
			return fmt.Errorf("worker: reading from the kernel: %w", err)
		}
		if err := s.dispatch(f); err != nil {
			return err
		}
	}
}

// checkFDs repairs fd 1 and fd 2 if user code closed them, telling the
// cell, and reports whether a protocol pipe was closed: it then tells the
// parent (or, if it cannot, writes to fd 2, which the parent reads after
// the end) and makes run return, ending the process.
func (s *server) checkFDs(cell uint64) (lost bool) {
	if s.guard == nil {
		return false
	}
	notes, what := s.guard.check()
	if len(notes) > 0 {
		s.mu.Lock()
		s.syncLocked()
		for _, n := range notes {
			s.streamLocked(cell, "stderr", []byte(n))
		}
		s.mu.Unlock()
	}
	if what == "" {
		return false
	}
	if s.send(&frame{Op: opLost, Text: what}) != nil {
		fmt.Fprintf(os.Stderr, "%s%s%s\n", lostMark, what, lostEnd)
	}
	select {
	case s.lost <- fmt.Errorf("worker: a cell closed %s", what):
	default:
	}
	return true
}

// dispatch never blocks: the read loop must stay free for interrupts and
// input replies while cells run.
func (s *server) dispatch(f *frame) error {
	switch f.Op {
	case opExecute:
		go s.execute(f)
	case opInterrupt:
		s.cmu.Lock()
		c := s.cells[f.ID]
		s.cmu.Unlock()
		if c != nil {
			c.cancel()
		}
	case opAbandon:
		go s.abandon(f.ID)
	case opComplete, opInspect, opIsComplete:
		go s.call(f)
	case opComm:
		go s.comm(f)
	case opDebug:
		go s.debug(f)
	case opInputReply:
		s.cmu.Lock()
		ch := s.inputs[f.ID]
		s.cmu.Unlock()
		if ch != nil {
			select {
			case ch <- f:
			default:
			}
		}
	default:
		return fmt.Errorf("worker: unknown request %q from the kernel", f.Op)
	}
	return nil
}

func (s *server) execute(f *frame) {
	ctx, cancel := context.WithCancel(context.Background())
	run := &cellRun{cancel: cancel}
	if s.memLimit > 0 {
		run.memBase = heldMemory()
	}
	s.cmu.Lock()
	s.cells[f.ID] = run
	s.cmu.Unlock()
	// Output written before this point belongs to the previous cell.
	s.mu.Lock()
	s.syncLocked()
	s.cur.Store(f.ID)
	s.mu.Unlock()
	if s.checkFDs(f.ID) { // closed by a goroutine of an earlier cell
		return
	}

	var b mime.Bundle
	var err error
	if p := protect(func() { b, err = s.ev.Execute(ctx, f.Code, &publisher{s: s, cell: f.ID, ctx: ctx, parent: f.Parent}) }); p != nil {
		err = p
	}
	cancel()
	if s.checkFDs(f.ID) {
		return // the process ends; the parent says why
	}
	if s.memLimit > 0 {
		s.checkHardLimit()
	}
	s.cmu.Lock()
	if s.cells[f.ID] == run {
		delete(s.cells, f.ID)
	}
	answered := run.answered
	run.answered = true
	if run.overMem {
		err = memoryError(s.memLimit)
	}
	if run.abandoned {
		s.orphans--
	}
	s.cmu.Unlock()
	if answered {
		s.stuckChanged()
		return // abandoned: the parent has had its answer
	}

	res := &frame{Op: opResult, ID: f.ID, Err: toWire(err), Stuck: s.stuck()}
	if !b.IsZero() {
		res.Bundle = &b
	}
	if e := s.send(res); e != nil && !errors.Is(e, errBroken) {
		// The value could not be encoded (a NaN, a func in a bundle):
		// the cell still gets an answer.
		res.Bundle = nil
		res.Err = toWire(fmt.Errorf("worker: the cell's value could not be sent to the kernel: %w", e))
		if errors.Is(e, errTooLarge) {
			res.Err = toWire(&Error{Kind: "ValueTooLarge", Msg: "The cell ran, but " + e.Error() + "."})
		}
		_ = s.send(res)
	}
	if res.Stuck > 0 {
		s.stuckChanged()
	}
}

// errAbandoned answers a cell this server abandoned itself. The Client
// replaces the text with its own (it knows Options.Grace).
var errAbandoned = &Error{Kind: "Interrupted", Msg: "interrupted, but the cell did not stop: it was left running"}

// abandon gives up on cell id, which an interrupt did not stop: through
// the Evaluator's Abandon when it has one (its Execute then returns at once
// and execute answers), else by answering the cell here and leaving its
// Execute running.
func (s *server) abandon(id uint64) {
	if a, ok := s.ev.(Abandoner); ok {
		if a.Abandon() {
			s.stuckChanged()
		}
		return
	}
	s.cmu.Lock()
	run := s.cells[id]
	if run == nil || run.answered {
		s.cmu.Unlock()
		return
	}
	run.answered, run.abandoned = true, true
	delete(s.cells, id)
	s.orphans++
	s.cmu.Unlock()
	_ = s.send(&frame{Op: opResult, ID: id, Err: toWire(errAbandoned), Stuck: s.stuck()})
	s.stuckChanged()
}

// stuck returns how many abandoned cells still run. (The Evaluator's
// Stuck is called without cmu held: it may take locks of its own that a
// cell holds while it calls the Publisher.)
func (s *server) stuck() int {
	n := 0
	if a, ok := s.ev.(Abandoner); ok {
		n = a.Stuck()
	}
	s.cmu.Lock()
	n += s.orphans
	s.cmu.Unlock()
	return n
}

// stuckChanged makes sure the parent hears when the number of abandoned
// cells changes: while any runs, one goroutine checks every stuckPoll and
// sends an opStuck frame on each change (the last one says 0). The parent
// needs it to decide whether an interrupt restarts the interpreter.
func (s *server) stuckChanged() {
	s.cmu.Lock()
	s.stkDirty = true
	if s.watchingStk {
		s.cmu.Unlock()
		return
	}
	s.watchingStk = true
	s.cmu.Unlock()
	go func() {
		last := -1
		for {
			s.cmu.Lock()
			s.stkDirty = false
			s.cmu.Unlock()
			n := s.stuck()
			if n != last {
				if s.send(&frame{Op: opStuck, Stuck: n}) != nil {
					n = 0
				}
				last = n
			}
			if n == 0 {
				s.cmu.Lock()
				if !s.stkDirty { // nothing changed since the count
					s.watchingStk = false
					s.cmu.Unlock()
					return
				}
				s.cmu.Unlock()
				continue
			}
			select {
			case <-time.After(stuckPoll):
			case <-s.done:
				return
			}
		}
	}()
}

const stuckPoll = 100 * time.Millisecond

func (s *server) call(f *frame) {
	r := &frame{Op: opReply, ID: f.ID}
	p := protect(func() {
		switch f.Op {
		case opComplete:
			r.Matches, r.Start, r.End = s.ev.Complete(f.Code, f.Cursor)
		case opInspect:
			var b mime.Bundle
			b, r.Found = s.ev.Inspect(f.Code, f.Cursor, f.Detail)
			if !b.IsZero() {
				r.Bundle = &b
			}
		case opIsComplete:
			r.Status, r.Indent = s.ev.IsComplete(f.Code)
		}
	})
	if p != nil {
		r = &frame{Op: opReply, ID: f.ID, Err: toWire(p), Start: f.Cursor, End: f.Cursor, Status: "unknown"}
	}
	if err := s.send(r); err != nil && !errors.Is(err, errBroken) {
		_ = s.send(&frame{Op: opReply, ID: f.ID, Err: toWire(err), Start: f.Cursor, End: f.Cursor, Status: "unknown"})
	}
}

// protect runs f and turns a panic into an error, so a bug in the evaluator
// answers the call instead of killing the process.
func protect(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &Error{Kind: "panic", Msg: fmt.Sprintf("panic in the interpreter: %v", r),
				Lines: []string{fmt.Sprintf("panic in the interpreter: %v", r), string(debug.Stack())}}
		}
	}()
	f()
	return nil
}

var errBroken = errors.New("worker: the pipe to the kernel is broken")

// send writes one frame after everything already written to fd 1 and fd 2.
func (s *server) send(f *frame) error {
	b, err := encodeFrame(f)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.syncLocked()
	return s.writeLocked(b)
}

func (s *server) writeLocked(b []byte) error {
	if s.broken {
		return errBroken
	}
	if _, err := s.out.Write(b); err != nil {
		s.broken = true
		return errBroken
	}
	return nil
}

// syncLocked sends what is in the stdout and stderr pipes now.
func (s *server) syncLocked() {
	for _, p := range s.pipes {
		if p.rc != nil {
			_ = p.rc.Control(func(fd uintptr) { s.drainLocked(p, fd) })
		}
	}
}

// drainLocked moves out of a pipe exactly the bytes that are in it now
// (FIONREAD) into one raw stream frame of the current cell. It returns how
// many bytes it moved.
//
// FIONREAD rather than a marker written to the pipe: a marker could be split
// or interleaved by other writers (C code, child processes), while the
// count needs no cooperation from them, and every byte it counts was written
// before the call.
//
// The bytes go from pipe to pipe with splice(2) on Linux, after the frame's
// header. A fatal runtime error prints "fatal error: ..." to fd 2 and then
// freezes every goroutine; bytes read into memory but not yet written would
// be lost exactly when they matter most. Here they are either still in the
// stderr pipe (the parent reads it after the death) or in the frame pipe.
func (s *server) drainLocked(p *pipe, fd uintptr) int {
	n, err := fionread(fd)
	if err != nil || n <= 0 {
		return 0
	}
	n = min(n, maxFrame-rawHeader)
	if s.writeLocked(rawFrameHeader(s.cur.Load(), p.name, n)) != nil {
		// The frame pipe is broken (the parent is gone, or a cell closed
		// it): leave the bytes in the pipe, where the parent finds them
		// after this process ended (the reason it ends is among them).
		return 0
	}
	moved := 0
	_ = s.outRC.Control(func(dst uintptr) { moved = splice(fd, dst, n) })
	for moved < n { // no splice here, or it stopped short
		k, err := readFD(fd, s.buf[:min(n-moved, len(s.buf))])
		if err == syscall.EINTR {
			continue
		}
		if k <= 0 || err != nil {
			// Cannot happen (only we read, FIONREAD counted them), but
			// the frame must have its announced length.
			k = min(n-moved, len(s.buf))
			copy(s.buf[:k], bytes.Repeat([]byte{'?'}, k))
		}
		if s.writeLocked(s.buf[:k]) != nil {
			return moved
		}
		moved += k
	}
	return n
}

func (s *server) streamLocked(cell uint64, name string, text []byte) {
	if len(text) == 0 {
		return
	}
	b, err := encodeFrame(&frame{Op: opStream, Cell: cell, Name: name, Text: string(text)})
	if err != nil { // above 64 MiB: cannot happen from a 1 MiB pipe
		return
	}
	_ = s.writeLocked(b)
}

// pump sends a pipe's bytes while no Publisher call does. It never holds
// bytes itself: it waits until the pipe is readable, drains it, then pauses
// for the flush interval while new bytes collect in the pipe (grown to 1
// MiB), so a cell printing in a tight loop costs one frame per interval
// instead of one per write, and a line after a quiet spell goes at once.
func (s *server) pump(p *pipe) {
	for {
		drained := 0
		var ferr error
		err := p.rc.Read(func(fd uintptr) bool {
			n, err := fionread(fd)
			if err != nil {
				ferr = err
				return true
			}
			if n == 0 {
				return false // wait until readable
			}
			s.mu.Lock()
			drained = s.drainLocked(p, fd)
			s.mu.Unlock()
			return true
		})
		if err != nil || ferr != nil {
			return
		}
		s.mu.Lock()
		broken := s.broken
		s.mu.Unlock()
		if broken {
			return // nowhere to send to: see drainLocked
		}
		// After a drain, pause; after a wake-up with nothing left (a
		// Publisher call took the bytes first), wait again at once. At EOF
		// the callback keeps answering "wait", and the poller parks us.
		if drained > 0 && drained < bigDrain {
			select {
			case <-time.After(s.interval):
			case <-s.done:
				return
			}
		}
	}
}

// publisher is the Publisher a cell gets in the child: every call becomes a
// frame tagged with the cell's id.
type publisher struct {
	s      *server
	cell   uint64
	ctx    context.Context // cancelled by an interrupt or when the cell returns
	parent string          // the msg_id the cell serves (ParentID)
}

func (p *publisher) Stream(name, text string) {
	if name != "stderr" {
		name = "stdout"
	}
	s := p.s
	s.mu.Lock()
	defer s.mu.Unlock()
	s.syncLocked()
	s.streamLocked(p.cell, name, []byte(text))
}

func (p *publisher) Display(b mime.Bundle, id string) {
	p.sendBundle(&frame{Op: opDisplay, Cell: p.cell, Bundle: &b, DisplayID: id})
}

func (p *publisher) Update(b mime.Bundle, id string) {
	p.sendBundle(&frame{Op: opUpdate, Cell: p.cell, Bundle: &b, DisplayID: id})
}

func (p *publisher) sendBundle(f *frame) {
	if err := p.s.send(f); err != nil && !errors.Is(err, errBroken) {
		p.Stream("stderr", fmt.Sprintf("worker: cannot show this %s: %v\n", f.Op, err))
	}
}

func (p *publisher) Clear(wait bool) { _ = p.s.send(&frame{Op: opClear, Cell: p.cell, Wait: wait}) }

// Input asks the parent for a line and waits for the answer. It gives up
// with ErrNoStdin when the cell is interrupted or has returned (a goroutine
// that outlives its cell cannot prompt: the frontend no longer waits for that
// request).
func (p *publisher) Input(prompt string, password bool) (string, error) {
	s := p.s
	if p.ctx.Err() != nil {
		return "", mime.ErrNoStdin
	}
	ch := make(chan *frame, 1)
	s.cmu.Lock()
	s.nextIn++
	id := s.nextIn
	s.inputs[id] = ch
	s.cmu.Unlock()
	defer func() {
		s.cmu.Lock()
		delete(s.inputs, id)
		s.cmu.Unlock()
	}()
	if err := s.send(&frame{Op: opInput, ID: id, Cell: p.cell, Prompt: prompt, Password: password}); err != nil {
		return "", fmt.Errorf("worker: input: %w", err)
	}
	select {
	case r := <-ch:
		if r.Err != nil {
			return "", fromWire(r.Err)
		}
		return r.Text, nil
	case <-p.ctx.Done():
		return "", mime.ErrInputInterrupted
	case <-s.done:
		return "", mime.ErrNoStdin
	}
}
