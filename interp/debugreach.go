package interp

import (
	"go/ast"
	"go/token"
	"strings"
)

// Which files must run under yaegi's debugger.
//
// yaegi's Debug makes interpreted code some 80 times slower (its debug loop
// walks the code's tree whenever a step is not a plain successor, as at
// every loop's back edge), so a file runs under it only when running it can
// reach a breakpoint: the file contains a breakpoint line, or it mentions,
// directly or through other declarations, a declaration whose source holds
// one. The reach is a graph over the notebook's top-level names as yaegi
// knows them (internal names, fǂ2), built from every file compiled while
// the debugger is on, and when it is turned on from the files the session
// still has (Session.reachGraph; variables made before then count as
// dynamic, below):
//
//   - a func, method, type, const or var declaration mentions the names in
//     it; a selector x.M mentions every method named M (the receiver's type
//     is not known here: interfaces included); a type reaches its methods
//     (compiled code calls them: fmt calls String);
//   - a global variable also reaches what any code stores in it: the names
//     in every top-level statement that assigns it (x = ..., x.f = ...,
//     x[i] = ..., x <- ..., x.M(...)), with the func literals there (a
//     breakpoint in one taints the variable). Code inside a function that
//     stores into a global makes the variable dynamic: it may hold a value
//     of unknown origin (a parameter's);
//   - code that calls a func value of unknown origin (a local, the result
//     of a call or an index; a field's func is reached through what was
//     stored in the variable), or reaches a dynamic variable, is
//     dynamic: it may call any code that escapes as a value, so it runs
//     under the debugger when a breakpoint is in such code: a func literal,
//     a method, a func used as a value, or what they reach.
//
// This errs towards the debugger: names are matched as words (a local that
// shadows a global counts as the global), and what compiled code keeps
// (a registry of callbacks) is reached only through the dynamic rule.

// A lineSpan is a range of yaegi lines (id*lineBase + line).
type lineSpan struct{ lo, hi int }

func (s lineSpan) contains(l int) bool { return s.lo <= l && l <= s.hi }

type reachKind byte

const (
	reachFunc reachKind = iota + 1
	reachMethod
	reachType
	reachConst
	reachVar
)

// A reachNode is one top-level name.
type reachNode struct {
	kind      reachKind
	refs      map[string]bool // names it mentions; ".M" for a selector M
	spans     []lineSpan      // its source (a var: the func literals stored in it)
	dynamic   bool            // calls a func value of unknown origin, or (a var) holds one
	valueUsed bool            // a func used as a value somewhere
}

// A reachFile is what a compiled file itself needs checked.
type reachFile struct {
	id      int
	span    lineSpan
	refs    map[string]bool
	dynamic bool
	lits    []lineSpan // its func literals
}

// reachGraph is the notebook's reach graph. It is changed and read under
// the session's state lock (while a file is compiled and before it runs).
type reachGraph struct {
	nodes    map[string]*reachNode
	byMethod map[string]map[string]bool // method name -> "T.M" keys
	ofType   map[string]map[string]bool // type -> "T.M" keys
	lits     map[int][]lineSpan         // file id -> its func literals (while its positions are kept)
	litRefs  map[string]bool            // names mentioned in any func literal ever made
	pruned   int
	// unknownVars: the graph was built when the debugger was turned on,
	// from the files the session still had; a variable it has no node for
	// holds values of unknown origin.
	unknownVars bool
}

func newReachGraph() *reachGraph {
	return &reachGraph{
		nodes:    map[string]*reachNode{},
		byMethod: map[string]map[string]bool{},
		ofType:   map[string]map[string]bool{},
		lits:     map[int][]lineSpan{},
		litRefs:  map[string]bool{},
	}
}

func (g *reachGraph) node(name string, k reachKind) *reachNode {
	n := g.nodes[name]
	if n == nil {
		n = &reachNode{kind: k, refs: map[string]bool{}}
		g.nodes[name] = n
	} else if k != 0 {
		n.kind = k
	}
	return n
}

// goBuiltins are the predeclared funcs and types, never dynamic callees.
var goBuiltins = map[string]bool{
	"append": true, "cap": true, "clear": true, "close": true, "complex": true, "copy": true, "delete": true,
	"imag": true, "len": true, "make": true, "max": true, "min": true, "new": true, "panic": true,
	"print": true, "println": true, "real": true, "recover": true,
	"bool": true, "byte": true, "complex64": true, "complex128": true, "error": true, "float32": true,
	"float64": true, "int": true, "int8": true, "int16": true, "int32": true, "int64": true, "rune": true,
	"string": true, "uint": true, "uint8": true, "uint16": true, "uint32": true, "uint64": true,
	"uintptr": true, "any": true,
}

