package interp

import (
	"github.com/gokernel/gokernel/interp/complete"
	"github.com/gokernel/gokernel/interp/symbols"
	"github.com/gokernel/gokernel/kernel/mime"
	"github.com/traefik/yaegi/stdlib"
	"github.com/traefik/yaegi/stdlib/unrestricted"
)

// maxDecls bounds the cells kept for completion, so its cost stays flat.
const maxDecls = 2000

var packages = complete.PackagesFrom(stdlib.Symbols, unrestricted.Symbols, symbols.Symbols)

func (s *Session) scope() complete.Scope {
	s.declMu.Lock()
	defer s.declMu.Unlock()
	// Packages a cell may use without importing them (auto-import) complete
	// after "pkg." as if imported; the cells' own imports take precedence.
	return complete.Scope{Imports: AutoImportable(), Decls: append([]string(nil), s.declared...), Packages: packages}
}

// remember keeps a cell that compiled and declared something, for
// completion and inspection.
func (s *Session) remember(code string) {
	s.declMu.Lock()
	defer s.declMu.Unlock()
	s.declared = append(s.declared, code)
	if len(s.declared) > maxDecls {
		s.declared = append([]string(nil), s.declared[len(s.declared)-maxDecls:]...)
	}
}

// Complete answers complete_request (see package complete).
func (s *Session) Complete(code string, cursor int) ([]mime.Completion, int, int) {
	return complete.Complete(code, cursor, s.scope())
}

// Inspect answers inspect_request.
func (s *Session) Inspect(code string, cursor int, detail int) (mime.Bundle, bool) {
	return complete.Inspect(code, cursor, detail, s.scope())
}

// IsComplete answers is_complete_request.
func (s *Session) IsComplete(code string) (string, string) { return complete.IsComplete(code) }
