package interp

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/gokernel/gokernel/interp/internal/yaegiframe"
	"github.com/gokernel/gokernel/interp/rt"
	"github.com/gokernel/gokernel/kernel/mime"
	yaegi "github.com/traefik/yaegi/interp"
)

// The Jupyter debugger (the Debug Adapter Protocol inside debug_request,
// debug_reply and debug_event messages) over yaegi's Debugger.
//
// While the debugger is off, cells run as always (yaegi's Execute): nothing
// here costs them anything but one atomic load per file. Once a frontend has
// sent initialize, and until disconnect, a file a cell compiles runs under
// yaegi's Debug instead, which checks breakpoints before each node, when it
// can reach a breakpoint (debugreach.go). yaegi's debugger looks up the node
// of every step that is not a plain successor by walking the code's tree
// (originalExecNode), which made a loop some 80 times slower and lost its
// place at every back edge; execute links a file's back edges first
// (yaegiframe.LinkBackEdges), which brings that to under 3 times, and
// hides the nodes that only pass control on (yaegiframe.HideJumps), which
// brings it to about 2 times. Breakpoints are moved to the first node of
// their statement (yaegiframe.MoveBreakpoints) and a step that ends on the
// line it began on goes on (stepping), so that steps are lines.
//
// Goroutines a cell starts (rt.GoAt, GIL threads) get goroutine states of
// their own (goroutineStarted), so that each is a DAP thread; func literals
// made outside the debugger get its data before a debugged file runs
// (yaegiframe.GiveClosuresRoutine), as yaegi's debugger crashes on them.
//
// Breakpoints live on yaegi's nodes, so they are set on programs: the
// statements file being run, and the declaration files of earlier cells
// (kept here, as the session drops yaegi's own list of them), so that a
// breakpoint in a func defined in one cell stops when a later cell calls it.
// JupyterLab names a cell by the hash of its code (dumpCell); a breakpoint
// on line L of that code is set on every rendered line that comes from line
// L of a cell with that code.

// Debug answers one DAP request (a debug_request's content) with its
// response (the debug_reply's content). events receives the DAP events
// (debug_event contents) from then on, also while no request is being
// answered: a breakpoint hit while a cell runs. Debug is safe to call while
// a cell runs or is stopped.
func (s *Session) Debug(req json.RawMessage, events func(json.RawMessage)) json.RawMessage {
	d := s.debugger()
	if events != nil {
		d.mu.Lock()
		d.events = events
		d.mu.Unlock()
	}
	return d.handle(req)
}

// debugger returns the session's debugger state, made on first use.
func (s *Session) debugger() *debugState {
	if d := s.dbg.Load(); d != nil {
		return d
	}
	d := &debugState{
		s:          s,
		sources:    map[string]string{},
		bps:        map[string][]int{},
		progs:      map[int]*yaegi.Program{},
		prepared:   map[*yaegi.Program]bool{},
		armed:      map[int]bool{},
		moved:      map[int][]unsafe.Pointer{},
		paths:      map[*cellSrc]string{},
		refs:       map[int]varRef{},
		threads:    map[int]*debugThread{},
		stopped:    map[int]stopAt{},
		stepping:   map[int]stepFrom{},
		nextThread: 1, // 1 is the cell
		prefix:     filepath.Join(os.TempDir(), fmt.Sprintf("gokernel_%d", os.Getpid())) + string(filepath.Separator),
	}
	if s.dbg.CompareAndSwap(nil, d) {
		goroutineHookOnce.Do(func() { rt.SetGoroutineHook(goroutineStarted) })
		return d
	}
	return s.dbg.Load()
}

var (
	goroutineHookOnce sync.Once
	debugRunsMu       sync.Mutex
	debugCells        = map[*rt.Cell]*debugState{} // the cell each session last ran under the debugger
	debugRunsCount    atomic.Int64                 // len(debugCells), read without the lock
)

// goroutineStarted (rt's goroutine hook) gives a goroutine that a cell
// running under yaegi's debugger starts a thread of its own: a goroutine
// state registered with the run's Debugger, which calls of fn (a func
// literal value of the cell's) run on. yaegi would run it on the state of
// the code that made the literal, the cell's: all goroutines would be one
// thread, sharing its mode and resume channel.
func goroutineStarted(fn any, thread, origin string) func() {
	if debugRunsCount.Load() == 0 {
		return nil // (first: rt.Current walks the caller's stack)
	}
	cell := rt.Current()
	if cell == nil {
		return nil
	}
	debugRunsMu.Lock()
	d := debugCells[cell]
	debugRunsMu.Unlock()
	if d == nil {
		return nil
	}
	// The file that started the goroutine may have ended already (a cell's
	// statements are several files): the goroutine gets its state anyway,
	// and the next file's run (or the current one) knows it.
	d.mu.Lock()
	run := d.run
	if run == nil {
		run = d.lastHeld() // the cell's file ended: its goroutines run under it
	}
	if run != nil && run.cell != cell {
		run = nil
	}
	var dbg *yaegi.Debugger
	if run != nil {
		dbg = run.dbg
	}
	d.nextThread++
	id := d.nextThread
	g, ok := yaegiframe.NewRoutine(dbg, id)
	if !ok {
		d.mu.Unlock()
		return nil
	}
	name := thread
	if name == "" {
		name = fmt.Sprintf("goroutine %d", id)
		if origin != "" {
			name += " (" + origin + ")"
		}
	}
	// (Under d.mu, so that a run starting now adds it, or it was added
	// to the run found.)
	d.threads[id] = &debugThread{name: name, g: g, cell: cell}
	d.mu.Unlock()
	if !yaegiframe.SetClosureRoutine(d.s.i, reflect.ValueOf(fn), g, false) {
		d.mu.Lock()
		delete(d.threads, id)
		cur := d.current()
		d.mu.Unlock()
		yaegiframe.EndRoutine(dbg, g)
		if cur != nil {
			yaegiframe.EndRoutine(cur.dbg, g)
		}
		return nil
	}
	// Thread events for the first goroutines only: a storm of them would
	// flood the frontend, which asks for the threads when one stops.
	events := id <= maxThreadEvents
	if events {
		d.emit("thread", map[string]any{"reason": "started", "threadId": id})
	}
	return func() {
		d.mu.Lock()
		delete(d.threads, id)
		cur := d.current()
		d.mu.Unlock()
		yaegiframe.EndRoutine(dbg, g)
		if cur != nil && cur.dbg != dbg {
			yaegiframe.EndRoutine(cur.dbg, g)
		}
		if events {
			d.emit("thread", map[string]any{"reason": "exited", "threadId": id})
		}
	}
}

// maxThreadEvents: goroutine threads with an id above it start and exit
// without thread events.
const maxThreadEvents = 256

// A debugThread is a goroutine a cell started while it ran under the
// debugger, with a goroutine state of its own (see goroutineStarted).
type debugThread struct {
	name string
	g    yaegiframe.Routine
	cell *rt.Cell // the cell that started it
}

