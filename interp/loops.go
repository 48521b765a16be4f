package interp

import (
	"fmt"
	"go/ast"
	"go/token"
	"strings"
)

// Loops whose closures capture per-iteration variables.
//
// yaegi keeps a function's variables in one frame, reused by every
// iteration of a loop. Closures it makes for interpreted code copy the
// frame when they are created, but a function literal handed straight to
// compiled code (time.AfterFunc(d, func() {...}), and ǂ.Go, which every go
// statement becomes) is wrapped with the frame itself, so it reads each
// variable's last value when it runs. Go 1.22 gives each iteration its own
// loop variables, and every Go version gives each iteration its own copies
// of the variables declared in the body.
//
// When a function literal in a loop body captures a loop variable or a
// variable declared in the body, the body runs in a function literal of
// its own, called once per iteration, so each iteration has a fresh
// frame:
//
//	for ǂlv1 := 0; ǂlv1 < n; ǂlv1++ { ǂ.Tick(); ǂc2 := func() int { i := ǂlv1; defer func() { ǂlv1 = i }(); _ = i;
//		... body, with break → return 1, continue → return 2, return x → { ǂr3 = x; return 3 } ...
//	return 0 }(); if ǂc2 == 1 { break }; if ǂc2 == 2 { continue }; if ǂc2 == 3 { return ǂr3 } }
//
// The copy back (defer) is there only when the body assigns the loop
// variable of a three-clause loop, so the assignment reaches the next
// iteration as in Go. Branches to labels outside the body get codes of
// their own. A body that uses goto or defer (whose meaning the literal
// would change) is left alone, with a warning naming the workaround.

// A loopPlan says how a loop is rewritten; nil means only a Tick.
type loopPlan struct {
	vars     []*ast.Ident            // captured header variables, in order
	rename   map[*ast.Object]string  // header variable -> its name in the header
	copyBack map[*ast.Object]bool    // the body assigns it (three-clause loops)
	branches map[*ast.BranchStmt]int // branch -> exit code
	dispatch []string                // exit code k+1 -> the statement run after the call
	returns  []*ast.ReturnStmt
	results  []resultVar // temporaries for the enclosing func's results
	warn     string      // not rewritten: why
}

type resultVar struct {
	name string
	typ  ast.Expr
}

const (
	exitBreak    = 1
	exitContinue = 2
)

// planLoops finds, before instrumenting, the loops whose bodies must run
// in a function literal (see above), so that the other rewrites (labeled
// breaks, range over int) know about them.
func (w *walker) planLoops() {
	w.loops = map[ast.Stmt]*loopPlan{}
	w.branchDone = map[*ast.BranchStmt]bool{}
	var stack []ast.Node
	ast.Inspect(w.f, func(n ast.Node) bool {
		if n == nil {
			stack = stack[:len(stack)-1]
			return true
		}
		switch x := n.(type) {
		case *ast.ForStmt, *ast.RangeStmt:
			label := ""
			if len(stack) > 0 {
				if ls, ok := stack[len(stack)-1].(*ast.LabeledStmt); ok {
					label = ls.Label.Name
				}
			}
			var ft *ast.FuncType
			for i := len(stack) - 1; i >= 0 && ft == nil; i-- {
				switch f := stack[i].(type) {
				case *ast.FuncLit:
					ft = f.Type
				case *ast.FuncDecl:
					ft = f.Type
				}
			}
			if p := w.planLoop(x.(ast.Stmt), label, ft); p != nil {
				w.loops[x.(ast.Stmt)] = p
				for b := range p.branches {
					w.branchDone[b] = true
				}
			}
		}
		stack = append(stack, n)
		return true
	})
}

