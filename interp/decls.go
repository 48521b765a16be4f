package interp

import (
	"path"
	"sort"
	"strconv"
	"strings"
)

// Kind is what a notebook name declares.
type Kind string

// The kinds of declarations. They are the words of the declarations
// themselves, which is what the cell preprocessor's units carry (unit.kind).
const (
	KindFunc   Kind = "func"
	KindMethod Kind = "method" // named "T.M"
	KindType   Kind = "type"
	KindConst  Kind = "const"
	KindVar    Kind = "var"
	KindInit   Kind = "init"
)

// order is the order declarations are written out in one file: types
// first, as everything else may use them.
func (k Kind) order() int {
	switch k {
	case KindType:
		return 0
	case KindConst:
		return 1
	case KindFunc:
		return 2
	case KindMethod:
		return 3
	}
	return 4
}

// A declTable is the notebook's declarations: every name a cell declared,
// what it is, its current internal name (a redefined name gets a new
// version, Tǂ2) and the declaration to write out again when something it
// uses changes. It is a plain table: the session's state lock protects it,
// and it is only read or changed while a cell is being prepared, declared
// or its tables updated, never while user code runs.
type declTable struct {
	cur      map[string]string // user name -> internal name
	kind     map[string]Kind   // user name -> what it declares
	ver      map[string]int    // user name -> last version given
	poisoned map[string]bool   // declared by a cell that failed: undefined until declared again
	units    map[string]*unit  // by defined name ("T.M" for methods); variables have none (never replayed)
	imported map[string]bool   // import keys (name and path) made
	rich     map[string]bool   // rich-display methods some cell type has (richMethods)
}

func newDeclTable() declTable {
	return declTable{
		cur:      map[string]string{},
		kind:     map[string]Kind{},
		ver:      map[string]int{},
		poisoned: map[string]bool{},
		units:    map[string]*unit{},
		imported: map[string]bool{},
		rich:     map[string]bool{},
	}
}

// importedName reports whether a package is imported under name.
func (t *declTable) importedName(name string) bool {
	for k := range t.imported {
		n, p, _ := strings.Cut(k, " ")
		if n == name || (n == "" && path.Base(strings.Trim(p, "`\"")) == name) {
			return true
		}
	}
	return false
}

// funcValue reports whether name is a func with a value companion (see
// companionSuffix).
func (t *declTable) funcValue(name string) bool {
	u := t.units[name]
	return t.kind[name] == KindFunc && u != nil && u.companion
}

// known reports whether a cell declared name (or tried to).
func (t *declTable) known(name string) bool {
	_, ok := t.cur[name]
	return ok || t.poisoned[name]
}

// nameIn resolves a global name to its internal version: overlay's (the
// names a file being written gives new versions), else the current one.
func (t *declTable) nameIn(overlay map[string]string) func(string) string {
	return func(n string) string {
		if v, ok := overlay[n]; ok {
			return v
		}
		if v, ok := t.cur[n]; ok {
			return v
		}
		if t.poisoned[n] {
			return n + mark + "0" // undefined: the cell that declared it failed
		}
		return n
	}
}

// bump gives n its next version in overlay.
func (t *declTable) bump(overlay map[string]string, n string) {
	t.ver[n]++
	overlay[n] = n + mark + strconv.Itoa(t.ver[n])
}

// define records that n now has internal name v and kind k.
func (t *declTable) define(n, v string, k Kind) {
	t.cur[n] = v
	t.kind[n] = k
	delete(t.poisoned, n)
}

// sortedUnits returns each declaration once, by name.
func (t *declTable) sortedUnits() []*unit {
	seen := map[*unit]bool{}
	var us []*unit
	keys := make([]string, 0, len(t.units))
	for k := range t.units {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if u := t.units[k]; !seen[u] {
			seen[u] = true
			us = append(us, u)
		}
	}
	return us
}