// execProg runs a compiled file: under yaegi's debugger when it can reach
// a breakpoint (debug, see needsDebugger), with yaegi's Execute otherwise.
// Declaration files' programs are kept (keep) so that breakpoints can be
// set in them later.
func (s *Session) execProg(prog *yaegi.Program, id int, keep, debug bool) (res reflect.Value, err error) {
	d := s.dbg.Load()
	if d != nil && !debug && d.goroutinesUnderHeld() {
		// The cell's earlier file started goroutines that may be entering
		// a call just now: this file runs under the debugger too, so that
		// the interpreter has one throughout (see releaseHeld). (It is
		// typically the wg.Wait() that ends the cell.)
		debug = true
	}
	if d == nil || !debug {
		if d != nil {
			d.releaseHeld() // (or the file would run under a held Debugger)
		}
		res, err = s.i.Execute(prog)
	} else {
		res, err = d.execute(prog, id)
	}
	if err == nil && (keep || d != nil && d.on.Load()) {
		// Only now: yaegi makes a program's code when it first runs it,
		// and setting a breakpoint needs that code. Statement files are
		// kept while the debugger is on (func literals they made may be
		// called later), as long as the session keeps their positions.
		if d == nil {
			d = s.debugger()
		}
		d.mu.Lock()
		d.progs[id] = prog
		delete(d.lines, id)
		delete(d.bpLines, id)
		delete(d.armed, id)
		delete(d.moved, id)
		if len(d.progs) > d.pruned+64 {
			for id := range d.progs {
				if s.renderedFile(id) == nil {
					delete(d.progs, id)
					delete(d.lines, id)
					delete(d.bpLines, id)
					delete(d.armed, id)
					delete(d.moved, id)
				}
			}
			kept := map[*yaegi.Program]bool{}
			for _, p := range d.progs {
				kept[p] = true
			}
			for p := range d.prepared {
				if !kept[p] {
					delete(d.prepared, p)
				}
			}
			d.pruned = len(d.progs)
		}
		d.mu.Unlock()
	}
	if d != nil && isDebuggerCrash(err) {
		err = yaegi.Panic{Value: errors.New("yaegi's debugger cannot call a func value made while no cell ran under it " +
			"and kept where the session cannot reach it (by compiled code, in a channel): run the cell that makes it again, " +
			"or clear the breakpoints to run this cell")}
	}
	return res, err
}

// reachGraph returns the session's reach graph while the debugger is on,
// building it from the files the session still has when the debugger was
// turned on since it was last built; nil while the debugger is off (so
// that cells pay nothing for it). The caller holds s.state.
func (s *Session) reachGraph() *reachGraph {
	d := s.dbg.Load()
	if d == nil || !d.on.Load() {
		s.reach = nil
		return nil
	}
	if e := d.epoch.Load(); s.reach == nil || s.reachEpoch != e {
		s.reach, s.reachEpoch = s.rebuildReach(), e
	}
	return s.reach
}

// rebuildReach makes a reach graph from the files the session keeps
// positions of: every declaration file, and the last cells' statement
// files. What earlier statement files stored in variables is not known:
// variables are taken to hold values of unknown origin (dynamic).
func (s *Session) rebuildReach() *reachGraph {
	type file struct {
		id int
		r  *rendered
	}
	var files []file
	s.pos.mu.Lock()
	for id, r := range s.pos.files {
		files = append(files, file{id, r})
	}
	s.pos.mu.Unlock()
	sort.Slice(files, func(i, j int) bool { return files[i].id < files[j].id })
	g := newReachGraph()
	fset := token.NewFileSet()
	for _, f := range files {
		src := strings.Replace(f.r.src, "package main\n", fmt.Sprintf("package main\n//line _.go:%d:1\n", f.id*lineBase+2), 1)
		af, err := parser.ParseFile(fset, "_.go", src, parser.SkipObjectResolution)
		if err != nil || len(af.Decls) == 0 {
			continue
		}
		last, _ := af.Decls[len(af.Decls)-1].(*ast.FuncDecl)
		block := !f.r.keep && last != nil && last.Recv == nil && last.Name.Name == "main"
		g.add(fset, af, f.id, block, s.isGlobalVar, s.decls.importedName)
	}
	for _, n := range g.nodes {
		if n.kind == reachVar {
			n.dynamic = true
		}
	}
	g.unknownVars = true
	return g
}