func (w *walker) planLoop(n ast.Stmt, label string, ft *ast.FuncType) *loopPlan {
	var body *ast.BlockStmt
	var header []*ast.Ident
	isFor := false
	switch x := n.(type) {
	case *ast.ForStmt:
		body, isFor = x.Body, true
		if as, ok := x.Init.(*ast.AssignStmt); ok && as.Tok == token.DEFINE {
			for _, l := range as.Lhs {
				if id, ok := l.(*ast.Ident); ok && id.Name != "_" && id.Obj != nil {
					header = append(header, id)
				}
			}
		}
	case *ast.RangeStmt:
		body = x.Body
		if x.Tok == token.DEFINE {
			for _, e := range []ast.Expr{x.Key, x.Value} {
				if id, ok := e.(*ast.Ident); ok && id.Name != "_" && id.Obj != nil {
					header = append(header, id)
				}
			}
		}
	}
	// Variables the body declares, outside nested loops (theirs) and
	// function literals (fresh per call already).
	own := map[*ast.Object]bool{}
	for _, id := range header {
		own[id.Obj] = true
	}
	ast.Inspect(body, func(m ast.Node) bool {
		switch x := m.(type) {
		case *ast.FuncLit, *ast.ForStmt, *ast.RangeStmt:
			return false
		case *ast.AssignStmt:
			if x.Tok == token.DEFINE {
				for _, l := range x.Lhs {
					if id, ok := l.(*ast.Ident); ok && id.Obj != nil && id.Obj.Kind == ast.Var {
						own[id.Obj] = true
					}
				}
			}
		case *ast.ValueSpec:
			for _, id := range x.Names {
				if id.Obj != nil && id.Obj.Kind == ast.Var {
					own[id.Obj] = true
				}
			}
		}
		return true
	})
	captured := map[*ast.Object]bool{}
	ast.Inspect(body, func(m ast.Node) bool {
		switch x := m.(type) {
		case *ast.FuncLit:
			ast.Inspect(x.Body, func(k ast.Node) bool {
				if id, ok := k.(*ast.Ident); ok && id.Obj != nil && own[id.Obj] {
					captured[id.Obj] = true
				}
				return true
			})
			return false
		case *ast.UnaryExpr:
			// &i of a loop variable: each iteration's own (body variables
			// get fresh storage from yaegi already).
			if id, ok := x.X.(*ast.Ident); ok && x.Op == token.AND && id.Obj != nil {
				for _, h := range header {
					if h.Obj == id.Obj {
						captured[id.Obj] = true
					}
				}
			}
		}
		return true
	})
	if len(captured) == 0 {
		return nil
	}
	p := &loopPlan{rename: map[*ast.Object]string{}, copyBack: map[*ast.Object]bool{}, branches: map[*ast.BranchStmt]int{}}
	for _, h := range header {
		if captured[h.Obj] {
			p.vars = append(p.vars, h)
			p.rename[h.Obj] = w.fresh("lv")
		}
	}
	var first *ast.Object
	for o := range captured {
		if first == nil || o.Pos() < first.Pos() {
			first = o
		}
	}
	// Exits: branches and returns that leave the body.
	inner := map[string]bool{} // labels declared inside the body
	ast.Inspect(body, func(m ast.Node) bool {
		switch x := m.(type) {
		case *ast.FuncLit:
			return false
		case *ast.LabeledStmt:
			inner[x.Label.Name] = true
		}
		return true
	})
	codes := map[string]int{}
	exit := func(stmt string) int {
		if k, ok := codes[stmt]; ok {
			return k
		}
		p.dispatch = append(p.dispatch, stmt)
		codes[stmt] = len(p.dispatch)
		return len(p.dispatch)
	}
	var walk func(m ast.Node, inBreakable, inLoop bool)
	walk = func(m ast.Node, inBreakable, inLoop bool) {
		ast.Inspect(m, func(k ast.Node) bool {
			if p.warn != "" {
				return false
			}
			switch x := k.(type) {
			case *ast.FuncLit:
				return false
			case *ast.ForStmt, *ast.RangeStmt:
				if k != m {
					walk(k, true, true)
					return false
				}
			case *ast.SwitchStmt, *ast.TypeSwitchStmt, *ast.SelectStmt:
				if k != m {
					walk(k, true, inLoop)
					return false
				}
			case *ast.DeferStmt:
				p.warn = "it uses defer, which would run at the end of each iteration"
			case *ast.ReturnStmt:
				p.returns = append(p.returns, x)
			case *ast.BranchStmt:
				switch x.Tok {
				case token.GOTO:
					p.warn = "it uses goto"
				case token.BREAK, token.CONTINUE:
					var stmt string
					switch {
					case x.Label == nil && x.Tok == token.BREAK && !inBreakable,
						x.Label == nil && x.Tok == token.CONTINUE && !inLoop,
						x.Label != nil && x.Label.Name == label:
						stmt = x.Tok.String()
					case x.Label != nil && !inner[x.Label.Name]:
						stmt = x.Tok.String() + " " + x.Label.Name
					default:
						return true
					}
					p.branches[x] = exit(stmt)
				}
			}
			return true
		})
	}
	// Codes 1 and 2 are break and continue of this loop.
	exit("break")
	exit("continue")
	walk(body, false, false)
	if p.warn != "" || (len(p.returns) > 0 && ft == nil) {
		l, _ := w.t.cell.lineCol(w.t.cell.cellOffset(w.off(n.Pos())))
		w.plan.warnings = append(w.plan.warnings, fmt.Sprintf(
			"line %d: a closure captures %s, declared in the loop, but the loop cannot be given one copy per iteration (%s); "+
				"under yaegi a closure passed to compiled code or a go statement may then see its last value. Pass it as an argument: func(%s T) {...}(%s)",
			l, first.Name, p.warn, first.Name, first.Name))
		return nil
	}
	if len(p.returns) > 0 {
		bare, valued := false, false
		for _, r := range p.returns {
			if len(r.Results) == 0 {
				bare = true
			} else {
				valued = true
			}
		}
		if valued && ft.Results != nil {
			var names []string
			for _, f := range ft.Results.List {
				n := max(1, len(f.Names))
				for i := 0; i < n; i++ {
					v := resultVar{name: w.fresh("r"), typ: f.Type}
					p.results = append(p.results, v)
					names = append(names, v.name)
				}
			}
			exit("return " + strings.Join(names, ", "))
		}
		if bare {
			exit("return")
		}
	}
	// Three-clause loops carry the body's assignments to the next iteration.
	if isFor {
		ast.Inspect(body, func(m ast.Node) bool {
			var lhs []ast.Expr
			switch x := m.(type) {
			case *ast.AssignStmt:
				if x.Tok != token.DEFINE {
					lhs = x.Lhs
				}
			case *ast.IncDecStmt:
				lhs = []ast.Expr{x.X}
			case *ast.UnaryExpr:
				if x.Op == token.AND {
					lhs = []ast.Expr{x.X}
				}
			}
			for _, l := range lhs {
				if id, ok := l.(*ast.Ident); ok && id.Obj != nil && p.rename[id.Obj] != "" {
					p.copyBack[id.Obj] = true
				}
			}
			return true
		})
	}
	return p
}

