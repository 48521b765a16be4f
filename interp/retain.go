package interp

import (
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"reflect"
	"strings"
	"sync"
	"unsafe"

	"github.com/gokernel/gokernel/interp/rt"
	yaegi "github.com/traefik/yaegi/interp"
)

// Memory that stays flat however many cells run.
//
// yaegi v0.16.1 keeps two lists for its debugger that grow with every
// compiled file and that nothing else reads: Interpreter.roots, the root
// of every syntax tree parsed (appended in ast), and scope.child, every
// scope pushed under the package scope (appended in scope.push, read only
// by Debugger). Each entry holds a whole cell's tree (nodes point to their
// parents and children, scopes to their function's node), so a session
// kept every cell's code alive: about 11 MiB per 1,000 cells. Declared
// funcs, types and variables stay reachable through the package scope's
// symbols, and closures through their values, so emptying the two lists
// frees only the trees of code that can no longer run (statement steps
// already executed, definitions replaced).
//
// The session never starts yaegi's debugger, so before each file is run it
// empties both lists. They are unexported: they are found by name with
// reflect and written through unsafe, and when a field is missing or of
// another kind (another yaegi version) nothing is done (TestDebugTreesFound
// fails, so such an upgrade is noticed). The third growing part, the line
// tables in yaegi's token.FileSet, is released by Session.forget with
// FileSet.RemoveFile once a statement file's positions are no longer kept.
func dropDebugTrees(i *yaegi.Interpreter) {
	v := reflect.ValueOf(i).Elem()
	clearSlice(v.FieldByName("roots"))
	if sc := v.FieldByName("scopes"); sc.IsValid() && sc.Kind() == reflect.Map {
		sc = writable(sc)
		iter := sc.MapRange()
		for iter.Next() {
			if p := iter.Value(); p.Kind() == reflect.Pointer && !p.IsNil() {
				clearSlice(p.Elem().FieldByName("child"))
			}
		}
	}
	if u := v.FieldByName("universe"); u.IsValid() && u.Kind() == reflect.Pointer && !u.IsNil() {
		clearSlice(u.Elem().FieldByName("child"))
	}
}

// debugTreesFound reports whether dropDebugTrees finds the lists it
// empties in this version of yaegi.
func debugTreesFound() bool {
	t := reflect.TypeOf(yaegi.Interpreter{})
	roots, ok1 := t.FieldByName("roots")
	scopes, ok2 := t.FieldByName("scopes")
	if !ok1 || !ok2 || roots.Type.Kind() != reflect.Slice || scopes.Type.Kind() != reflect.Map ||
		scopes.Type.Elem().Kind() != reflect.Pointer {
		return false
	}
	child, ok := scopes.Type.Elem().Elem().FieldByName("child")
	return ok && child.Type.Kind() == reflect.Slice
}

func clearSlice(f reflect.Value) {
	if f.IsValid() && f.Kind() == reflect.Slice {
		writable(f).SetZero()
	}
}

// writable returns an addressable unexported field as a settable value.
func writable(f reflect.Value) reflect.Value {
	return reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem()
}

