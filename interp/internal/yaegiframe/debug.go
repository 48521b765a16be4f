package yaegiframe

import (
	"reflect"
	"sync"
	"sync/atomic"
	"unsafe"

	yaegi "github.com/traefik/yaegi/interp"
)

// The debugger's goroutines and closures.
//
// yaegi's debugger keeps its per-goroutine state (a debugRoutine: mode,
// resume channel, call depth) in each frame's debug data, and a call takes
// it from the frame the callee's frame hangs from: the caller's, or for a
// func literal the frame it was made in (captured in the closure yaegi
// builds with reflect.MakeFunc). Two consequences:
//
//   - a goroutine the session starts for a go statement (rt.GoAt, compiled
//     code calling the statement's func literal) runs on the routine of the
//     code that made the literal: the cell's. Every goroutine then shared
//     one thread, its mode and its resume channel. Giving the literal's
//     captured frame a routine of its own (NewRoutine, SetClosureRoutine)
//     before the goroutine calls it gives the goroutine its own thread;
//   - a func literal made while no file ran under the debugger captured a
//     frame without debug data, and yaegi's Debugger.enterCall dereferences
//     it when a debugged file calls the literal. SetClosureRoutine gives
//     such frames the running Debug's main routine.
//
// The frame is found by position in the closures yaegi makes for func
// values: the positions are learned once (closureLayout) from closures of
// a scratch interpreter, and a closure is only touched when its code is
// one of those closures' and the word there is a frame of the same
// interpreter (its root is the interpreter's global frame).

var (
	frameType   reflect.Type // yaegi's frame
	debugType   reflect.Type // yaegi's frameDebugData
	routineType reflect.Type // yaegi's debugRoutine

	layoutOnce sync.Once
	implFn     = -1           // word index of makeFuncImpl.fn
	stubCode   unsafe.Pointer // makeFuncStub's code pointer (word 0 of a MakeFunc value)
	litCode    unsafe.Pointer // code pointer of getFunc's closure
	litFrame   int            // word index of its captured frame
	wrapCode   unsafe.Pointer // code pointer of genFunctionWrapper's closure
	wrapFrame  int            // word index of its frame
	debugOK    bool           // everything found
	rootOffset uintptr        // offset of frame.root
)

// maxWords is how many words of a closure are looked at.
const maxWords = 16

func init() {
	f, ok := reflect.TypeOf(yaegi.Interpreter{}).FieldByName("frame")
	if !ok || f.Type.Kind() != reflect.Pointer {
		return
	}
	frameType = f.Type.Elem()
	d, ok := frameType.FieldByName("debug")
	if !ok || d.Type.Kind() != reflect.Pointer {
		return
	}
	debugType = d.Type.Elem()
	g, ok := debugType.FieldByName("g")
	if !ok || g.Type.Kind() != reflect.Pointer {
		return
	}
	routineType = g.Type.Elem()
	r, ok := frameType.FieldByName("root")
	if !ok || r.Type != f.Type {
		return
	}
	rootOffset = r.Offset
}

// funcWord returns the pointer a func value holds (its closure).
func funcWord(v reflect.Value) unsafe.Pointer {
	p := reflect.New(v.Type())
	p.Elem().Set(v)
	return *(*unsafe.Pointer)(p.UnsafePointer())
}

// words views the n words at p. Learning a layout looks at words that may
// lie past the closure's end (the race detector's pointer checks would
// stop the program there, hence nocheckptr); a closure of a known layout
// is only read where that layout has words.
//
//go:nocheckptr
func words(p unsafe.Pointer, n int) []unsafe.Pointer { return unsafe.Slice((*unsafe.Pointer)(p), n) }

