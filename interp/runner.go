package interp

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/gokernel/gokernel/interp/rt"
	"github.com/gokernel/gokernel/kernel/mime"
)

// The runner: Execute hands each cell to a goroutine that runs cells one
// after another (cellRunner), waits for it, interrupts it when ctx is
// cancelled and waits on; Abandon, from any goroutine, leaves a stuck cell
// behind. Locks: runner.mu makes Execute (and Close) one at a time and
// guards the goroutine; runner.runMu guards the running cell for Abandon,
// which must not wait for mu; cellRun.mu orders a cell's end against its
// abandonment, so the stuck count is right. The cell's code runs under
// none of them, nor under the state lock (see Session.eval).

// A runner runs cells one after another on a goroutine of its own
// (cellRunner), and owns the interrupt protocol. It knows nothing of yaegi:
// run is what running a cell's code means (Session.run), so it is tested
// alone with a fake (TestRunnerAlone).
type runner struct {
	run func(run *cellRun, code string) (mime.Bundle, error)

	mu      sync.Mutex  // one execute at a time; guards cells
	cells   *cellRunner // nil until the first cell, and after one is abandoned
	runMu   sync.Mutex  // running, for abandon (which must not wait for mu)
	running *cellRun    // the cell execute is waiting for, or nil
	stuck   atomic.Int32
}

// Execute runs one cell. It returns the cell's final value (a zero Bundle
// if it has none) or an *Error. Cancelling ctx interrupts the cell
// (rt.Cell.Interrupt) and Execute goes on waiting for it to unwind: it has
// no timer of its own. A cell stuck where an interrupt cannot reach (inside
// compiled code that never returns) is left behind with Abandon, by the
// layer that decides when to give up and can restart the process.
func (s *Session) Execute(ctx context.Context, code string, out mime.Publisher) (mime.Bundle, error) {
	return s.runner.execute(ctx, code, out)
}

// Abandon leaves the running cell, if any, to itself: it goes on running
// on its own goroutine (interrupted, so it stops at the first point an
// interrupt can reach, if it ever gets there), the pending Execute returns
// at once with an Interrupted error, and the next Execute runs normally.
// It reports whether a cell was abandoned. It may be called from any
// goroutine, while Execute waits.
func (s *Session) Abandon() bool { return s.runner.abandon() }

// Stuck returns how many abandoned cells are still running.
func (s *Session) Stuck() int { return s.runner.stuckCells() }

// Close stops the goroutine that runs the session's cells, once the
// current cell (if any) is done. Goroutines cells started are not stopped.
// A closed session starts a new runner if Execute is called again.
func (s *Session) Close() { s.runner.close() }

// execute is Session.Execute.
func (s *runner) execute(ctx context.Context, code string, out mime.Publisher) (mime.Bundle, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if out == nil {
		out = discard{}
	}
	run := &cellRun{Publisher: out, started: make(chan struct{}), done: make(chan cellResult, 1), abandon: make(chan struct{})}
	s.lane().jobs <- cellJob{code: code, run: run}
	<-run.started
	s.runMu.Lock()
	s.running = run
	s.runMu.Unlock()
	defer func() {
		s.runMu.Lock()
		s.running = nil
		s.runMu.Unlock()
	}()
	var res cellResult
	select {
	case res = <-run.done:
	case <-run.abandon:
		return s.abandoned(run)
	case <-ctx.Done():
		run.cell.Interrupt()
		restore := wakePipes(run.cell)
		select {
		case res = <-run.done:
			restore()
			if res.err == nil {
				res.err = &Error{Ename: "Interrupted", Msg: "interrupted"}
			}
		case <-run.abandon:
			restore()
			return s.abandoned(run)
		}
	}
	if res.runnerGone {
		s.abandonRunner()
	}
	return res.b, res.err
}

