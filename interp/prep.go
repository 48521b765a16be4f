package interp

import (
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"sort"
	"strconv"
	"strings"

	"github.com/gokernel/gokernel/interp/internal/cellgrammar"
)

// mark is the character that internal names contain. It is a letter (so Go
// accepts it in identifiers) that nobody types: Tǂ2 is version 2 of T, ǂ is
// the session's runtime package, ǂshow and ǂmin are prelude helpers.
const mark = "ǂ"

// A unit is one top-level declaration kept by the session: a func, a
// method, a type or a const group. It is kept as a template so it can be
// written out again under new internal names when something it uses is
// redefined.
type unit struct {
	kind   string   // "func", "method", "type", "const", "init"
	names  []string // names it defines ("T.M" for a method)
	recv   string   // receiver type of a method
	pieces []piece
	refs   map[string]bool // global names it mentions
	// companion: a func that also declares its value wrapper (see
	// companionSuffix), so cells can pass it to compiled code.
	companion bool
}

// companionSuffix ends the internal name of a func's value companion:
// for a func declared as squareǂ2, the session also declares
//
//	var squareǂ2ǂǂ = ǂ.NameFunc(squareǂ2, "square").(func(int) int)
//
// and writes every use of square as a value (not a call) as squareǂ2ǂǂ.
// yaegi hands compiled code a fresh reflect.MakeFunc wrapper each time an
// interpreted func value is passed, so compiled code (the subprocess
// model's pools) could not tell which notebook function it got; the
// companion is one wrapper, made once and named in the subprocess
// registry by its closure pointer, that reaches compiled code every time.
const companionSuffix = mark + mark

// A step is a part of a cell's statements, run in order: a group of
// short variable declarations (x := ..., compiled as a block in yaegi's
// global scope, so they persist) or a group of other statements (an init
// func, so their temporaries do not pile up in the global frame).
type step struct {
	vars   bool
	names  []string // variables declared by a vars step
	pieces []piece
	plain  []piece // for the final step: the same without ǂshow, for void calls
	value  []piece // for the final step: ǂv := the expression (see Session.showRich)
	after  []*unit // declarations that use this step's variables, declared after it (see lateUnits)
}

// A plan is a preprocessed cell.
type plan struct {
	cell      *cellSrc
	imports   []piece  // new import specs, one per line
	importKey []string // name+" "+path of each new import
	units     []*unit  // declarations made by the cell
	steps     []step
	show      bool // the last step shows a final expression
	warnings  []string
	// reseed: variables a statement redeclared; declare replays what
	// uses them, as it does for names the plan itself redefines.
	reseed []string
	// Set by declare for the variables it redeclared in place, for
	// Session.follow: their names, old frame slots and new names.
	redeclared []string
	oldSlots   map[string]int
	overlay    map[string]string
}

// prepare parses a cell and instruments it. The result still refers to
// global names symbolically; the session resolves them when it renders.
//
// known reports whether a name is declared in the session; funcValue
// whether it is a func with a value companion (nil: none is).
//
// chanVar, if given, reports whether a session variable is a channel, so
// that a range over it can be made interruptible (blocking.go).
func prepare(n int, code string, known, funcValue func(string) bool, rangeIdents bool, chanVar ...func(string) bool) (*plan, error) {
	chunks := splitCell([]byte(code))
	cs := &cellSrc{n: n, src: code}
	var b strings.Builder
	b.WriteString("package main\n")
	addChunk := func(c chunk) {
		cs.segs = append(cs.segs, seg{syn: b.Len(), cell: c.start, n: c.end - c.start})
		b.WriteString(code[c.start:c.end])
		b.WriteString("\n")
	}
	for _, kind := range []chunkKind{chunkImport, chunkDecl} {
		for _, c := range chunks {
			if c.kind == kind {
				addChunk(c)
			}
		}
	}
	b.WriteString("func " + mark + "cell() {\n")
	for _, c := range chunks {
		if c.kind == chunkStmt {
			addChunk(c)
		}
	}
	b.WriteString("}\n")
	syn := b.String()
	sort.Slice(cs.segs, func(i, j int) bool { return cs.segs[i].syn < cs.segs[j].syn })

	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "cell", syn, 0)
	if err != nil {
		return nil, parseError(cs, fset, err)
	}
	p := &plan{cell: cs}
	w := &walker{t: &tmpl{src: syn, cell: cs}, fset: fset, f: f, known: known, funcValue: funcValue, plan: p, rangeIdents: rangeIdents,
		globals: map[*ast.Object]bool{}, callees: map[*ast.Ident]bool{}, cellFuncs: map[string]bool{}}
	if len(chanVar) > 0 {
		w.chanVar = chanVar[0]
	}
	return w.run()
}