// closureLayout learns where reflect.MakeFunc keeps its func, and where
// yaegi's two closures for interpreted func values keep their frame: a
// func literal's value (getFunc: the frame it captured, cloned when the
// literal was evaluated) and the wrapper of a func literal passed straight
// to compiled code (genFunctionWrapper: the live frame of the code that
// passed it).
func closureLayout() bool {
	layoutOnce.Do(func() {
		if frameType == nil || routineType == nil {
			return
		}
		known := func(in []reflect.Value) []reflect.Value { return nil }
		mf := reflect.MakeFunc(reflect.TypeOf(func() {}), known)
		impl := funcWord(mf)
		kw := funcWord(reflect.ValueOf(known))
		ws := words(impl, 8)
		stubCode = ws[0]
		for i, w := range ws {
			if i > 0 && w == kw {
				implFn = i
				break
			}
		}
		if implFn < 0 {
			return
		}
		var kept func() int
		i := yaegi.New(yaegi.Options{})
		if err := i.Use(yaegi.Exports{"cal/cal": {"Keep": reflect.ValueOf(func(f func() int) { kept = f })}}); err != nil {
			return
		}
		_, err := i.Eval("package main\nimport \"cal\"\n" +
			"func mk() func() int { x := 1; return func() int { return x } }\nvar F = mk()\n" +
			"func wrap() { y := 2; cal.Keep(func() int { return y }) }\nfunc init() { wrap() }")
		if err != nil {
			return
		}
		v, err := i.Eval("F")
		if err != nil || v.Kind() != reflect.Func || kept == nil {
			return
		}
		root := rootFrame(i)
		// The literal's: of the frames it holds (the one it captured and
		// the one it was made in), the one its calls hang from.
		if clo, ok := closureOf(v); ok {
			cw := words(clo, maxWords)
			for k := 1; k < maxWords; k++ {
				if !mayBeFrameOf(cw[k], root) {
					continue
				}
				// Put 42 in its ints (x): a call reads x from the frame it
				// hangs from.
				data := writable(reflect.NewAt(frameType, cw[k]).Elem().FieldByName("data")).Interface().([]reflect.Value)
				saved := append([]reflect.Value(nil), data...)
				for j, d := range data {
					if d.IsValid() && d.Kind() == reflect.Int {
						n := 42
						data[j] = reflect.ValueOf(&n).Elem()
					}
				}
				if out := calls(v); len(out) == 1 && out[0].Int() == 42 {
					litCode, litFrame = cw[0], k
				}
				copy(data, saved)
			}
		}
		if clo, ok := closureOf(reflect.ValueOf(kept)); ok {
			cw := words(clo, maxWords)
			for k := 1; k < maxWords; k++ {
				if mayBeFrameOf(cw[k], root) {
					if wrapFrame > 0 {
						wrapFrame = -1 // ambiguous
						break
					}
					wrapCode, wrapFrame = cw[0], k
				}
			}
		}
		if out := calls(v); litFrame == 0 || len(out) != 1 || out[0].Int() != 1 {
			return
		}
		debugOK = true
	})
	return debugOK
}

// calls calls a func() int, recovering a panic: it returns the result,
// or nil after a panic.
func calls(v reflect.Value) (out []reflect.Value) {
	defer func() {
		if recover() != nil {
			out = nil
		}
	}()
	return v.Call(nil)
}

// closureOf returns the Go closure behind a func value yaegi made with
// reflect.MakeFunc.
func closureOf(v reflect.Value) (unsafe.Pointer, bool) {
	if v.Kind() != reflect.Func || v.IsNil() {
		return nil, false
	}
	impl := funcWord(v)
	if impl == nil || words(impl, 1)[0] != stubCode {
		return nil, false
	}
	fn := words(impl, implFn+1)[implFn]
	return fn, fn != nil
}

func rootFrame(i *yaegi.Interpreter) unsafe.Pointer {
	f := reflect.ValueOf(i).Elem().FieldByName("frame")
	if !f.IsValid() || f.IsNil() {
		return nil
	}
	return f.UnsafePointer()
}

//go:nocheckptr
func isFrameOf(p, root unsafe.Pointer) bool {
	return root != nil && *(*unsafe.Pointer)(unsafe.Add(p, rootOffset)) == root
}

// mayBeFrameOf is isFrameOf for a word that may not be a pointer at all.
func mayBeFrameOf(p, root unsafe.Pointer) bool {
	return uintptr(p) > 4096 && uintptr(p)%8 == 0 && mapped(p, frameType.Size()) && isFrameOf(p, root)
}

// A Routine is one of yaegi's debugger goroutine states.
type Routine struct{ v reflect.Value } // *debugRoutine

// State returns the goroutine state itself (yaegi's debugRoutine struct,
// addressable), or the zero Value.
func (r Routine) State() reflect.Value {
	if !r.Valid() {
		return reflect.Value{}
	}
	return r.v.Elem()
}

// Valid reports whether r is a routine.
func (r Routine) Valid() bool { return r.v.IsValid() && !r.v.IsNil() }

// ID returns the routine's id (the debugger's thread id).
func (r Routine) ID() int {
	if !r.Valid() {
		return 0
	}
	return int(r.v.Elem().FieldByName("id").Int())
}

// NewRoutine makes a goroutine state with the given id and registers it
// with dbg (AddRoutine), unless dbg is nil.
func NewRoutine(dbg *yaegi.Debugger, id int) (Routine, bool) {
	if routineType == nil {
		return Routine{}, false
	}
	g := reflect.New(routineType)
	resume, rid := g.Elem().FieldByName("resume"), g.Elem().FieldByName("id")
	if resume.Kind() != reflect.Chan || rid.Kind() != reflect.Int {
		return Routine{}, false
	}
	writable(resume).Set(reflect.MakeChan(resume.Type(), 0))
	writable(rid).SetInt(int64(id))
	r := Routine{g}
	if dbg == nil {
		return r, true
	}
	return r, AddRoutine(dbg, r)
}