// needsDebugger reports whether the file just compiled (rf) must run under
// yaegi's debugger: the debugger is on, some cell has a breakpoint, and the
// file can reach one (debugreach.go). The caller holds s.state.
func (s *Session) needsDebugger(rf *reachFile) bool {
	if s.reach == nil {
		return false
	}
	s.reach.prune(func(id int) bool { return s.renderedFile(id) != nil })
	d := s.dbg.Load()
	if d == nil {
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	// The file's id may be a reused one: what was known of the old file
	// goes.
	delete(d.lines, rf.id)
	delete(d.bpLines, rf.id)
	if !d.on.Load() || !d.anyBreakpoint.Load() {
		return false
	}
	return s.reach.needs(rf, d.bpInLocked, s.isGlobalVar)
}

// isGlobalVar reports whether name is the internal name of a notebook
// variable. The caller holds s.state.
func (s *Session) isGlobalVar(name string) bool {
	user, _, _ := strings.Cut(name, mark)
	return s.decls.kind[user] == KindVar && s.decls.cur[user] == name
}

// bpInLocked reports whether a breakpoint is on a line of span (yaegi
// lines, within one file).
func (d *debugState) bpInLocked(sp lineSpan) bool {
	id := sp.lo / lineBase
	if d.bpLines == nil {
		d.bpLines = map[int][]int{}
	}
	lines, ok := d.bpLines[id]
	if !ok {
		for line, o := range d.lineMapLocked(id) {
			if slices.Contains(d.bps[d.cellPathLocked(o.c)], o.line) {
				lines = append(lines, line)
			}
		}
		d.bpLines[id] = lines
	}
	for _, l := range lines {
		if sp.contains(l) {
			return true
		}
	}
	return false
}

// maxClosureWalk bounds the values looked at for func literals before each
// file that runs under the debugger.
const maxClosureWalk = 200000

// isDebuggerCrash recognizes yaegi's debugger failing on a call of a func
// literal whose frame it never saw (Debugger.enterCall dereferences the
// frame's missing debug data).
func isDebuggerCrash(err error) bool {
	var p yaegi.Panic
	return errors.As(err, &p) && bytes.Contains(p.Stack, []byte("(*Debugger).enterCall"))
}

// hashSeed is the seed of the Murmur2 hash that names cells' files (the
// value ipykernel uses; the frontend takes it from debugInfo).
const hashSeed = 0xc70f6907

type debugState struct {
	s  *Session
	on atomic.Bool // between initialize and disconnect
	// anyBreakpoint: some cell has a breakpoint. Only then do files run
	// under yaegi's debugger, which makes loops some 90 times slower.
	anyBreakpoint atomic.Bool
	debugRuns     atomic.Int64 // files run under yaegi's debugger (for tests)
	epoch         atomic.Int64 // initialize requests: a new epoch's reach graph is built afresh
	seq           atomic.Int64
	prefix        string // tmpFilePrefix

	mu       sync.Mutex
	events   func(json.RawMessage)
	sources  map[string]string         // path -> code, from dumpCell
	bps      map[string][]int          // path -> breakpoint lines
	progs    map[int]*yaegi.Program    // declaration file id -> its program
	prepared map[*yaegi.Program]bool   // programs made ready for the debugger (execute)
	lines    map[int]map[int]lineOwner // file id -> yaegi line -> cell line (see lineMap)
	bpLines  map[int][]int             // file id -> its yaegi lines with a breakpoint (bpInLocked)
	armed    map[int]bool              // file ids that have breakpoints set
	moved    map[int][]unsafe.Pointer  // file id -> nodes its breakpoints were moved to (yaegiframe.MoveBreakpoints)
	paths    map[*cellSrc]string       // a cell's file path (the hash of its code)
	run      *debugRun                 // the file running under the debugger, or nil
	refs     map[int]varRef            // variablesReference -> what it expands
	frames   map[int]*yaegi.DebugFrame // frame id -> frame, while stopped
	nextRef  int
	globals  map[string]int // user name -> global frame slot, as of the last cell
	// threads: the live goroutines cells started under the debugger, by
	// thread id (ids are the session's, so that they differ across runs).
	threads    map[int]*debugThread
	nextThread int
	cell       *rt.Cell // the last cell run under the debugger (under debugRunsMu)
	pruned     int      // len(progs) after the last pruning
	// stopped: the goroutines stopped at a breakpoint or step, by thread
	// id, under whichever run they stopped: a goroutine a cell started
	// may stop after the file that started it has ended.
	stopped map[int]stopAt
	// stepping: where each goroutine stepped from (next, stepIn), so that
	// a step that ends on the same line of the same frame goes on: a line
	// runs several of yaegi's nodes (f(a) + g(b) is four), and a step is
	// a line, as in every other debugger.
	stepping map[int]stepFrom
	// held: the runs of the cell's files that have ended, whose yaegi
	// goroutines are held (yaegiframe.Hold) so that they do not set the
	// interpreter's debugger to nil; the latest one's Debugger is the
	// interpreter's until the next file's replaces it. releaseHeld ends
	// them (see there).
	held []*debugRun
	last *debugRun // the latest run, ended or not: applyLocked sets breakpoints through its Debugger
}

// A stepFrom is where a step began: the top frame's file and line, and
// the depth of the stack.
type stepFrom struct {
	file  string
	line  int
	depth int
}

// A stopAt is where a goroutine stopped, and under which run.
type stopAt struct {
	e   *yaegi.DebugEvent
	run *debugRun
}

// linkBackEdges is off only in a test that compares stepping with and
// without yaegiframe.LinkBackEdges and HideCalls.
var linkBackEdges = true

// A debugRun is one file running under yaegi's Debug.
type debugRun struct {
	d        *debugState
	dbg      *yaegi.Debugger
	prog     *yaegi.Program
	id       int
	ready    bool            // yaegi has made prog's code (see event)
	over     chan struct{}   // closed by the terminate event
	mainDone chan struct{}   // closed when the file's main goroutine has returned
	mainOnce sync.Once       // closes mainDone
	held     bool            // yaegiframe.Hold holds it: it ends at Release
	states   []reflect.Value // goroutine states (yaegi's) stopped on, see resumeAt
	cell     *rt.Cell        // the cell running the file
	release  func()          // ends yaegi's goroutine's adoption into cell (under d.mu)
}

// endMain notes that the file's main goroutine has returned: yaegi's
// goroutine no longer runs the cell's code.
func (run *debugRun) endMain() {
	run.mainOnce.Do(func() {
		run.d.mu.Lock()
		if run.release != nil {
			run.release()
			run.release = nil
		}
		run.d.mu.Unlock()
		close(run.mainDone)
	})
}

type lineOwner struct {
	c    *cellSrc
	line int
}

// A varRef is what a variablesReference stands for: a scope, the globals,
// or a value with children.
type varRef struct {
	scope   *yaegi.DebugFrameScope
	globals bool
	value   reflect.Value
}

// execute runs prog under yaegi's debugger, on a goroutine of yaegi's,
// while the cell's goroutine waits here. An interrupt of the cell
// (rt.Cell.Done) terminates the run, also while it is stopped at a
// breakpoint.
func (d *debugState) execute(prog *yaegi.Program, id int) (reflect.Value, error) {
	s := d.s
	d.debugRuns.Add(1)
	cell := rt.Current()
	d.mu.Lock()
	other := len(d.held) > 0 && d.held[0].cell != cell
	d.mu.Unlock()
	if other {
		d.releaseHeld() // another cell's (it normally releases them as it ends)
	}
	run := &debugRun{d: d, prog: prog, id: id, over: make(chan struct{}), mainDone: make(chan struct{}), cell: cell}
	s.state.Lock() // (the cell's code runs without it)
	globals := s.globalSlots()
	d.mu.Lock()
	// Loops run ~30× faster under yaegi's debugger once their back edges
	// are linked (yaegiframe.LinkBackEdges), and a file whose funcs name an
	// imported type in their signatures takes breakpoints once those type
	// nodes lose their position (yaegiframe.HideUngenerated): this file,
	// and the kept files whose funcs it may call. Under the state lock,
	// where yaegi is not compiling; once per program.
	prepare := func(p *yaegi.Program) {
		if d.prepared[p] {
			return
		}
		d.prepared[p] = true
		if linkBackEdges {
			// Positions go before the links copy nodes.
			yaegiframe.HideCalls(p, mark, "Tick")
			yaegiframe.HideJumps(p, s.i.FileSet())
			yaegiframe.LinkBackEdges(p)
		}
		yaegiframe.HideUngenerated(p)
	}
	prepare(prog)
	for _, p := range d.progs {
		prepare(p)
	}
	s.state.Unlock()
	d.globals = globals
	d.run = run
	d.last = run
	run.dbg = s.i.Debug(context.Background(), prog, run.event, &yaegi.DebugOptions{GoRoutineStartAt1: true})
	// Goroutines the file starts may run (and stop) after it ends: the
	// run's yaegi goroutine is held, so that the interpreter keeps a
	// debugger until the next file's replaces it (see held).
	run.held = yaegiframe.Hold(run.dbg)
	for _, th := range d.threads {
		// Goroutines started by an earlier file still run: this run's
		// Debugger must know them (threads, continue, pause).
		yaegiframe.AddRoutine(run.dbg, th.g)
	}
	d.applyLocked()
	d.mu.Unlock()
	// Func literals made while no file ran under the debugger hold frames
	// without its data, on which yaegi's debugger would crash: those the
	// session's variables reach get this run's main goroutine.
	s.frame.GiveClosuresRoutine(s.i, maxClosureWalk)
	if cell != nil {
		// The goroutines this cell starts get threads of their own
		// (goroutineStarted).
		debugRunsMu.Lock()
		if d.cell != nil {
			delete(debugCells, d.cell)
		}
		d.cell = cell
		debugCells[cell] = d
		debugRunsCount.Store(int64(len(debugCells)))
		debugRunsMu.Unlock()
	}

	// Stop on entry: prog's code is made by then, so its breakpoints can
	// be set (event does, and continues).
	if serr := run.dbg.Step(1, yaegi.DebugEntry); serr != nil {
		return reflect.Value{}, serr
	}
	var stop <-chan struct{}
	if cell != nil {
		stop = cell.Done()
	}
	interrupted, wasStopped := false, false
	select {
	case <-run.mainDone:
	case <-run.over:
	case <-stop:
		interrupted = true
		// The cell's stopped goroutines (under this run or an earlier
		// file's) are released in terminate mode (each returns at its
		// next step), then the others are told to terminate.
		d.mu.Lock()
		var stopped []*yaegi.DebugEvent
		for g, at := range d.stopped {
			if at.run == run || at.run.cell == cell {
				stopped = append(stopped, at.e)
				delete(d.stopped, g)
			}
		}
		d.mu.Unlock()
		for _, e := range stopped {
			_ = resumeAt(e, yaegi.DebugTerminate)
		}
		wasStopped = len(stopped) > 0
		// Terminate ends every goroutine the run's Debugger knows: not
		// those of other cells (one may be stopped at a breakpoint).
		d.mu.Lock()
		for _, th := range d.threads {
			if th.cell != cell {
				yaegiframe.EndRoutine(run.dbg, th.g)
			}
		}
		d.mu.Unlock()
		run.dbg.Terminate()
	}
	d.mu.Lock()
	keep := run.held && !interrupted
	if keep {
		d.held = append(d.held, run)
	}
	d.mu.Unlock()
	if !keep {
		d.endRun(run)
	}
	// Frames this run made keep its goroutine states: func literals it
	// made run on them when called later. They must not carry a step,
	// pause or terminate mode (or a closed channel) into later runs. (Not
	// the ones stopped now: they wait for a resume, which sets the mode.)
	d.mu.Lock()
	states := append(run.states, rootRoutine(s.i))
	if interrupted {
		// (Terminate closed the cell's goroutine threads' channels too.)
		for _, th := range d.threads {
			if th.cell == cell {
				states = append(states, th.g.State())
			}
		}
	}
	waiting := map[uintptr]bool{} // by address: the Values reach them by different paths
	for _, at := range d.stopped {
		if st, ok := routineOf(at.e); ok {
			waiting[st.UnsafeAddr()] = true
		}
	}
	d.mu.Unlock()
	for _, g := range states {
		if g.IsValid() && !waiting[g.UnsafeAddr()] {
			resetRoutine(g, interrupted)
		}
	}
	var res reflect.Value
	var err error
	if run.held {
		res, err = yaegiframe.Result(run.dbg)
	} else {
		res, err = run.dbg.Wait()
	}
	d.mu.Lock()
	if d.run == run {
		d.run = nil
	}
	d.resetRefsLocked()
	d.mu.Unlock()
	if wasStopped {
		d.emit("continued", map[string]any{"threadId": 1, "allThreadsContinued": true})
	}
	if interrupted && err == nil {
		err = yaegi.Panic{Value: rt.Interrupted{}}
	}
	return res, err
}

// endDebugRun ends the cell's last file run under the debugger, held past
// its end (releaseHeld): between cells the interpreter has no debugger,
// so code that runs then (a widget's observer, a timer's func) runs as it
// does without one. The goroutines the cell started keep the debugger in
// the func they are in.
func (s *Session) endDebugRun() {
	if d := s.dbg.Load(); d != nil {
		d.releaseHeld()
	}
}

// current is the run whose Debugger is the interpreter's: the file
// running under it, or else the one held past its end. d.mu held.
func (d *debugState) current() *debugRun {
	if d.run != nil {
		return d.run
	}
	return d.lastHeld()
}

// goroutinesUnderHeld reports whether goroutines the debugger gave threads
// live while runs of the cell's files are held.
func (d *debugState) goroutinesUnderHeld() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.held) > 0 && len(d.threads) > 0
}

