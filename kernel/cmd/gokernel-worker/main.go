// Command gokernel-worker is the interpreter process of gokernel: the
// kernel (gokernel) starts it and talks to it over pipes (package
// interp/worker). It is a binary of its own so that the kernel process does
// not carry the interpreter and its symbol tables: the kernel starts in a
// few milliseconds and stays small, and a fatal error in user code kills
// only this process, which the kernel restarts.
//
//	gokernel-worker                     serve the kernel that started it (the default)
//	gokernel-worker get MODULE[@VER]…   make a third-party module importable from cells
//
// It is also the worker process of the subprocess (multiprocessing) model,
// started with GOKERNEL_SUBPROCESS=worker by pools that cells create.
package main

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"
	"time"

	"github.com/gokernel/gokernel/interp"
	"github.com/gokernel/gokernel/interp/rt"
	"github.com/gokernel/gokernel/interp/subprocess"
	"github.com/gokernel/gokernel/interp/worker"
	"github.com/gokernel/gokernel/kernel/internal/residency"
	"github.com/gokernel/gokernel/kernel/mime"
)

// The session is what the worker process serves.
var _ worker.Evaluator = (*interp.Session)(nil)

func main() {
	if subprocess.IsChild() { // a worker of the subprocess model, whatever its arguments
		runSubprocessWorker()
	}
	cmd := "worker"
	if len(os.Args) > 1 {
		cmd = os.Args[1]
	}
	var err error
	switch cmd {
	case "worker":
		err = serve()
	case "get":
		err = runGet(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q (this is gokernel's interpreter process; run gokernel instead)", cmd)
	}
	if err != nil {
		var exit exitError
		if ok := asExit(err, &exit); ok {
			os.Exit(int(exit))
		}
		fmt.Fprintln(os.Stderr, "gokernel-worker:", err)
		os.Exit(1)
	}
}

// serve runs one yaegi session for the kernel that started this process.
func serve() error {
	s, err := interp.NewSession(interp.Options{
		Stdout: cellWriter{fd: &os.Stdout, name: "stdout"},
		Stderr: cellWriter{fd: &os.Stderr, name: "stderr"},
	})
	if err != nil {
		return err
	}
	shareDeclarations(s)
	// No process a cell started outlives the interpreter: the subprocess
	// model's workers are asked to stop first, then whatever is left below
	// this process is killed (deferred calls run last first).
	defer worker.EndDescendants()
	defer subprocess.Shutdown()
	// Start-up garbage (symbol tables are built at init) is returned to the
	// OS now rather than whenever the heap next grows: idle RSS is a
	// measured target.
	debug.FreeOSMemory()
	// So are the pages of this binary that start-up read once (the init of
	// yaegi's symbol tables touches most of it): see package residency.
	residency.DropExecutablePages()
	return worker.Serve(trimmed{s, residency.NewIdleTrimmer(idleTrim)})
}

// idleTrim is how long the interpreter sits idle after a cell before it
// gives its free memory back (see residency.IdleTrimmer).
const idleTrim = 200 * time.Millisecond

// trimmed is the session, noting each cell's end for the idle trimmer.
// (Completion and inspection allocate little.)
type trimmed struct {
	*interp.Session
	idle *residency.IdleTrimmer
}

// The worker finds the session's Abandon and Stuck through this interface;
// without them it would fall back to leaving stuck cells to themselves.
var _ worker.Abandoner = trimmed{}

func (t trimmed) Execute(ctx context.Context, code string, out mime.Publisher) (mime.Bundle, error) {
	defer t.idle.Busy()
	return t.Session.Execute(ctx, code, out)
}

// cellWriter is where cells' fmt.Print*, log and os.Stdout writes go. Text
// from the running cell (the usual case) is written to this process's
// stdout or stderr, which are pipes the worker package forwards in large
// chunks, in order with displays, and without ever holding bytes in memory;
// a goroutine of an earlier cell that is still printing goes through that
// cell's Publisher instead, so its output is tagged with its own cell.
type cellWriter struct {
	fd   **os.File // &os.Stdout: worker.Serve replaces a closed os.Stdout
	name string
}

func (w cellWriter) Write(b []byte) (int, error) {
	if c := rt.Output(); c != nil && c != rt.Last() {
		if p, ok := c.Value.(mime.Publisher); ok {
			p.Stream(w.name, string(b))
			return len(b), nil
		}
	}
	return (*w.fd).Write(b)
}
