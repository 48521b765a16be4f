package interp

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/gokernel/gokernel/interp/display"
	"github.com/gokernel/gokernel/interp/internal/yaegiframe"
	"github.com/gokernel/gokernel/interp/rt"
	"github.com/gokernel/gokernel/interp/symbols"
	"github.com/gokernel/gokernel/kernel/mime"
	yaegi "github.com/traefik/yaegi/interp"
	"github.com/traefik/yaegi/stdlib"
	"github.com/traefik/yaegi/stdlib/unrestricted"
)

// Options configure a Session. The zero value works.
type Options struct {
	// Stdout and Stderr receive what cells print (fmt.Print*, log, and
	// os.Stdout/os.Stderr unless PlainStdio). Nil means: send it as a stream
	// to the Publisher of the cell that owns the writing goroutine
	// (rt.Current), or of the last cell begun when no cell owns it.
	Stdout, Stderr io.Writer
	// GOPATH is where yaegi looks for third-party sources, under
	// GOPATH/src/<import path> (see Get). Empty means $GOKERNEL_PATH, then
	// ~/.local/share/gokernel/gopath.
	GOPATH string
	// PlainStdio keeps os.Stdin, os.Stdout and os.Stderr the process's own
	// *os.File values in cells. By default they are io.Reader/io.Writer
	// values routed like Stdout (so fmt.Fprintln(os.Stdout, ...) and
	// bufio.NewReader(os.Stdin) reach the notebook), at the price that
	// os.Stdout.Fd() does not compile.
	PlainStdio bool
}

// A Session is one interpreter: declarations persist from cell to cell.
// Execute is meant to be called from one goroutine at a time; goroutines
// cells start keep running between cells. Abandon and Stuck may be called
// from any goroutine. Which part owns what is in the package doc.
type Session struct {
	opts Options
	i    *yaegi.Interpreter

	runner runner // runs cells, owns the interrupt protocol (runner.go)

	// state protects what follows up to the next blank line, and yaegi's
	// compiler. It is held while a cell is prepared, compiled and its
	// tables updated, never while the cell's code runs (see eval), so a
	// cell abandoned where an interrupt cannot reach holds nothing the
	// next cell needs.
	state    sync.Mutex
	active   *cellRun           // the cell holding state (nil for the prelude)
	n        int                // cells begun
	decls    declTable          // the notebook's declarations (decls.go)
	captures map[string]bool    // names mentioned in some func literal (retain.go)
	frame    yaegiframe.Frame   // yaegi's global frame (retain.go)
	syms     yaegiframe.Symbols // package main's symbols, once found (globalVar)

	pos    posMap     // positions back to cells (positions.go); own lock
	traces traceTable // yaegi's panic frame lines, by goroutine (stdio.go); own lock

	declMu   sync.Mutex
	declared []string // cells that declared something, for completion

	dbg atomic.Pointer[debugState] // the Jupyter debugger (debugger.go), once used
	// reach: which files can reach a breakpoint (debugreach.go), built
	// while the debugger is on; under state.
	reach      *reachGraph
	reachEpoch int64 // the debugger's epoch reach was built in
}

