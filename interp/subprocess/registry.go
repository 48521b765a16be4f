package subprocess

import (
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"sync"
	"unsafe"
)

// An entry is a compiled function registered with Register.
type entry struct {
	name string
	fn   reflect.Value
	sym  string // runtime symbol; "" for funcs made by reflect.MakeFunc
	cell string // the notebook function this name stands for (Register called from a cell)
}

var registry = struct {
	sync.RWMutex
	byName map[string]*entry
	bySym  map[string]*entry
	named  map[unsafe.Pointer]namedFunc // NameFunc
}{byName: map[string]*entry{}, bySym: map[string]*entry{}, named: map[unsafe.Pointer]namedFunc{}}

type namedFunc struct {
	name string
	fn   any // keeps the func alive, so its address is not reused
}

// Register makes fn callable in worker processes under name. Call it from a
// package's init function: a worker is a fresh start of the same program,
// so it knows only what package initialisation registered (a compiled
// function registered later from a cell is found in the worker only when an
// init registered the same function, under any name).
//
// fn is any function whose parameters and results can be encoded (see the
// package documentation); a last result of type error is the call's error.
// Called from a cell with a function declared in the notebook, Register
// makes name an alias of it (the worker loads the notebook's declarations).
// Register panics when fn is not a function, as gob.Register does on misuse.
func Register(name string, fn any) {
	v := reflect.ValueOf(fn)
	if name == "" || !v.IsValid() || v.Kind() != reflect.Func || v.IsNil() {
		panic(fmt.Sprintf("subprocess: Register(%q, %T): want a name and a non-nil function", name, fn))
	}
	e := &entry{name: name, fn: v, sym: symbolOf(v)}
	if cell, ok := cellName(fn); ok {
		e.cell = cell
	}
	registry.Lock()
	defer registry.Unlock()
	registry.byName[name] = e
	if e.sym != "" && e.cell == "" {
		if _, dup := registry.bySym[e.sym]; !dup {
			registry.bySym[e.sym] = e
		}
	}
}

