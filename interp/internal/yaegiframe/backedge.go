package yaegiframe

import (
	"fmt"
	"go/token"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"unsafe"

	yaegi "github.com/traefik/yaegi/interp"
)

// Loop back edges under yaegi's debugger.
//
// yaegi's debugger follows the code node by node: after each step it
// looks for the node that owns the function the step returned, first
// among the current node's two successors (tnext, fnext), comparing code
// pointers, and failing that by walking the syntax tree from the node up
// to the file's root with a fresh map (originalExecNode). A loop's back
// edge always fails the first test: when yaegi generates a function's
// code (setExec, a depth-first walk of the control-flow graph), an edge
// into a node that is still being generated, the loop's head, gets a
// trampoline, func(f) { return head.exec(f) }, which no node owns once
// the head's own code is made. So every iteration walked the whole file:
// 65 % of a debugged loop's time in the walk and most of the rest in the
// garbage collector freeing its maps, ~85× slower than without the
// debugger.
//
// LinkBackEdges mends that from outside: it repeats setExec's walk to find
// the edges that got a trampoline, and points each at a stand-in for the
// head: a copy of the head's node (same position, same breakpoint data)
// whose exec is a closure of the trampoline's own code around the real
// head, made as Go lays a closure out. The debugger's first test then
// finds the stand-in, and the step after it finds the head's successors,
// so the debugger keeps its place at no cost. Only the debugger reads
// these edges (the generated code captured its successors when it was
// made), and the stand-in runs the head's code, so nothing else changes.
//
// It needs yaegi's code to exist before the run, so it calls yaegi's
// genRun (which Execute calls again, finding everything made). The three
// functions are reached with go:linkname and checked by name at start-up;
// when they, or the node's fields, are not what v0.16.1 has, LinkBackEdges
// does nothing and the debugger is as slow as before (BackEdgesFound, which
// the tests call, reports it).

//go:linkname yaegiGenRun github.com/traefik/yaegi/interp.genRun
func yaegiGenRun(n unsafe.Pointer) error

// The two trampolines of setExec: for an edge through tnext, and through fnext.
//
//go:linkname trampolineT github.com/traefik/yaegi/interp.setExec.func1.1
func trampolineT()

//go:linkname trampolineF github.com/traefik/yaegi/interp.setExec.func1.2
func trampolineF()

// nodeFields are the offsets of the node fields LinkBackEdges reads and
// writes, and the trampolines' code pointers.
type nodeFields struct {
	ok                                            bool
	node, debug                                   reflect.Type // yaegi's node and nodeDebugData
	child, anc, start, tnext, fnext, exec, dbg, k uintptr
	pos, ident, gen                               uintptr
	kindName                                      func(p unsafe.Pointer) string
	pcT, pcF                                      uintptr
}

var fields = sync.OnceValue(func() (f nodeFields) {
	root, ok := reflect.TypeOf(yaegi.Program{}).FieldByName("root")
	if !ok || root.Type.Kind() != reflect.Pointer || root.Type.Elem().Kind() != reflect.Struct {
		return f
	}
	f.node = root.Type.Elem()
	get := func(name string, kind reflect.Kind) (uintptr, reflect.Type, bool) {
		sf, ok := f.node.FieldByName(name)
		if !ok || sf.Type.Kind() != kind {
			return 0, nil, false
		}
		return sf.Offset, sf.Type, true
	}
	var t reflect.Type
	var oks [11]bool
	f.child, t, oks[0] = get("child", reflect.Slice)
	if oks[0] && t.Elem() != root.Type {
		oks[0] = false
	}
	for i, p := range []*uintptr{&f.anc, &f.start, &f.tnext, &f.fnext} {
		name := []string{"anc", "start", "tnext", "fnext"}[i]
		*p, t, oks[1+i] = get(name, reflect.Pointer)
		if t != root.Type {
			oks[1+i] = false
		}
	}
	f.exec, t, oks[5] = get("exec", reflect.Func)
	if oks[5] && (t.NumIn() != 1 || t.NumOut() != 1 || t.Out(0) != t) {
		oks[5] = false
	}
	f.dbg, t, oks[6] = get("debug", reflect.Pointer)
	if oks[6] {
		f.debug = t.Elem()
	}
	var kt reflect.Type
	f.k, kt, oks[7] = get("kind", reflect.Uint)
	f.pos, t, oks[8] = get("pos", reflect.Int)
	if oks[8] && t != reflect.TypeOf(token.NoPos) {
		oks[8] = false
	}
	f.ident, _, oks[9] = get("ident", reflect.String)
	f.gen, _, oks[10] = get("gen", reflect.Func)
	for _, o := range oks {
		if !o {
			return nodeFields{}
		}
	}
	// The kind's name (funcType, fileStmt), through its String method,
	// once per kind: the walks ask for every node's.
	var names sync.Map // uint -> string
	f.kindName = func(p unsafe.Pointer) string {
		k := *(*uint)(unsafe.Add(p, f.k))
		if s, ok := names.Load(k); ok {
			return s.(string)
		}
		s := fmt.Sprint(reflect.NewAt(kt, unsafe.Add(p, f.k)).Elem().Interface())
		names.Store(k, s)
		return s
	}
	name := func(fn any) (uintptr, string) {
		pc := reflect.ValueOf(fn).Pointer()
		if rf := runtime.FuncForPC(pc); rf != nil && rf.Entry() == pc {
			return pc, rf.Name()
		}
		return 0, ""
	}
	var nT, nF, nG string
	f.pcT, nT = name(trampolineT)
	f.pcF, nF = name(trampolineF)
	_, nG = name(yaegiGenRun)
	const pkg = "github.com/traefik/yaegi/interp."
	if nT != pkg+"setExec.func1.1" || nF != pkg+"setExec.func1.2" || nG != pkg+"genRun" {
		return nodeFields{}
	}
	f.ok = true
	return f
})