// NewSession starts an interpreter with the standard library, the
// project's helper packages (package symbols) and the cell runtime.
func NewSession(opts Options) (*Session, error) {
	s := &Session{
		opts:     opts,
		decls:    newDeclTable(),
		pos:      posMap{files: map[int]*rendered{}},
		traces:   traceTable{m: map[int64][]string{}},
		captures: map[string]bool{},
	}
	s.runner.run = s.run
	gopath := opts.GOPATH
	if gopath == "" {
		gopath = DefaultGOPATH()
	}
	var stdout, stderr io.Writer = &router{s: s, name: "stdout"}, &router{s: s, name: "stderr"}
	if opts.Stdout != nil {
		stdout = opts.Stdout
	}
	if opts.Stderr != nil {
		stderr = &filter{s: s, w: opts.Stderr}
	} else {
		stderr = &filter{s: s, w: stderr}
	}
	yo := yaegi.Options{
		GoPath:       gopath,
		Stdin:        &stdinReader{},
		Stdout:       stdout,
		Stderr:       stderr,
		Unrestricted: true,
		Env:          os.Environ(),
		Args:         []string{"gokernel"},
	}
	if !opts.PlainStdio {
		// yaegi reads this once, in New: os.Stdout etc. become the writers above.
		stdioMu.Lock()
		old, had := os.LookupEnv("YAEGI_SPECIAL_STDIO")
		os.Setenv("YAEGI_SPECIAL_STDIO", "1")
		s.i = yaegi.New(yo)
		if had {
			os.Setenv("YAEGI_SPECIAL_STDIO", old)
		} else {
			os.Unsetenv("YAEGI_SPECIAL_STDIO")
		}
		stdioMu.Unlock()
	} else {
		s.i = yaegi.New(yo)
	}
	s.frame, _ = yaegiframe.Of(s.i) // the zero Frame does nothing (yaegiframe.TestFieldsFound)
	for _, ex := range []yaegi.Exports{stdlib.Symbols, unrestricted.Symbols, symbols.Symbols, overrides(), s.host(), blockingExports()} {
		if err := s.i.Use(ex); err != nil {
			return nil, fmt.Errorf("interp: loading symbols: %w", err)
		}
	}
	if err := s.evalRaw("prelude", prelude+blockingPrelude); err != nil {
		return nil, fmt.Errorf("interp: prelude: %w", err)
	}
	rt.SetPanicHandler(s.goroutinePanic)
	// Helpers (display, progress bars, the models' results) publish to the
	// cell that owns the calling goroutine, or the latest cell for
	// goroutines no cell owns.
	display.SetCurrent(func() mime.Publisher {
		if c := rt.Output(); c != nil {
			if r, ok := c.Value.(*cellRun); ok {
				return r.Publisher // the kernel's own, with its optional interfaces (mime.Sender, mime.Parent)
			}
			if p, ok := c.Value.(mime.Publisher); ok {
				return p
			}
		}
		return nil
	})
	return s, nil
}

var stdioMu sync.Mutex

// debugRender prints every file given to yaegi (GOKERNEL_DEBUG_RENDER=1).
var debugRender = os.Getenv("GOKERNEL_DEBUG_RENDER") != ""

// DefaultGOPATH is the GOPATH sessions use when Options.GOPATH is empty:
// $GOKERNEL_PATH, or ~/.local/share/gokernel/gopath.
func DefaultGOPATH() string {
	if p := os.Getenv("GOKERNEL_PATH"); p != "" {
		return p
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return os.TempDir()
	}
	return home + "/.local/share/gokernel/gopath"
}