func parseError(cs *cellSrc, fset *token.FileSet, err error) error {
	var list scanner.ErrorList
	if el, ok := err.(scanner.ErrorList); ok {
		list = el
	}
	if len(list) == 0 {
		return &Error{Ename: "SyntaxError", Msg: err.Error()}
	}
	e := list[0]
	line, col := cs.lineCol(cs.cellOffset(e.Pos.Offset))
	msg := strings.ReplaceAll(e.Msg, mark+"cell", "cell")
	return compileError("SyntaxError", cs, line, col, msg)
}

type walker struct {
	t           *tmpl
	fset        *token.FileSet
	f           *ast.File
	known       func(string) bool
	plan        *plan
	rangeIdents bool
	globals     map[*ast.Object]bool // objects of the cell's own globals
	defined     map[string]bool      // names the cell defines
	tmp         int
	loops       map[ast.Stmt]*loopPlan   // loops whose body runs in a func literal (loops.go)
	branchDone  map[*ast.BranchStmt]bool // branches those rewrite

	funcValue func(string) bool   // a session func with a value companion
	cellFuncs map[string]bool     // the cell's funcs that get a companion
	callees   map[*ast.Ident]bool // names in call position, f(...)
	declName  map[*ast.Ident]bool // names being declared (func f)

	chanFields map[string]bool             // struct fields the cell declares as channels (blocking.go)
	asWritten  map[ast.Node]bool           // channel operations left as written (blocking.go)
	stmtRecv   map[*ast.UnaryExpr]bool     // receives that are statements
	globalRecv map[*ast.UnaryExpr]ast.Stmt // receives in top-level declarations
	chanVar    func(string) bool           // a session variable that is a channel
}

func (w *walker) off(p token.Pos) int { return w.fset.Position(p).Offset }

func (w *walker) fresh(prefix string) string {
	w.tmp++
	return mark + prefix + itoa(w.tmp)
}

