package interp

import (
	"fmt"
	"go/ast"
	"go/token"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/gokernel/gokernel/interp/rt"
	cellsync "github.com/gokernel/gokernel/interp/rt/sync"
	"github.com/gokernel/gokernel/kernel/mime"
	yaegi "github.com/traefik/yaegi/interp"
)

// Blocking operations in cells.
//
// The walker rewrites every channel operation of a cell so that, when it
// would block, it waits in package rt: interruptibly, registered (for the
// deadlock report and goleak) and with the emulated GIL released. rt's
// wait.go shows the shapes. Each rewritten operation carries a constant
// naming it as the notebook shows it: "In[4] line 3: receive on ch".
// The sync types, time's timers and net's blocking calls are replaced for
// cells by look-alikes with the same behaviour (blockingExports).

// blockingPrelude declares, after the session's prelude (which imports
// the runtime as ǂ), the generic helpers the rewrites call. ǂrv keeps the
// channel's type as written (see rt.Recv); ǂsb gives the empty channel of
// ch's type a send first fills (see rt.SendBox).
const blockingPrelude = `
func ` + mark + `rv[C any](c C, what string) C { return ` + mark + `.Recv(c, what).(C) }

func ` + mark + `sb[C any](c C) C { return ` + mark + `.SendBox(c).(C) }
`

// blockingHost adds to the cells' runtime package (ǂ) what the rewrites
// call.
func blockingHost() map[string]reflect.Value {
	return map[string]reflect.Value{
		"Recv":            reflect.ValueOf(rt.Recv),
		"SendBox":         reflect.ValueOf(rt.SendBox),
		"Send":            reflect.ValueOf(rt.Send),
		"SelectWait":      reflect.ValueOf(rt.SelectWait),
		"SelectWaitTimed": reflect.ValueOf(rt.SelectWaitTimed),
		"EndWait":         reflect.ValueOf(rt.EndWait),
		"StopWait":        reflect.ValueOf(rt.StopWait),
		"GoAt":            reflect.ValueOf(rt.GoAt),
		"At":              reflect.ValueOf(rt.At),
		"Enter":           reflect.ValueOf(rt.Enter),
	}
}

// blockingExports are the symbols cells get in place of the standard
// library's blocking ones, plus blockingHost. The session loads them after
// the standard library, so they replace its entries.
func blockingExports() yaegi.Exports {
	return yaegi.Exports{
		hostPath + "/cellrt": blockingHost(),
		"sync/sync": {
			"Mutex":     reflect.ValueOf((*cellsync.Mutex)(nil)),
			"RWMutex":   reflect.ValueOf((*cellsync.RWMutex)(nil)),
			"WaitGroup": reflect.ValueOf((*cellsync.WaitGroup)(nil)),
			"Cond":      reflect.ValueOf((*cellsync.Cond)(nil)),
			"NewCond":   reflect.ValueOf(cellsync.NewCond),
		},
		"time/time": {
			"After":     reflect.ValueOf(rt.After),
			"AfterFunc": reflect.ValueOf(rt.AfterFunc),
			"NewTimer":  reflect.ValueOf(rt.NewTimer),
			"NewTicker": reflect.ValueOf(rt.NewTicker),
			"Tick":      reflect.ValueOf(rt.TimeTick),
		},
		"net/net":      netExports(),
		"os/exec/exec": execExports(),
		"os/os":        pipeExports(),
	}
}

// leakGrace is how long a cell's goroutines get to finish after the cell
// before the leak note counts them.
const leakGrace = 50 * time.Millisecond

// noteLeaks shows, under a cell that ended while goroutines it started
// still run, one line saying how many and where they were started.
func noteLeaks(c *rt.Cell, out mime.Publisher) {
	if c.Running() <= 1 || out == nil { // the cell's own goroutine counts until End
		return
	}
	if note := rt.LeakNote(c, leakGrace); note != "" {
		out.Stream("stderr", note+"\n")
	}
}

// site names a position of the cell as the notebook shows it: "In[4] line 3".
func (w *walker) site(p token.Pos) string {
	line, _ := w.t.cell.lineCol(w.t.cell.cellOffset(w.off(p)))
	return fmt.Sprintf("In[%d] line %d", w.t.cell.n, line)
}

// text returns the source of x as written, on one line.
func (w *walker) text(x ast.Node) string {
	return strings.Join(strings.Fields(w.t.src[w.off(x.Pos()):w.off(x.End())]), " ")
}