// grow gives yaegi's global frame room to grow, so that declaring a
// variable costs the same in the 10,000th cell as in the first.
//
// Every variable a cell declares at top level, and every intermediate
// value of a statement compiled in the global scope, takes a slot in the
// interpreter's global frame. Before running each file yaegi's
// resizeFrame allocates a frame exactly as long as the slots and copies
// the old one into it, so each declaring cell paid for every slot before
// it; and it replaced the frame's slice while goroutines of earlier cells
// read it without a lock (a data race, and a store into the old copy was
// lost).
//
// grow runs first. It keeps the frame longer than the layout, the
// spare slots left empty (no compiled code knows them), and fills the
// slots a new file added in place, each with a fresh zero value as
// resizeFrame would; resizeFrame then finds the frame long enough and
// does nothing. Only when the spare slots run out is a longer frame made
// and swapped in (under the frame's lock, as yaegi does), with room for
// half as many again, so that happens a logarithmic number of times.
// As with dropDebugTrees, when the fields are not what this version of
// yaegi has, grow does nothing and yaegi resizes as before
// (TestFrameFieldsFound fails).
func (g globalFrame) grow() {
	if g.data == nil {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	cur, types := *g.data, *g.types
	if len(types) > len(cur) {
		if cap(cur) >= len(types) {
			cur = cur[:cap(cur)] // trimmed by trim: the spare slots are still empty
		} else {
			grown := make([]reflect.Value, len(types)+len(types)/2+minSpareSlots)
			copy(grown, cur)
			cur = grown
		}
		*g.data = cur
	}
	for j := len(types) - 1; j >= 0 && !cur[j].IsValid(); j-- {
		cur[j] = reflect.New(types[j]).Elem()
	}
}

// trim gives the frame back its exact length before yaegi compiles
// a file that imports packages: importing a package from source runs its
// variable initializers during the compile, after yaegi's own
// resizeFrame, which would take the spare slots for filled ones. The next
// grow takes the room back.
func (g globalFrame) trim() {
	if g.data == nil {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if n := len(*g.types); n < len(*g.data) {
		*g.data = (*g.data)[:n]
	}
}

// len returns how many slots the layout has (the frame itself may lag
// until the next Execute resizes it), or -1 when the frame was not found.
func (g globalFrame) len() int {
	if g.data == nil {
		return -1
	}
	return len(*g.types)
}

// free puts a fresh zero value in each of the given slots.
func (g globalFrame) free(idxs ...int) {
	if g.data == nil || len(idxs) == 0 {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, idx := range idxs {
		if idx < len(*g.data) && (*g.data)[idx].IsValid() {
			(*g.data)[idx] = reflect.New((*g.data)[idx].Type()).Elem()
		}
	}
}

// minSpareSlots is the least room grow leaves: enough that most
// sessions never swap the frame while goroutines read it.
const minSpareSlots = 1024

// globalFrame is yaegi's global frame, reached through unexported fields:
// the frame's slots and their lock, and the layout (the universe scope's
// slot types), which yaegi extends as it compiles. The session finds it
// once (the frame and the universe scope live as long as the
// interpreter); its zero value, for another yaegi version, does nothing.
type globalFrame struct {
	data  *[]reflect.Value
	types *[]reflect.Type
	mu    *sync.RWMutex
}

// frameOf finds the global frame of i, or reports false when the fields
// are not what this version of yaegi has.
func frameOf(i *yaegi.Interpreter) (globalFrame, bool) {
	v := reflect.ValueOf(i).Elem()
	fr, u := v.FieldByName("frame"), v.FieldByName("universe")
	if !fr.IsValid() || fr.Kind() != reflect.Pointer || fr.IsNil() ||
		!u.IsValid() || u.Kind() != reflect.Pointer || u.IsNil() {
		return globalFrame{}, false
	}
	df, mf := fr.Elem().FieldByName("data"), fr.Elem().FieldByName("mutex")
	tf := u.Elem().FieldByName("types")
	if !df.IsValid() || !mf.IsValid() || !tf.IsValid() ||
		df.Type() != reflect.TypeOf([]reflect.Value(nil)) || mf.Type() != reflect.TypeOf(sync.RWMutex{}) ||
		tf.Type() != reflect.TypeOf([]reflect.Type(nil)) {
		return globalFrame{}, false
	}
	return globalFrame{
		data:  (*[]reflect.Value)(unsafe.Pointer(df.UnsafeAddr())),
		types: (*[]reflect.Type)(unsafe.Pointer(tf.UnsafeAddr())),
		mu:    (*sync.RWMutex)(unsafe.Pointer(mf.UnsafeAddr())),
	}, true
}

// frameFieldsFound reports whether frameOf finds the fields it uses.
func frameFieldsFound() bool {
	_, ok := frameOf(yaegi.New(yaegi.Options{}))
	return ok
}

// A re-run cell must not keep the values of its earlier runs.
//
// yaegi gives a redeclared package-level variable (x := ... again, or
// var x again) a new slot in the global frame and leaves the old slot
// holding its value for ever: re-running `data := make([]byte, 100<<20)`
// five times kept 500 MiB. The session frees an old slot, after the cell
// that replaced it ran, by putting a fresh zero value in it; memory taken
// with &x stays alive as Go would keep it.
//
// Code compiled before the redeclaration still reads the old slot. Code
// the session re-emits for the new variable (funcs that mention it) does
// not, so the old slot is freed only when nothing else can be running or
// be called later with it: no goroutine a cell started is running, and
// the name was never mentioned inside a func literal, a method, or a
// func used as a value (see Session.captures). Otherwise it is kept, as
// before.

// varSymKind is yaegi's sKind for a variable (varSym).
const varSymKind = 9

// mainSyms returns the symbol table of package main's scope, which
// yaegi makes when the prelude is compiled and keeps (a map value, so the
// same table as it grows).
func (s *Session) mainSyms() (reflect.Value, bool) {
	if s.syms.IsValid() {
		return s.syms, true
	}
	sc := reflect.ValueOf(s.i).Elem().FieldByName("scopes")
	if !sc.IsValid() || sc.Kind() != reflect.Map || sc.Type().Key().Kind() != reflect.String {
		return reflect.Value{}, false
	}
	p := writable(sc).MapIndex(reflect.ValueOf("main"))
	if !p.IsValid() || p.Kind() != reflect.Pointer || p.IsNil() {
		return reflect.Value{}, false
	}
	syms := p.Elem().FieldByName("sym")
	if !syms.IsValid() || syms.Kind() != reflect.Map || syms.Type().Key().Kind() != reflect.String {
		return reflect.Value{}, false
	}
	s.syms = writable(syms)
	return s.syms, true
}

// globalVar returns the frame slot of the package-level variable name
// (a variable in package main's scope lives in the global frame).
func (s *Session) globalVar(name string) (int, bool) {
	syms, ok := s.mainSyms()
	if !ok {
		return 0, false
	}
	sp := syms.MapIndex(reflect.ValueOf(name))
	if !sp.IsValid() || sp.Kind() != reflect.Pointer || sp.IsNil() {
		return 0, false
	}
	// (Its global field is not to be trusted: yaegi leaves it false for
	// variables declared by a, b := f() in the global scope.)
	kind, idx := sp.Elem().FieldByName("kind"), sp.Elem().FieldByName("index")
	if !kind.IsValid() || !idx.IsValid() || kind.Kind() != reflect.Uint || idx.Kind() != reflect.Int {
		return 0, false
	}
	if kind.Uint() != varSymKind || idx.Int() < 0 {
		return 0, false
	}
	return int(idx.Int()), true
}

// noteCaptures records the names that code which may outlive the cell
// can read: those mentioned inside func literals (a closure may be kept
// and called later), and funcs used as values rather than called (the
// value keeps the version of the func it was taken from).
func (s *Session) noteCaptures(code string) {
	if !strings.Contains(code, "func") && !s.mentionsFunc(code) {
		return
	}
	var files []*ast.File
	for _, c := range splitCell([]byte(code)) {
		src := "package p\n" + code[c.start:c.end]
		if c.kind == chunkStmt {
			src = "package p\nfunc _() {\n" + code[c.start:c.end] + "\n}"
		}
		if f, err := parser.ParseFile(token.NewFileSet(), "", src, parser.SkipObjectResolution); err == nil {
			files = append(files, f)
		}
	}
	called := map[*ast.Ident]bool{}
	visit := func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CallExpr:
			if id, ok := n.Fun.(*ast.Ident); ok {
				called[id] = true
			}
		case *ast.FuncDecl:
			called[n.Name] = true // its declaration, not a use
		case *ast.FuncLit:
			ast.Inspect(n.Body, func(n ast.Node) bool {
				if id, ok := n.(*ast.Ident); ok {
					s.captures[id.Name] = true
				}
				return true
			})
			return false
		case *ast.Ident:
			if !called[n] && s.kind[n.Name] == "func" {
				s.captures[n.Name] = true
			}
		}
		return true
	}
	for _, f := range files {
		ast.Inspect(f, visit)
	}
}

// mentionsFunc reports whether code mentions a session func by name
// (a cell without "func" is scanned, not parsed, unless it does).
func (s *Session) mentionsFunc(code string) bool {
	var sc scanner.Scanner
	fs := token.NewFileSet()
	sc.Init(fs.AddFile("", -1, len(code)), []byte(code), nil, 0)
	for {
		_, tok, lit := sc.Scan()
		switch tok {
		case token.EOF:
			return false
		case token.IDENT:
			if s.kind[lit] == "func" {
				return true
			}
		}
	}
}

// captured reports whether code that may still run could read the
// variable name: a func literal mentions it, or a method or a func used
// as a value does, directly or through the funcs it calls.
func (s *Session) captured(name string) bool {
	if s.captures[name] {
		return true
	}
	seen := map[string]bool{}
	var queue []string
	for n := range s.captures {
		queue = append(queue, n)
	}
	for k, u := range s.units {
		if u.kind == "method" {
			queue = append(queue, k)
		}
	}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		if seen[n] {
			continue
		}
		seen[n] = true
		u := s.units[n]
		if u == nil {
			continue
		}
		for r := range u.refs {
			if r == name {
				return true
			}
			queue = append(queue, r)
		}
	}
	return false
}