// loop instruments a for or range statement: a Tick at the back edge and,
// when planned, the body in a function literal (see planLoops).
func (w *walker) loop(n ast.Stmt, body *ast.BlockStmt) {
	p := w.loops[n]
	if p == nil {
		w.tick(body.Lbrace)
		return
	}
	// Rename the captured variables in the loop header.
	for _, v := range p.vars {
		nn := p.rename[v.Obj]
		ast.Inspect(n, func(x ast.Node) bool {
			if x == body {
				return false
			}
			if id, ok := x.(*ast.Ident); ok && id.Obj == v.Obj {
				w.t.edits = append(w.t.edits, edit{pos: w.off(id.Pos()), end: w.off(id.End()), parts: []part{lit(nn)}})
			}
			return true
		})
	}
	used := map[int]bool{}
	for _, k := range p.branches {
		used[k] = true
	}
	bare, valued := 0, 0 // the exit codes of return and return ǂr...
	for k, stmt := range p.dispatch {
		if stmt == "return" {
			bare = k + 1
		} else if strings.HasPrefix(stmt, "return ") {
			valued = k + 1
		}
	}
	for _, r := range p.returns {
		if len(r.Results) == 0 {
			used[bare] = true
		} else {
			used[valued] = true
		}
	}
	code := w.fresh("c")
	var head []part
	head = append(head, lit(" "+mark+".Tick(); "))
	for _, r := range p.results {
		head = append(head, lit("var "+r.name+" "), sub(w.off(r.typ.Pos()), w.off(r.typ.End())), lit("; "))
	}
	tail := " }(); "
	if len(used) > 0 {
		head = append(head, lit(code+" := func() int { "))
		tail = "; return 0 }()"
		for k, stmt := range p.dispatch {
			if used[k+1] {
				tail += fmt.Sprintf("; if %s == %d { %s }", code, k+1, stmt)
			}
		}
		tail += "; "
	} else {
		head = append(head, lit("func() { "))
	}
	for _, v := range p.vars {
		nn := p.rename[v.Obj]
		head = append(head, lit(v.Name+" := "+nn+"; "))
		if p.copyBack[v.Obj] {
			head = append(head, lit("defer func() { "+nn+" = "+v.Name+" }(); "))
		}
		head = append(head, lit("_ = "+v.Name+"; "))
	}
	w.t.edits = append(w.t.edits, edit{pos: w.off(body.Lbrace) + 1, end: w.off(body.Lbrace) + 1, parts: head})
	w.t.edits = append(w.t.edits, insert(w.off(body.Rbrace), tail))
	for b, k := range p.branches {
		w.t.edits = append(w.t.edits, edit{pos: w.off(b.Pos()), end: w.off(b.End()), parts: []part{lit(fmt.Sprintf("return %d", k))}})
	}
	for _, r := range p.returns {
		if len(r.Results) == 0 {
			w.t.edits = append(w.t.edits, edit{pos: w.off(r.Pos()), end: w.off(r.End()), parts: []part{lit(fmt.Sprintf("return %d", bare))}})
			continue
		}
		// One assignment per result: yaegi gets a, b = f(), x wrong (b
		// stays zero). Each result is evaluated before the next as in a
		// return statement; the temporaries appear in none of them.
		parts := []part{lit("{ ")}
		if len(r.Results) == len(p.results) {
			for i, e := range r.Results {
				parts = append(parts, lit(p.results[i].name+" = "), sub(w.off(e.Pos()), w.off(e.End())), lit("; "))
			}
		} else { // return f(), f with several results
			var names []string
			for _, v := range p.results {
				names = append(names, v.name)
			}
			parts = append(parts, lit(strings.Join(names, ", ")+" = "), sub(w.off(r.Results[0].Pos()), w.off(r.Results[0].End())), lit("; "))
		}
		parts = append(parts, lit(fmt.Sprintf("return %d }", valued)))
		w.t.edits = append(w.t.edits, edit{pos: w.off(r.Pos()), end: w.off(r.End()), parts: parts})
	}
}