// BackEdgesFound reports whether LinkBackEdges can work with this version
// of yaegi.
func BackEdgesFound() bool { return fields().ok }

func (f *nodeFields) ptr(n unsafe.Pointer, off uintptr) unsafe.Pointer {
	return *(*unsafe.Pointer)(unsafe.Add(n, off))
}

func (f *nodeFields) children(n unsafe.Pointer) []unsafe.Pointer {
	return *(*[]unsafe.Pointer)(unsafe.Add(n, f.child))
}

// rootOf returns the root node of prog's syntax tree (nil if none).
func rootOf(prog *yaegi.Program) unsafe.Pointer {
	return unsafe.Pointer(reflect.ValueOf(prog).Elem().FieldByName("root").Pointer())
}

// walk visits the tree under root once per node, parents first; visit
// returns whether to go on into the node's children.
func (f *nodeFields) walk(root unsafe.Pointer, visit func(n unsafe.Pointer) bool) {
	seen := map[unsafe.Pointer]bool{}
	var walk func(n unsafe.Pointer)
	walk = func(n unsafe.Pointer) {
		if n == nil || seen[n] {
			return
		}
		seen[n] = true
		if visit(n) {
			for _, c := range f.children(n) {
				walk(c)
			}
		}
	}
	walk(root)
}

// trampoline is how Go lays out setExec's trampoline closure: its code
// pointer, then the node it captured (by value: it is never reassigned).
// yaegi's debugger only compares a stand-in's code pointer; were the
// closure called, it would run the head's code.
type trampoline struct {
	pc   uintptr
	head unsafe.Pointer
}

// LinkBackEdges points the loop back edges of prog's code at stand-ins
// that yaegi's debugger recognizes (see above). It makes prog's code if it
// is not made yet, so call it before the program runs, where yaegi is not
// compiling. It
// reports how many edges it linked. Call it once per program: a second
// call would take the stand-ins for nodes of the code.
func LinkBackEdges(prog *yaegi.Program) int {
	f := fields()
	if !f.ok || prog == nil {
		return 0
	}
	root := rootOf(prog)
	if root == nil {
		return 0
	}
	if err := yaegiGenRun(root); err != nil {
		return 0 // Execute reports it
	}
	l := &linker{f: &f, state: map[unsafe.Pointer]uint8{}}
	// setExec's entry points: a statement block's start (CompileAST), and
	// each function body's (genRun), each a control-flow graph of its own.
	if f.kindName(root) != "fileStmt" {
		l.entry(f.ptr(root, f.start))
	}
	f.walk(root, func(n unsafe.Pointer) bool {
		if f.kindName(n) == "funcType" {
			if anc := f.ptr(n, f.anc); anc != nil {
				if ch := f.children(anc); len(ch) == 4 && ch[3] != nil {
					l.entry(f.ptr(ch[3], f.start))
				}
			}
		}
		return true
	})
	return l.link()
}

// Node states in the repeated walk, as setExec sees them.
const (
	unseen  = iota
	onStack // seen, its code not made yet (exec nil)
	viaT    // on the stack with a trampoline, set through a tnext edge
	viaF    // through an fnext edge
	made    // its code made
)