// add records a compiled file (f parsed in fset, yaegi file id) and returns
// what it itself needs checked. isVar reports a global variable's internal
// name; isPkg an imported package's name. block: f's last func's body runs
// in the global scope (its := declare globals).
func (g *reachGraph) add(fset *token.FileSet, f *ast.File, id int, block bool, isVar, isPkg func(string) bool) *reachFile {
	line := func(p token.Pos) int { return fset.Position(p).Line }
	span := func(n ast.Node) lineSpan { return lineSpan{line(n.Pos()), line(n.End())} }
	rf := &reachFile{id: id, span: lineSpan{id*lineBase + 1, id*lineBase + lineBase - 1}, refs: map[string]bool{}}
	// Names declared here, so that calls of them count as known.
	vars := map[string]bool{}
	for i, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv == nil && d.Name.Name != "init" && d.Name.Name != "main" {
				g.node(d.Name.Name, reachFunc)
			}
			if block && i == len(f.Decls)-1 && d.Body != nil {
				for _, st := range d.Body.List {
					if as, ok := st.(*ast.AssignStmt); ok && as.Tok == token.DEFINE {
						for _, l := range as.Lhs {
							if id, ok := l.(*ast.Ident); ok && id.Name != "_" {
								vars[id.Name] = true
								g.node(id.Name, reachVar)
							}
						}
					}
				}
			}
		case *ast.GenDecl:
			for _, sp := range d.Specs {
				switch sp := sp.(type) {
				case *ast.TypeSpec:
					g.node(sp.Name.Name, reachType)
				case *ast.ValueSpec:
					for _, n := range sp.Names {
						if d.Tok == token.VAR {
							vars[n.Name] = true
							g.node(n.Name, reachVar)
						} else {
							g.node(n.Name, reachConst)
						}
					}
				}
			}
		}
	}
	global := func(n string) bool { return vars[n] || isVar(n) }
	known := func(n string) bool { return g.nodes[n] != nil || goBuiltins[n] || isPkg(n) || n == mark }

	// scan collects the names n mentions into refs, marks the funcs it
	// uses as values, and reports whether it calls a func value of unknown
	// origin. inFunc: n is inside a function body.
	quiet := false // scanning a func's value companion
	var scan func(n ast.Node, refs map[string]bool, inFunc bool, lits *[]lineSpan) bool
	scan = func(n ast.Node, refs map[string]bool, inFunc bool, lits *[]lineSpan) bool {
		dyn := false
		callees := map[*ast.Ident]bool{}
		var visit func(x ast.Node) bool
		visit = func(x ast.Node) bool {
			switch x := x.(type) {
			case *ast.FuncLit:
				if lits != nil {
					*lits = append(*lits, span(x))
				}
				lr := map[string]bool{}
				if scan(x.Body, lr, true, nil) {
					dyn = true
				}
				for k := range lr {
					refs[k] = true
					g.litRefs[k] = true
				}
				for _, fl := range x.Type.Params.List {
					ast.Inspect(fl.Type, func(y ast.Node) bool {
						if id, ok := y.(*ast.Ident); ok {
							refs[id.Name] = true
						}
						return true
					})
				}
				return false
			case *ast.SelectorExpr:
				refs["."+x.Sel.Name] = true
				ast.Inspect(x.X, visit)
				return false
			case *ast.Ident:
				refs[x.Name] = true
				if !callees[x] && !quiet {
					g.usedAsValue(x.Name)
				}
			case *ast.CallExpr:
				fun := ast.Unparen(x.Fun)
				switch fn := fun.(type) {
				case *ast.Ident:
					callees[fn] = true
					if !known(fn.Name) {
						dyn = true // a local func value
					}
				case *ast.SelectorExpr:
				case *ast.IndexExpr:
					if id, ok := fn.X.(*ast.Ident); ok && g.nodes[id.Name] != nil && g.nodes[id.Name].kind == reachFunc {
						callees[id] = true // a generic func's instance
					} else {
						dyn = true
					}
				case *ast.IndexListExpr:
					if id, ok := fn.X.(*ast.Ident); ok {
						callees[id] = true
					}
				case *ast.FuncLit, *ast.ArrayType, *ast.MapType, *ast.ChanType, *ast.FuncType,
					*ast.InterfaceType, *ast.StructType, *ast.StarExpr:
				default:
					dyn = true
				}
			case *ast.AssignStmt:
				for _, l := range x.Lhs {
					if inFunc && x.Tok == token.DEFINE {
						break // locals
					}
					if r := rootIdent(l); r != nil && global(r.Name) {
						v := g.node(r.Name, reachVar)
						if inFunc {
							v.dynamic = true
							for _, rhs := range x.Rhs {
								scan(rhs, v.refs, true, nil)
							}
						}
					}
				}
			case *ast.SendStmt:
				if r := rootIdent(x.Chan); r != nil && global(r.Name) && inFunc {
					v := g.node(r.Name, reachVar)
					v.dynamic = true
					scan(x.Value, v.refs, true, nil)
				}
			}
			return true
		}
		ast.Inspect(n, visit)
		return dyn
	}

	for i, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			run := d.Recv == nil && (d.Name.Name == "init" || d.Name.Name == "main")
			if run || (block && i == len(f.Decls)-1) {
				if d.Body == nil {
					continue
				}
				// Code that runs now: each top-level statement stores
				// what it mentions into the globals it assigns.
				for _, st := range d.Body.List {
					refs := map[string]bool{}
					var lits []lineSpan
					if scan(st, refs, false, &lits) {
						rf.dynamic = true
					}
					for k := range refs {
						rf.refs[k] = true
					}
					rf.lits = append(rf.lits, lits...)
					for _, v := range storedGlobals(st, global) {
						n := g.node(v, reachVar)
						for k := range refs {
							if k != v {
								n.refs[k] = true
							}
						}
						n.spans = append(n.spans, lits...)
					}
				}
				continue
			}
			key := d.Name.Name
			k := reachFunc
			if d.Recv != nil && len(d.Recv.List) > 0 {
				t := recvType(d.Recv)
				key, k = t+"."+d.Name.Name, reachMethod
				addSet(g.byMethod, d.Name.Name, key)
				addSet(g.ofType, t, key)
			}
			n := g.node(key, k)
			n.refs, n.spans = map[string]bool{}, []lineSpan{span(d)}
			var lits []lineSpan
			n.dynamic = scan(d, n.refs, true, &lits)
			delete(n.refs, d.Name.Name) // (its own name; recursion)
			rf.lits = append(rf.lits, lits...)
			for r := range n.refs {
				rf.refs[r] = true
			}
		case *ast.GenDecl:
			for _, sp := range d.Specs {
				switch sp := sp.(type) {
				case *ast.TypeSpec:
					n := g.node(sp.Name.Name, reachType)
					n.refs, n.spans = map[string]bool{}, []lineSpan{span(sp)}
					scan(sp.Type, n.refs, false, nil)
				case *ast.ValueSpec:
					refs := map[string]bool{}
					var lits []lineSpan
					dyn := false
					quiet = len(sp.Names) == 1 && strings.HasSuffix(sp.Names[0].Name, companionSuffix)
					if sp.Type != nil {
						scan(sp.Type, refs, false, nil)
					}
					for _, v := range sp.Values {
						if scan(v, refs, false, &lits) {
							dyn = true
						}
					}
					quiet = false
					for _, name := range sp.Names {
						n := g.node(name.Name, 0)
						for k := range refs {
							if k != name.Name {
								n.refs[k] = true
							}
						}
						n.spans = append(n.spans, lits...)
						n.dynamic = n.dynamic || dyn
					}
					rf.lits = append(rf.lits, lits...)
					for k := range refs {
						rf.refs[k] = true
					}
					rf.dynamic = rf.dynamic || dyn
				}
			}
		}
	}
	if len(rf.lits) > 0 {
		g.lits[id] = rf.lits
	} else {
		delete(g.lits, id)
	}
	return rf
}