// lastHeld is the latest held run, or nil. d.mu held.
func (d *debugState) lastHeld() *debugRun {
	if len(d.held) == 0 {
		return nil
	}
	return d.held[len(d.held)-1]
}

// endRun lets a run's yaegi goroutine finish (releasing the hold, if any)
// and waits until it has: the terminate event, and the interpreter's
// debugger set back to nil, which yaegi does last, with nothing to wait
// on: the next file must not start before, or yaegi would clear that
// file's debugger instead.
func (d *debugState) endRun(run *debugRun) {
	if run.held {
		yaegiframe.Release(run.dbg)
	}
	<-run.over
	awaitDebuggerCleared(d.s.i)
}

// releaseHeld lets the held runs' yaegi goroutines end, and waits until
// they have: each sets the interpreter's debugger to nil as it ends. So
// this happens where no debugger is wanted: before a file that runs
// without one, as a cell ends, at disconnect. Between the files of a cell
// each Debug replaces the last one's Debugger, with no moment without one:
// a goroutine the cell started may be entering a call just then (yaegi
// takes the debugger at each call), or it would run that call without
// breakpoints. Goroutines running under a released run's Debugger go on
// doing so (a call keeps the Debugger it began with); those stopped stay
// stopped until resumed.
func (d *debugState) releaseHeld() {
	d.mu.Lock()
	held := d.held
	d.held = nil
	d.mu.Unlock()
	for _, run := range held {
		yaegiframe.Release(run.dbg)
		<-run.over
	}
	if len(held) > 0 {
		awaitDebuggerCleared(d.s.i)
	}
}

// globalSlots maps the session's variables (user names) to their global
// frame slots. The caller holds s.state.
func (s *Session) globalSlots() map[string]int {
	g := map[string]int{}
	for name, internal := range s.decls.cur {
		if s.decls.kind[name] != KindVar {
			continue
		}
		if idx, ok := s.globalVar(internal); ok {
			g[name] = idx
		}
	}
	return g
}

// renderedFile returns the file yaegi knows by id, or nil.
func (s *Session) renderedFile(id int) *rendered {
	s.pos.mu.Lock()
	defer s.pos.mu.Unlock()
	return s.pos.files[id]
}

// event receives yaegi's debug events, on the goroutine that stopped.
func (run *debugRun) event(e *yaegi.DebugEvent) {
	reason := ""
	switch e.Reason() {
	case yaegi.DebugBreak:
		reason = "breakpoint"
	case yaegi.DebugPause:
		reason = "pause"
	case yaegi.DebugStepInto, yaegi.DebugStepOver, yaegi.DebugStepOut:
		reason = "step"
	case yaegi.DebugExitGoRoutine:
		if e.GoRoutine() == 1 {
			run.endMain() // the file's main (a cell's goroutines are not go statements of yaegi's)
		}
		return
	case yaegi.DebugTerminate:
		run.endMain()
		close(run.over)
		return
	case yaegi.DebugEntry:
		// The first statement yaegi stops at: breakpoints are set now, so
		// one on this very line is seen here.
		d := run.d
		d.mu.Lock()
		if run.cell != nil && run.release == nil {
			// yaegi runs the file on a goroutine of its own: make it the
			// cell's (output, final value, interrupts), as the cell's is.
			run.release = run.cell.Adopt()
		}
		run.ready = true
		d.applyLocked()
		here := false
		if fs := e.Frames(0, 1); len(fs) > 0 {
			pos := fs[0].Position()
			if o, ok := d.lineMapLocked(pos.Line / lineBase)[pos.Line]; ok {
				here = slices.Contains(d.bps[d.cellPathLocked(o.c)], o.line)
			}
		}
		d.mu.Unlock()
		if !here {
			go func() { _ = run.dbg.Continue(1) }()
			return
		}
		reason = "breakpoint"
	default:
		return
	}
	g := e.GoRoutine()
	if reason == "pause" || reason == "step" {
		// yaegi loses track of the node it runs after some jumps (a
		// loop's back edge) and stops there with no position: go on to
		// the next step that has one.
		fs := e.Frames(0, 1)
		if len(fs) == 0 || fs[0].Position().Line == 0 {
			mode := e.Reason()
			go func() { _ = run.dbg.Step(g, mode) }()
			return
		}
		if reason == "step" {
			pos := fs[0].Position()
			here := stepFrom{pos.Filename, pos.Line, e.FrameDepth()}
			run.d.mu.Lock()
			from, ok := run.d.stepping[g]
			run.d.mu.Unlock()
			if ok && from == here {
				mode := e.Reason()
				go func() { _ = resumeAt(e, mode) }()
				return
			}
		}
	}
	d := run.d
	d.mu.Lock()
	delete(d.stepping, g)
	d.stopped[g] = stopAt{e: e, run: run}
	if st, ok := routineOf(e); ok {
		run.states = append(run.states, st)
	}
	d.mu.Unlock()
	d.emit("stopped", map[string]any{"reason": reason, "threadId": g, "allThreadsStopped": false})
}

// emit sends a DAP event to the frontend.
func (d *debugState) emit(event string, body any) {
	d.mu.Lock()
	events := d.events
	d.mu.Unlock()
	if events == nil {
		return
	}
	b, err := json.Marshal(map[string]any{"seq": d.seq.Add(1), "type": "event", "event": event, "body": body})
	if err == nil {
		events(b)
	}
}

// pathOf is the file JupyterLab names a cell's code by: tmpFilePrefix,
// the Murmur2 hash of the code, tmpFileSuffix.
func (d *debugState) pathOf(code string) string {
	return d.prefix + strconv.FormatUint(uint64(murmur2([]byte(code), hashSeed)), 10) + ".go"
}

// murmur2 is MurmurHash2 (32 bits), the hash JupyterLab's debugger names
// cells by.
func murmur2(data []byte, seed uint32) uint32 {
	const m = 0x5bd1e995
	h := seed ^ uint32(len(data))
	for len(data) >= 4 {
		k := binary.LittleEndian.Uint32(data)
		k *= m
		k ^= k >> 24
		k *= m
		h = h*m ^ k
		data = data[4:]
	}
	switch len(data) {
	case 3:
		h ^= uint32(data[2]) << 16
		fallthrough
	case 2:
		h ^= uint32(data[1]) << 8
		fallthrough
	case 1:
		h ^= uint32(data[0])
		h *= m
	}
	h ^= h >> 13
	h *= m
	h ^= h >> 15
	return h
}