// Registered returns the registered names, sorted.
func Registered() []string {
	registry.RLock()
	defer registry.RUnlock()
	names := make([]string, 0, len(registry.byName))
	for n := range registry.byName {
		if !strings.HasPrefix(n, "subprocess.") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// NameFunc records that the function value fn is the notebook function
// called name, and returns fn unchanged. It is a way for the interpreter to
// name the function values it hands to compiled code (see SetFuncNamer):
// the record is kept by the function's identity (its closure pointer), so it
// finds fn itself and copies of it, not other wrappers of the same function.
func NameFunc(fn any, name string) any {
	if p := funcPtr(fn); p != nil && name != "" {
		registry.Lock()
		registry.named[p] = namedFunc{name: name, fn: fn}
		registry.Unlock()
	}
	return fn
}

// namesFuncs reports whether the interpreter names its function values with
// NameFunc (then a value it did not name is a closure, and the hint to pass
// a name would mislead).
func namesFuncs() bool {
	registry.RLock()
	defer registry.RUnlock()
	return len(registry.named) > 0
}

func funcPtr(fn any) unsafe.Pointer {
	if fn == nil || reflect.TypeOf(fn).Kind() != reflect.Func {
		return nil
	}
	// A func in an interface is pointer-shaped: the data word is the
	// closure pointer, unique per closure (unlike reflect's Pointer, which
	// gives the code pointer, shared by every reflect.MakeFunc).
	return (*[2]unsafe.Pointer)(unsafe.Pointer(&fn))[1]
}

func symbolOf(v reflect.Value) string {
	f := runtime.FuncForPC(v.Pointer())
	if f == nil {
		return ""
	}
	s := f.Name()
	if strings.HasPrefix(s, "reflect.") { // reflect.makeFuncStub: every interpreted func
		return ""
	}
	return s
}

// Hooks the interpreter installs (see the package documentation).
var hooks struct {
	sync.RWMutex
	source  func() string
	namer   func(fn any) (string, bool)
	runtime CellRuntime
	exe     string
	args    []string
}

// SetCellSource installs the function that returns the notebook's
// declarations so far (imports, types, funcs, consts, vars) as Go source.
// A worker loads that source, through its CellRuntime, before the first call
// of a function declared in a cell, and again when it has changed.
func SetCellSource(f func() string) {
	hooks.Lock()
	hooks.source = f
	hooks.Unlock()
}

// SetFuncNamer installs the function that tells whether a function value
// (the interpreter's wrapper of a function declared in a cell) is a notebook
// function, and its name, so that cells can pass the function itself:
// pool.Map(square, xs).
func SetFuncNamer(f func(fn any) (name string, ok bool)) {
	hooks.Lock()
	hooks.namer = f
	hooks.Unlock()
}

// A CellRuntime runs functions declared in notebook cells inside a worker
// process. The kernel implements it with an interpreter session; it is
// installed in the worker (SetCellRuntime, before ChildMain) and used
// lazily: a worker that only runs compiled functions never calls it.
type CellRuntime interface {
	// Load evaluates the notebook's declarations, the source the parent's
	// SetCellSource hook returned. It is called before the first call of a
	// cell function, and again with the whole new source when it changed
	// (an implementation may start a fresh session each time).
	Load(src string) error
	// Func returns the function declared as name by the loaded source. The
	// worker calls it through reflect, decoding the arguments into its
	// parameter types and encoding its results.
	Func(name string) (any, error)
}

// SetCellRuntime installs the worker-side runtime for cell functions. Call
// it in the worker process before ChildMain.
func SetCellRuntime(r CellRuntime) {
	hooks.Lock()
	hooks.runtime = r
	hooks.Unlock()
}

// SetWorkerCommand sets the program and arguments that start a worker
// process. By default it is the running executable (os.Executable) with the
// single argument "subprocess-worker"; the environment variable
// GOKERNEL_SUBPROCESS=worker is always set, so a program may also detect its
// worker role with IsChild before parsing its arguments.
func SetWorkerCommand(path string, args ...string) {
	hooks.Lock()
	hooks.exe, hooks.args = path, append([]string(nil), args...)
	hooks.Unlock()
}

func cellName(fn any) (string, bool) {
	if p := funcPtr(fn); p != nil {
		registry.RLock()
		n, ok := registry.named[p]
		registry.RUnlock()
		if ok {
			return n.name, true
		}
	}
	hooks.RLock()
	namer := hooks.namer
	hooks.RUnlock()
	if namer != nil {
		if name, ok := namer(fn); ok && name != "" {
			return name, true
		}
	}
	return "", false
}

func cellSource() (string, bool) {
	hooks.RLock()
	f := hooks.source
	hooks.RUnlock()
	if f == nil {
		return "", false
	}
	return f(), true
}

// A target is a resolved function: what the parent sends to run it.
type target struct {
	name string        // registered name, or the cell function's name
	sym  string        // compiled: runtime symbol, so a worker can find it under another name
	cell bool          // declared in a notebook cell
	typ  reflect.Type  // the function's type; nil for a cell function given by name
	fn   reflect.Value // callable in this process; invalid for a cell function given by name
}

func (t target) String() string { return t.name }

// ErrUnknownFunc is wrapped by the error for a target a worker cannot find.
var ErrUnknownFunc = errors.New("subprocess: unknown function")

func resolve(f any) (target, error) {
	switch x := f.(type) {
	case nil:
		return target{}, errors.New("subprocess: the target function is nil")
	case string:
		registry.RLock()
		e := registry.byName[x]
		registry.RUnlock()
		if e != nil {
			if e.cell != "" {
				return target{name: e.cell, cell: true, typ: e.fn.Type(), fn: e.fn}, nil
			}
			return target{name: e.name, sym: e.sym, typ: e.fn.Type(), fn: e.fn}, nil
		}
		if _, ok := cellSource(); ok {
			return target{name: x, cell: true}, nil
		}
		return target{}, fmt.Errorf("subprocess: no function registered as %q (registered: %s): %w",
			x, strings.Join(Registered(), ", "), ErrUnknownFunc)
	}
	v := reflect.ValueOf(f)
	if v.Kind() != reflect.Func {
		return target{}, fmt.Errorf("subprocess: the target must be a function or a function's name, not a %T", f)
	}
	if v.IsNil() {
		return target{}, errors.New("subprocess: the target function is nil")
	}
	if name, ok := cellName(f); ok {
		if _, ok := cellSource(); !ok {
			return target{}, fmt.Errorf("subprocess: %s is declared in a notebook cell, but no cell source is installed (SetCellSource)", name)
		}
		return target{name: name, cell: true, typ: v.Type(), fn: v}, nil
	}
	sym := symbolOf(v)
	if sym != "" {
		registry.RLock()
		e := registry.bySym[sym]
		registry.RUnlock()
		if e != nil {
			return target{name: e.name, sym: sym, typ: v.Type(), fn: v}, nil
		}
		return target{}, fmt.Errorf("subprocess: %s is not registered: a worker process can only run "+
			"a compiled function registered with subprocess.Register in an init function of its package, "+
			"or a function declared at the top level of a notebook cell: %w", sym, ErrUnknownFunc)
	}
	hint := ""
	hooks.RLock()
	if hooks.namer == nil && hooks.source != nil && !namesFuncs() {
		hint = " (this kernel cannot name function values: pass the function's name as a string, pool.Map(\"square\", xs))"
	}
	hooks.RUnlock()
	return target{}, fmt.Errorf("subprocess: this %s cannot be sent to a worker process: only functions "+
		"declared at the top level of a cell (func name(...) {...}) and registered compiled functions can; "+
		"closures and function literals cannot (pass a declared function and its data as arguments)%s: %w", v.Type(), hint, ErrUnknownFunc)
}

// checkArgs checks the number of arguments against t's signature.
func (t target) checkArgs(n int) error {
	if t.typ == nil {
		return nil
	}
	in := t.typ.NumIn()
	if t.typ.IsVariadic() {
		if n < in-1 {
			return fmt.Errorf("subprocess: %s takes at least %d arguments, got %d", t.name, in-1, n)
		}
		return nil
	}
	if n != in {
		return fmt.Errorf("subprocess: %s takes %d argument%s, got %d", t.name, in, plural(in), n)
	}
	return nil
}

// resultType is the type the parent decodes a result into: the function's
// one non-error result; nil when unknown (decoded from the sender's type).
func (t target) resultType() reflect.Type {
	if t.typ == nil {
		return nil
	}
	outs := resultTypes(t.typ)
	if len(outs) == 1 {
		return outs[0]
	}
	return nil
}

var errorType = reflect.TypeOf((*error)(nil)).Elem()

// resultTypes returns the non-error results of a function type.
func resultTypes(ft reflect.Type) []reflect.Type {
	n := ft.NumOut()
	if n > 0 && ft.Out(n-1) == errorType {
		n--
	}
	out := make([]reflect.Type, n)
	for i := range out {
		out[i] = ft.Out(i)
	}
	return out
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// encodeArgs encodes one call's arguments.
func (t target) encodeArgs(args []any) ([]value, error) {
	if err := t.checkArgs(len(args)); err != nil {
		return nil, err
	}
	vs := make([]value, len(args))
	for i, a := range args {
		v, err := encode(a, fmt.Sprintf("argument %d of %s", i+1, t.name))
		if err != nil {
			return nil, err
		}
		vs[i] = v
	}
	return vs, nil
}
