package interp

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path"
	"reflect"
	"sort"
	"strings"
	"sync"

	"github.com/gokernel/gokernel/interp/symbols"
	"github.com/traefik/yaegi/stdlib"
)

// Auto-import, as goimports does in an editor: a cell that uses fmt.Println
// without importing "fmt" gets the import. Only packages compiled into the
// kernel (the standard library and the project's helper packages) are
// candidates, and a name is imported only when it is not declared in the
// session or the cell, so nothing the user wrote is shadowed.

type pkgSyms struct {
	path string
	syms map[string]reflect.Value
}

var (
	candidatesOnce sync.Once
	candidates     map[string][]pkgSyms // package name -> packages with that name
)

func loadCandidates() {
	candidates = map[string][]pkgSyms{}
	for _, table := range []map[string]map[string]reflect.Value{stdlib.Symbols, symbols.Symbols} {
		for key, syms := range table {
			p, name := path.Dir(key), path.Base(key)
			if strings.Contains(p, "internal") || strings.HasPrefix(p, "gokernel/") || name == "rt" {
				continue
			}
			candidates[name] = append(candidates[name], pkgSyms{p, syms})
		}
	}
	// When several packages share a name and all export what a cell uses,
	// the shallowest path wins, then the alphabetically first.
	for _, ps := range candidates {
		sort.Slice(ps, func(i, j int) bool {
			si, sj := strings.Count(ps[i].path, "/"), strings.Count(ps[j].path, "/")
			if si != sj {
				return si < sj
			}
			return ps[i].path < ps[j].path
		})
	}
}

// AutoImportable returns the package name → import path pairs that cells
// may use without importing them, one path per name (the one auto-import
// picks when nothing else decides).
func AutoImportable() map[string]string {
	candidatesOnce.Do(loadCandidates)
	m := make(map[string]string, len(candidates))
	for name, ps := range candidates {
		m[name] = ps[0].path
	}
	return m
}

// autoImports returns the import paths a cell needs but does not import:
// for each identifier used as X in X.Sel that nothing declares, the package
// named X whose exports contain every such Sel.
func autoImports(code string, known func(string) bool, imported func(name string) bool) []string {
	if !strings.Contains(code, ".") {
		return nil // no X.Sel anywhere: skip the parse on every trivial cell's round trip
	}
	candidatesOnce.Do(loadCandidates)
	var b strings.Builder
	b.WriteString("package main\n")
	var stmts []string
	for _, c := range splitCell([]byte(code)) {
		text := code[c.start:c.end]
		if c.kind == chunkStmt {
			stmts = append(stmts, text)
			continue
		}
		b.WriteString(text)
		b.WriteString("\n")
	}
	b.WriteString("func _() {\n")
	for _, s := range stmts {
		b.WriteString(s)
		b.WriteString("\n")
	}
	b.WriteString("}\n")
	f, err := parser.ParseFile(token.NewFileSet(), "cell", b.String(), parser.AllErrors)
	if f == nil {
		return nil
	}
	_ = err // a cell with errors still tells what it uses; the compiler reports the errors
	unresolved := map[string]bool{}
	for _, id := range f.Unresolved {
		unresolved[id.Name] = true
	}
	for _, spec := range f.Imports {
		if spec.Name != nil {
			delete(unresolved, spec.Name.Name)
		} else {
			delete(unresolved, path.Base(strings.Trim(spec.Path.Value, `"`)))
		}
	}
	sels := map[string]map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		se, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		if id, ok := se.X.(*ast.Ident); ok && id.Obj == nil && unresolved[id.Name] {
			if sels[id.Name] == nil {
				sels[id.Name] = map[string]bool{}
			}
			sels[id.Name][se.Sel.Name] = true
		}
		return true
	})
	var paths []string
	for name, used := range sels {
		if known(name) || imported(name) {
			continue
		}
	candidate:
		for _, p := range candidates[name] {
			for sel := range used {
				if _, ok := p.syms[sel]; !ok {
					continue candidate
				}
			}
			paths = append(paths, p.path)
			break
		}
	}
	sort.Strings(paths)
	return paths
}
