package interp

import (
	"context"
	"fmt"
	"strings"
	"sync"
)

// DeclSource returns the imports and declarations (funcs, methods, types,
// consts, vars) of every cell that compiled, in order and without their
// statements or func main: what a worker process of the subprocess model
// loads so that a function defined in a notebook can run there. Statements
// are left out so that loading never repeats a cell's side effects. Cells
// are separated by a cellSep line: the worker evaluates them one by one, so
// a func redefined in a later cell is redefined there too.
func (s *Session) DeclSource() string {
	s.declMu.Lock()
	cells := append([]string(nil), s.declared...)
	s.declMu.Unlock()
	var b strings.Builder
	for i, c := range cells {
		if i > 0 {
			b.WriteString(cellSep)
		}
		for _, ch := range splitCell([]byte(c)) {
			text := c[ch.start:ch.end]
			if ch.kind == chunkStmt || strings.HasPrefix(strings.TrimSpace(text), "func main(") {
				continue
			}
			b.WriteString(text)
			b.WriteString("\n")
		}
	}
	return b.String()
}

// A CellRuntime runs notebook functions in a worker process of the
// subprocess model (it satisfies subprocess.CellRuntime): Load evaluates a
// notebook's declarations (DeclSource) in a fresh session, and Func returns
// the current definition of a function by the name the notebook gave it.
type CellRuntime struct {
	mu     sync.Mutex
	s      *Session
	failed []string // cells Load could not evaluate, for Func's error
}

// cellSep separates cells in DeclSource.
const cellSep = "\n//gokernel:cell\n"

// Load replaces the runtime's session with one holding src's declarations,
// evaluated cell by cell as the notebook did. A cell that fails here (it
// uses a variable that only a statement declared, say) is skipped: the
// functions of the other cells still run, and Func names the failure when
// asked for a function it would have declared.
func (r *CellRuntime) Load(src string) error {
	s, err := NewSession(Options{PlainStdio: true})
	if err != nil {
		return err
	}
	var failed []string
	for i, cell := range strings.Split(src, cellSep) {
		if _, err := s.Execute(context.Background(), cell, nil); err != nil {
			failed = append(failed, fmt.Sprintf("declarations of cell %d: %v", i+1, err))
		}
	}
	r.mu.Lock()
	r.s, r.failed = s, failed
	r.mu.Unlock()
	return nil
}

// Func returns the function the notebook calls name.
func (r *CellRuntime) Func(name string) (any, error) {
	r.mu.Lock()
	s, failed := r.s, r.failed
	r.mu.Unlock()
	if s == nil {
		return nil, fmt.Errorf("interp: no notebook declarations loaded in this worker process")
	}
	s.state.Lock()
	internal, kind := s.decls.cur[name], s.decls.kind[name]
	s.state.Unlock()
	if internal == "" || (kind != KindFunc && kind != KindVar) {
		if len(failed) > 0 {
			return nil, fmt.Errorf("interp: the notebook declares no function %q here (in the worker, %s)", name, strings.Join(failed, "; "))
		}
		return nil, fmt.Errorf("interp: the notebook declares no function %q", name)
	}
	s.runner.mu.Lock() // no cell runs meanwhile
	defer s.runner.mu.Unlock()
	s.state.Lock() // yaegi's compiler
	defer s.state.Unlock()
	v, err := s.i.Eval(internal)
	if err != nil {
		return nil, fmt.Errorf("interp: %s: %w", name, err)
	}
	if !v.IsValid() || !v.CanInterface() {
		return nil, fmt.Errorf("interp: %s is not a value a worker can call", name)
	}
	return v.Interface(), nil
}
