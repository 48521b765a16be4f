package yaegiframe

import (
	"go/token"
	"testing"
	"unsafe"

	yaegi "github.com/traefik/yaegi/interp"
)

func TestFieldsFound(t *testing.T) {
	if !DebugTreesFound() {
		t.Error("yaegi's Interpreter.roots or scope.child is gone: DropDebugTrees does nothing")
	}
	if !FieldsFound() {
		t.Error("yaegi's global frame or universe types are gone: Frame does nothing")
	}
	if !SymbolsFound() {
		t.Error("package main's symbol table is not found: GlobalVar reports nothing")
	}
	if !BackEdgesFound() {
		t.Error("yaegi's genRun, setExec's trampolines or the node's fields are not what LinkBackEdges knows: loops are slow under the debugger")
	}
}

// TestLinkBackEdges: each loop's back edge is linked (a for with a post
// statement, one with a condition only and an if without else last in its
// body, a range), and the code runs as before.
func TestLinkBackEdges(t *testing.T) {
	i := yaegi.New(yaegi.Options{})
	prog, err := i.Compile(`package main
func loops(n int) int {
	s := 0
	for i := 0; i < n; i++ {
		s += i
	}
	j := 0
	for j < n {
		j++
		if j%2 == 0 {
			s++
		}
	}
	for _, v := range []int{1, 2} {
		s += v
	}
	return s
}
var out = loops(4)`)
	if err != nil {
		t.Fatal(err)
	}
	if n := LinkBackEdges(prog); n != 3 {
		t.Errorf("linked %d back edges, want 3", n)
	}
	if _, err := i.Execute(prog); err != nil {
		t.Fatal(err)
	}
	if v, err := i.Eval("out"); err != nil || v.Int() != 11 {
		t.Errorf("out = %v (%v), want 11", v, err)
	}
}

// TestFrame: Grow leaves spare room, Free zeroes a slot, Trim gives the
// exact length back, and values survive all three.
func TestFrame(t *testing.T) {
	i := yaegi.New(yaegi.Options{})
	fr, ok := Of(i)
	if !ok {
		t.Fatal("frame not found")
	}
	if _, err := i.Eval("package main\nvar a, b = 1, 2"); err != nil {
		t.Fatal(err)
	}
	prog, err := i.Compile("var c = 3") // a slot more in the layout
	if err != nil {
		t.Fatal(err)
	}
	n := fr.Len()
	fr.Grow()
	if len(*fr.data) < n+minSpareSlots {
		t.Fatalf("after Grow the frame has %d slots, want at least %d", len(*fr.data), n+minSpareSlots)
	}
	if _, err := i.Execute(prog); err != nil {
		t.Fatal(err)
	}
	syms, ok := MainSymbols(i)
	if !ok {
		t.Fatal("symbols not found")
	}
	ia, ok1 := syms.GlobalVar("a")
	ib, ok2 := syms.GlobalVar("b")
	if !ok1 || !ok2 || ia == ib {
		t.Fatalf("slots of a and b: %d %v, %d %v", ia, ok1, ib, ok2)
	}
	fr.Free(ia)
	if v, _ := i.Eval("a"); v.Int() != 0 {
		t.Errorf("a after Free = %v, want 0", v)
	}
	if v, _ := i.Eval("b"); v.Int() != 2 {
		t.Errorf("b after Free(a) = %v, want 2", v)
	}
	fr.Trim()
	if len(*fr.data) != fr.Len() {
		t.Errorf("after Trim the frame has %d slots, layout %d", len(*fr.data), fr.Len())
	}
}

func TestDebugClosuresFound(t *testing.T) {
	if !DebugClosuresFound() || wrapFrame <= 0 {
		t.Fatalf("the layout of yaegi's func value closures was not found (yaegi or Go upgraded?): %d %d", litFrame, wrapFrame)
	}
}

// TestHideJumps: the join nodes of the loops and the if, and the post
// statement i++, lose their position; the loop conditions and bodies keep
// theirs, and the code runs as before.
func TestHideJumps(t *testing.T) {
	i := yaegi.New(yaegi.Options{})
	prog, err := i.Compile(`package main
func loops(n int) int {
	s := 0
	for i := 0; i < n; i++ {
		s += i
	}
	for j := 0; j < n; j += 1 {
		if j%2 == 0 {
			s++
		}
	}
	return s
}
var out = loops(4)`)
	if err != nil {
		t.Fatal(err)
	}
	f := fields()
	positioned := func() map[string]int {
		m := map[string]int{}
		f.walk(rootOf(prog), func(n unsafe.Pointer) bool {
			if *(*token.Pos)(unsafe.Add(n, f.pos)) != token.NoPos && f.ptr(n, f.exec) != nil {
				m[f.kindName(n)]++
			}
			return true
		})
		return m
	}
	if n := HideJumps(prog, i.FileSet()); n != 7 {
		t.Errorf("hid %d nodes, want 7 (two loop bodies, two loop exits, the if's body and join, i++); left %v", n, positioned())
	}
	left := positioned()
	for _, k := range []string{"blockStmt", "forStmt7", "ifStmt0"} {
		if left[k] != 0 {
			t.Errorf("%d %s nodes keep their position", left[k], k)
		}
	}
	// j += 1 is not i++ (an assignment may fail at run time, x /= 0).
	if left["incDecStmt"] != 1 || left["assignStmt"] != 2 || left["binaryExpr"] != 4 {
		t.Errorf("positions left: %v, want the s++ in the if, s += i and j += 1, and four binary expressions", left)
	}
	if _, err := i.Execute(prog); err != nil {
		t.Fatal(err)
	}
	if v, err := i.Eval("out"); err != nil || v.Int() != 8 {
		t.Errorf("out = %v (%v), want 8", v, err)
	}
}
