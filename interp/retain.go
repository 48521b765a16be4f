package interp

import (
	"reflect"
	"unsafe"

	yaegi "github.com/traefik/yaegi/interp"
)

// Memory that stays flat however many cells run.
//
// yaegi v0.16.1 keeps two lists for its debugger that grow with every
// compiled file and that nothing else reads: Interpreter.roots, the root
// of every syntax tree parsed (appended in ast), and scope.child, every
// scope pushed under the package scope (appended in scope.push, read only
// by Debugger). Each entry holds a whole cell's tree (nodes point to their
// parents and children, scopes to their function's node), so a session
// kept every cell's code alive: about 11 MiB per 1,000 cells. Declared
// funcs, types and variables stay reachable through the package scope's
// symbols, and closures through their values, so emptying the two lists
// frees only the trees of code that can no longer run (statement steps
// already executed, definitions replaced).
//
// The session never starts yaegi's debugger, so before each file is run it
// empties both lists. They are unexported: they are found by name with
// reflect and written through unsafe, and when a field is missing or of
// another kind (another yaegi version) nothing is done (TestDebugTreesFound
// fails, so such an upgrade is noticed). The third growing part, the line
// tables in yaegi's token.FileSet, is released by Session.forget with
// FileSet.RemoveFile once a statement file's positions are no longer kept.
func dropDebugTrees(i *yaegi.Interpreter) {
	v := reflect.ValueOf(i).Elem()
	clearSlice(v.FieldByName("roots"))
	if sc := v.FieldByName("scopes"); sc.IsValid() && sc.Kind() == reflect.Map {
		sc = writable(sc)
		iter := sc.MapRange()
		for iter.Next() {
			if p := iter.Value(); p.Kind() == reflect.Pointer && !p.IsNil() {
				clearSlice(p.Elem().FieldByName("child"))
			}
		}
	}
	if u := v.FieldByName("universe"); u.IsValid() && u.Kind() == reflect.Pointer && !u.IsNil() {
		clearSlice(u.Elem().FieldByName("child"))
	}
}

// debugTreesFound reports whether dropDebugTrees finds the lists it
// empties in this version of yaegi.
func debugTreesFound() bool {
	t := reflect.TypeOf(yaegi.Interpreter{})
	roots, ok1 := t.FieldByName("roots")
	scopes, ok2 := t.FieldByName("scopes")
	if !ok1 || !ok2 || roots.Type.Kind() != reflect.Slice || scopes.Type.Kind() != reflect.Map ||
		scopes.Type.Elem().Kind() != reflect.Pointer {
		return false
	}
	child, ok := scopes.Type.Elem().Elem().FieldByName("child")
	return ok && child.Type.Kind() == reflect.Slice
}

func clearSlice(f reflect.Value) {
	if f.IsValid() && f.Kind() == reflect.Slice {
		writable(f).SetZero()
	}
}

// writable returns an addressable unexported field as a settable value.
func writable(f reflect.Value) reflect.Value {
	return reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem()
}