// run preprocesses and evaluates a cell on the cell's goroutine.
func (s *Session) run(run *cellRun, code string) (b mime.Bundle, err error) {
	c, out := run.cell, run.Publisher
	s.state.Lock()
	defer s.state.Unlock()
	s.active = run
	defer func() { s.active = nil }()
	defer s.endDebugRun()
	s.n++
	n := s.n
	s.pos.setCell(n)
	defer func() { err = explain(n, code, err) }() // yaegi's failures in go build's words (diagnose.go)
	if err := precheck(n, code, s.decls.known, s.decls.importedName, s.importKeys); err != nil {
		return b, err
	}
	if paths := autoImports(code, s.decls.known, s.decls.importedName); len(paths) > 0 {
		imp := "import (\n\t\"" + strings.Join(paths, "\"\n\t\"") + "\"\n)"
		ip, err := prepare(n, imp, s.decls.known, s.decls.funcValue, false)
		if err == nil {
			err = s.declare(ip)
		}
		if err != nil {
			return b, err
		}
	}
	p, err := prepare(n, code, s.decls.known, s.decls.funcValue, false, s.chanVar)
	if err != nil {
		return b, err
	}
	for _, w := range p.warnings {
		out.Stream("stderr", "gokernel: "+w+"\n")
	}
	s.pos.forget(n, s.i.FileSet())

	if err := s.declare(p); err != nil {
		return b, err
	}
	s.follow(c, p.cell, p.redeclared, p.oldSlots, p.overlay)
	s.noteCaptures(code)
	declares := len(p.units) > 0
	for _, st := range p.steps {
		declares = declares || st.vars || len(st.after) > 0
	}
	if declares {
		s.remember(code)
	}
	for k, st := range p.steps {
		if err := s.runStep(c, p, k, st); err != nil {
			return b, err
		}
		if len(st.after) > 0 {
			// Declarations that use the variables this step declared.
			sub := &plan{cell: p.cell, units: st.after}
			if err := s.declare(sub); err != nil {
				return b, err
			}
			s.follow(c, p.cell, sub.redeclared, sub.oldSlots, sub.overlay)
			for j, st := range sub.steps { // func main, run once
				if err := s.runStep(c, p, len(p.steps)+k*10+j, st); err != nil {
					return b, err
				}
			}
		}
	}
	if run.resSet {
		return run.result, nil
	}
	return b, nil
}

