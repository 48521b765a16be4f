package interp

import (
	"fmt"
	"go/token"
	"regexp"
	"strconv"
	"sync"
)

// A posMap maps yaegi's positions back to cells. Every file the session
// gives yaegi gets an id, and its lines are numbered id*lineBase+L (a
// line directive, see Session.eval), so a position in any message or
// panic frame names its file; the file's rendered pieces then give the
// cell and the line in it.
//
// Its lock is its own: positions are looked up by goroutines the cells
// started (a panic there is reported under its cell) while another cell
// is being compiled.
type posMap struct {
	mu     sync.Mutex
	files  map[int]*rendered // by file id
	next   int               // the last id given
	recent []int             // ids of statement files kept for the last cells' panics
	cur    int               // the number of the cell being run
}

// lineBase separates files in yaegi's line numbers (see Session.eval).
const (
	lineBase = 10000 // lines per file, at most
	maxFiles = 100000
)

// filePos finds yaegi positions of our files: "300002:15".
var filePos = regexp.MustCompile(`(?:_\.go:)?\b(\d{5,})(?::(\d+))?\b`)

// add registers a file and returns its id. Ids cycle, so line numbers
// stay under go/scanner's limit for line directives (1<<30); a reused id's
// old position map goes.
func (m *posMap) add(r *rendered) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.next = m.next%maxFiles + 1
	m.files[m.next] = r
	if !r.keep {
		m.recent = append(m.recent, m.next)
	}
	return m.next
}

// setCell notes the number of the cell now running: positions in it read
// "line L:C", in others "cell N, line L:C".
func (m *posMap) setCell(n int) {
	m.mu.Lock()
	m.cur = n
	m.mu.Unlock()
}

func (m *posMap) cell() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.cur
}

// fileOf returns the file of a yaegi line and column, with the line in it.
func (m *posMap) fileOf(lineStr, colStr string) (*rendered, int, int) {
	line, _ := strconv.Atoi(lineStr)
	col, _ := strconv.Atoi(colStr)
	m.mu.Lock()
	r := m.files[line/lineBase]
	m.mu.Unlock()
	return r, line % lineBase, col
}

// mapPos rewrites "300002:15" as "line 2:15" (or "cell 3, line 2:15" for
// code from another cell).
func (m *posMap) mapPos(pos string) string {
	sm := filePos.FindStringSubmatch(pos)
	r, line, col := m.fileOf(sm[1], sm[2])
	if r == nil {
		return pos
	}
	if c, l, cc := r.position(line, col); c != nil {
		if c.n == m.cell() || c.n == 0 {
			return fmt.Sprintf("line %d:%d", l, cc)
		}
		return fmt.Sprintf("cell %d, line %d:%d", c.n, l, cc)
	}
	return pos
}

// forget drops position maps of statement files of cells older than the
// last 64 before cell n, and their line tables from fset (kept by yaegi's
// FileSet forever otherwise, see yaegiframe.DropDebugTrees); declaration
// files stay (their functions may still panic).
func (m *posMap) forget(n int, fset *token.FileSet) {
	const keep = 64
	m.mu.Lock()
	defer m.mu.Unlock()
	kept := m.recent[:0]
	for _, id := range m.recent {
		if r := m.files[id]; r != nil && r.cell < n-keep {
			delete(m.files, id)
			if r.tf != nil {
				fset.RemoveFile(r.tf)
			}
			continue
		}
		kept = append(kept, id)
	}
	m.recent = kept
}