func (w *walker) run() (*plan, error) {
	f := w.f
	w.defined = map[string]bool{}
	var body *ast.BlockStmt
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.Name == mark+"cell" {
			body = fd.Body
		}
	}
	w.declName = map[*ast.Ident]bool{}
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil {
			w.declName[fd.Name] = true
			if hasCompanion(fd) {
				w.cellFuncs[fd.Name.Name] = true
			}
		}
	}
	for _, o := range f.Scope.Objects {
		w.globals[o] = true
		if o.Name != "init" && o.Name != mark+"cell" {
			w.defined[o.Name] = true
		}
	}
	var varNames [][]string
	for _, st := range body.List {
		var names []string
		switch s := st.(type) {
		case *ast.AssignStmt:
			if s.Tok == token.DEFINE {
				for _, l := range s.Lhs {
					if id, ok := l.(*ast.Ident); ok && id.Name != "_" {
						names = append(names, id.Name)
						if id.Obj != nil {
							w.globals[id.Obj] = true
						}
					}
				}
			}
		case *ast.DeclStmt:
			if gd, ok := s.Decl.(*ast.GenDecl); ok {
				for _, sp := range gd.Specs {
					if vs, ok := sp.(*ast.ValueSpec); ok {
						for _, id := range vs.Names {
							if id.Name != "_" {
								names = append(names, id.Name)
								if id.Obj != nil {
									w.globals[id.Obj] = true
								}
							}
						}
					}
				}
			}
		}
		for _, n := range names {
			w.defined[n] = true
		}
		varNames = append(varNames, names)
	}

	// Instrument everything, then cut the file into units and steps.
	w.planLoops()
	w.noteChanFields()
	w.markComms()
	w.markRecvs(body)
	ast.Inspect(f, w.visit)
	w.t.sortEdits()

	p := w.plan
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.GenDecl:
			switch d.Tok {
			case token.IMPORT:
				for _, sp := range d.Specs {
					is := sp.(*ast.ImportSpec)
					name := ""
					if is.Name != nil {
						name = is.Name.Name
					}
					p.importKey = append(p.importKey, name+" "+is.Path.Value)
					p.imports = append(p.imports, w.t.render(w.off(is.Pos()), w.off(is.End()), nil)...)
					p.imports = append(p.imports, piece{text: "\n"})
				}
			case token.TYPE, token.CONST, token.VAR:
				u := &unit{kind: strings.ToLower(d.Tok.String())}
				for _, sp := range d.Specs {
					switch sp := sp.(type) {
					case *ast.TypeSpec:
						u.names = append(u.names, sp.Name.Name)
					case *ast.ValueSpec:
						for _, id := range sp.Names {
							if id.Name != "_" {
								u.names = append(u.names, id.Name)
							}
						}
					}
				}
				w.finishUnit(u, d)
			}
		case *ast.FuncDecl:
			if d.Recv == nil && d.Name.Name == mark+"cell" {
				continue
			}
			u := &unit{kind: "func", names: []string{d.Name.Name}}
			if d.Recv != nil {
				u.kind = "method"
				u.recv = recvType(d.Recv)
				u.names = []string{u.recv + "." + d.Name.Name}
			} else if d.Name.Name == "init" {
				u.kind = "init"
				u.names = nil
			}
			if hasCompanion(d) {
				u.companion = true
				w.finishUnit(u, d, w.companion(d)...)
				continue
			}
			w.finishUnit(u, d)
		}
	}

	late := w.lateUnits(varNames)

	// Statements: consecutive var declarations form a vars step, anything
	// else a code step. A step after which declarations are due ends there.
	for i, st := range body.List {
		s, e := w.off(st.Pos()), w.off(st.End())
		var ps []piece
		isVars := false
		if x, ok := st.(*ast.AssignStmt); ok && x.Tok == token.DEFINE {
			isVars = true
		}
		ps = w.t.render(s, e, nil)
		ps = append(ps, piece{text: "\n"})
		last := i == len(body.List)-1
		if last && !isVars {
			if es, ok := st.(*ast.ExprStmt); ok && showable(es.X) {
				p.show = true
				plain := ps
				// ǂv := e; ǂ.Show(fmt.Sprint(ǂv), ǂv): yaegi applies String and
				// Error when the value goes straight to a compiled function.
				ps = append([]piece{{text: mark + "v := ", cell: w.t.cell, syn: s, ins: true}}, ps[:len(ps)-1]...)
				value := ps
				fn := ".Show("
				if _, isCall := es.X.(*ast.CallExpr); isCall {
					fn = ".ShowCall("
				}
				ps = append(ps, piece{text: "; " + mark + fn + mark + "fmt.Sprint(" + mark + "v), " + mark + "v)\n"})
				// Its own step: yaegi loses the value of an interpreted
				// type passed to ǂshow after other calls in the same func.
				p.steps = append(p.steps, step{pieces: ps, plain: plain, value: value, after: late[i]})
				continue
			}
		}
		if n := len(p.steps); n > 0 && p.steps[n-1].vars == isVars && p.steps[n-1].after == nil {
			p.steps[n-1].pieces = append(p.steps[n-1].pieces, ps...)
			p.steps[n-1].names = append(p.steps[n-1].names, varNames[i]...)
		} else {
			p.steps = append(p.steps, step{vars: isVars, pieces: ps, names: varNames[i]})
		}
		p.steps[len(p.steps)-1].after = late[i]
	}
	return p, nil
}

