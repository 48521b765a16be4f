package yaegiframe

import (
	"reflect"
	"sync"
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
// The captured frame is found by position in the closure yaegi makes in
// its getFunc: the positions are learned once (closureLayout) from a
// closure whose frames are known, and a closure is only touched when its
// code is that closure's and the word there is a frame of the same
// interpreter (its root is the interpreter's global frame).

var (
	frameType   reflect.Type // yaegi's frame
	debugType   reflect.Type // yaegi's frameDebugData
	routineType reflect.Type // yaegi's debugRoutine

	layoutOnce sync.Once
	implFn     = -1           // word index of makeFuncImpl.fn
	stubCode   unsafe.Pointer // makeFuncStub's code pointer (word 0 of a MakeFunc value)
	litCode    unsafe.Pointer // code pointer of getFunc's closure
	frameWords []int          // word indexes of frames in getFunc's closure
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

func words(p unsafe.Pointer, n int) []unsafe.Pointer { return unsafe.Slice((*unsafe.Pointer)(p), n) }

// closureLayout learns where reflect.MakeFunc keeps its func and where
// yaegi's getFunc closure keeps its frames.
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
		i := yaegi.New(yaegi.Options{})
		if _, err := i.Eval("package main\nfunc mk() func() int { x := 1; return func() int { return x } }\nvar F = mk()"); err != nil {
			return
		}
		v, err := i.Eval("F")
		if err != nil || v.Kind() != reflect.Func {
			return
		}
		clo, ok := closureOf(v)
		if !ok {
			return
		}
		root := rootFrame(i)
		cw := words(clo, maxWords)
		litCode = cw[0]
		for k := 1; k < maxWords; k++ {
			if uintptr(cw[k]) > 4096 && isFrameOf(cw[k], root) {
				frameWords = append(frameWords, k)
			}
		}
		debugOK = len(frameWords) > 0
	})
	return debugOK
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

func isFrameOf(p, root unsafe.Pointer) bool {
	return root != nil && *(*unsafe.Pointer)(unsafe.Add(p, rootOffset)) == root
}

// capturedFrames returns the frames a func literal's value captured, as
// yaegi frames (reflect values of the frame struct), or nil for a value
// that is not such a closure of i.
func capturedFrames(i *yaegi.Interpreter, v reflect.Value) []reflect.Value {
	if !closureLayout() {
		return nil
	}
	clo, ok := closureOf(v)
	if !ok || words(clo, 1)[0] != litCode {
		return nil
	}
	root := rootFrame(i)
	cw := words(clo, maxWords)
	var out []reflect.Value
	for _, k := range frameWords {
		if p := cw[k]; p != nil && isFrameOf(p, root) {
			out = append(out, reflect.NewAt(frameType, p).Elem())
		}
	}
	return out
}

// A Routine is one of yaegi's debugger goroutine states.
type Routine struct{ v reflect.Value } // *debugRoutine

// Valid reports whether r is a routine.
func (r Routine) Valid() bool { return r.v.IsValid() && !r.v.IsNil() }

// ID returns the routine's id (the debugger's thread id).
func (r Routine) ID() int {
	if !r.Valid() {
		return 0
	}
	return int(r.v.Elem().FieldByName("id").Int())
}

// NewRoutine registers a new goroutine state with dbg, as yaegi does for a
// go statement, but without adding it to what Debug's end waits for (the
// session's goroutines may outlive the cell).
func NewRoutine(dbg *yaegi.Debugger) (Routine, bool) {
	if routineType == nil || dbg == nil {
		return Routine{}, false
	}
	dv := reflect.ValueOf(dbg).Elem()
	lock, gid, live := dv.FieldByName("gLock"), dv.FieldByName("gID"), dv.FieldByName("gLive")
	if !lock.IsValid() || lock.Type() != reflect.TypeOf(&sync.Mutex{}) || gid.Kind() != reflect.Int ||
		live.Kind() != reflect.Map || live.Type().Elem() != reflect.PointerTo(routineType) {
		return Routine{}, false
	}
	g := reflect.New(routineType)
	resume := g.Elem().FieldByName("resume")
	id := g.Elem().FieldByName("id")
	if resume.Kind() != reflect.Chan || id.Kind() != reflect.Int {
		return Routine{}, false
	}
	writable(resume).Set(reflect.MakeChan(resume.Type(), 0))
	mu := writable(lock).Interface().(*sync.Mutex)
	mu.Lock()
	defer mu.Unlock()
	live = writable(live)
	if live.IsNil() {
		return Routine{}, false // terminated
	}
	gid = writable(gid)
	writable(id).SetInt(gid.Int())
	gid.SetInt(gid.Int() + 1)
	live.SetMapIndex(reflect.ValueOf(int(id.Int())), g)
	return Routine{g}, true
}

// EndRoutine removes a routine NewRoutine made from dbg's live ones.
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
	return Routine{d.Elem().FieldByName("g")}
}

// SetClosureRoutine makes calls of the func literal value v run on routine
// g: the frames it captured get debug data of their own naming g (other
// closures share the frames' old debug data, which is left alone). When
// onlyMissing is set, only frames without debug data get it. It reports
// whether v is a func literal of i's it could change.
func SetClosureRoutine(i *yaegi.Interpreter, v reflect.Value, g Routine, onlyMissing bool) bool {
	frames := capturedFrames(i, v)
	if len(frames) == 0 || !g.Valid() {
		return false
	}
	for _, f := range frames {
		d := writable(f.FieldByName("debug"))
		if onlyMissing && !d.IsNil() {
			continue
		}
		nd := reflect.New(debugType)
		if !d.IsNil() {
			nd.Elem().Set(d.Elem())
		} else if k := nd.Elem().FieldByName("kind"); k.Kind() == reflect.Int {
			writable(k).SetInt(frameClosureKind)
		}
		writable(nd.Elem().FieldByName("g")).Set(g.v)
		d.Set(nd)
	}
	return true
}

// frameClosureKind is yaegi's frameClosure.
const frameClosureKind = 3

// DebugClosuresFound reports whether the closure layout was learned in this
// version of yaegi and Go.
func DebugClosuresFound() bool { return closureLayout() }