// declare evaluates the cell's imports and declarations, giving redefined
// names (and everything that uses them) new internal versions, so code
// written after sees the new ones. yaegi ignores a redefined type or
// method and compiled callers keep an old func; a fresh name sidesteps
// both.
func (s *Session) declare(p *plan) error {
	overlay := map[string]string{}
	var emit []*unit
	inCell := map[string]bool{}
	for _, u := range p.units {
		for _, n := range u.names {
			inCell[n] = true
		}
	}
	replayed := map[*unit]bool{}
	changed := append([]string(nil), p.reseed...) // existing names getting a new version
	for _, u := range p.units {
		emit = append(emit, u)
		for _, n := range u.names {
			if Kind(u.kind) == KindMethod {
				continue
			}
			if Kind(u.kind) == KindVar && s.decls.kind[n] == KindVar && !s.decls.poisoned[n] {
				overlay[n] = n // yaegi redeclares a variable in place
				p.redeclared = append(p.redeclared, n)
			} else if s.decls.known(n) || n == "main" {
				s.decls.bump(overlay, n)
				if _, ok := s.decls.cur[n]; ok {
					changed = append(changed, n)
				}
			} else {
				overlay[n] = n
			}
		}
		if Kind(u.kind) == KindMethod && !inCell[u.recv] {
			if tu := s.decls.units[u.recv]; tu != nil && !replayed[tu] {
				replayed[tu] = true
				s.decls.bump(overlay, u.recv)
				changed = append(changed, u.recv)
				emit = append(emit, tu)
			}
		}
	}
	// Replay what depends on a changed name, to a fixed point.
	for len(changed) > 0 {
		ch := map[string]bool{}
		for _, n := range changed {
			ch[n] = true
		}
		changed = nil
		for _, u := range s.decls.sortedUnits() {
			if replayed[u] || isCellUnit(p, u) || supersededBy(u, inCell) {
				continue
			}
			hit := false
			for r := range u.refs {
				if ch[r] {
					hit = true
				}
			}
			if Kind(u.kind) == KindMethod && ch[u.recv] {
				hit = true
			}
			if !hit {
				continue
			}
			replayed[u] = true
			emit = append(emit, u)
			if Kind(u.kind) == KindMethod {
				if _, done := overlay[u.recv]; !done && s.decls.units[u.recv] != nil {
					tu := s.decls.units[u.recv]
					replayed[tu] = true
					emit = append(emit, tu)
					s.decls.bump(overlay, u.recv)
					changed = append(changed, u.recv)
				}
				continue
			}
			for _, n := range u.names {
				s.decls.bump(overlay, n)
				changed = append(changed, n)
			}
		}
	}
	// A re-versioned type takes all its methods along.
	for _, u := range s.decls.sortedUnits() {
		if Kind(u.kind) == KindMethod && !replayed[u] && !isCellUnit(p, u) && !supersededBy(u, inCell) {
			if _, ok := overlay[u.recv]; ok && !inCellMethod(p, u.names[0]) {
				replayed[u] = true
				emit = append(emit, u)
			}
		}
	}

	var pieces []piece
	var keys []string
	for i, k := range p.importKey {
		if !s.decls.imported[k] {
			pieces = append(pieces, p.imports[i*2], p.imports[i*2+1])
			keys = append(keys, k)
		}
	}
	if len(pieces) > 0 {
		pieces = append([]piece{{text: "import (\n"}}, pieces...)
		pieces = append(pieces, piece{text: ")\n"})
	}
	sort.SliceStable(emit, func(i, j int) bool { return Kind(emit[i].kind).order() < Kind(emit[j].kind).order() })
	for _, u := range emit {
		pieces = append(pieces, u.pieces...)
	}
	if len(pieces) == 0 {
		return nil
	}
	r := renderFile(fmt.Sprintf("cell%d_0", p.cell.n), "package main\n", pieces, s.decls.nameIn(overlay))
	r.keep = true
	old := s.oldSlots(overlay)
	if err := s.eval(r, p.cell, false); err != nil {
		if errors.Is(err, errAbandoned) {
			return err
		}
		for _, u := range p.units {
			for _, n := range u.names {
				if _, ok := s.decls.cur[n]; !ok {
					s.decls.poisoned[n] = true
				}
			}
		}
		return err
	}
	p.oldSlots, p.overlay = old, overlay
	for _, k := range keys {
		s.decls.imported[k] = true
	}
	for n, v := range overlay {
		s.decls.cur[n] = v
		delete(s.decls.poisoned, n)
	}
	for _, u := range p.units {
		if Kind(u.kind) == KindMethod {
			for _, m := range richMethods {
				if strings.HasSuffix(u.names[0], "."+m.name) {
					s.decls.rich[m.name] = true
				}
			}
		}
		for _, n := range u.names {
			s.decls.kind[n] = Kind(u.kind)
			if Kind(u.kind) == KindVar {
				delete(s.decls.units, n) // a variable keeps its value: never replayed
				continue
			}
			s.decls.units[n] = u
		}
	}
	if _, ok := overlay["main"]; ok {
		// A cell that declares main runs it, once, like go run.
		p.steps = append(p.steps, step{pieces: []piece{{ref: "main"}, {text: "()\n"}}})
	}
	return nil
}

// supersededBy reports whether the cell redefines a name u defines.
func supersededBy(u *unit, inCell map[string]bool) bool {
	for _, n := range u.names {
		if inCell[n] {
			return true
		}
	}
	return false
}

func isCellUnit(p *plan, u *unit) bool {
	for _, c := range p.units {
		if c == u {
			return true
		}
	}
	return false
}

func inCellMethod(p *plan, key string) bool {
	for _, u := range p.units {
		for _, n := range u.names {
			if n == key {
				return true
			}
		}
	}
	return false
}

// showRich runs a final-value step as ǂv := expr; ǂ.ShowRich(..., ǂv.HTML())
// for each rich method some cell type has, until one compiles (the
// value's type has that method). It reports whether one did, and the
// step's error then.
func (s *Session) showRich(p *plan, st step, fname, header string, name func(string) string) (bool, error) {
	if st.value == nil {
		return false, nil
	}
	for _, m := range richMethods {
		if !s.decls.rich[m.name] {
			continue
		}
		pieces := append(append([]piece(nil), st.value...), piece{text: "; " + m.call}, piece{text: "}\n"})
		err := s.eval(renderFile(fname, header, pieces, name), p.cell, false)
		if isNoValueStored(err) {
			return true, nil
		}
		if err == nil || !isCompile(err) {
			return true, err
		}
	}
	return false, nil
}

