// Package interp runs notebook cells on yaegi: one Session per kernel,
// declarations persisting from cell to cell.
//
//	s, err := interp.NewSession(interp.Options{})
//	b, err := s.Execute(ctx, "x := 6 * 7\nx", out) // b.Data["text/plain"] == "42"
//
// Cancelling ctx interrupts the cell (rt.Cell.Interrupt). Errors are *Error
// values with Name ("CompileError", "SyntaxError", "panic", "Interrupted")
// and a Traceback in cell lines.
//
// # The cell preprocessor
//
// A cell is split with go/scanner into imports, declarations and
// statements, in any order, then parsed as one file with go/parser and
// rewritten as text (so positions map back to the cell):
//
//   - imports already made are dropped (re-running an import cell is harmless);
//   - declarations are kept as templates; a redefined func, type, const or
//     method gets a new internal name (Tǂ2) and everything that uses it is
//     written out again under new names, so later code sees the new one
//     (yaegi ignores a redefined type or method, and compiled callers keep
//     an old func); a type takes its methods along; variables keep their
//     values and are redeclared in place;
//   - short variable declarations run as blocks in yaegi's global scope;
//     other statements run in an init func, so their temporaries do not
//     pile up in the global frame;
//   - rt.Tick is inserted at loop back-edges and function entries, go
//     statements become rt.Go with arguments evaluated first, selects and
//     statement receives get an interrupt case, recover() cannot swallow
//     an interrupt;
//   - a loop body whose closures capture a loop variable or a variable
//     declared in the body runs in a function literal per iteration (Go
//     1.22 loop variables, fresh body variables; break, continue, return
//     and labels keep working: loops.go); range over int, min, max,
//     clear, and labeled break out of a select;
//   - every top-level func also gets a value companion, the one wrapper
//     compiled code sees when the func is passed as a value, named in the
//     subprocess registry, so pool.Map(square, xs) runs a cell's func in
//     worker processes (companionSuffix);
//   - declarations that use a variable the cell's statements declare
//     (x := 1; func f() int { return x }) are declared right after that
//     statement (lateUnits);
//   - a final value whose cell-declared type has a Bundle, HTML, SVG or
//     Markdown method renders rich: the method is called in the cell
//     (Session.showRich), as yaegi's values lose their methods on the way
//     to compiled code.
//
// func main declared in a cell runs once, at the end of that cell (or
// after the statement declaring a variable it uses).
//
// # Who owns what
//
// A Session is made of parts that each have one job and their own tests:
//
//   - the runner (runner.go: runner, cellRun; Session.Execute, Abandon,
//     Stuck) runs cells on a goroutine of its own and owns the interrupt
//     protocol: cancelling ctx interrupts the cell and Execute waits on,
//     with no timer; a cell stuck where no interrupt reaches is left behind
//     by Abandon, called by the layer that can restart the process (the
//     worker client), which alone decides when to give up. It knows
//     nothing of yaegi (it calls Session.run). runner.mu makes Execute one
//     at a time; runner.runMu lets Abandon find the running cell;
//   - the declarations (decls.go: declTable, Kind) are the notebook's names,
//     their kinds, versions and templates, under Session.state;
//   - the compiler side (session.go: run, declare, runStep, eval) prepares
//     a cell and updates the tables under Session.state, and releases it
//     while yaegi runs the cell's code: a cell that never returns holds no
//     lock (yaegi's own mutex guards only compiling and resizing its frame);
//   - the positions (positions.go: posMap) map yaegi's positions back to
//     cells and lines, under a lock of their own, as goroutines' panics
//     read them at any time;
//   - the cell's stdio (stdio.go: router, filter, stdinReader, traceTable)
//     routes output to the Publisher of the writing goroutine's cell;
//   - the host (host.go) is what cells see besides their code: the
//     prelude, the functions the preprocessor's rewrites call, and the
//     standard-library symbols replaced (time.Sleep, runtime.Goexit, ...);
//   - everything that reads or writes yaegi's unexported fields is in
//     internal/yaegiframe; retain.go decides which slots to free.
//
// runtime.Goexit in a cell ends the cell with a Goexit error (goexit.go);
// in a goroutine the cell started it ends that goroutine, as in Go.
//
// # Memory
//
// yaegi keeps every compiled syntax tree for its debugger; the session
// drops those lists and old line tables, so memory stays flat over
// thousands of cells (retain.go).
package interp