// lateUnits takes out of the plan the declarations that use a variable
// the cell's statements declare (x := 1; func f() int { return x }), and
// returns them by the index of the statement after which they can be
// declared: the last one declaring a variable they use, directly or
// through another such declaration. A method goes with its receiver type,
// and the type with its methods. (Go allows this at package level, where
// every name is declared before any code runs; a cell runs its statements
// in order, so they wait for the variable.)
func (w *walker) lateUnits(varNames [][]string) map[int][]*unit {
	declaredBy := map[string]int{} // statement variable -> last statement declaring it
	for i, names := range varNames {
		for _, n := range names {
			declaredBy[n] = i
		}
	}
	unitNames := map[string]bool{}
	for _, u := range w.plan.units {
		for _, n := range u.names {
			unitNames[n] = true
		}
	}
	at := map[*unit]int{}
	for _, u := range w.plan.units {
		for r := range u.refs {
			if i, ok := declaredBy[r]; ok && !unitNames[r] {
				if _, set := at[u]; !set || i > at[u] {
					at[u] = i
				}
			}
		}
	}
	if len(at) == 0 {
		return nil
	}
	for changed := true; changed; {
		changed = false
		for _, u := range w.plan.units {
			for _, v := range w.plan.units {
				k, late := at[v]
				if !late || u == v {
					continue
				}
				uses := v.kind == "method" && u.kind == "type" && containsName(u.names, v.recv) ||
					u.kind == "method" && v.kind == "type" && containsName(v.names, u.recv)
				for _, n := range v.names {
					uses = uses || u.refs[n]
				}
				if cur, ok := at[u]; uses && (!ok || cur < k) {
					at[u] = k
					changed = true
				}
			}
		}
	}
	out := map[int][]*unit{}
	var early []*unit
	for _, u := range w.plan.units {
		if k, ok := at[u]; ok {
			out[k] = append(out[k], u)
		} else {
			early = append(early, u)
		}
	}
	w.plan.units = early
	return out
}

func containsName(names []string, n string) bool {
	for _, x := range names {
		if x == n {
			return true
		}
	}
	return false
}

// showable reports whether a final expression statement has a value worth
// showing as Out. Calls of the print family return (n, err) nobody wants to
// see; receives are statements here.
func showable(x ast.Expr) bool {
	switch x := x.(type) {
	case *ast.UnaryExpr:
		return x.Op != token.ARROW
	case *ast.CallExpr:
		switch fn := x.Fun.(type) {
		case *ast.Ident:
			switch fn.Name {
			case "panic", "print", "println", "close", "delete", "clear", "copy":
				return fn.Obj != nil
			}
		case *ast.SelectorExpr:
			if pkg, ok := fn.X.(*ast.Ident); ok && pkg.Obj == nil && (pkg.Name == "fmt" || pkg.Name == "log") {
				return strings.HasPrefix(fn.Sel.Name, "Sprint") || strings.HasPrefix(fn.Sel.Name, "Errorf") || strings.HasPrefix(fn.Sel.Name, "Sscan")
			}
			n := fn.Sel.Name
			if strings.HasPrefix(n, "Write") || strings.HasPrefix(n, "Print") || strings.HasPrefix(n, "Fprint") {
				return false
			}
		}
	}
	return true
}

func recvType(fl *ast.FieldList) string {
	if len(fl.List) == 0 {
		return ""
	}
	return cellgrammar.ReceiverName(fl.List[0].Type)
}

func (w *walker) finishUnit(u *unit, d ast.Decl, extra ...piece) {
	u.pieces = w.t.render(w.off(d.Pos()), w.off(d.End()), nil)
	u.pieces = append(u.pieces, piece{text: "\n"})
	u.pieces = append(u.pieces, extra...)
	u.refs = map[string]bool{}
	for _, p := range u.pieces {
		if p.ref != "" {
			u.refs[strings.TrimSuffix(p.ref, companionSuffix)] = true
		}
	}
	w.plan.units = append(w.plan.units, u)
}

// hasCompanion reports whether a func declaration gets a value companion
// (see companionSuffix): plain funcs, not methods, generic funcs (a
// generic func is no value until instantiated), main or init.
func hasCompanion(fd *ast.FuncDecl) bool {
	if fd.Recv != nil || fd.Type.TypeParams != nil || fd.Body == nil {
		return false
	}
	switch fd.Name.Name {
	case "main", "init", "_", mark + "cell":
		return false
	}
	return true
}

