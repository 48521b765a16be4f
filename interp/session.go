package interp

import (
	"context"
	"errors"
	"fmt"
	"github.com/gokernel/gokernel/interp/display"
	"go/ast"
	"go/parser"
	"io"
	"os"
	"path"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gokernel/gokernel/interp/rt"
	"github.com/gokernel/gokernel/interp/subprocess"
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
	// InterruptGrace is how long Execute waits, after ctx is cancelled,
	// for the cell to unwind before giving up on it (default 400ms).
	InterruptGrace time.Duration
}

// A Session is one interpreter: declarations persist from cell to cell.
// Execute is meant to be called from one goroutine at a time; goroutines
// cells start keep running between cells.
type Session struct {
	mu   sync.Mutex // one Execute at a time
	opts Options
	i    *yaegi.Interpreter

	state    sync.Mutex // the tables below; a cell abandoned after an interrupt may still touch them
	n        int
	cur      map[string]string // user name -> internal name
	kind     map[string]string // user name -> "func", "type", "const", "var", "method"
	ver      map[string]int
	poisoned map[string]bool
	units    map[string]*unit // by defined name ("T.M" for methods)
	imported map[string]bool
	files    map[int]*rendered // by file id, see fileName
	nextFile int
	recent   []int // ids of statement files kept for the last cells' panics

	rich map[string]bool // rich-display methods some cell type has (richMethods)

	cells         *cellRunner  // nil until the first cell, and after one is abandoned
	cellGoroutine atomic.Int64 // id of the goroutine running the current cell

	captures map[string]bool // names mentioned in some func literal (see retain.go)
	frame    globalFrame     // yaegi's global frame (see retain.go)
	syms     reflect.Value   // package main's symbols, once found (see mainSyms)

	declMu sync.Mutex
	decls  []string // cells that declared something, for completion

	result  mime.Bundle
	resSet  bool
	traceMu sync.Mutex
	traces  map[int64][]string // goroutine -> yaegi panic frame lines

	dbg atomic.Pointer[debugState] // the Jupyter debugger (debugger.go), once used
}

const hostPath = "gokernel/cellrt"