type edge struct {
	from unsafe.Pointer
	off  uintptr // f.tnext or f.fnext
	head unsafe.Pointer
	pc   uintptr
}

type linker struct {
	f     *nodeFields
	state map[unsafe.Pointer]uint8
	edges []edge
}

// entry repeats setExec(n): depth first, tnext before fnext; an edge to a
// node on the stack whose code is not made gives it a trampoline; a node's
// code, made after its successors', captures the trampoline of any
// successor that has one then.
func (l *linker) entry(n unsafe.Pointer) {
	if n == nil || l.state[n] != unseen {
		return
	}
	l.set(n)
}

func (l *linker) set(n unsafe.Pointer) {
	f := l.f
	l.state[n] = onStack
	for _, off := range []uintptr{f.tnext, f.fnext} {
		next := f.ptr(n, off)
		if next == nil {
			continue
		}
		switch l.state[next] {
		case unseen:
			l.set(next)
		case onStack:
			if off == f.tnext {
				l.state[next] = viaT
			} else {
				l.state[next] = viaF
			}
		}
	}
	for _, off := range []uintptr{f.tnext, f.fnext} {
		next := f.ptr(n, off)
		switch l.state[next] {
		case viaT:
			l.edges = append(l.edges, edge{n, off, next, f.pcT})
		case viaF:
			l.edges = append(l.edges, edge{n, off, next, f.pcF})
		}
	}
	l.state[n] = made
}

// link makes one stand-in per head and trampoline kind and points the
// edges at them. The stand-ins are copied after every edge is pointed, so
// that a stand-in's own successors are its head's, back edges included.
func (l *linker) link() int {
	f := l.f
	type key struct {
		head unsafe.Pointer
		pc   uintptr
	}
	stand := map[key]unsafe.Pointer{}
	var order []key
	for _, e := range l.edges {
		k := key{e.head, e.pc}
		if _, ok := stand[k]; !ok {
			stand[k] = reflect.New(f.node).UnsafePointer()
			order = append(order, k)
		}
	}
	isStandIn := map[unsafe.Pointer]bool{}
	for _, p := range stand {
		isStandIn[p] = true
	}
	linked := 0
	for _, e := range l.edges {
		slot := (*unsafe.Pointer)(unsafe.Add(e.from, e.off))
		if isStandIn[*slot] {
			continue
		}
		*slot = stand[key{e.head, e.pc}]
		linked++
	}
	l.exits(isStandIn)
	for _, k := range order {
		// The stand-in shares the head's breakpoint data: a breakpoint
		// set on the head's line later is seen through either.
		if f.ptr(k.head, f.dbg) == nil {
			*(*unsafe.Pointer)(unsafe.Add(k.head, f.dbg)) = reflect.New(f.debug).UnsafePointer()
		}
		s := stand[k]
		reflect.NewAt(f.node, s).Elem().Set(reflect.NewAt(f.node, k.head).Elem())
		*(*unsafe.Pointer)(unsafe.Add(s, f.exec)) = unsafe.Pointer(&trampoline{pc: k.pc, head: k.head})
	}
	return linked
}

// HideCalls takes the position off every statement pkg.name() of prog's
// code (the session's checkpoints, ǂ.Tick()), so that yaegi's debugger
// passes over their nodes as it does over code without a position: no
// step stops there, and each of them skips the debugger's per-node work
// (an event allocated and a deferred call). A checkpoint at every loop
// iteration is three such nodes. It reports how many statements it
// changed. Call it where yaegi is not compiling, before the program runs
// under the debugger; the statements' runtime errors (an interrupt) then
// carry no position of their own.
func HideCalls(prog *yaegi.Program, pkg, name string) int {
	f := fields()
	if !f.ok || prog == nil {
		return 0
	}
	ident := func(n unsafe.Pointer) string { return *(*string)(unsafe.Add(n, f.ident)) }
	isCheckpoint := func(n unsafe.Pointer) bool {
		ch := f.children(n)
		if f.kindName(n) != "exprStmt" || len(ch) != 1 || f.kindName(ch[0]) != "callExpr" {
			return false
		}
		call := f.children(ch[0])
		if len(call) != 1 || f.kindName(call[0]) != "selectorExpr" {
			return false
		}
		sel := f.children(call[0])
		return len(sel) == 2 && ident(sel[0]) == pkg && ident(sel[1]) == name
	}
	hidden := 0
	f.walk(rootOf(prog), func(n unsafe.Pointer) bool {
		if !isCheckpoint(n) {
			return true
		}
		f.walk(n, func(m unsafe.Pointer) bool {
			*(*token.Pos)(unsafe.Add(m, f.pos)) = token.NoPos
			return true
		})
		hidden++
		return false
	})
	return hidden
}

