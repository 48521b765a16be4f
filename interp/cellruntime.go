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
// are left out so that loading never repeats a cell's side effects.
func (s *Session) DeclSource() string {
	s.declMu.Lock()
	cells := append([]string(nil), s.decls...)
	s.declMu.Unlock()
	var b strings.Builder
	for _, c := range cells {
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
	mu sync.Mutex
	s  *Session
}

// Load replaces the runtime's session with one holding src's declarations.
func (r *CellRuntime) Load(src string) error {
	s, err := NewSession(Options{PlainStdio: true})
	if err != nil {
		return err
	}
	if _, err := s.Execute(context.Background(), src, nil); err != nil {
		return fmt.Errorf("interp: loading the notebook's declarations in a worker process: %w", err)
	}
	r.mu.Lock()
	r.s = s
	r.mu.Unlock()
	return nil
}

// Func returns the function the notebook calls name.
func (r *CellRuntime) Func(name string) (any, error) {
	r.mu.Lock()
	s := r.s
	r.mu.Unlock()
	if s == nil {
		return nil, fmt.Errorf("interp: no notebook declarations loaded in this worker process")
	}
	s.state.Lock()
	internal, kind := s.cur[name], s.kind[name]
	s.state.Unlock()
	if internal == "" || (kind != "func" && kind != "var") {
		return nil, fmt.Errorf("interp: the notebook declares no function %q", name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v, err := s.i.Eval(internal)
	if err != nil {
		return nil, fmt.Errorf("interp: %s: %w", name, err)
	}
	if !v.IsValid() || !v.CanInterface() {
		return nil, fmt.Errorf("interp: %s is not a value a worker can call", name)
	}
	return v.Interface(), nil
}