// isNoValueStored recognizes yaegi failing to store the "value" of a call
// of an interpreted function that has no results: it compiles the final
// expression's ǂv := f(x) without the "(no value) used as value" error it
// gives for compiled functions, runs the call, and only then panics in
// reflect. The call ran, as the cell asked: there is just nothing to show.
func isNoValueStored(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Ename == "panic" &&
		strings.HasPrefix(e.Msg, "reflect.Set: value of type *interface {} is not assignable to type func(")
}

// runStep evaluates one group of statements.
func (s *Session) runStep(c *rt.Cell, p *plan, k int, st step) error {
	overlay := map[string]string{}
	for _, n := range st.names {
		if kd, ok := s.decls.kind[n]; (ok && kd != KindVar) || s.decls.poisoned[n] {
			s.decls.bump(overlay, n)
		} else {
			overlay[n] = n
		}
	}
	fname := fmt.Sprintf("cell%d_%d", p.cell.n, k+1)
	header := "package main\nfunc init() {\n"
	if st.vars {
		header = "package main\nfunc main() {\n"
	}
	tail := "}\n"
	if done, err := s.showRich(p, st, fname, header, s.decls.nameIn(overlay)); done {
		return err
	}
	old := s.oldSlots(overlay)
	pieces := append(append([]piece(nil), st.pieces...), piece{text: tail})
	r := renderFile(fname, header, pieces, s.decls.nameIn(overlay))
	err := s.eval(r, p.cell, st.vars)
	if err != nil && st.plain != nil && isCompile(err) {
		// The final expression may be a call with no value: run it as a statement.
		pieces = append(append([]piece(nil), st.plain...), piece{text: tail})
		r = renderFile(fname, header, pieces, s.decls.nameIn(overlay))
		err = s.eval(r, p.cell, false)
	}
	if err != nil && isNilType(err) {
		// yaegi panics on range over an int variable: rewrite such loops and retry.
		if p2, perr := prepare(p.cell.n, p.cell.src, s.decls.known, s.decls.funcValue, true, s.chanVar); perr == nil && k < len(p2.steps) {
			st2 := p2.steps[k]
			pieces = append(append([]piece(nil), st2.pieces...), piece{text: tail})
			r = renderFile(fname, header, pieces, s.decls.nameIn(overlay))
			err = s.eval(r, p.cell, st.vars)
			if err != nil && st2.plain != nil && isCompile(err) {
				pieces = append(append([]piece(nil), st2.plain...), piece{text: tail})
				r = renderFile(fname, header, pieces, s.decls.nameIn(overlay))
				err = s.eval(r, p.cell, false)
			}
		}
	}
	if st.value != nil && isNoValueStored(err) {
		err = nil
	}
	if err != nil {
		if st.vars && isCompile(err) {
			for _, n := range st.names {
				if _, ok := s.decls.cur[n]; !ok {
					s.decls.poisoned[n] = true
				}
			}
		}
		return err
	}
	var redeclared []string
	for n := range old {
		redeclared = append(redeclared, n)
	}
	sort.Strings(redeclared)
	for n, v := range overlay {
		s.decls.define(n, v, KindVar)
		delete(s.decls.units, n)
	}
	s.follow(c, p.cell, redeclared, old, overlay)
	return nil
}

// follow makes the code that uses redeclared variables see the new ones
// (declare replays it, as for a redefined func), then frees the old
// variables' slots. Code that no longer compiles against a new variable
// (its type changed) keeps the old one, with its value, and a warning
// says so: the cell that redeclared it did nothing wrong.
func (s *Session) follow(c *rt.Cell, cs *cellSrc, names []string, old map[string]int, overlay map[string]string) {
	if len(names) > 0 {
		if err := s.declare(&plan{cell: cs, reseed: names}); err != nil {
			publisherOf(c).Stream("stderr", fmt.Sprintf("gokernel: code that uses %s keeps the previous one, "+
				"as it does not compile with the new one: %v\n", strings.Join(names, ", "), err))
			return
		}
	}
	s.freeOld(old, overlay)
}