// what is the quoted description of a wait at p.
func (w *walker) what(p token.Pos, op string) string {
	return strconv.Quote(w.site(p) + ": " + op)
}

// recvExpr rewrites a receive expression <-X as (<-ǂrv(X, "what")). The
// parentheses are needed: yaegi v0.16.1 fails on `return <-f()` ("Set
// using unaddressable value") and not on `return (<-f())`. A receive
// statement stays unparenthesized.
//
// yaegi cannot instantiate a generic function in a declaration of its
// global scope ("nil reflect type"), where a cell's top-level x := ...
// statements run; there the receive waits in a func literal first:
//
//	ǂq4_1 := X; func() { ǂq4_1 = ǂrv(ǂq4_1, "what") }(); v := <-ǂq4_1
func (w *walker) recvExpr(u *ast.UnaryExpr) {
	what := w.what(u.Pos(), "receive on "+w.text(u.X))
	xs, xe := w.off(u.X.Pos()), w.off(u.X.End())
	if st := w.globalRecv[u]; st != nil {
		w.tmp++
		q := fmt.Sprintf("%sq%d_%d", mark, w.t.cell.n, w.tmp)
		w.t.edits = append(w.t.edits, edit{pos: w.off(st.Pos()), end: w.off(st.Pos()), parts: []part{
			lit(q + " := "), sub(xs, xe),
			lit("; func() { " + q + " = " + mark + "rv(" + q + ", " + what + ") }(); "),
		}})
		recv := "(<-" + q + ")"
		if w.stmtRecv[u] {
			recv = "<-" + q
		}
		w.t.edits = append(w.t.edits, edit{pos: w.off(u.Pos()), end: w.off(u.End()), parts: []part{lit(recv)}})
		return
	}
	open, close := "(<-", ")"
	if w.stmtRecv[u] {
		open, close = "<-", ""
	}
	w.t.edits = append(w.t.edits, edit{pos: w.off(u.Pos()), end: w.off(u.End()), parts: []part{
		lit(open + mark + "rv("), sub(xs, xe), lit(", " + what + ")" + close),
	}})
}

// markRecvs notes the receives that must stay unparenthesized, the
// statements and the comma-ok forms (x, ok := <-ch), and those in the
// cell's top-level declarations (see recvExpr).
func (w *walker) markRecvs(body *ast.BlockStmt) {
	w.stmtRecv, w.globalRecv = map[*ast.UnaryExpr]bool{}, map[*ast.UnaryExpr]ast.Stmt{}
	bare := func(x ast.Expr) {
		if u, ok := x.(*ast.UnaryExpr); ok && u.Op == token.ARROW {
			w.stmtRecv[u] = true
		}
	}
	ast.Inspect(w.f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.ExprStmt:
			bare(n.X)
		case *ast.AssignStmt:
			if len(n.Lhs) == 2 && len(n.Rhs) == 1 {
				bare(n.Rhs[0])
			}
		case *ast.ValueSpec:
			if len(n.Names) == 2 && len(n.Values) == 1 {
				bare(n.Values[0])
			}
		}
		return true
	})
	if body == nil {
		return
	}
	for _, st := range body.List {
		switch s := st.(type) {
		case *ast.AssignStmt:
			if s.Tok != token.DEFINE {
				continue
			}
		case *ast.DeclStmt:
		default:
			continue
		}
		ast.Inspect(st, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncLit:
				return false
			case *ast.UnaryExpr:
				if n.Op == token.ARROW {
					w.globalRecv[n] = st
				}
			}
			return true
		})
	}
}

// sendStmt rewrites ch <- v as
//
//	{ ǂc1 := ch; ǂb1 := ǂsb(ǂc1); ǂb1 <- v; ǂ.Send(ǂc1, ǂb1, "what") }
//
// evaluating ch, then v, once each, as Go does. (A first try as written,
// select { case ch <- v: default: ... }, would be cheaper, but yaegi
// v0.16.1 keeps a select's cases in its compiled node, shared by every
// goroutine running that code: two goroutines sending at once could swap
// their values. The race detector shows it.)
func (w *walker) sendStmt(s *ast.SendStmt) {
	c, b := w.fresh("c"), w.fresh("b")
	w.t.edits = append(w.t.edits, edit{pos: w.off(s.Pos()), end: w.off(s.End()), parts: []part{
		lit("{ " + c + " := "), sub(w.off(s.Chan.Pos()), w.off(s.Chan.End())),
		lit("; " + b + " := " + mark + "sb(" + c + "); " + b + " <- "), sub(w.off(s.Value.Pos()), w.off(s.Value.End())),
		lit("; " + mark + ".Send(" + c + ", " + b + ", " + w.what(s.Pos(), "send on "+w.text(s.Chan)) + ") }"),
	}})
}