// usedAsValue notes a mention of name not in a call: a func (or its value
// companion) that may be called from anywhere.
func (g *reachGraph) usedAsValue(name string) {
	if base, ok := strings.CutSuffix(name, companionSuffix); ok {
		if n := g.nodes[base]; n != nil {
			n.valueUsed = true
		}
		return
	}
	if n := g.nodes[name]; n != nil && n.kind == reachFunc {
		n.valueUsed = true
	}
}

func addSet(m map[string]map[string]bool, k, v string) {
	if m[k] == nil {
		m[k] = map[string]bool{}
	}
	m[k][v] = true
}

// rootIdent is the variable an assignment target or a method call's
// receiver is part of: x for x, x.f, x[i], *x, (x).
func rootIdent(e ast.Expr) *ast.Ident {
	for {
		switch x := e.(type) {
		case *ast.Ident:
			return x
		case *ast.SelectorExpr:
			e = x.X
		case *ast.IndexExpr:
			e = x.X
		case *ast.StarExpr:
			e = x.X
		case *ast.ParenExpr:
			e = x.X
		default:
			return nil
		}
	}
}

// storedGlobals lists the globals a top-level statement may store into:
// assigned, sent to, or the receiver of a method call (x.Add(f) may keep f).
func storedGlobals(st ast.Stmt, global func(string) bool) []string {
	seen := map[string]bool{}
	var out []string
	add := func(e ast.Expr) {
		if r := rootIdent(e); r != nil && global(r.Name) && !seen[r.Name] {
			seen[r.Name] = true
			out = append(out, r.Name)
		}
	}
	ast.Inspect(st, func(x ast.Node) bool {
		switch x := x.(type) {
		case *ast.FuncLit:
			return false
		case *ast.AssignStmt:
			for _, l := range x.Lhs {
				add(l)
			}
		case *ast.SendStmt:
			add(x.Chan)
		case *ast.CallExpr:
			if sel, ok := ast.Unparen(x.Fun).(*ast.SelectorExpr); ok {
				add(sel.X)
			}
		case *ast.RangeStmt:
			if x.Key != nil {
				add(x.Key)
			}
			if x.Value != nil {
				add(x.Value)
			}
		}
		return true
	})
	return out
}