func (d *debugState) cellPathLocked(c *cellSrc) string {
	p, ok := d.paths[c]
	if !ok {
		p = d.pathOf(c.src)
		d.paths[c] = p
	}
	return p
}

// lineMap maps the yaegi lines of file id to the cell lines they come from.
// The caller holds d.mu, and a run is active or the caller is the cell's
// goroutine, so s.files is not being written.
func (d *debugState) lineMapLocked(id int) map[int]lineOwner {
	if m, ok := d.lines[id]; ok {
		return m
	}
	if d.lines == nil {
		d.lines = map[int]map[int]lineOwner{}
	}
	m := map[int]lineOwner{}
	if r := d.s.renderedFile(id); r != nil {
		lines := strings.Split(r.src, "\n")
		for i, text := range lines {
			t := strings.TrimLeft(text, " \t")
			if t == "" || t == "}" {
				continue
			}
			col := len(text) - len(t) + 1
			if c, cl, _ := r.position(i+1, col); c != nil {
				m[id*lineBase+i+1] = lineOwner{c, cl}
			}
		}
	}
	d.lines[id] = m
	return m
}

// applyLocked sets the breakpoints on the running file and on every kept
// declaration file (clearing the ones no longer wanted).
func (d *debugState) applyLocked() {
	// Between runs too: goroutines may still run (or be stopped) under
	// an ended run's Debugger. Any of the interpreter's Debuggers sets a
	// breakpoint (a mark on the code).
	run := d.current()
	if run == nil {
		run = d.last
	}
	if run == nil {
		return
	}
	targets := map[int]*yaegi.Program{}
	if run.ready {
		targets[run.id] = run.prog
	}
	for id, p := range d.progs {
		targets[id] = p
	}
	for id, p := range targets {
		reqs := []yaegi.BreakpointRequest{yaegi.LineBreakpoint(-1)} // so that stale ones are cleared
		for line, o := range d.lineMapLocked(id) {
			want := d.bps[d.cellPathLocked(o.c)]
			for _, l := range want {
				if l == o.line {
					reqs = append(reqs, yaegi.LineBreakpoint(line))
					break
				}
			}
		}
		if len(reqs) == 1 && !d.armed[id] {
			continue // no breakpoint there, now or before
		}
		d.armed[id] = len(reqs) > 1
		func() {
			// yaegi makes a node's code on demand when looking for
			// breakpoints, and fails on code it never runs as it is (a
			// generic func's body): such a file takes no breakpoints.
			defer func() { _ = recover() }()
			yaegiframe.ClearBreakpoints(d.moved[id])
			d.moved[id] = nil
			run.dbg.SetBreakpoints(yaegi.ProgramBreakpointTarget(p), reqs...)
			d.moved[id] = yaegiframe.MoveBreakpoints(p, d.s.i.FileSet())
		}()
	}
}

// position maps a yaegi position to the cell's path and line.
func (d *debugState) positionLocked(line, col int) (path string, cline, ccol int, cell *cellSrc) {
	id := line / lineBase
	r := d.s.renderedFile(id)
	if r == nil {
		return "", 0, 0, nil
	}
	c, l, cc := r.position(line%lineBase, col)
	if c == nil {
		return "", 0, 0, nil
	}
	return d.cellPathLocked(c), l, cc, c
}

// A DAP request and response.
type dapRequest struct {
	Seq       int             `json:"seq"`
	Type      string          `json:"type"`
	Command   string          `json:"command"`
	Arguments json.RawMessage `json:"arguments"`
}

type dapResponse struct {
	Seq        int64  `json:"seq"`
	Type       string `json:"type"`
	RequestSeq int    `json:"request_seq"`
	Success    bool   `json:"success"`
	Command    string `json:"command"`
	Message    string `json:"message,omitempty"`
	Body       any    `json:"body"`
}

type dapError string

func (e dapError) Error() string { return string(e) }

func (d *debugState) handle(raw json.RawMessage) json.RawMessage {
	var req dapRequest
	resp := dapResponse{Type: "response", Body: map[string]any{}}
	if err := json.Unmarshal(raw, &req); err != nil {
		resp.Message = "bad debug request: " + err.Error()
	} else {
		resp.RequestSeq, resp.Command = req.Seq, req.Command
		if len(req.Arguments) == 0 || string(req.Arguments) == "null" {
			req.Arguments = json.RawMessage("{}")
		}
		body, err := d.serve(req)
		if err != nil {
			resp.Message = err.Error()
		} else {
			resp.Success = true
			if body != nil {
				resp.Body = body
			}
		}
	}
	resp.Seq = d.seq.Add(1)
	b, err := json.Marshal(resp)
	if err != nil {
		b, _ = json.Marshal(dapResponse{Seq: resp.Seq, Type: "response", RequestSeq: req.Seq, Command: req.Command,
			Message: "the reply could not be encoded: " + err.Error(), Body: map[string]any{}})
	}
	return b
}