// AddRoutine registers a goroutine state with dbg's live ones, as yaegi
// does for a go statement, but without adding it to what Debug's end waits
// for (the session's goroutines may outlive the file that started them):
// dbg's GoRoutines lists it, Continue, Step and Interrupt find it. Each
// file is a Debug run of its own: a goroutine still running is added to
// each.
func AddRoutine(dbg *yaegi.Debugger, r Routine) bool {
	if !r.Valid() || dbg == nil {
		return false
	}
	dv := reflect.ValueOf(dbg).Elem()
	lock, live := dv.FieldByName("gLock"), dv.FieldByName("gLive")
	if !lock.IsValid() || lock.Type() != reflect.TypeOf(&sync.Mutex{}) ||
		live.Kind() != reflect.Map || live.Type().Elem() != r.v.Type() {
		return false
	}
	mu := writable(lock).Interface().(*sync.Mutex)
	mu.Lock()
	defer mu.Unlock()
	live = writable(live)
	if live.IsNil() {
		return false // terminated
	}
	live.SetMapIndex(reflect.ValueOf(r.ID()), r.v)
	return true
}

// EndRoutine removes a routine from dbg's live ones.
func EndRoutine(dbg *yaegi.Debugger, r Routine) {
	if !r.Valid() || dbg == nil {
		return
	}
	dv := reflect.ValueOf(dbg).Elem()
	mu := writable(dv.FieldByName("gLock")).Interface().(*sync.Mutex)
	mu.Lock()
	defer mu.Unlock()
	if live := writable(dv.FieldByName("gLive")); !live.IsNil() {
		live.SetMapIndex(reflect.ValueOf(r.ID()), reflect.Value{})
	}
}

// MainRoutine returns the routine of i's global frame: the main goroutine
// of the latest Debug run.
func MainRoutine(i *yaegi.Interpreter) Routine {
	root := rootFrame(i)
	if root == nil || frameType == nil {
		return Routine{}
	}
	d := reflect.NewAt(frameType, root).Elem().FieldByName("debug")
	if d.IsNil() {
		return Routine{}
	}
	g := writable(d.Elem().FieldByName("g"))
	if g.IsNil() {
		return Routine{}
	}
	return Routine{g}
}

// SetClosureRoutine makes calls of the func value v (an interpreted func
// literal's, of i) run on routine g. A literal's value holds a frame of its
// own (cloned when the literal was evaluated), which gets debug data naming
// g; a literal passed straight to compiled code holds the live frame of
// the code that passed it, which is replaced, in v only, by a copy naming
// g. With onlyMissing, only a frame without debug data gets g (in place).
// It reports whether v is such a value it could change.
func SetClosureRoutine(i *yaegi.Interpreter, v reflect.Value, g Routine, onlyMissing bool) bool {
	if !closureLayout() || !g.Valid() {
		return false
	}
	clo, ok := closureOf(v)
	if !ok {
		return false
	}
	root := rootFrame(i)
	cw := words(clo, 1)
	switch {
	case cw[0] == litCode:
		cw = words(clo, litFrame+1)
		p := cw[litFrame]
		if p == nil || !isFrameOf(p, root) {
			return false
		}
		setRoutine(reflect.NewAt(frameType, p).Elem(), g, onlyMissing)
	case cw[0] == wrapCode && wrapFrame > 0:
		cw = words(clo, wrapFrame+1)
		p := cw[wrapFrame]
		if p == nil || !isFrameOf(p, root) {
			return false
		}
		f := reflect.NewAt(frameType, p).Elem()
		if onlyMissing {
			setRoutine(f, g, true)
			return true
		}
		nf := reflect.New(frameType)
		for j := 0; j < frameType.NumField(); j++ {
			if name := frameType.Field(j).Name; name != "mutex" && name != "id" {
				writable(nf.Elem().Field(j)).Set(writable(f.Field(j)))
			}
		}
		if id, ok := frameType.FieldByName("id"); ok && id.Type.Kind() == reflect.Uint64 {
			atomic.StoreUint64((*uint64)(unsafe.Add(nf.UnsafePointer(), id.Offset)), atomic.LoadUint64((*uint64)(unsafe.Add(p, id.Offset))))
		}
		setRoutine(nf.Elem(), g, false)
		cw[wrapFrame] = nf.UnsafePointer()
	default:
		return false
	}
	return true
}