// needs reports whether file rf must run under the debugger, given
// bpIn, which reports whether a span holds a breakpoint line.
func (g *reachGraph) needs(rf *reachFile, bpIn func(lineSpan) bool, isVar func(string) bool) bool {
	if bpIn(rf.span) {
		return true
	}
	// tainted: the names whose code holds a breakpoint or reaches one.
	seeds := map[string]bool{}
	for name, n := range g.nodes {
		for _, sp := range n.spans {
			if bpIn(sp) {
				seeds[name] = true
				break
			}
		}
	}
	litBp := false
	for _, spans := range g.lits {
		for _, sp := range spans {
			if bpIn(sp) {
				litBp = true
			}
		}
	}
	if len(seeds) == 0 && !litBp {
		return false
	}
	// walk visits what refs reach; it reports whether a seed is among them
	// and whether any of them is dynamic.
	walk := func(refs map[string]bool) (hit, dyn bool) {
		seen := map[string]bool{}
		var stack []string
		push := func(k string) {
			if !seen[k] {
				seen[k] = true
				stack = append(stack, k)
			}
		}
		for k := range refs {
			push(k)
		}
		for len(stack) > 0 {
			k := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if m, ok := strings.CutPrefix(k, "."); ok {
				for key := range g.byMethod[m] {
					push(key)
				}
				continue
			}
			n := g.nodes[k]
			if n == nil {
				if g.unknownVars && isVar(k) {
					dyn = true
				}
				continue
			}
			if seeds[k] {
				hit = true
			}
			if n.dynamic {
				dyn = true
			}
			for r := range n.refs {
				push(r)
			}
			if n.kind == reachType {
				for key := range g.ofType[k] {
					push(key)
				}
			}
		}
		return hit, dyn
	}
	hit, dyn := walk(rf.refs)
	if hit {
		return true
	}
	if !dyn && !rf.dynamic {
		return false
	}
	if litBp {
		return true
	}
	// What a func value of unknown origin may be: a func literal (what
	// they mention), a method, a func used as a value.
	escaping := map[string]bool{}
	for k := range g.litRefs {
		escaping[k] = true
	}
	for name, n := range g.nodes {
		if n.kind == reachMethod || n.valueUsed {
			escaping[name] = true
		}
	}
	hit, _ = walk(escaping)
	return hit
}

// prune forgets the func literals of files whose positions are gone (no
// breakpoint can be set in them any more).
func (g *reachGraph) prune(alive func(id int) bool) {
	if len(g.lits) <= g.pruned+64 {
		return
	}
	for id := range g.lits {
		if !alive(id) {
			delete(g.lits, id)
		}
	}
	g.pruned = len(g.lits)
}