// exits mends the step after a branch whose two successors run code of
// the same function (a loop whose body starts with the session's
// checkpoint, ǂ.Tick(), and whose exit goes through the for statement's
// node: both yaegi's nop). The debugger, comparing code pointers, takes
// the false branch for the true one; its next step then matched nothing
// and walked the tree, landing on another node: a breakpoint on the
// statement after a loop was never hit. The true successor is replaced
// (for the debugger only) by a copy of it whose false successor, unused
// by such a node, is the false successor's next node, so that the step
// after the exit finds its place.
func (l *linker) exits(isStandIn map[unsafe.Pointer]bool) {
	f := l.f
	code := func(n unsafe.Pointer) uintptr {
		if fv := f.ptr(n, f.exec); fv != nil {
			return *(*uintptr)(fv)
		}
		return 0
	}
	for n, st := range l.state {
		if st != made {
			continue
		}
		tn, fn := f.ptr(n, f.tnext), f.ptr(n, f.fnext)
		if tn == nil || fn == nil || isStandIn[tn] || isStandIn[fn] || f.ptr(tn, f.fnext) != nil {
			continue
		}
		after := f.ptr(fn, f.tnext)
		if after == nil || code(tn) == 0 || code(tn) != code(fn) {
			continue
		}
		b := reflect.New(f.node)
		b.Elem().Set(reflect.NewAt(f.node, tn).Elem())
		p := b.UnsafePointer()
		*(*unsafe.Pointer)(unsafe.Add(p, f.fnext)) = after
		*(*unsafe.Pointer)(unsafe.Add(n, f.tnext)) = p
	}
}

// HideUngenerated takes the position off the nodes of prog for which
// yaegi has no code and cannot make any (no exec, no generator: a type
// written in a signature, such as time.Duration or *sync.WaitGroup).
// yaegi's SetBreakpoints makes code for every node with a position and
// crashed on them, so a file declaring
//
//	func worker(wg *sync.WaitGroup) { ... }
//
// took no breakpoint at all. Those nodes never run, so nothing else
// changes. It reports how many nodes it changed; call it where yaegi is
// not compiling.
func HideUngenerated(prog *yaegi.Program) int {
	f := fields()
	if !f.ok || prog == nil {
		return 0
	}
	hidden := 0
	f.walk(rootOf(prog), func(n unsafe.Pointer) bool {
		pos := (*token.Pos)(unsafe.Add(n, f.pos))
		if *pos != token.NoPos && f.ptr(n, f.exec) == nil && f.ptr(n, f.gen) == nil {
			*pos = token.NoPos
			hidden++
		}
		return true
	})
	return hidden
}

// HideJumps takes the position off the nodes of prog's code that only
// pass control on, so that yaegi's debugger skips its per-node work there
// (an event allocated, a deferred call) and no step stops on them:
//
//   - the join nodes of blocks, ifs and loops (yaegi's nop: a loop body's
//     end, the end of an if's branches, a loop's exit), which put the
//     stepping user back on a line of braces that nothing runs on;
//   - a loop's post statement when it is i++ or i-- on a plain variable
//     and its successor, the loop's condition, is on the same line: the
//     step stops there, once, instead of twice.
//
// None of them can fail at run time, so no error loses its position, and
// none takes a breakpoint (yaegi sets none on a nop; the condition takes
// the loop line's). A 100,000-iteration loop ran four positioned nodes an
// iteration, three of them on its for line; it now runs two. Call it
// before LinkBackEdges (whose stand-ins copy nodes, positions included),
// where yaegi is not compiling. It makes prog's code if it is not made
// yet, and reports how many nodes it changed.
func HideJumps(prog *yaegi.Program, fset *token.FileSet) int {
	f := fields()
	if !f.ok || prog == nil || fset == nil {
		return 0
	}
	root := rootOf(prog)
	if root == nil || yaegiGenRun(root) != nil {
		return 0
	}
	hidden := 0
	f.walk(root, func(n unsafe.Pointer) bool {
		pos := (*token.Pos)(unsafe.Add(n, f.pos))
		if *pos == token.NoPos || f.ptr(n, f.exec) == nil {
			return true
		}
		hide := false
		switch k := f.kindName(n); {
		case k == "blockStmt", k == "forRangeStmt", strings.HasPrefix(k, "forStmt"), strings.HasPrefix(k, "ifStmt"):
			hide = true
		case k == "incDecStmt":
			anc, next, ch := f.ptr(n, f.anc), f.ptr(n, f.tnext), f.children(n)
			hide = anc != nil && strings.HasPrefix(f.kindName(anc), "forStmt") &&
				len(ch) == 1 && f.kindName(ch[0]) == "identExpr" &&
				next != nil && f.ptr(n, f.fnext) == nil &&
				fset.Position(*(*token.Pos)(unsafe.Add(next, f.pos))).Line == fset.Position(*pos).Line
		}
		if hide {
			*pos = token.NoPos
			hidden++
		}
		return true
	})
	return hidden
}