// companion returns the declaration of fd's value companion:
//
//	var squareǂǂ = ǂ.NameFunc(square, "square").(func(x int) int)
//
// with every global name (square, the types in the signature) a reference
// the session resolves, like the declaration's own.
func (w *walker) companion(fd *ast.FuncDecl) []piece {
	at := w.off(fd.Pos())
	name := fd.Name.Name
	ps := []piece{
		{text: "var "},
		{ref: name + companionSuffix, cell: w.t.cell, syn: at, ins: true},
		{text: " = " + mark + ".NameFunc("},
		{ref: name, cell: w.t.cell, syn: at, ins: true},
		{text: ", " + strconv.Quote(name) + ").(func"},
	}
	ps = w.t.render(w.off(fd.Type.Params.Pos()), w.off(fd.Type.End()), ps)
	return append(ps, piece{text: ")\n"})
}

// isFuncValue reports whether a global name stands for a func with a value
// companion: one the cell declares, or else one the session has.
func (w *walker) isFuncValue(name string) bool {
	if w.defined[name] {
		return w.cellFuncs[name]
	}
	return w.funcValue != nil && w.funcValue(name)
}

// isGlobalRef reports whether id names a session-level declaration that
// must be written as its current internal name.
func (w *walker) isGlobalRef(id *ast.Ident) bool {
	if id.Name == "_" || id.Name == "init" || strings.Contains(id.Name, mark) {
		return false
	}
	if id.Obj != nil && !w.globals[id.Obj] {
		return false
	}
	return w.defined[id.Name] || w.known(id.Name)
}

func (w *walker) visit(n ast.Node) bool {
	switch n := n.(type) {
	case *ast.SelectorExpr:
		ast.Inspect(n.X, w.visit)
		return false
	case *ast.ImportSpec:
		return false
	case *ast.BranchStmt:
		return false // labels
	case *ast.LabeledStmt:
		w.labeled(n)
		ast.Inspect(n.Stmt, w.visit)
		return false
	case *ast.KeyValueExpr:
		// A struct literal key is a field name; a map key an expression.
		if id, ok := n.Key.(*ast.Ident); ok && id.Obj == nil && !w.known(id.Name) && !w.defined[id.Name] {
			ast.Inspect(n.Value, w.visit)
			return false
		}
	case *ast.FuncDecl:
		if n.Recv != nil {
			ast.Inspect(n.Recv, w.visit)
			if n.Type.TypeParams != nil {
				ast.Inspect(n.Type.TypeParams, w.visit)
			}
			ast.Inspect(n.Type.Params, w.visit)
			if n.Type.Results != nil {
				ast.Inspect(n.Type.Results, w.visit)
			}
			if n.Body != nil {
				w.enter(n.Body.Lbrace)
				ast.Inspect(n.Body, w.visit)
			}
			return false
		}
		if n.Name.Name == mark+"cell" {
			ast.Inspect(n.Body, w.visit)
			return false
		}
		if n.Body != nil {
			w.enter(n.Body.Lbrace)
		}
	case *ast.FuncLit:
		w.enter(n.Body.Lbrace)
	case *ast.Ident:
		if w.isGlobalRef(n) {
			name := n.Name
			if !w.callees[n] && !w.declName[n] && w.isFuncValue(name) {
				// A func used as a value: its companion, the one wrapper
				// compiled code recognises.
				name += companionSuffix
			}
			w.t.edits = append(w.t.edits, edit{pos: w.off(n.Pos()), end: w.off(n.End()), parts: []part{ref(name)}})
		}
	case *ast.CallExpr:
		if id, ok := n.Fun.(*ast.Ident); ok {
			w.callees[id] = true
		}
		if id, ok := n.Fun.(*ast.Ident); ok && id.Obj == nil && !w.known(id.Name) && !w.defined[id.Name] {
			switch id.Name {
			case "min", "max":
				w.t.edits = append(w.t.edits, edit{pos: w.off(id.Pos()), end: w.off(id.End()), parts: []part{lit(mark + id.Name)}})
			case "clear":
				w.t.edits = append(w.t.edits, edit{pos: w.off(id.Pos()), end: w.off(id.End()), parts: []part{lit(mark + ".Clear")}})
			case "recover":
				w.t.edits = append(w.t.edits, insert(w.off(n.Pos()), mark+".Repanic("), insert(w.off(n.End()), ")"))
			}
		}
	case *ast.ForStmt:
		w.loop(n, n.Body)
	case *ast.RangeStmt:
		if !w.rangeChan(n) {
			w.rangeInt(n)
		}
		w.loop(n, n.Body)
	case *ast.SelectStmt:
		w.selectStmt(n)
	case *ast.UnaryExpr:
		if n.Op == token.ARROW && !w.asWritten[n] {
			w.recvExpr(n)
		}
	case *ast.SendStmt:
		if !w.asWritten[n] {
			w.sendStmt(n)
		}
	case *ast.ExprStmt:
		w.waitHint(n)
	case *ast.GoStmt:
		w.goStmt(n)
		return false
	case *ast.CommClause:
		// The communication itself stays as written: only its operands
		// and the clause body are instrumented.
		if n.Comm != nil {
			ast.Inspect(n.Comm, func(m ast.Node) bool {
				if m == n.Comm {
					return true
				}
				return w.visit(m)
			})
		}
		for _, st := range n.Body {
			ast.Inspect(st, w.visit)
		}
		return false
	}
	return true
}

