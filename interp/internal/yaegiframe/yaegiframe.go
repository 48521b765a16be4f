// Package yaegiframe holds every access the interpreter makes to yaegi's
// unexported fields (yaegi v0.16.1), found by name with reflect and
// written through unsafe, so that one package answers for them:
//
//	fr, ok := yaegiframe.Of(i)      // the global frame: Grow, Trim, Len, Free
//	yaegiframe.DropDebugTrees(i)    // the debugger's lists, emptied before each run
//	syms, ok := yaegiframe.MainSymbols(i)
//	slot, ok := syms.GlobalVar("x") // a package-level variable's frame slot
//	g, ok := yaegiframe.NewRoutine(dbg, id) // the debugger's goroutines (debug.go)
//	yaegiframe.SetClosureRoutine(i, fn, g, false)
//	yaegiframe.LinkBackEdges(prog)          // loops under the debugger (backedge.go)
//	yaegiframe.HideCalls(prog, "ǂ", "Tick") // checkpoints the debugger passes over
//	yaegiframe.HideUngenerated(prog)        // type nodes SetBreakpoints crashed on
//
// When a field is missing or of another kind (another version of yaegi),
// each function does nothing or reports false, and the Found functions,
// which the tests call, report it, so an upgrade is noticed.
//
// Locking: Frame's methods take the frame's own lock (yaegi's
// frame.mutex) to swap or fill slots, as yaegi does; everything else must
// be called where yaegi is not compiling (the session holds its state lock).
package yaegiframe