// oldSlots notes the frame slots of the existing variables a file is about
// to redeclare (overlay: user name -> internal name it will have).
func (s *Session) oldSlots(overlay map[string]string) map[string]int {
	var old map[string]int
	for n := range overlay {
		if s.kind[n] != "var" {
			continue
		}
		if idx, ok := s.globalVar(s.cur[n]); ok {
			if old == nil {
				old = map[string]int{}
			}
			old[n] = idx
		}
	}
	return old
}

// freeOld frees the slots in old that the file just run replaced.
func (s *Session) freeOld(old map[string]int, overlay map[string]string) {
	if len(old) == 0 || rt.LiveGoroutines() > 0 {
		return
	}
	for n, idx := range old {
		if now, ok := s.globalVar(overlay[n]); ok && now != idx && !s.captured(n) {
			s.frame.free(idx)
		}
	}
}

// freeTemps frees the global slots [from, to) that a file just run took
// for the intermediate values of its statements and variable
// initializers, keeping those of the variables it declared (found by
// name among the file's identifiers). yaegi compiles top-level code in the
// global frame, and these slots kept the last value computed there: the
// make([]byte, n) of x := make([]byte, n) stayed alive after x itself was
// replaced. Only the file's own compiled statements know these slots, and
// they have run. The old value is not written to but replaced, so
// anything that shares its memory keeps it.
func (s *Session) freeTemps(f *ast.File, from, to int) {
	if from < 0 || to <= from {
		return
	}
	keep := map[int]bool{}
	seen := map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok && !seen[id.Name] {
			seen[id.Name] = true
			if idx, ok := s.globalVar(id.Name); ok && idx >= from && idx < to {
				keep[idx] = true
			}
		}
		return true
	})
	var temps []int
	for idx := from; idx < to; idx++ {
		if !keep[idx] {
			temps = append(temps, idx)
		}
	}
	s.frame.free(temps...)
}