func (w *walker) tick(lbrace token.Pos) {
	w.t.edits = append(w.t.edits, insert(w.off(lbrace)+1, " "+mark+".Tick();"))
}

// enter instruments a function entry: a Tick that also bounds the call
// depth (rt.Enter), so runaway recursion ends the cell with an error.
func (w *walker) enter(lbrace token.Pos) {
	w.t.edits = append(w.t.edits, insert(w.off(lbrace)+1, " "+mark+".Enter();"))
}

// rangeInt rewrites `for i := range n` (Go 1.22), which yaegi v0.16.1 does
// not know, into a counting loop, when n is plainly an integer: a literal, a
// len or cap call, a conversion to an integer type, arithmetic; and, on the
// session's retry after yaegi's "nil type" failure, a name.
func (w *walker) rangeInt(n *ast.RangeStmt) {
	if n.Tok == token.ASSIGN || n.Value != nil {
		return
	}
	isInt := false
	switch x := n.X.(type) {
	case *ast.BasicLit:
		isInt = x.Kind == token.INT
	case *ast.CallExpr:
		if id, ok := x.Fun.(*ast.Ident); ok && id.Obj == nil {
			switch id.Name {
			case "len", "cap", "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64", "uintptr":
				isInt = true
			}
		}
	case *ast.BinaryExpr:
		switch x.Op {
		case token.ADD, token.SUB, token.MUL, token.QUO, token.REM, token.SHL, token.SHR, token.AND, token.OR, token.XOR:
			isInt = true
		}
	case *ast.Ident, *ast.SelectorExpr:
		isInt = w.rangeIdents
	}
	if !isInt {
		return
	}
	k := w.fresh("k")
	if id, ok := n.Key.(*ast.Ident); ok && id.Name != "_" {
		k = id.Name
		if p := w.loops[n]; p != nil && p.rename[id.Obj] != "" {
			k = p.rename[id.Obj]
		}
	}
	lim := w.fresh("n")
	xs, xe := w.off(n.X.Pos()), w.off(n.X.End())
	w.t.edits = append(w.t.edits, edit{pos: w.off(n.For), end: w.off(n.Body.Lbrace), parts: []part{
		lit("for " + k + ", " + lim + " := ("), sub(xs, xe), lit(")-("), sub(xs, xe), lit("), "), sub(xs, xe),
		lit("; " + k + " < " + lim + "; " + k + "++ "),
	}})
}

// labeled fixes `break L` out of a select inside the loop L, which hangs in
// yaegi: it becomes a goto to a label just after the loop.
func (w *walker) labeled(ls *ast.LabeledStmt) {
	var body *ast.BlockStmt
	switch s := ls.Stmt.(type) {
	case *ast.ForStmt:
		body = s.Body
	case *ast.RangeStmt:
		body = s.Body
	default:
		return
	}
	target := mark + "brk" + ls.Label.Name
	used := false
	var visit func(n ast.Node, inSelect bool)
	visit = func(n ast.Node, inSelect bool) {
		ast.Inspect(n, func(m ast.Node) bool {
			switch x := m.(type) {
			case *ast.FuncLit:
				return false
			case *ast.SelectStmt:
				if !inSelect {
					visit(x.Body, true)
					return false
				}
			case *ast.BranchStmt:
				if inSelect && x.Tok == token.BREAK && x.Label != nil && x.Label.Name == ls.Label.Name && !w.branchDone[x] {
					w.t.edits = append(w.t.edits, edit{pos: w.off(x.Pos()), end: w.off(x.End()), parts: []part{lit("goto " + target)}})
					used = true
				}
			}
			return true
		})
	}
	visit(body, false)
	if used {
		w.t.edits = append(w.t.edits, edit{pos: w.off(body.Rbrace), end: w.off(body.Rbrace) + 1, parts: []part{lit("}; " + target + ": ;")}})
	}
}