// selectStmt adds to a select without default the case that waits for an
// interrupt; it registers the wait when the select starts, and each other
// case ends the wait first. A select with a default never blocks and only
// gets the interrupt case, as before.
func (w *walker) selectStmt(n *ast.SelectStmt) {
	var ops, chans []string
	hasDefault, timed := false, false
	for _, st := range n.Body.List {
		cc := st.(*ast.CommClause)
		if cc.Comm == nil {
			hasDefault = true
			continue
		}
		var ch ast.Expr
		op := "receive on "
		switch s := cc.Comm.(type) {
		case *ast.SendStmt:
			ch, op = s.Chan, "send on "
		case *ast.ExprStmt:
			if u, ok := s.X.(*ast.UnaryExpr); ok {
				ch = u.X
			}
		case *ast.AssignStmt:
			if u, ok := s.Rhs[0].(*ast.UnaryExpr); ok {
				ch = u.X
			}
		}
		if ch == nil {
			continue
		}
		ops = append(ops, op+w.text(ch))
		if plainOperand(ch) {
			chans = append(chans, w.text(ch))
		} else {
			timed = true
		}
	}
	sep := "; "
	if len(n.Body.List) == 0 {
		sep = " "
	}
	if hasDefault {
		w.t.edits = append(w.t.edits, insert(w.off(n.Body.Rbrace), sep+"case <-"+mark+".Done(): "+mark+".Stop(); "))
		return
	}
	what := "select {}"
	if len(ops) > 0 {
		what = "select (" + strings.Join(ops, ", ") + ")"
	}
	args := w.what(n.Pos(), what)
	for _, c := range chans {
		// The operand is named again: its value is the same channel.
		args += ", " + c
	}
	for _, st := range n.Body.List {
		cc := st.(*ast.CommClause)
		w.t.edits = append(w.t.edits, insert(w.off(cc.Colon)+1, " "+mark+".EndWait();"))
	}
	wait := ".SelectWait("
	if timed {
		wait = ".SelectWaitTimed("
	}
	w.t.edits = append(w.t.edits, insert(w.off(n.Body.Rbrace), sep+"case <-"+mark+wait+args+"): "+mark+".StopWait(); "))
}

// plainOperand reports whether x can be evaluated again without side
// effects: a name or a field of one (ch, s.ch, ticker.C).
func plainOperand(x ast.Expr) bool {
	switch x := x.(type) {
	case *ast.Ident:
		return x.Name != "nil"
	case *ast.SelectorExpr:
		return plainOperand(x.X)
	case *ast.ParenExpr:
		return plainOperand(x.X)
	}
	return false
}

// rangeChan rewrites `for v := range ch {` over a channel as
//
//	for v, ǂok1 := <-ǂrv(ch, "what"); ǂok1; v, ǂok1 = <-ǂrv(ch, "what") {
//
// when the walker can tell ch is a channel (isChan) and naming it again
// has no side effects. It reports whether it did.
func (w *walker) rangeChan(n *ast.RangeStmt) bool {
	if n.Value != nil || n.Tok == token.ASSIGN || !plainOperand(n.X) || !w.isChan(n.X) {
		return false
	}
	k := "_"
	if id, ok := n.Key.(*ast.Ident); ok {
		k = id.Name
		if p := w.loops[n]; p != nil && p.rename[id.Obj] != "" {
			k = p.rename[id.Obj]
		}
	}
	ok := w.fresh("ok")
	xs, xe := w.off(n.X.Pos()), w.off(n.X.End())
	recv := []part{lit("<-" + mark + "rv("), sub(xs, xe), lit(", " + w.what(n.Pos(), "receive on "+w.text(n.X)+" (range)") + ")")}
	parts := []part{lit("for " + k + ", " + ok + " := ")}
	parts = append(parts, recv...)
	parts = append(parts, lit("; "+ok+"; "+k+", "+ok+" = "))
	parts = append(parts, recv...)
	parts = append(parts, lit(" "))
	w.t.edits = append(w.t.edits, edit{pos: w.off(n.For), end: w.off(n.Body.Lbrace), parts: parts})
	return true
}

