// Package symbols holds the yaegi symbol tables of the project's compiled
// packages, so cells can import them:
//
//	i := interp.New(interp.Options{})
//	i.Use(symbols.Symbols)
//	i.Eval(`import "github.com/gokernel/gokernel/interp/timeline"`)
//
// The tables are generated; to export another package add its full import
// path to the go:generate line below and run `go generate ./interp/symbols`.
//
// What cells can import is an API: the hooks the runtime wires itself with
// (rt.SetPanicHandler, rt.SetScheduler, display.SetCurrent,
// subprocess.SetCellSource, ...) are exported by their packages for the
// interpreter and the kernel's commands, not for cells, and are taken out
// of the generated tables (hooks). A cell that calls one fails to compile.
package symbols

import "reflect"

// Symbols maps "import/path/name" to the package's exported symbols.
var Symbols = map[string]map[string]reflect.Value{}

const module = "github.com/gokernel/gokernel/"

// hooks are the runtime's plumbing, by package (yaegi's key: import path,
// "/", package name). TestHooksHidden checks that each one exists in the
// generated tables (so the list cannot go stale) and is gone from Symbols.
var hooks = map[string][]string{
	module + "interp/rt/rt": {
		"BeginCell", "BeginCellOn", // a cell is begun by the session
		"SetPanicHandler", "SetScheduler", // the session's and the GIL's
		"SetGoroutineHook", "GoroutineStarted", // the debugger's threads
		"Raise", "Lower", // the scheduler's requests: a leaked Raise slows every Tick
		// What the cell preprocessor's rewrites call through the host
		// package (ǂ): called by hand they would corrupt the wait table.
		"GoAt", "GoStatement", "At", "Enter", "Stop",
		"BeginWait", "EndWait", "SelectWait", "SelectWaitTimed", "StopWait",
		"Recv", "Send", "SendBox", "LeakNote",
	},
	module + "interp/display/display": {"SetCurrent"},
	module + "interp/subprocess/subprocess": {
		"ChildMain", "SetCellRuntime", "SetCellSource", "SetFuncNamer", "SetWorkerCommand",
	},
}

// removed keeps what was taken out, for the test.
var removed = map[string]map[string]reflect.Value{}

// The generated files fill Symbols in their init functions, which run
// before this one: Go runs a package's files' inits in the order the files
// are given to the compiler, by name, and "github_com-..." sorts before
// "symbols.go" (TestHooksHidden fails otherwise).
func init() {
	for pkg, names := range hooks {
		for _, n := range names {
			if v, ok := Symbols[pkg][n]; ok {
				if removed[pkg] == nil {
					removed[pkg] = map[string]reflect.Value{}
				}
				removed[pkg][n] = v
				delete(Symbols[pkg], n)
			}
		}
	}
}

//go:generate go run github.com/traefik/yaegi/cmd/yaegi extract github.com/gokernel/gokernel/kernel/mime github.com/gokernel/gokernel/interp/rt github.com/gokernel/gokernel/interp/timeline github.com/gokernel/gokernel/interp/display github.com/gokernel/gokernel/interp/bench github.com/gokernel/gokernel/interp/subprocess github.com/gokernel/gokernel/interp/gil github.com/gokernel/gokernel/interp/gil/threading github.com/gokernel/gokernel/interp/goroutines github.com/gokernel/gokernel/interp/eventloop github.com/gokernel/gokernel/interp/workloads github.com/gokernel/gokernel/interp/lesson github.com/gokernel/gokernel/interp/fidelity/mech github.com/gokernel/gokernel/interp/goleak github.com/gokernel/gokernel/interp/comm github.com/gokernel/gokernel/interp/widgets