type compileErr struct{ *Error }

func isCompile(err error) bool {
	var e *Error
	return errors.As(err, &e) && (e.Ename == "CompileError" || e.Ename == "SyntaxError")
}

func isNilType(err error) bool {
	var e *Error
	return errors.As(err, &e) && strings.Contains(e.Msg, "nil type")
}

// evalRaw evaluates session-written code (the prelude).
func (s *Session) evalRaw(name, src string) error {
	cs := &cellSrc{src: src, segs: []seg{{0, 0, len(src)}}}
	r := &rendered{name: name, src: src, starts: []int{0}, pieces: []piece{{text: src, cell: cs}}, keep: true}
	s.state.Lock()
	defer s.state.Unlock()
	return s.eval(r, cs, false)
}

// eval compiles and runs one rendered file, turning every failure (yaegi's
// compile-time panics included) into an *Error in cell terms.
func (s *Session) eval(r *rendered, cs *cellSrc, block bool) (err error) {
	// File ids cycle, so line numbers stay under go/scanner's limit for
	// line directives (1<<30); a reused id's old position map goes.
	id := s.pos.add(r)
	// Every file is named _.go for yaegi, whose imports are scoped by file
	// name (so the prelude's and the cells' imports are seen by every
	// later cell); a line directive makes its lines unique instead:
	// line L of file id reads as id*lineBase+L in yaegi's messages.
	src := strings.Replace(r.src, "package main\n", fmt.Sprintf("package main\n//line _.go:%d:1\n", id*lineBase+2), 1)
	defer func() {
		if v := recover(); v != nil {
			err = &Error{Ename: "CompileError", Msg: "the interpreter failed on this cell: " + demangle(fmt.Sprint(v))}
		}
	}()
	if debugRender {
		fmt.Fprintf(os.Stderr, "---- %s\n%s", r.name, src)
	}
	f, perr := parser.ParseFile(s.i.FileSet(), "_.go", src, parser.ParseComments)
	if f != nil {
		r.tf = s.i.FileSet().File(f.Pos())
	}
	if perr != nil {
		return s.compileErr(perr.Error(), cs)
	}
	var node ast.Node = f
	if block {
		// Short variable declarations: compile main's body as a block,
		// which yaegi runs in the global scope (as its REPL does).
		node = f.Decls[len(f.Decls)-1].(*ast.FuncDecl).Body
	}
	if len(f.Imports) > 0 {
		s.frame.Trim()
	}
	from := s.frame.Len()
	prog, cerr := s.i.CompileAST(node)
	if cerr != nil {
		return s.compileErr(cerr.Error(), cs)
	}
	yaegiframe.DropDebugTrees(s.i)
	debug := false
	if g := s.reachGraph(); g != nil {
		debug = s.needsDebugger(g.add(s.i.FileSet(), f, id, block, s.isGlobalVar, s.decls.importedName))
	}
	s.frame.Grow()
	run := s.active
	var gid int64
	if run != nil {
		gid = run.gid
	} else { // the prelude, on NewSession's caller
		gid = rt.GoID()
	}
	s.traces.take(gid)
	// The cell's code runs without the lock (yaegi's Execute holds none
	// of its own while running either: its mutex guards compilation and
	// resizing the global frame). An abandoned cell is left inside
	// Execute; if it ever comes back it finds it was abandoned and leaves
	// the tables alone, as the session has moved on.
	var xerr error
	func() {
		s.state.Unlock()
		defer s.state.Lock() // also when the code calls runtime.Goexit
		_, xerr = s.execProg(prog, id, r.keep, debug)
	}()
	if run != nil && run.abandoned.Load() {
		return errAbandoned
	}
	if xerr == nil {
		if len(f.Imports) == 0 {
			// (A file that imports from source also made the slots of
			// the imported packages' variables.)
			s.freeTemps(f, from, s.frame.Len())
		}
		return nil
	}
	var yp yaegi.Panic
	if errors.As(xerr, &yp) {
		return s.panicError(yp.Value, s.traces.take(gid))
	}
	return s.compileErr(xerr.Error(), cs)
}