import (
	"reflect"
	"sync"
	"unsafe"

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
// tables in yaegi's token.FileSet, is released by the session (Session.forget) with
// FileSet.RemoveFile once a statement file's positions are no longer kept.
func DropDebugTrees(i *yaegi.Interpreter) {
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

// DebugTreesFound reports whether DropDebugTrees finds the lists it
// empties in this version of yaegi.
func DebugTreesFound() bool {
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

// Grow gives yaegi's global frame room to grow, so that declaring a
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
// Grow runs first. It keeps the frame longer than the layout, the
// spare slots left empty (no compiled code knows them), and fills the
// slots a new file added in place, each with a fresh zero value as
// resizeFrame would; resizeFrame then finds the frame long enough and
// does nothing. Only when the spare slots run out is a longer frame made
// and swapped in (under the frame's lock, as yaegi does), with room for
// half as many again, so that happens a logarithmic number of times.
// As with DropDebugTrees, when the fields are not what this version of
// yaegi has, Grow does nothing and yaegi resizes as before
// (TestFrameFieldsFound fails).
func (g Frame) Grow() {
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

// Trim gives the frame back its exact length before yaegi compiles
// a file that imports packages: importing a package from source runs its
// variable initializers during the compile, after yaegi's own
// resizeFrame, which would take the spare slots for filled ones. The next
// Grow takes the room back.
func (g Frame) Trim() {
	if g.data == nil {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if n := len(*g.types); n < len(*g.data) {
		*g.data = (*g.data)[:n]
	}
}

// Len returns how many slots the layout has (the frame itself may lag
// until the next Execute resizes it), or -1 when the frame was not found.
func (g Frame) Len() int {
	if g.data == nil {
		return -1
	}
	return len(*g.types)
}

// Free puts a fresh zero value in each of the given slots.
func (g Frame) Free(idxs ...int) {
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

// minSpareSlots is the least room Grow leaves: enough that most
// sessions never swap the frame while goroutines read it.
const minSpareSlots = 1024

// Frame is yaegi's global frame, reached through unexported fields:
// the frame's slots and their lock, and the layout (the universe scope's
// slot types), which yaegi extends as it compiles. The session finds it
// once (the frame and the universe scope live as long as the
// interpreter); its zero value, for another yaegi version, does nothing.
type Frame struct {
	data  *[]reflect.Value
	types *[]reflect.Type
	mu    *sync.RWMutex
}

// Of finds the global frame of i, or reports false when the fields
// are not what this version of yaegi has.
func Of(i *yaegi.Interpreter) (Frame, bool) {
	v := reflect.ValueOf(i).Elem()
	fr, u := v.FieldByName("frame"), v.FieldByName("universe")
	if !fr.IsValid() || fr.Kind() != reflect.Pointer || fr.IsNil() ||
		!u.IsValid() || u.Kind() != reflect.Pointer || u.IsNil() {
		return Frame{}, false
	}
	df, mf := fr.Elem().FieldByName("data"), fr.Elem().FieldByName("mutex")
	tf := u.Elem().FieldByName("types")
	if !df.IsValid() || !mf.IsValid() || !tf.IsValid() ||
		df.Type() != reflect.TypeOf([]reflect.Value(nil)) || mf.Type() != reflect.TypeOf(sync.RWMutex{}) ||
		tf.Type() != reflect.TypeOf([]reflect.Type(nil)) {
		return Frame{}, false
	}
	return Frame{
		data:  (*[]reflect.Value)(unsafe.Pointer(df.UnsafeAddr())),
		types: (*[]reflect.Type)(unsafe.Pointer(tf.UnsafeAddr())),
		mu:    (*sync.RWMutex)(unsafe.Pointer(mf.UnsafeAddr())),
	}, true
}

// FieldsFound reports whether Of finds the fields it uses.
func FieldsFound() bool {
	_, ok := Of(yaegi.New(yaegi.Options{}))
	return ok
}

// varSymKind is yaegi's sKind for a variable (varSym).
const varSymKind = 9

// Symbols is the symbol table of package main's scope, which yaegi makes
// when the first file of package main is compiled and keeps (a map value,
// so the same table as it grows). Its zero value finds nothing.
type Symbols struct{ m reflect.Value }

// Found reports whether the table was found.
func (syms Symbols) Found() bool { return syms.m.IsValid() }

// MainSymbols finds the symbol table of package main in i, or reports
// false (no package main compiled yet, or another version of yaegi).
func MainSymbols(i *yaegi.Interpreter) (Symbols, bool) {
	sc := reflect.ValueOf(i).Elem().FieldByName("scopes")
	if !sc.IsValid() || sc.Kind() != reflect.Map || sc.Type().Key().Kind() != reflect.String {
		return Symbols{}, false
	}
	p := writable(sc).MapIndex(reflect.ValueOf("main"))
	if !p.IsValid() || p.Kind() != reflect.Pointer || p.IsNil() {
		return Symbols{}, false
	}
	syms := p.Elem().FieldByName("sym")
	if !syms.IsValid() || syms.Kind() != reflect.Map || syms.Type().Key().Kind() != reflect.String {
		return Symbols{}, false
	}
	return Symbols{writable(syms)}, true
}

// GlobalVar returns the frame slot of the package-level variable name
// (a variable in package main's scope lives in the global frame).
func (syms Symbols) GlobalVar(name string) (int, bool) {
	if !syms.m.IsValid() {
		return 0, false
	}
	sp := syms.m.MapIndex(reflect.ValueOf(name))
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

// SymbolsFound reports whether MainSymbols and GlobalVar find the fields
// they use, in a fresh interpreter that compiled a variable.
func SymbolsFound() bool {
	i := yaegi.New(yaegi.Options{})
	if _, err := i.Eval("package main\nvar x = 1"); err != nil {
		return false
	}
	syms, ok := MainSymbols(i)
	if !ok {
		return false
	}
	_, ok = syms.GlobalVar("x")
	return ok
}

// SlotType returns the type of global slot idx, or nil when there is no
// such slot or the frame was not found.
func (g Frame) SlotType(idx int) reflect.Type {
	if g.types == nil {
		return nil
	}
	g.mu.RLock()
	defer g.mu.RUnlock()
	if types := *g.types; idx >= 0 && idx < len(types) {
		return types[idx]
	}
	return nil
}

// Slot returns the value in global slot idx, or false when there is no
// such slot or the frame was not found. (The debugger's variables.)
func (g Frame) Slot(idx int) (reflect.Value, bool) {
	if g.data == nil {
		return reflect.Value{}, false
	}
	g.mu.RLock()
	defer g.mu.RUnlock()
	if data := *g.data; idx >= 0 && idx < len(data) && data[idx].IsValid() {
		return data[idx], true
	}
	return reflect.Value{}, false
}

// SetSlot stores v in global slot idx, under the frame's lock. It reports
// false when there is no such settable slot or v's type does not fit.
func (g Frame) SetSlot(idx int, v reflect.Value) bool {
	if g.data == nil {
		return false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	data := *g.data
	if idx < 0 || idx >= len(data) || !data[idx].CanSet() || !v.Type().AssignableTo(data[idx].Type()) {
		return false
	}
	data[idx].Set(v)
	return true
}