// goStmt rewrites `go f(x, y)` into
//
//	ǂ.Go(func() func() { ǂg1 := x; ǂg2 := y; return func() { f(ǂg1, ǂg2) } }())
//
// so the arguments (and a method value's receiver) are evaluated at the go
// statement, as Go does, and the goroutine belongs to the cell and has its
// panics recovered. The temporaries live in a frame of their own: yaegi
// gives a function literal passed to compiled code (ǂ.Go) the frame it is
// created in, which a loop reuses, so in a plain block every goroutine a
// loop started would see the last iteration's arguments.
func (w *walker) goStmt(g *ast.GoStmt) {
	call := g.Call
	var parts []part
	parts = append(parts, lit(mark+".GoAt("+strconv.Quote(w.site(g.Pos()))+", func() func() { "))
	if fl, ok := call.Fun.(*ast.FuncLit); ok && len(call.Args) == 0 && fl.Type.Params.NumFields() == 0 && fl.Type.Results.NumFields() == 0 {
		// go func() { ... }(): the literal is the goroutine's function
		// itself, not called from another: one interpreted call less
		// for each goroutine, which is some eight frames less of stack
		// to start and to unwind when an interrupt ends it.
		parts = append(parts, lit("return "), sub(w.off(fl.Pos()), w.off(fl.End())), lit(" }())"))
		w.t.edits = append(w.t.edits, edit{pos: w.off(g.Pos()), end: w.off(g.End()), parts: parts})
		ast.Inspect(call, w.visit)
		return
	}
	fn := []part{sub(w.off(call.Fun.Pos()), w.off(call.Fun.End()))}
	switch f := call.Fun.(type) {
	case *ast.FuncLit, *ast.Ident:
	case *ast.SelectorExpr:
		if id, ok := f.X.(*ast.Ident); !(ok && id.Obj == nil && !w.known(id.Name) && !w.defined[id.Name]) {
			name := w.fresh("gf")
			parts = append(parts, lit(name+" := "), sub(w.off(f.Pos()), w.off(f.End())), lit("; "))
			fn = []part{lit(name)}
		}
	default:
		name := w.fresh("gf")
		parts = append(parts, lit(name+" := "), sub(w.off(f.Pos()), w.off(f.End())), lit("; "))
		fn = []part{lit(name)}
	}
	var args []part
	for i, a := range call.Args {
		if i > 0 {
			args = append(args, lit(", "))
		}
		bind := true
		switch x := a.(type) {
		case *ast.BasicLit, *ast.FuncLit:
			bind = false
		case *ast.Ident:
			bind = !(x.Obj == nil && (x.Name == "nil" || x.Name == "true" || x.Name == "false"))
		case *ast.UnaryExpr:
			_, isLit := x.X.(*ast.BasicLit)
			bind = !isLit
		}
		if !bind {
			args = append(args, sub(w.off(a.Pos()), w.off(a.End())))
			continue
		}
		name := w.fresh("g")
		parts = append(parts, lit(name+" := "), sub(w.off(a.Pos()), w.off(a.End())), lit("; "))
		args = append(args, lit(name))
	}
	if call.Ellipsis.IsValid() {
		args = append(args, lit("..."))
	}
	parts = append(parts, lit("return func() { "))
	parts = append(parts, fn...)
	parts = append(parts, lit("("))
	parts = append(parts, args...)
	parts = append(parts, lit(") } }())"))
	w.t.edits = append(w.t.edits, edit{pos: w.off(g.Pos()), end: w.off(g.End()), parts: parts})
	// The call's own parts still need their instrumentation.
	ast.Inspect(call, w.visit)
}