// abandoned ends Execute for a cell Abandon left running.
func (s *runner) abandoned(run *cellRun) (mime.Bundle, error) {
	select {
	case res := <-run.done: // it ended after all
		if res.runnerGone {
			s.abandonRunner()
		}
		return res.b, res.err
	default:
	}
	s.abandonRunner()
	return mime.Bundle{}, &Error{Ename: "Interrupted", Msg: "interrupted, but the cell is stuck where an interrupt cannot reach " +
		"(inside compiled code that does not return); it was left running on its own and the session goes on " +
		"with everything defined before it"}
}

// abandon is Session.Abandon.
func (s *runner) abandon() bool {
	s.runMu.Lock()
	run := s.running
	s.runMu.Unlock()
	if run == nil {
		return false
	}
	run.mu.Lock()
	defer run.mu.Unlock()
	if run.finished || run.abandoned.Load() {
		return false
	}
	run.abandoned.Store(true)
	s.stuck.Add(1)
	run.cell.Interrupt()
	close(run.abandon)
	return true
}

// stuckCells is Session.Stuck.
func (s *runner) stuckCells() int { return int(s.stuck.Load()) }

// A cellRun is one cell being run: what Execute, Abandon and the goroutine
// running the cell share. The rt.Cell's Value is the cellRun, so output
// routed by goroutine (rt.Output) reaches its Publisher.
type cellRun struct {
	mime.Publisher
	cell    *rt.Cell
	gid     int64         // the goroutine running the cell
	started chan struct{} // closed once cell and gid are set
	done    chan cellResult
	abandon chan struct{} // closed by Abandon

	// Set on the cell's goroutine by its final-value step (setResult).
	result mime.Bundle
	resSet bool

	abandoned atomic.Bool // read by eval, which then leaves the session's tables alone
	mu        sync.Mutex  // finished against abandoned: the stuck count is right
	finished  bool
}

// errAbandoned unwinds a cell that came back after Abandon, past every
// table update on the way.
var errAbandoned = &Error{Ename: "Interrupted", Msg: "interrupted (the cell had been abandoned)"}

type cellResult struct {
	b          mime.Bundle
	err        error
	runnerGone bool // the cell ended its goroutine (runtime.Goexit)
}

type cellJob struct {
	code string
	run  *cellRun
}

// A cellRunner is the goroutine that runs cells, one after another. Cells
// run on a goroutine of their own, not Execute's caller, so that a cell
// stuck where it cannot be stopped can be left behind. One long-lived
// goroutine rather than one per cell: its stack has grown to what
// interpreted code needs once, and its id is looked up once.
type cellRunner struct {
	jobs chan cellJob
}

func (s *runner) lane() *cellRunner {
	if s.cells == nil {
		r := &cellRunner{jobs: make(chan cellJob)}
		go s.runCells(r)
		s.cells = r
	}
	return s.cells
}

// close is Session.Close.
func (s *runner) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.abandonRunner()
}

// abandonRunner leaves the current runner to its stuck cell: the next
// cell starts a new one. The old one exits if its cell ever returns.
func (s *runner) abandonRunner() {
	if s.cells != nil {
		close(s.cells.jobs)
		s.cells = nil
	}
}

func (s *runner) runCells(l *cellRunner) {
	gid := rt.GoID()
	for j := range l.jobs {
		s.runCell(gid, j)
	}
}

func (s *runner) runCell(gid int64, j cellJob) {
	run := j.run
	run.gid = gid
	run.cell = rt.BeginCellOn(gid, run)
	close(run.started)
	var res cellResult
	returned := false
	defer func() {
		if !returned {
			// Only runtime.Goexit ends a goroutine without returning or
			// panicking (run recovers every panic): this goroutine is
			// going away, and the next cell needs a new one.
			res = cellResult{err: goexitError(""), runnerGone: true}
		}
		run.cell.End()
		run.mu.Lock()
		run.finished = true
		if run.abandoned.Load() {
			s.stuck.Add(-1)
		}
		run.mu.Unlock()
		run.done <- res
	}()
	res.b, res.err = s.run(run, j.code)
	noteLeaks(run.cell, run.Publisher) // goroutines the cell left running: one line under it
	returned = true
}
