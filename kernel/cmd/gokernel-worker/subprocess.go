package main

import (
	"github.com/gokernel/gokernel/interp"
	"github.com/gokernel/gokernel/interp/subprocess"
)

// The subprocess model's workers run notebook functions through this.
var _ subprocess.CellRuntime = (*interp.CellRuntime)(nil)

// runSubprocessWorker is a worker process of the subprocess model: it runs
// compiled functions registered by name, and functions defined in notebook
// cells through an interpreter of its own (loaded lazily, on the first such
// call), and never returns.
func runSubprocessWorker() {
	subprocess.SetCellRuntime(&interp.CellRuntime{})
	subprocess.ChildMain()
}

// shareDeclarations lets pools started from cells run the notebook's own
// functions: workers load the session's declarations.
func shareDeclarations(s *interp.Session) {
	subprocess.SetCellSource(s.DeclSource)
}