// setRoutine gives frame f debug data of its own naming g (a copy of its
// old one, if any, which other frames may share).
func setRoutine(f reflect.Value, g Routine, onlyMissing bool) {
	d := writable(f.FieldByName("debug"))
	if onlyMissing && !d.IsNil() {
		return
	}
	nd := reflect.New(debugType)
	if !d.IsNil() {
		nd.Elem().Set(d.Elem())
	}
	if k := nd.Elem().FieldByName("kind"); k.Kind() == reflect.Int {
		writable(k).SetInt(frameClosureKind)
	}
	writable(nd.Elem().FieldByName("g")).Set(g.v)
	d.Set(nd)
}

// frameClosureKind is yaegi's frameClosure.
const frameClosureKind = 3

// DebugClosuresFound reports whether the closure layout was learned in this
// version of yaegi and Go.
func DebugClosuresFound() bool { return closureLayout() }

// GiveClosuresRoutine gives the func literal values reachable from the
// global frame (variables, and what they point to, hold or contain) whose
// frames lack debug data the routine of the Debug run just made (the
// interpreter's global frame's). A literal made while no file ran under
// the debugger captured such a frame, and yaegi's debugger would crash
// calling it. At most limit values are looked at; it returns how many
// literals it changed. Literals that only compiled code or a channel
// holds are not reached.
func (fr Frame) GiveClosuresRoutine(i *yaegi.Interpreter, limit int) int {
	if fr.data == nil || !closureLayout() {
		return 0
	}
	g := MainRoutine(i)
	if !g.Valid() {
		return 0
	}
	fr.mu.RLock()
	slots := append([]reflect.Value(nil), *fr.data...)
	fr.mu.RUnlock()
	w := closureWalk{i: i, g: g, budget: limit, seen: map[unsafe.Pointer]bool{}}
	for _, v := range slots {
		w.walk(v, 0)
	}
	return w.changed
}

type closureWalk struct {
	i       *yaegi.Interpreter
	g       Routine
	budget  int
	changed int
	seen    map[unsafe.Pointer]bool
}

var (
	holdsFuncMu sync.Mutex
	holdsFunc   = map[reflect.Type]bool{}
)

// mayHoldFunc reports whether a value of type t may hold a func value
// (yaegi's syntax tree nodes and reflect's own types excepted).
func mayHoldFunc(t reflect.Type) bool {
	holdsFuncMu.Lock()
	defer holdsFuncMu.Unlock()
	return mayHoldFuncLocked(t)
}

func mayHoldFuncLocked(t reflect.Type) bool {
	if v, ok := holdsFunc[t]; ok {
		return v
	}
	holdsFunc[t] = true // (a recursive type: assume it may)
	r := false
	switch pkg := t.PkgPath(); {
	case pkg == "reflect" || pkg == "internal/abi" || (pkg == "github.com/traefik/yaegi/interp" && t.Name() == "node"):
	default:
		switch t.Kind() {
		case reflect.Func, reflect.Interface:
			r = true
		case reflect.Pointer, reflect.Slice, reflect.Array, reflect.Map:
			r = mayHoldFuncLocked(t.Elem())
		case reflect.Struct:
			for j := 0; j < t.NumField() && !r; j++ {
				r = mayHoldFuncLocked(t.Field(j).Type)
			}
		}
	}
	holdsFunc[t] = r
	return r
}

func (w *closureWalk) walk(v reflect.Value, depth int) {
	if w.budget <= 0 || !v.IsValid() || depth > 64 || !mayHoldFunc(v.Type()) {
		return
	}
	w.budget--
	if !v.CanInterface() {
		if !v.CanAddr() {
			return
		}
		v = writable(v)
	}
	switch v.Kind() {
	case reflect.Func:
		if !v.IsNil() && SetClosureRoutine(w.i, v, w.g, true) {
			w.changed++
		}
	case reflect.Interface:
		if !v.IsNil() {
			w.walk(v.Elem(), depth+1)
		}
	case reflect.Pointer:
		if v.IsNil() || w.seen[v.UnsafePointer()] {
			return
		}
		w.seen[v.UnsafePointer()] = true
		w.walk(v.Elem(), depth+1)
	case reflect.Struct:
		for j := 0; j < v.NumField(); j++ {
			w.walk(v.Field(j), depth+1)
		}
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice {
			if v.IsNil() || w.seen[v.UnsafePointer()] {
				return
			}
			w.seen[v.UnsafePointer()] = true
		}
		for j := 0; j < v.Len() && w.budget > 0; j++ {
			w.walk(v.Index(j), depth+1)
		}
	case reflect.Map:
		if v.IsNil() || w.seen[v.UnsafePointer()] {
			return
		}
		w.seen[v.UnsafePointer()] = true
		it := v.MapRange()
		for it.Next() && w.budget > 0 {
			w.walk(it.Value(), depth+1)
		}
	}
}