func (d *debugState) serve(req dapRequest) (any, error) {
	var a struct {
		Code       string `json:"code"`
		ThreadID   int    `json:"threadId"`
		FrameID    int    `json:"frameId"`
		Ref        int    `json:"variablesReference"`
		Expression string `json:"expression"`
		VarName    string `json:"variableName"`
		Src        string `json:"srcVariableName"`
		Dst        string `json:"dstVariableName"`
		SrcFrame   int    `json:"srcFrameId"`
		StartFrame int    `json:"startFrame"`
		Levels     int    `json:"levels"`
		Source     struct {
			Path string `json:"path"`
		} `json:"source"`
		Breakpoints []struct {
			Line int `json:"line"`
		} `json:"breakpoints"`
	}
	if err := json.Unmarshal(req.Arguments, &a); err != nil {
		return nil, dapError("bad arguments: " + err.Error())
	}
	switch req.Command {
	case "initialize":
		d.epoch.Add(1)
		d.on.Store(true)
		return map[string]any{
			"supportsConfigurationDoneRequest": true,
			"supportsEvaluateForHovers":        true,
			"supportsStepBack":                 false,
			"supportsSetVariable":              false,
			"supportsDelayedStackTraceLoading": false,
			"exceptionBreakpointFilters":       []any{},
		}, nil
	case "attach":
		d.on.Store(true)
		go d.emit("initialized", map[string]any{})
		return nil, nil
	case "configurationDone", "setExceptionBreakpoints":
		if req.Command == "setExceptionBreakpoints" {
			return map[string]any{"breakpoints": []any{}}, nil
		}
		return nil, nil
	case "disconnect":
		d.on.Store(false)
		debugRunsMu.Lock()
		if d.cell != nil {
			delete(debugCells, d.cell)
			d.cell = nil
			debugRunsCount.Store(int64(len(debugCells)))
		}
		debugRunsMu.Unlock()
		d.mu.Lock()
		d.bps = map[string][]int{}
		d.bpLines = nil
		d.anyBreakpoint.Store(false)
		var stopped []*yaegi.DebugEvent
		for _, at := range d.stopped {
			stopped = append(stopped, at.e)
		}
		d.stopped = map[int]stopAt{}
		d.stepping = map[int]stepFrom{}
		d.applyLocked()
		d.resetRefsLocked()
		d.mu.Unlock()
		for _, e := range stopped {
			_ = resumeAt(e, runMode)
		}
		d.releaseHeld()
		return nil, nil
	case "debugInfo":
		return d.info(), nil
	case "dumpCell":
		p := d.pathOf(a.Code)
		d.mu.Lock()
		d.sources[p] = a.Code
		d.mu.Unlock()
		if err := os.MkdirAll(d.prefix, 0o700); err == nil {
			_ = os.WriteFile(p, []byte(a.Code), 0o600) // for tools that read it; source answers from memory
		}
		return map[string]any{"sourcePath": p}, nil
	case "source":
		d.mu.Lock()
		code, ok := d.sources[a.Source.Path]
		for c, p := range d.paths { // a cell that ran but was never dumped
			if !ok && p == a.Source.Path {
				code, ok = c.src, true
			}
		}
		d.mu.Unlock()
		if !ok {
			return nil, dapError("source unavailable")
		}
		return map[string]any{"content": code}, nil
	case "setBreakpoints":
		var lines []int
		var out []map[string]any
		for _, b := range a.Breakpoints {
			lines = append(lines, b.Line)
			out = append(out, map[string]any{"verified": true, "line": b.Line, "source": map[string]any{"path": a.Source.Path}})
		}
		if out == nil {
			out = []map[string]any{}
		}
		d.mu.Lock()
		if len(lines) == 0 {
			delete(d.bps, a.Source.Path)
		} else {
			d.bps[a.Source.Path] = lines
		}
		d.bpLines = nil
		d.anyBreakpoint.Store(len(d.bps) > 0)
		d.applyLocked()
		d.mu.Unlock()
		return map[string]any{"breakpoints": out}, nil
	case "threads":
		return map[string]any{"threads": d.threadList()}, nil
	case "continue", "next", "stepIn", "stepOut":
		return d.resume(req.Command, a.ThreadID)
	case "pause":
		d.mu.Lock()
		run := d.run
		if run == nil {
			run = d.lastHeld() // its goroutines may still run
		}
		d.mu.Unlock()
		if run == nil {
			return nil, dapError("no cell is running under the debugger: a cell runs under it only when it can reach a breakpoint " +
				"(yaegi's debugger makes loops much slower), so set one in the code it runs to be able to pause")
		}
		id := a.ThreadID
		if id == 0 {
			id = 1
		}
		if !run.dbg.Interrupt(id, yaegi.DebugPause) {
			return nil, dapError("no such thread")
		}
		return nil, nil
	case "stackTrace":
		return d.stackTrace(a.ThreadID, a.StartFrame, a.Levels)
	case "scopes":
		return d.scopes(a.FrameID)
	case "variables":
		return d.variables(a.Ref)
	case "inspectVariables":
		d.mu.Lock()
		ref := d.newRefLocked(varRef{globals: true})
		d.mu.Unlock()
		return d.variables(ref)
	case "evaluate":
		v, err := d.lookup(a.Expression, a.FrameID)
		if err != nil {
			return nil, err
		}
		dv := d.describe(a.Expression, v)
		return map[string]any{"result": dv["value"], "type": dv["type"], "variablesReference": dv["variablesReference"]}, nil
	case "richInspectVariables":
		return d.rich(a.VarName, a.FrameID)
	case "copyToGlobals":
		return nil, d.copyToGlobals(a.Src, a.Dst, a.SrcFrame)
	case "modules":
		return map[string]any{"modules": []any{}, "totalModules": 0}, nil
	case "loadedSources":
		return map[string]any{"sources": []any{}}, nil
	case "exceptionInfo":
		return nil, dapError("yaegi does not stop on panics")
	}
	return nil, dapError(fmt.Sprintf("unsupported debug command %q", req.Command))
}

func (d *debugState) info() map[string]any {
	d.mu.Lock()
	defer d.mu.Unlock()
	bps := []map[string]any{}
	paths := make([]string, 0, len(d.bps))
	for p := range d.bps {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		var lines []map[string]any
		for _, l := range d.bps[p] {
			lines = append(lines, map[string]any{"line": l})
		}
		bps = append(bps, map[string]any{"source": p, "breakpoints": lines})
	}
	stopped := []int{}
	for g := range d.stopped {
		stopped = append(stopped, g)
	}
	sort.Ints(stopped)
	return map[string]any{
		"isStarted":      d.on.Load(),
		"hashMethod":     "Murmur2",
		"hashSeed":       hashSeed,
		"tmpFilePrefix":  d.prefix,
		"tmpFileSuffix":  ".go",
		"breakpoints":    bps,
		"stoppedThreads": stopped,
		"richRendering":  true,
		"exceptionPaths": []string{},
		"copyToGlobals":  true,
	}
}

func (d *debugState) threadList() []map[string]any {
	d.mu.Lock()
	defer d.mu.Unlock()
	ids := map[int]bool{1: true}
	run := d.run
	if run == nil {
		run = d.lastHeld() // the goroutines its file started may still run
	}
	if run != nil {
		for _, g := range run.dbg.GoRoutines() {
			ids[g.ID()] = true
		}
	}
	for g := range d.stopped {
		ids[g] = true
	}
	sorted := make([]int, 0, len(ids))
	for id := range ids {
		sorted = append(sorted, id)
	}
	sort.Ints(sorted)
	out := []map[string]any{}
	for _, id := range sorted {
		name := fmt.Sprintf("goroutine %d", id)
		if id == 1 {
			name = "cell"
		} else if th := d.threads[id]; th != nil {
			name = th.name
		}
		out = append(out, map[string]any{"id": id, "name": name})
	}
	return out
}

// resume continues or steps a stopped goroutine.
func (d *debugState) resume(cmd string, g int) (any, error) {
	if g == 0 {
		g = 1
	}
	d.mu.Lock()
	at, ok := d.stopped[g]
	if !ok {
		d.mu.Unlock()
		return nil, dapError(fmt.Sprintf("thread %d is not stopped", g))
	}
	e := at.e
	delete(d.stopped, g)
	delete(d.stepping, g)
	d.resetRefsLocked()
	mode := runMode
	switch cmd {
	case "next":
		mode = yaegi.DebugStepOver
	case "stepIn":
		mode = yaegi.DebugStepInto
	case "stepOut":
		mode = yaegi.DebugStepOut
	}
	if cmd == "next" || cmd == "stepIn" {
		if fs := e.Frames(0, 1); len(fs) > 0 {
			pos := fs[0].Position()
			d.stepping[g] = stepFrom{pos.Filename, pos.Line, e.FrameDepth()}
		}
	}
	d.mu.Unlock()
	if err := resumeAt(e, mode); err != nil {
		return nil, dapError(err.Error())
	}
	if cmd == "continue" {
		return map[string]any{"allThreadsContinued": false}, nil
	}
	return nil, nil
}

// resetRefsLocked forgets frame and variable references (they name values
// of a stop that is over).
func (d *debugState) resetRefsLocked() {
	d.refs = map[int]varRef{}
	d.frames = map[int]*yaegi.DebugFrame{}
}

func (d *debugState) newRefLocked(r varRef) int {
	if len(d.refs) > 1<<16 {
		d.refs = map[int]varRef{}
	}
	d.nextRef++
	d.refs[d.nextRef] = r
	return d.nextRef
}