// isChan reports whether x is plainly a channel: a variable or parameter
// of the cell declared with a channel type or made by make(chan ...), a
// field of a struct type or a name the cell declares so, or a timer's
// channel (t.C).
func (w *walker) isChan(x ast.Expr) bool {
	switch x := x.(type) {
	case *ast.ParenExpr:
		return w.isChan(x.X)
	case *ast.SelectorExpr:
		if x.Sel.Name == "C" {
			return true // time.Timer.C, time.Ticker.C
		}
		return w.chanFields[x.Sel.Name]
	case *ast.Ident:
		if x.Obj == nil || w.globals[x.Obj] && !w.defined[x.Name] {
			return w.chanVar != nil && !w.defined[x.Name] && w.known(x.Name) && w.chanVar(x.Name)
		}
		switch d := x.Obj.Decl.(type) {
		case *ast.Field:
			return isChanType(d.Type)
		case *ast.ValueSpec:
			if d.Type != nil {
				return isChanType(d.Type)
			}
			for i, id := range d.Names {
				if id.Obj == x.Obj && i < len(d.Values) {
					return isMakeChan(d.Values[i])
				}
			}
		case *ast.AssignStmt:
			if len(d.Lhs) == len(d.Rhs) {
				for i, l := range d.Lhs {
					if id, ok := l.(*ast.Ident); ok && id.Obj == x.Obj {
						return isMakeChan(d.Rhs[i])
					}
				}
			}
		}
	}
	return false
}

func isChanType(t ast.Expr) bool {
	if p, ok := t.(*ast.ParenExpr); ok {
		return isChanType(p.X)
	}
	_, ok := t.(*ast.ChanType)
	return ok
}

func isMakeChan(x ast.Expr) bool {
	call, ok := x.(*ast.CallExpr)
	if !ok || len(call.Args) == 0 {
		return false
	}
	if id, ok := call.Fun.(*ast.Ident); ok && id.Name == "make" && id.Obj == nil {
		return isChanType(call.Args[0])
	}
	return false
}

// noteChanFields records the struct fields of the cell's types that are
// channels, for isChan.
func (w *walker) noteChanFields() {
	w.chanFields = map[string]bool{}
	ast.Inspect(w.f, func(n ast.Node) bool {
		if st, ok := n.(*ast.StructType); ok {
			for _, f := range st.Fields.List {
				if isChanType(f.Type) {
					for _, id := range f.Names {
						w.chanFields[id.Name] = true
					}
				}
			}
		}
		return true
	})
}

// markComms notes the operations written in select cases, where they stay
// as written (the select waits for them), and the sends in statement
// headers (for post statements), where a block cannot stand.
func (w *walker) markComms() {
	w.asWritten = map[ast.Node]bool{}
	ast.Inspect(w.f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CommClause:
			switch s := n.Comm.(type) {
			case *ast.SendStmt:
				w.asWritten[s] = true
			case *ast.ExprStmt:
				w.asWritten[s.X] = true
			case *ast.AssignStmt:
				w.asWritten[s.Rhs[0]] = true
			}
		case *ast.ForStmt:
			w.asWritten[n.Init] = true
			w.asWritten[n.Post] = true
		case *ast.IfStmt:
			w.asWritten[n.Init] = true
		case *ast.SwitchStmt:
			w.asWritten[n.Init] = true
		case *ast.TypeSwitchStmt:
			w.asWritten[n.Init] = true
		}
		return true
	})
}

// chanVar reports whether the session variable name is a channel: the
// type of its slot in yaegi's global frame, for prepare.
func (s *Session) chanVar(name string) bool {
	internal := s.decls.cur[name]
	if internal == "" || s.decls.kind[name] != KindVar {
		return false
	}
	idx, ok := s.globalVar(internal)
	if !ok {
		return false
	}
	t := s.frame.SlotType(idx)
	return t != nil && t.Kind() == reflect.Chan
}

// waitHint puts before a statement mu.Lock(), mu.RLock() or x.Wait() the
// note of where it stands (rt.At), which the deadlock report shows if the
// call waits in one of the cells' sync types.
func (w *walker) waitHint(s *ast.ExprStmt) {
	call, ok := s.X.(*ast.CallExpr)
	if !ok || len(call.Args) != 0 || w.asWritten[s] {
		return
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return
	}
	switch sel.Sel.Name {
	case "Lock", "RLock", "Wait":
	default:
		return
	}
	if id, ok := sel.X.(*ast.Ident); ok && id.Obj == nil && !w.known(id.Name) && !w.defined[id.Name] {
		return // a package's function (pkg.Wait()), not a method
	}
	w.t.edits = append(w.t.edits, insert(w.off(s.Pos()), mark+".At("+w.what(s.Pos(), w.text(call))+"); "))
}
