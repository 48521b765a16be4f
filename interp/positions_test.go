package interp

import (
	"fmt"
	"go/token"
	"testing"
)

// TestPosMap maps yaegi positions of registered files back to cells, and
// forgets old statement files.
func TestPosMap(t *testing.T) {
	m := posMap{files: map[int]*rendered{}}
	file := func(n int, src string, keep bool) *rendered {
		cs := &cellSrc{n: n, src: src, segs: []seg{{0, 0, len(src)}}}
		return &rendered{src: src, starts: []int{0}, pieces: []piece{{text: src, cell: cs}}, cell: n, keep: keep}
	}
	decl := m.add(file(1, "func f() {\n\tpanic(1)\n}\n", true))
	m.setCell(2)
	stmt := m.add(file(2, "x := 1\ny := 2\n", false))
	if got := m.mapPos(fmt.Sprintf("%d:3", stmt*lineBase+2)); got != "line 2:3" {
		t.Errorf("a position in the running cell: %q", got)
	}
	if got := m.mapPos(fmt.Sprintf("%d:2", decl*lineBase+2)); got != "cell 1, line 2:2" {
		t.Errorf("a position in an earlier cell: %q", got)
	}
	if got := m.mapPos("999990001:1"); got != "999990001:1" {
		t.Errorf("an unknown file: %q", got)
	}
	m.forget(2+64+1, token.NewFileSet())
	if r, _, _ := m.pos(stmt); r != nil {
		t.Error("an old statement file was kept")
	}
	if r, _, _ := m.pos(decl); r == nil {
		t.Error("a declaration file was forgotten")
	}
}

func (m *posMap) pos(id int) (*rendered, int, int) {
	return m.fileOf(fmt.Sprint(id*lineBase+1), "1")
}