// Line breakpoints at the start of their statement.
//
// yaegi's SetBreakpoints marks, for each line, the first node with code in
// the tree's order, parents first: for x := f(a) + g(b) that is the
// definition, whose code runs last, after both calls. The cell stopped on
// the line with the calls already made, so "step in" could not enter f.
// MoveBreakpoints moves each such mark to the first node its statement
// runs (yaegi's start), when that node is on the same line and has a
// position: the stop is then before anything on the line has run, as in
// other debuggers (except on a range loop's line, which stops at each
// iteration). It returns the nodes it marked, for ClearBreakpoints:
// yaegi's next SetBreakpoints does not clear marks on nodes it would not
// have chosen itself.

// MoveBreakpoints moves the line breakpoints of prog to the start of
// their statements (see above) and returns the nodes it marked. Call it
// after yaegi's SetBreakpoints, where yaegi is not compiling.
func MoveBreakpoints(prog *yaegi.Program, fset *token.FileSet) (moved []unsafe.Pointer) {
	f := fields()
	if !f.ok || prog == nil || fset == nil {
		return nil
	}
	line := func(n unsafe.Pointer) int {
		p := *(*token.Pos)(unsafe.Add(n, f.pos))
		if p == token.NoPos {
			return 0
		}
		return fset.Position(p).Line
	}
	type mark struct{ from, to unsafe.Pointer }
	var marks []mark
	f.walk(rootOf(prog), func(n unsafe.Pointer) bool {
		if !breakOnLine(&f, n).IsValid() || !breakOnLine(&f, n).Bool() {
			return true
		}
		// A range loop's node runs each iteration, its start (the ranged
		// expression) only once: the mark stays.
		s := f.ptr(n, f.start)
		if f.kindName(n) == "rangeStmt" || s == nil || s == n || f.ptr(s, f.exec) == nil || line(s) == 0 || line(s) != line(n) {
			return true
		}
		marks = append(marks, mark{n, s})
		return true
	})
	for _, m := range marks {
		setBreakOnLine(&f, m.from, false)
		if d := f.ptr(m.to, f.dbg); d == nil {
			// A node of its own for the mark, naming the same program.
			nd := reflect.New(f.debug)
			if from := f.ptr(m.from, f.dbg); from != nil {
				nd.Elem().Set(reflect.NewAt(f.debug, from).Elem())
			}
			*(*unsafe.Pointer)(unsafe.Add(m.to, f.dbg)) = nd.UnsafePointer()
		}
		setBreakOnLine(&f, m.to, true)
		moved = append(moved, m.to)
	}
	return moved
}

// ClearBreakpoints takes the line breakpoints off nodes MoveBreakpoints
// marked.
func ClearBreakpoints(moved []unsafe.Pointer) {
	f := fields()
	if !f.ok {
		return
	}
	for _, n := range moved {
		setBreakOnLine(&f, n, false)
	}
}

// breakOnLine returns node n's line breakpoint mark, settable, or the zero
// Value when n has no debug data (or the field is not there).
func breakOnLine(f *nodeFields, n unsafe.Pointer) reflect.Value {
	d := f.ptr(n, f.dbg)
	if d == nil {
		return reflect.Value{}
	}
	v := reflect.NewAt(f.debug, d).Elem().FieldByName("breakOnLine")
	if !v.IsValid() || v.Kind() != reflect.Bool {
		return reflect.Value{}
	}
	return reflect.NewAt(v.Type(), unsafe.Pointer(v.UnsafeAddr())).Elem()
}

func setBreakOnLine(f *nodeFields, n unsafe.Pointer, on bool) {
	if v := breakOnLine(f, n); v.IsValid() {
		v.SetBool(on)
	}
}
