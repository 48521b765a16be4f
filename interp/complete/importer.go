package complete

import (
	"fmt"
	"go/types"
	"sync"
)

// importerFor returns the go/types importer of a Scope: a compiled package
// comes from its symbol table; a package without one (generic packages such
// as slices, which yaegi interprets from source; third-party packages; any
// package when Scope.Packages is nil) is type-checked from the exported
// declarations its documentation holds.
func importerFor(s Scope) types.Importer {
	return importerFunc(func(path string) (*types.Package, error) {
		if path == "unsafe" {
			return types.Unsafe, nil
		}
		if s.Packages != nil {
			if t := s.Packages(path); t != nil {
				return conv.fromTable(path, t), nil
			}
		}
		docTypes.Lock()
		defer docTypes.Unlock()
		return importDocs(s, path, 0)
	})
}

type importerFunc func(path string) (*types.Package, error)

func (f importerFunc) Import(path string) (*types.Package, error) { return f(path) }

// docTypes caches the packages checked from documentation. One lock covers
// a whole import and its dependencies (imports nest; they cannot cycle).
var docTypes struct {
	sync.Mutex
	m     map[string]*types.Package
	doing map[string]bool
}

// importDocs type-checks path from its doc's trimmed sources. docTypes is
// locked. depth counts the imports above this one: the imports of a
// package read from sources come only from symbol tables, because reading
// them from sources too would cascade (net/http without a table pulls in
// runtime, net, crypto/tls...: a second instead of tens of milliseconds).
// Types from a package left out are invalid: fewer members, no crash.
func importDocs(s Scope, path string, depth int) (*types.Package, error) {
	if p, ok := docTypes.m[path]; ok {
		if p == nil {
			return nil, fmt.Errorf("complete: no sources for package %q", path)
		}
		return p, nil
	}
	if docTypes.doing[path] {
		return nil, fmt.Errorf("complete: import cycle through %q", path)
	}
	if docTypes.m == nil {
		docTypes.m = map[string]*types.Package{}
		docTypes.doing = map[string]bool{}
	}
	if depth > 0 {
		return nil, fmt.Errorf("complete: %q is imported too deep to be read from sources", path)
	}
	d := docsFor(path)
	if d == nil || path == "builtin" {
		docTypes.m[path] = nil
		return nil, fmt.Errorf("complete: no sources for package %q", path)
	}
	docTypes.doing[path] = true
	defer delete(docTypes.doing, path)
	inner := importerFunc(func(p string) (*types.Package, error) {
		if p == "unsafe" {
			return types.Unsafe, nil
		}
		if s.Packages != nil {
			if t := s.Packages(p); t != nil {
				return conv.fromTable(p, t), nil
			}
		}
		return importDocs(s, p, depth+1)
	})
	cfg := types.Config{Importer: inner, Error: func(error) {}, IgnoreFuncBodies: true, DisableUnusedImportCheck: true}
	var pkg *types.Package
	func() {
		defer func() {
			if recover() != nil {
				pkg = nil
			}
		}()
		pkg, _ = cfg.Check(path, d.fset, d.files, nil)
	}()
	docTypes.m[path] = pkg
	if pkg == nil {
		return nil, fmt.Errorf("complete: could not check package %q", path)
	}
	return pkg, nil
}