// NewSession starts an interpreter with the standard library, the
// project's helper packages (package symbols) and the cell runtime.
func NewSession(opts Options) (*Session, error) {
	s := &Session{
		opts:     opts,
		cur:      map[string]string{},
		kind:     map[string]string{},
		ver:      map[string]int{},
		poisoned: map[string]bool{},
		units:    map[string]*unit{},
		imported: map[string]bool{},
		files:    map[int]*rendered{},
		traces:   map[int64][]string{},
		rich:     map[string]bool{},
		captures: map[string]bool{},
	}
	if s.opts.InterruptGrace == 0 {
		s.opts.InterruptGrace = 400 * time.Millisecond
	}
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
	s.frame, _ = frameOf(s.i) // the zero globalFrame does nothing (TestFrameFieldsFound)
	for _, ex := range []yaegi.Exports{stdlib.Symbols, unrestricted.Symbols, symbols.Symbols, overrides(), s.host()} {
		if err := s.i.Use(ex); err != nil {
			return nil, fmt.Errorf("interp: loading symbols: %w", err)
		}
	}
	if err := s.evalRaw("prelude", prelude); err != nil {
		return nil, fmt.Errorf("interp: prelude: %w", err)
	}
	rt.SetPanicHandler(s.goroutinePanic)
	// Helpers (display, progress bars, the models' results) publish to the
	// cell that owns the calling goroutine, or the latest cell for
	// goroutines no cell owns.
	display.SetCurrent(func() mime.Publisher {
		if c := rt.Output(); c != nil {
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

const prelude = `package main

import ` + mark + ` "` + hostPath + `"
import ` + mark + `fmt "fmt"
import ` + mark + `cmp "cmp"

func ` + mark + `min[T ` + mark + `cmp.Ordered](x T, ys ...T) T {
	for _, y := range ys {
		if y < x {
			x = y
		}
	}
	return x
}

func ` + mark + `max[T ` + mark + `cmp.Ordered](x T, ys ...T) T {
	for _, y := range ys {
		if y > x {
			x = y
		}
	}
	return x
}
`

// host is the package instrumented code calls, imported once by the
// prelude under the name ǂ, which no user code can spell by accident.
func (s *Session) host() yaegi.Exports {
	return yaegi.Exports{hostPath + "/cellrt": {
		"Tick":    reflect.ValueOf(rt.Tick),
		"Go":      reflect.ValueOf(rt.Go),
		"Done":    reflect.ValueOf(cellDone),
		"Stop":    reflect.ValueOf(func() { panic(rt.Interrupted{}) }),
		"Repanic": reflect.ValueOf(repanic),
		"Clear":   reflect.ValueOf(clearValue),
		// The value companions of cell funcs (see companionSuffix).
		"NameFunc": reflect.ValueOf(subprocess.NameFunc),
		"Show":     reflect.ValueOf(s.show),
		"ShowRich": reflect.ValueOf(func(text, mimeType, data string) {
			s.result = mime.Bundle{Data: map[string]any{mime.Text: demangle(text), mimeType: data}}
			s.resSet = true
		}),
		"ShowBundle": reflect.ValueOf(func(text string, b mime.Bundle) {
			if b.Data == nil {
				b.Data = map[string]any{}
			}
			if _, ok := b.Data[mime.Text]; !ok {
				b.Data[mime.Text] = demangle(text)
			}
			s.result, s.resSet = b, true
		}),
		"ShowCall": reflect.ValueOf(func(text string, v any) {
			// yaegi lets a call with no result be assigned; what it
			// assigns is the function itself. No value, then.
			if rv := reflect.ValueOf(v); rv.Kind() == reflect.Func {
				return
			}
			s.show(text, v)
		}),
	}}
}

var never = make(chan struct{})

// cellDone is the channel the interrupt case added to every select waits
// on: the calling goroutine's cell's, or one that is never ready.
func cellDone() <-chan struct{} {
	if c := rt.Output(); c != nil {
		return c.Done()
	}
	return never
}

// repanic wraps recover() in cells, so user code cannot swallow an
// interrupt.
func repanic(v any) any {
	if _, ok := v.(rt.Interrupted); ok {
		panic(v)
	}
	return v
}

// clearValue is the clear builtin (Go 1.21), missing from yaegi.
func clearValue(x any) {
	v := reflect.ValueOf(x)
	switch v.Kind() {
	case reflect.Map:
		v.Clear()
	case reflect.Slice:
		z := reflect.Zero(v.Type().Elem())
		for i := 0; i < v.Len(); i++ {
			v.Index(i).Set(z)
		}
	default:
		panic(fmt.Sprintf("invalid argument: clear(%T): argument must be a map or slice", x))
	}
}

// show receives a cell's final value, with its text as fmt prints it
// (String and Error included). A compiled value that implements
// mime.Bundler, or has an HTML, Markdown or SVG method, renders rich.
func (s *Session) show(text string, v any) {
	out := mime.Bundle{Data: map[string]any{mime.Text: demangle(text)}}
	switch x := v.(type) {
	case mime.Bundle:
		out = x
		if out.Data == nil {
			out.Data = map[string]any{}
		}
	case mime.Bundler:
		out = x.Bundle()
		if out.Data == nil {
			out.Data = map[string]any{}
		}
		if _, ok := out.Data[mime.Text]; !ok {
			out.Data[mime.Text] = demangle(text)
		}
	case interface{ HTML() string }:
		out.Data[mime.HTML] = x.HTML()
	case interface{ Markdown() string }:
		out.Data[mime.Markdown] = x.Markdown()
	case interface{ SVG() string }:
		out.Data[mime.SVG] = x.SVG()
	}
	s.result, s.resSet = out, true
}

// overrides replace standard-library symbols: sleeping and blocking I/O go
// through rt, so interrupts and the emulated GIL see them.
func overrides() yaegi.Exports {
	return yaegi.Exports{
		"time/time": {"Sleep": reflect.ValueOf(rt.Sleep)},
		"net/http/http": {
			"Get":      reflect.ValueOf(httpGet),
			"Head":     reflect.ValueOf(httpHead),
			"Post":     reflect.ValueOf(httpPost),
			"PostForm": reflect.ValueOf(httpPostForm),
		},
		"net/net": {
			"Dial":        reflect.ValueOf(netDial),
			"DialTimeout": reflect.ValueOf(netDialTimeout),
		},
	}
}

// Execute runs one cell. It returns the cell's final value (a zero Bundle
// if it has none) or an *Error. Cancelling ctx interrupts the cell.
func (s *Session) Execute(ctx context.Context, code string, out mime.Publisher) (mime.Bundle, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if out == nil {
		out = discard{}
	}
	started := make(chan *rt.Cell, 1)
	done := make(chan cellResult, 1)
	s.runner().jobs <- cellJob{code: code, out: out, started: started, done: done}
	c := <-started
	select {
	case r := <-done:
		return r.b, r.err
	case <-ctx.Done():
	}
	c.Interrupt()
	select {
	case r := <-done:
		if r.err == nil {
			r.err = &Error{Ename: "Interrupted", Msg: "interrupted"}
		}
		return r.b, r.err
	case <-time.After(s.opts.InterruptGrace):
		s.abandonRunner()
		return mime.Bundle{}, &Error{Ename: "Interrupted", Msg: "interrupted, but the cell is blocked where it cannot be stopped " +
			"(a receive like v := <-ch, a range over a channel, or a call into compiled code); it was left waiting and the session goes on"}
	}
}

type cellResult struct {
	b   mime.Bundle
	err error
}

type cellJob struct {
	code    string
	out     mime.Publisher
	started chan<- *rt.Cell
	done    chan<- cellResult
}

// A cellRunner is the goroutine that runs cells, one after another. Cells
// run on a goroutine of their own, not Execute's caller, so that an
// interrupted cell stuck where it cannot be stopped can be left behind.
// One long-lived goroutine rather than one per cell: its stack has grown
// to what interpreted code needs once, and its id is looked up once.
type cellRunner struct {
	jobs chan cellJob
}

func (s *Session) runner() *cellRunner {
	if s.cells == nil {
		r := &cellRunner{jobs: make(chan cellJob)}
		go s.runCells(r)
		s.cells = r
	}
	return s.cells
}

// Close stops the goroutine that runs the session's cells, once the
// current cell (if any) is done. Goroutines cells started are not stopped.
// A closed session starts a new runner if Execute is called again.
func (s *Session) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.abandonRunner()
}

// abandonRunner leaves the current runner to its stuck cell: the next
// cell starts a new one. The old one exits if its cell ever returns.
func (s *Session) abandonRunner() {
	if s.cells != nil {
		close(s.cells.jobs)
		s.cells = nil
	}
}

func (s *Session) runCells(r *cellRunner) {
	gid := rt.GoID()
	for j := range r.jobs {
		s.runCell(gid, j)
	}
}

func (s *Session) runCell(gid int64, j cellJob) {
	c := rt.BeginCellOn(gid, j.out)
	s.cellGoroutine.Store(gid)
	j.started <- c
	var r cellResult
	defer func() {
		c.End()
		j.done <- r
	}()
	r.b, r.err = s.run(c, j.code, j.out)
}

type discard struct{}

func (discard) Stream(string, string)              {}
func (discard) Display(mime.Bundle, string)        {}
func (discard) Update(mime.Bundle, string)         {}
func (discard) Clear(bool)                         {}
func (discard) Input(string, bool) (string, error) { return "", mime.ErrNoStdin }

// importedName reports whether a package is imported under name.
func (s *Session) importedName(name string) bool {
	for k := range s.imported {
		n, p, _ := strings.Cut(k, " ")
		if n == name || (n == "" && path.Base(strings.Trim(p, "`\"")) == name) {
			return true
		}
	}
	return false
}

// funcValue reports whether name is a func with a value companion (see
// companionSuffix).
func (s *Session) funcValue(name string) bool {
	u := s.units[name]
	return s.kind[name] == "func" && u != nil && u.companion
}

func (s *Session) known(name string) bool {
	_, ok := s.cur[name]
	return ok || s.poisoned[name]
}

// run preprocesses and evaluates a cell on the cell's goroutine.
func (s *Session) run(c *rt.Cell, code string, out mime.Publisher) (b mime.Bundle, err error) {
	s.state.Lock()
	defer s.state.Unlock()
	s.n++
	n := s.n
	s.result, s.resSet = mime.Bundle{}, false
	defer func() { err = explain(n, code, err) }() // yaegi's failures in go build's words (diagnose.go)
	if err := precheck(n, code, s.known, s.importedName, s.importKeys); err != nil {
		return b, err
	}
	if paths := autoImports(code, s.known, s.importedName); len(paths) > 0 {
		imp := "import (\n\t\"" + strings.Join(paths, "\"\n\t\"") + "\"\n)"
		ip, err := prepare(n, imp, s.known, s.funcValue, false)
		if err == nil {
			err = s.declare(ip)
		}
		if err != nil {
			return b, err
		}
	}
	p, err := prepare(n, code, s.known, s.funcValue, false)
	if err != nil {
		return b, err
	}
	for _, w := range p.warnings {
		out.Stream("stderr", "gokernel: "+w+"\n")
	}
	s.forget(n)

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
	if s.resSet {
		return s.result, nil
	}
	return b, nil
}

// name resolves a global name to its internal version.
func (s *Session) nameIn(overlay map[string]string) func(string) string {
	return func(n string) string {
		if v, ok := overlay[n]; ok {
			return v
		}
		if v, ok := s.cur[n]; ok {
			return v
		}
		if s.poisoned[n] {
			return n + mark + "0" // undefined: the cell that declared it failed
		}
		return n
	}
}

func (s *Session) bump(overlay map[string]string, n string) {
	s.ver[n]++
	overlay[n] = n + mark + strconv.Itoa(s.ver[n])
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
			if u.kind == "method" {
				continue
			}
			if u.kind == "var" && s.kind[n] == "var" && !s.poisoned[n] {
				overlay[n] = n // yaegi redeclares a variable in place
				p.redeclared = append(p.redeclared, n)
			} else if s.known(n) || n == "main" {
				s.bump(overlay, n)
				if _, ok := s.cur[n]; ok {
					changed = append(changed, n)
				}
			} else {
				overlay[n] = n
			}
		}
		if u.kind == "method" && !inCell[u.recv] {
			if tu := s.units[u.recv]; tu != nil && !replayed[tu] {
				replayed[tu] = true
				s.bump(overlay, u.recv)
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
		for _, u := range s.sortedUnits() {
			if replayed[u] || isCellUnit(p, u) || supersededBy(u, inCell) {
				continue
			}
			hit := false
			for r := range u.refs {
				if ch[r] {
					hit = true
				}
			}
			if u.kind == "method" && ch[u.recv] {
				hit = true
			}
			if !hit {
				continue
			}
			replayed[u] = true
			emit = append(emit, u)
			if u.kind == "method" {
				if _, done := overlay[u.recv]; !done && s.units[u.recv] != nil {
					tu := s.units[u.recv]
					replayed[tu] = true
					emit = append(emit, tu)
					s.bump(overlay, u.recv)
					changed = append(changed, u.recv)
				}
				continue
			}
			for _, n := range u.names {
				s.bump(overlay, n)
				changed = append(changed, n)
			}
		}
	}
	// A re-versioned type takes all its methods along.
	for _, u := range s.sortedUnits() {
		if u.kind == "method" && !replayed[u] && !isCellUnit(p, u) && !supersededBy(u, inCell) {
			if _, ok := overlay[u.recv]; ok && !inCellMethod(p, u.names[0]) {
				replayed[u] = true
				emit = append(emit, u)
			}
		}
	}

	var pieces []piece
	var keys []string
	for i, k := range p.importKey {
		if !s.imported[k] {
			pieces = append(pieces, p.imports[i*2], p.imports[i*2+1])
			keys = append(keys, k)
		}
	}
	if len(pieces) > 0 {
		pieces = append([]piece{{text: "import (\n"}}, pieces...)
		pieces = append(pieces, piece{text: ")\n"})
	}
	sort.SliceStable(emit, func(i, j int) bool { return kindOrder(emit[i].kind) < kindOrder(emit[j].kind) })
	for _, u := range emit {
		pieces = append(pieces, u.pieces...)
	}
	if len(pieces) == 0 {
		return nil
	}
	r := renderFile(fmt.Sprintf("cell%d_0", p.cell.n), "package main\n", pieces, s.nameIn(overlay))
	r.keep = true
	old := s.oldSlots(overlay)
	if err := s.eval(r, p.cell, false); err != nil {
		for _, u := range p.units {
			for _, n := range u.names {
				if _, ok := s.cur[n]; !ok {
					s.poisoned[n] = true
				}
			}
		}
		return err
	}
	p.oldSlots, p.overlay = old, overlay
	for _, k := range keys {
		s.imported[k] = true
	}
	for n, v := range overlay {
		s.cur[n] = v
		delete(s.poisoned, n)
	}
	for _, u := range p.units {
		if u.kind == "method" {
			for _, m := range richMethods {
				if strings.HasSuffix(u.names[0], "."+m.name) {
					s.rich[m.name] = true
				}
			}
		}
		for _, n := range u.names {
			s.kind[n] = u.kind
			if u.kind == "var" {
				delete(s.units, n) // a variable keeps its value: never replayed
				continue
			}
			s.units[n] = u
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

func kindOrder(k string) int {
	switch k {
	case "type":
		return 0
	case "const":
		return 1
	case "func":
		return 2
	case "method":
		return 3
	}
	return 4
}

func (s *Session) sortedUnits() []*unit {
	seen := map[*unit]bool{}
	var us []*unit
	keys := make([]string, 0, len(s.units))
	for k := range s.units {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if u := s.units[k]; !seen[u] {
			seen[u] = true
			us = append(us, u)
		}
	}
	return us
}

// richMethods are the methods that make a value whose type a cell
// declares render rich as a cell's final value, in order of preference.
// Compiled types are found by show's type switch; interpreted values lose
// their methods on the way to compiled code (yaegi builds their types with
// reflect, without methods), and yaegi's interface assertions on them
// fail, so the session calls the method in the cell itself.
var richMethods = []struct{ name, call string }{
	{"Bundle", mark + ".ShowBundle(" + mark + "fmt.Sprint(" + mark + "v), " + mark + "v.Bundle())\n"},
	{"HTML", mark + ".ShowRich(" + mark + "fmt.Sprint(" + mark + "v), \"" + mime.HTML + "\", " + mark + "v.HTML())\n"},
	{"SVG", mark + ".ShowRich(" + mark + "fmt.Sprint(" + mark + "v), \"" + mime.SVG + "\", " + mark + "v.SVG())\n"},
	{"Markdown", mark + ".ShowRich(" + mark + "fmt.Sprint(" + mark + "v), \"" + mime.Markdown + "\", " + mark + "v.Markdown())\n"},
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
		if !s.rich[m.name] {
			continue
		}
		pieces := append(append([]piece(nil), st.value...), piece{text: "; " + m.call}, piece{text: "}\n"})
		err := s.eval(renderFile(fname, header, pieces, name), p.cell, false)
		if err == nil || !isCompile(err) {
			return true, err
		}
	}
	return false, nil
}

// runStep evaluates one group of statements.
func (s *Session) runStep(c *rt.Cell, p *plan, k int, st step) error {
	overlay := map[string]string{}
	for _, n := range st.names {
		if kd, ok := s.kind[n]; (ok && kd != "var") || s.poisoned[n] {
			s.bump(overlay, n)
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
	if done, err := s.showRich(p, st, fname, header, s.nameIn(overlay)); done {
		return err
	}
	old := s.oldSlots(overlay)
	pieces := append(append([]piece(nil), st.pieces...), piece{text: tail})
	r := renderFile(fname, header, pieces, s.nameIn(overlay))
	err := s.eval(r, p.cell, st.vars)
	if err != nil && st.plain != nil && isCompile(err) {
		// The final expression may be a call with no value: run it as a statement.
		pieces = append(append([]piece(nil), st.plain...), piece{text: tail})
		r = renderFile(fname, header, pieces, s.nameIn(overlay))
		err = s.eval(r, p.cell, false)
	}
	if err != nil && isNilType(err) {
		// yaegi panics on range over an int variable: rewrite such loops and retry.
		if p2, perr := prepare(p.cell.n, p.cell.src, s.known, s.funcValue, true); perr == nil && k < len(p2.steps) {
			st2 := p2.steps[k]
			pieces = append(append([]piece(nil), st2.pieces...), piece{text: tail})
			r = renderFile(fname, header, pieces, s.nameIn(overlay))
			err = s.eval(r, p.cell, st.vars)
			if err != nil && st2.plain != nil && isCompile(err) {
				pieces = append(append([]piece(nil), st2.plain...), piece{text: tail})
				r = renderFile(fname, header, pieces, s.nameIn(overlay))
				err = s.eval(r, p.cell, false)
			}
		}
	}
	if err != nil {
		if st.vars && isCompile(err) {
			for _, n := range st.names {
				if _, ok := s.cur[n]; !ok {
					s.poisoned[n] = true
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
		s.cur[n] = v
		s.kind[n] = "var"
		delete(s.poisoned, n)
		delete(s.units, n)
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
	return s.eval(r, cs, false)
}

// eval compiles and runs one rendered file, turning every failure (yaegi's
// compile-time panics included) into an *Error in cell terms.
func (s *Session) eval(r *rendered, cs *cellSrc, block bool) (err error) {
	// File ids cycle, so line numbers stay under go/scanner's limit for
	// line directives (1<<30); a reused id's old position map goes.
	s.nextFile = s.nextFile%maxFiles + 1
	id := s.nextFile
	s.files[id] = r
	if !r.keep {
		s.recent = append(s.recent, id)
	}
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
		s.frame.trim()
	}
	from := s.frame.len()
	prog, cerr := s.i.CompileAST(node)
	if cerr != nil {
		return s.compileErr(cerr.Error(), cs)
	}
	dropDebugTrees(s.i)
	s.frame.grow()
	gid := s.cellGoroutine.Load()
	if gid == 0 { // the prelude, on NewSession's caller
		gid = rt.GoID()
	}
	s.takeTrace(gid)
	_, xerr := s.execProg(prog, id, r.keep)
	if xerr == nil {
		if len(f.Imports) == 0 {
			// (A file that imports from source also made the slots of
			// the imported packages' variables.)
			s.freeTemps(f, from, s.frame.len())
		}
		return nil
	}
	var yp yaegi.Panic
	if errors.As(xerr, &yp) {
		return s.panicError(yp.Value, s.takeTrace(gid))
	}
	return s.compileErr(xerr.Error(), cs)
}

func (s *Session) compileErr(msg string, cs *cellSrc) error {
	m := filePos.FindStringSubmatchIndex(msg)
	if m == nil {
		return &Error{Ename: "CompileError", Msg: demangle(msg)}
	}
	rest := strings.TrimPrefix(msg[m[1]:], ": ")
	rest = demangle(filePos.ReplaceAllStringFunc(rest, s.mapPos))
	if r, line, col := s.fileOf(msg[m[2]:m[3]], msg[m[4]:m[5]]); r != nil {
		if c, l, cc := r.position(line, col); c != nil {
			if c == cs {
				return compileError("CompileError", c, l, cc, rest)
			}
			return &Error{Ename: "CompileError", Msg: fmt.Sprintf("cell %d, line %d:%d (replaying a declaration): %s", c.n, l, cc, rest)}
		}
	}
	return &Error{Ename: "CompileError", Msg: rest}
}

// lineBase separates files in yaegi's line numbers (see eval).
const (
	lineBase = 10000 // lines per file, at most
	maxFiles = 100000
)

// filePos finds yaegi positions of our files: "300002:15".
var filePos = regexp.MustCompile(`(?:_\.go:)?\b(\d{5,})(?::(\d+))?\b`)

func (s *Session) fileOf(lineStr, colStr string) (*rendered, int, int) {
	line, _ := strconv.Atoi(lineStr)
	col, _ := strconv.Atoi(colStr)
	r := s.files[line/lineBase]
	return r, line % lineBase, col
}

// mapPos rewrites "300002:15" as "line 2:15" (or "cell 3, line 2:15" for
// code from another cell).
func (s *Session) mapPos(pos string) string {
	m := filePos.FindStringSubmatch(pos)
	r, line, col := s.fileOf(m[1], m[2])
	if r == nil {
		return pos
	}
	if c, l, cc := r.position(line, col); c != nil {
		if c.n == s.n || c.n == 0 {
			return fmt.Sprintf("line %d:%d", l, cc)
		}
		return fmt.Sprintf("cell %d, line %d:%d", c.n, l, cc)
	}
	return pos
}

var frameLine = regexp.MustCompile(`^(?:_\.go:)?(\d+(?::\d+)?): panic: (.*)$`)

func (s *Session) panicError(v any, frames []string) error {
	if _, ok := v.(rt.Interrupted); ok {
		return &Error{Ename: "Interrupted", Msg: "interrupted"}
	}
	msg := demangle(fmt.Sprint(v))
	if e, ok := v.(error); ok {
		msg = demangle(e.Error())
	}
	e := &Error{Ename: "panic", Msg: msg, Trace: []string{"panic: " + msg, "", "goroutine stack (innermost first):"}}
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
		e.Trace = append(e.Trace, fmt.Sprintf("  %s  in %s", s.mapPos(m[1]), demangle(fn)))
	}
	if len(frames) == 0 {
		e.Trace = e.Trace[:1]
	}
	return e
}

// goroutinePanic shows a panic in a goroutine a cell started as an error
// under that cell (stderr stream), and keeps the session alive.
func (s *Session) goroutinePanic(c *rt.Cell, p *rt.Panic) {
	err := s.panicError(p.Value, s.takeTrace(rt.GoID())).(*Error)
	text := "panic in a goroutine: " + err.Msg + "\n"
	if len(err.Trace) > 1 {
		text += strings.Join(err.Trace[1:], "\n") + "\n"
	}
	if pub := publisherOf(c); pub != nil {
		pub.Stream("stderr", text)
	}
}

func (s *Session) takeTrace(gid int64) []string {
	s.traceMu.Lock()
	defer s.traceMu.Unlock()
	t := s.traces[gid]
	delete(s.traces, gid)
	return t
}

// forget drops position maps of statement files of old cells;
// declaration files stay (their functions may still panic).
func (s *Session) forget(n int) {
	const keep = 64
	kept := s.recent[:0]
	for _, id := range s.recent {
		if r := s.files[id]; r != nil && r.cell < n-keep {
			delete(s.files, id)
			if r.tf != nil {
				// Its line table, kept by yaegi's FileSet forever otherwise
				// (see dropDebugTrees).
				s.i.FileSet().RemoveFile(r.tf)
			}
			continue
		}
		kept = append(kept, id)
	}
	s.recent = kept
}

func publisherOf(c *rt.Cell) mime.Publisher {
	if c == nil {
		c = rt.Last()
	}
	if c == nil {
		return nil
	}
	p, _ := c.Value.(mime.Publisher)
	return p
}

// router sends what cells print to the Publisher of the writing
// goroutine's cell.
type router struct {
	s    *Session
	name string
}

func (r *router) Write(p []byte) (int, error) {
	if pub := publisherOf(rt.Output()); pub != nil {
		pub.Stream(r.name, string(p))
	}
	return len(p), nil
}

// filter keeps yaegi's own panic-frame diagnostics ("3:15: panic:
// main.f(...)") out of the cell's stderr and keeps them for the traceback.
type filter struct {
	s *Session
	w io.Writer
}

func (f *filter) Write(p []byte) (int, error) {
	line := strings.TrimSuffix(string(p), "\n")
	if !strings.Contains(line, "\n") && frameLine.MatchString(line) {
		gid := rt.GoID()
		f.s.traceMu.Lock()
		if t := f.s.traces[gid]; len(t) < 64 {
			f.s.traces[gid] = append(t, line)
		}
		f.s.traceMu.Unlock()
		return len(p), nil
	}
	return f.w.Write(p)
}

// stdinReader reads os.Stdin and fmt.Scan* input through the cell's
// Publisher.Input (an input_request to the frontend).
type stdinReader struct {
	mu  sync.Mutex
	buf []byte
}

func (r *stdinReader) Read(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.buf) == 0 {
		pub := publisherOf(rt.Current())
		if pub == nil {
			return 0, io.EOF
		}
		done := rt.Blocking()
		line, err := pub.Input("", false)
		done()
		if err != nil {
			return 0, fmt.Errorf("interp: reading stdin: %w", err)
		}
		r.buf = []byte(line + "\n")
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}