func (d *debugState) stackTrace(g, start, levels int) (any, error) {
	if g == 0 {
		g = 1
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	at, ok := d.stopped[g]
	if !ok {
		return nil, dapError(fmt.Sprintf("thread %d is not stopped", g))
	}
	e := at.e
	depth := e.FrameDepth()
	frames := e.Frames(0, depth)
	if d.frames == nil {
		d.frames = map[int]*yaegi.DebugFrame{}
	}
	out := []map[string]any{}
	for i, f := range frames {
		if i < start || (levels > 0 && len(out) >= levels) {
			continue
		}
		d.nextRef++
		id := d.nextRef
		d.frames[id] = f
		pos := f.Position()
		fr := map[string]any{"id": id, "name": frameName(f.Name()), "line": 0, "column": 0}
		if path, l, c, cell := d.positionLocked(pos.Line, pos.Column); cell != nil {
			fr["line"], fr["column"] = l, c
			fr["source"] = map[string]any{"name": fmt.Sprintf("cell %d", cell.n), "path": path}
		}
		out = append(out, fr)
	}
	return map[string]any{"stackFrames": out, "totalFrames": len(frames)}, nil
}

// frameName is a frame's name as the user wrote it: cells' own code
// (yaegi's init, main or root frame) reads "cell".
func frameName(n string) string {
	n = demangle(n)
	switch n {
	case "<init>", "init", "main", "":
		return "cell"
	case "<anonymous>", "<closure>":
		return "func literal"
	}
	return n
}

func (d *debugState) scopes(frame int) (any, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	f := d.frames[frame]
	if f == nil {
		return nil, dapError("no such frame")
	}
	out := []map[string]any{}
	for i, sc := range f.Scopes() {
		name := "Locals"
		if sc.IsClosure() {
			name = "Captured"
		} else if i > 0 {
			name = "Block"
		}
		if len(sc.Variables()) == 0 {
			continue
		}
		out = append(out, map[string]any{"name": name, "variablesReference": d.newRefLocked(varRef{scope: sc}), "expensive": false})
	}
	out = append(out, map[string]any{"name": "Globals", "variablesReference": d.newRefLocked(varRef{globals: true}), "expensive": false})
	return map[string]any{"scopes": out}, nil
}

type namedValue struct {
	name string
	v    reflect.Value
}

// scopeVars lists a scope's variables under the user's names, without the
// session's own (ǂ-prefixed) temporaries.
func scopeVars(sc *yaegi.DebugFrameScope) []namedValue {
	var out []namedValue
	for _, v := range sc.Variables() {
		if strings.HasPrefix(v.Name, mark) || v.Name == "_" {
			continue
		}
		out = append(out, namedValue{demangle(v.Name), v.Value})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// globalVars lists the session's variables. With no cell running the
// session's tables are read afresh; otherwise as of the running cell's
// start.
func (d *debugState) globalVars() []namedValue {
	s := d.s
	if s.state.TryLock() {
		g := s.globalSlots()
		s.state.Unlock()
		d.mu.Lock()
		d.globals = g
		d.mu.Unlock()
	}
	d.mu.Lock()
	slots := d.globals
	d.mu.Unlock()
	var out []namedValue
	for name, idx := range slots {
		if v, ok := s.frame.Slot(idx); ok {
			out = append(out, namedValue{name, v})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func (d *debugState) variables(ref int) (any, error) {
	d.mu.Lock()
	r, ok := d.refs[ref]
	d.mu.Unlock()
	if !ok {
		return nil, dapError("no such variablesReference")
	}
	var vars []namedValue
	switch {
	case r.globals:
		vars = d.globalVars()
	case r.scope != nil:
		vars = scopeVars(r.scope)
	default:
		vars = children(r.value)
	}
	out := []map[string]any{}
	for _, nv := range vars {
		if isFuncNode(nv.v) {
			continue
		}
		out = append(out, d.describe(nv.name, nv.v))
	}
	return map[string]any{"variables": out}, nil
}

// isFuncNode reports values yaegi keeps for funcs (its AST nodes).
func isFuncNode(v reflect.Value) bool {
	if !v.IsValid() {
		return false
	}
	t := v.Type()
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.PkgPath() == "github.com/traefik/yaegi/interp" && t.Name() == "node"
}

// unwrap looks through interfaces and yaegi's boxes of interpreted values.
func unwrap(v reflect.Value) reflect.Value {
	for v.IsValid() {
		switch {
		case v.Kind() == reflect.Interface && !v.IsNil():
			v = v.Elem()
		case v.Kind() == reflect.Struct && v.Type().Name() == "valueInterface" && v.Type().PkgPath() == "github.com/traefik/yaegi/interp":
			v = v.Field(1)
		default:
			return v
		}
	}
	return v
}

const maxRepr = 1000

func repr(v reflect.Value) string {
	v = unwrap(v)
	if !v.IsValid() {
		return "nil"
	}
	var s string
	if v.Kind() == reflect.String {
		s = strconv.Quote(v.String())
	} else {
		s = demangle(fmt.Sprint(v))
	}
	if len(s) > maxRepr {
		s = s[:maxRepr] + "…"
	}
	return s
}

func typeName(v reflect.Value) string {
	v = unwrap(v)
	if !v.IsValid() {
		return "nil"
	}
	return demangle(v.Type().String())
}

// children lists the parts of a composite value (at most maxChildren).
func children(v reflect.Value) []namedValue {
	const maxChildren = 300
	v = unwrap(v)
	if !v.IsValid() {
		return nil
	}
	var out []namedValue
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return nil
		}
		if e := unwrap(v.Elem()); e.Kind() == reflect.Struct {
			return children(e)
		}
		out = append(out, namedValue{"*", v.Elem()})
	case reflect.Struct:
		for i := 0; i < v.NumField() && i < maxChildren; i++ {
			out = append(out, namedValue{demangle(v.Type().Field(i).Name), v.Field(i)})
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len() && i < maxChildren; i++ {
			out = append(out, namedValue{strconv.Itoa(i), v.Index(i)})
		}
	case reflect.Map:
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keys[i]) < fmt.Sprint(keys[j]) })
		for i, k := range keys {
			if i >= maxChildren {
				break
			}
			out = append(out, namedValue{repr(k), v.MapIndex(k)})
		}
	}
	return out
}

func hasChildren(v reflect.Value) bool {
	v = unwrap(v)
	if !v.IsValid() {
		return false
	}
	switch v.Kind() {
	case reflect.Pointer:
		return !v.IsNil()
	case reflect.Struct:
		return v.NumField() > 0
	case reflect.Slice, reflect.Array, reflect.Map:
		return v.Len() > 0
	}
	return false
}

// describe is a DAP Variable.
func (d *debugState) describe(name string, v reflect.Value) map[string]any {
	ref := 0
	if hasChildren(v) {
		d.mu.Lock()
		ref = d.newRefLocked(varRef{value: v})
		d.mu.Unlock()
	}
	return map[string]any{"name": name, "value": repr(v), "type": typeName(v), "evaluateName": name, "variablesReference": ref}
}

// lookup evaluates a variable path (x, x.f, x[2], m["k"] is not supported)
// in a stopped frame's scopes, then among the globals. yaegi cannot compile
// and run an expression beside a stopped cell, so no other expression is
// evaluated.
func (d *debugState) lookup(expr string, frame int) (reflect.Value, error) {
	expr = strings.TrimSpace(expr)
	head, rest := expr, ""
	if i := strings.IndexAny(expr, ".["); i >= 0 {
		head, rest = expr[:i], expr[i:]
	}
	if !isIdent(head) {
		return reflect.Value{}, dapError("only variables (x, x.field, x[i]) can be evaluated here: yaegi cannot run code beside a stopped cell")
	}
	var v reflect.Value
	found := false
	if frame != 0 {
		d.mu.Lock()
		f := d.frames[frame]
		d.mu.Unlock()
		if f != nil {
			for _, sc := range f.Scopes() {
				for _, nv := range scopeVars(sc) {
					if nv.name == head && !found {
						v, found = nv.v, true
					}
				}
			}
		}
	}
	if !found {
		for _, nv := range d.globalVars() {
			if nv.name == head {
				v, found = nv.v, true
			}
		}
	}
	if !found {
		return reflect.Value{}, dapError(fmt.Sprintf("%s is not a variable in scope", head))
	}
	for rest != "" {
		v = unwrap(v)
		for v.Kind() == reflect.Pointer && !v.IsNil() {
			v = unwrap(v.Elem())
		}
		switch rest[0] {
		case '.':
			rest = rest[1:]
			name := rest
			if i := strings.IndexAny(rest, ".["); i >= 0 {
				name, rest = rest[:i], rest[i:]
			} else {
				rest = ""
			}
			if v.Kind() != reflect.Struct {
				return reflect.Value{}, dapError(fmt.Sprintf("%s has no field %s", typeName(v), name))
			}
			f := v.FieldByName(name)
			if !f.IsValid() {
				return reflect.Value{}, dapError(fmt.Sprintf("%s has no field %s", typeName(v), name))
			}
			v = f
		case '[':
			j := strings.IndexByte(rest, ']')
			if j < 0 {
				return reflect.Value{}, dapError("missing ]")
			}
			n, err := strconv.Atoi(strings.TrimSpace(rest[1:j]))
			rest = rest[j+1:]
			if err != nil || (v.Kind() != reflect.Slice && v.Kind() != reflect.Array && v.Kind() != reflect.String) {
				return reflect.Value{}, dapError("only integer indexes of slices, arrays and strings are supported")
			}
			if n < 0 || n >= v.Len() {
				return reflect.Value{}, dapError(fmt.Sprintf("index %d out of range [0:%d]", n, v.Len()))
			}
			v = v.Index(n)
		default:
			return reflect.Value{}, dapError("only variables (x, x.field, x[i]) can be evaluated here")
		}
	}
	return v, nil
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || r > 127 && r != []rune(mark)[0] || (i > 0 && r >= '0' && r <= '9') {
			continue
		}
		return false
	}
	return true
}

// rich renders a variable for the variables explorer: its text, or the
// bundle of a compiled value that has one (mime.Bundler, HTML, SVG,
// Markdown).
func (d *debugState) rich(name string, frame int) (any, error) {
	v, err := d.lookup(name, frame)
	if err != nil {
		return map[string]any{"data": map[string]any{}, "metadata": map[string]any{}}, nil
	}
	data := map[string]any{mime.Text: repr(v)}
	if u := unwrap(v); u.IsValid() && u.CanInterface() {
		switch x := u.Interface().(type) {
		case mime.Bundler:
			for k, val := range x.Bundle().Data {
				data[k] = val
			}
		case interface{ HTML() string }:
			data[mime.HTML] = x.HTML()
		case interface{ SVG() string }:
			data[mime.SVG] = x.SVG()
		case interface{ Markdown() string }:
			data[mime.Markdown] = x.Markdown()
		}
	}
	return map[string]any{"data": data, "metadata": map[string]any{}}, nil
}

// copyToGlobals stores a frame's variable into a global variable of the
// same type. yaegi cannot declare a new global while a cell is stopped,
// so the global must exist.
func (d *debugState) copyToGlobals(src, dst string, frame int) error {
	if !isIdent(src) || !isIdent(dst) {
		return dapError("dstVariableName and srcVariableName must be valid identifiers")
	}
	v, err := d.lookup(src, frame)
	if err != nil {
		return err
	}
	d.globalVars() // refresh the slots when no cell runs
	d.mu.Lock()
	idx, ok := d.globals[dst]
	d.mu.Unlock()
	if !ok {
		return dapError(fmt.Sprintf("%s is not a global variable: declare it in a cell first (yaegi cannot declare one while a cell is stopped)", dst))
	}
	if !d.s.frame.SetSlot(idx, v) {
		return dapError(fmt.Sprintf("cannot copy %s (%s) to %s", src, typeName(v), dst))
	}
	return nil
}

// debuggerOffset is the offset of yaegi's Interpreter.debugger, or -1.
var debuggerOffset = func() uintptr {
	f, ok := reflect.TypeOf(yaegi.Interpreter{}).FieldByName("debugger")
	if !ok || f.Type.Kind() != reflect.Pointer {
		return ^uintptr(0)
	}
	return f.Offset
}()

// awaitDebuggerCleared waits (a few microseconds) until the goroutine of
// a finished yaegi Debug has set the interpreter's debugger back to nil.
func awaitDebuggerCleared(i *yaegi.Interpreter) {
	if debuggerOffset == ^uintptr(0) {
		return
	}
	p := (*unsafe.Pointer)(unsafe.Add(unsafe.Pointer(i), debuggerOffset))
	for n := 0; atomic.LoadPointer(p) != nil && n < 1e6; n++ {
		runtime.Gosched()
	}
}

// runMode is yaegi's run mode of a debugged goroutine (unexported there).
const runMode yaegi.DebugEventReason = 0

// resumeAt resumes the goroutine stopped at e in mode, as yaegi's Continue
// (mode debugRun) and Step do, but on the goroutine state e holds rather
// than the one the current Debugger has under that id. yaegi binds a frame to
// the goroutine state of the Debug run that made it: a func literal made by
// one file and called by a later one (each file is a Debug run) stops on the
// earlier state, which the current Debugger's Continue would never wake.
func resumeAt(e *yaegi.DebugEvent, mode yaegi.DebugEventReason) (err error) {
	g, ok := routineOf(e)
	if !ok {
		return errors.New("the debugger's goroutine state is not where this version of yaegi keeps it")
	}
	defer func() {
		if recover() != nil {
			err = errors.New("the thread has ended")
		}
	}()
	settable(g.FieldByName("mode")).SetInt(int64(mode))
	if mode == yaegi.DebugStepInto || mode == yaegi.DebugStepOver || mode == yaegi.DebugStepOut {
		settable(g.FieldByName("fStep")).SetInt(g.FieldByName("fDepth").Int())
	}
	settable(g.FieldByName("resume")).Send(reflect.ValueOf(struct{}{}))
	return nil
}

// routineOf finds the goroutine state (yaegi's debugRoutine) of the frame an
// event stopped in.
func routineOf(e *yaegi.DebugEvent) (reflect.Value, bool) {
	v := reflect.ValueOf(e).Elem().FieldByName("frame")
	for _, f := range []string{"debug", "g"} {
		if !v.IsValid() || v.Kind() != reflect.Pointer || v.IsNil() {
			return reflect.Value{}, false
		}
		v = v.Elem().FieldByName(f)
	}
	if !v.IsValid() || v.Kind() != reflect.Pointer || v.IsNil() {
		return reflect.Value{}, false
	}
	g := v.Elem()
	for _, f := range []string{"mode", "fStep", "fDepth", "resume"} {
		if !g.FieldByName(f).IsValid() {
			return reflect.Value{}, false
		}
	}
	if g.FieldByName("resume").Kind() != reflect.Chan || g.FieldByName("mode").Kind() != reflect.Int {
		return reflect.Value{}, false
	}
	return g, true
}

// rootRoutine is the goroutine state of the interpreter's global frame: the
// main goroutine of the latest Debug run.
func rootRoutine(i *yaegi.Interpreter) reflect.Value {
	v := reflect.ValueOf(i).Elem().FieldByName("frame")
	for _, f := range []string{"debug", "g"} {
		if !v.IsValid() || v.Kind() != reflect.Pointer || v.IsNil() {
			return reflect.Value{}
		}
		v = v.Elem().FieldByName(f)
	}
	if !v.IsValid() || v.Kind() != reflect.Pointer || v.IsNil() {
		return reflect.Value{}
	}
	return v.Elem()
}

// resetRoutine puts a goroutine state back in run mode, with a fresh
// resume channel if yaegi's Terminate may have closed it.
func resetRoutine(g reflect.Value, fresh bool) {
	if !g.IsValid() {
		return
	}
	mode, resume := g.FieldByName("mode"), g.FieldByName("resume")
	if mode.Kind() != reflect.Int || resume.Kind() != reflect.Chan {
		return
	}
	settable(mode).SetInt(int64(runMode))
	if fresh {
		settable(resume).Set(reflect.MakeChan(resume.Type(), 0))
	}
}

// settable makes an unexported field of yaegi's settable.
func settable(f reflect.Value) reflect.Value {
	return reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem()
}