func (s *Session) compileErr(msg string, cs *cellSrc) error {
	m := filePos.FindStringSubmatchIndex(msg)
	if m == nil {
		return &Error{Ename: "CompileError", Msg: demangle(msg)}
	}
	rest := strings.TrimPrefix(msg[m[1]:], ": ")
	rest = demangle(filePos.ReplaceAllStringFunc(rest, s.pos.mapPos))
	if r, line, col := s.pos.fileOf(msg[m[2]:m[3]], msg[m[4]:m[5]]); r != nil {
		if c, l, cc := r.position(line, col); c != nil {
			if c == cs {
				return compileError("CompileError", c, l, cc, rest)
			}
			return &Error{Ename: "CompileError", Msg: fmt.Sprintf("cell %d, line %d:%d (replaying a declaration): %s", c.n, l, cc, rest)}
		}
	}
	return &Error{Ename: "CompileError", Msg: rest}
}

var frameLine = regexp.MustCompile(`^(?:_\.go:)?(\d+(?::\d+)?): panic: (.*)$`)

func (s *Session) panicError(v any, frames []string) error {
	if _, ok := v.(rt.Interrupted); ok {
		return &Error{Ename: "Interrupted", Msg: "interrupted"}
	}
	if _, ok := v.(goexitPanic); ok {
		return goexitError(s.goexitWhere(frames))
	}
	msg := demangle(fmt.Sprint(v))
	if e, ok := v.(error); ok {
		msg = demangle(e.Error())
	}
	e := &Error{Ename: "panic", Msg: msg, Trace: []string{"panic: " + msg, "", "goroutine stack (innermost first):"}}
	if k, ok := v.(interface{ Kind() string }); ok { // rt.Deadlock, rt.RecursionError
		e.Ename, e.Trace[0] = k.Kind(), k.Kind()+": "+msg
	}
	for _, f := range frames {
		m := frameLine.FindStringSubmatch(f)
		if m == nil {
			continue
		}
		fn := strings.TrimSuffix(m[2], "(...)")
		fn = strings.TrimPrefix(fn, "main.")
		if fn == "init" || fn == "main" {
			fn = "cell"
		}
		e.Trace = append(e.Trace, fmt.Sprintf("  %s  in %s", s.pos.mapPos(m[1]), demangle(fn)))
	}
	if len(frames) == 0 {
		e.Trace = e.Trace[:1]
	}
	if r, ok := v.(*rt.RecursionError); ok && len(e.Trace) > 3 { // name the function that recursed
		r.Frame = strings.TrimSpace(e.Trace[3])
		e.Msg = r.Error()
		e.Trace[0] = r.Kind() + ": " + e.Msg
	}
	return e
}

// goroutinePanic shows a panic in a goroutine a cell started as an error
// under that cell (stderr stream), and keeps the session alive.
func (s *Session) goroutinePanic(c *rt.Cell, p *rt.Panic) {
	err := s.panicError(p.Value, s.traces.take(rt.GoID())).(*Error)
	text := "panic in a goroutine: " + err.Msg + "\n"
	if len(err.Trace) > 1 {
		text += strings.Join(err.Trace[1:], "\n") + "\n"
	}
	if pub := publisherOf(c); pub != nil {
		pub.Stream("stderr", text)
	}
}
