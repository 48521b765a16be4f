// Package worker runs the interpreter in a child process supervised by the
// kernel process, so that nothing a cell does can take the kernel down.
//
// In the kernel process:
//
//	c := worker.New(worker.Options{Log: os.Stderr}) // starts `<exe> worker` in the background
//	defer c.Close()
//	var ev kernel.Evaluator = c                       // Execute, Complete, Inspect, IsComplete
//
// In the child (`gokernel worker`):
//
//	err := worker.Serve(session) // session: the yaegi Session, any Evaluator
//	os.Exit(...)
//
// # What crosses the boundary
//
// The child reads frames on fd 3 and writes frames on fd 4 (a 4-byte length
// and a JSON body): Execute (with a cell id), interrupt, Complete, Inspect,
// IsComplete one way; results, replies and every Publisher call (Stream,
// Display, Update, Clear, and Input, which waits for the parent's answer)
// the other way, each tagged with the cell it belongs to. Errors keep their
// text and, when they have them, Name and Traceback (they arrive as *Error).
//
// # Output
//
// The child's fd 1 and fd 2 are pipes, so every byte written to them by
// anything (fmt, os.Stdout, log, C code, processes the cell starts) becomes
// stream output of the running cell, or of the last cell when none runs. The
// child itself reads those pipes (their read ends are its fd 5 and fd 6) so
// that pipe bytes and Publisher calls leave through one ordered channel:
// before sending any frame it takes out of the pipes exactly the bytes
// FIONREAD counts in them, which were all written before the call. The
// parent keeps its own copies of the read ends and reads them only after the
// child died, which is how a crash report that the dying runtime wrote to fd
// 2 reaches the user. Fast output is batched: a line after a pause is sent
// at once, a tight print loop yields one frame per Options.FlushInterval.
//
// # Failure
//
// If the child dies (a fatal runtime error such as concurrent map writes,
// out of memory, os.Exit, a signal) or sends a malformed frame, the running
// Execute returns an *Error of Kind KernelDied that quotes the crash report,
// the Client starts a fresh child at once, and the next Execute runs there
// (with the earlier state lost, as the message says).
//
// # Interrupt
//
// The Client owns the whole policy, because it is the layer that can kill
// the child; the Evaluator in the child only stops a cell when its context
// is cancelled and, if it implements Abandoner, leaves a cell to itself on
// request. An interrupt (Execute's ctx cancelled, or Interrupt) sends an
// interrupt frame: the cell normally ends with an Interrupted error within
// 0.5 s, state kept. If it is still running Options.Grace (1 s) later, the
// Client sends an abandon frame: the child's Evaluator (Abandoner.Abandon;
// or Serve itself for an Evaluator without it) leaves the cell running on
// its own goroutine and answers at once, and Execute returns an Interrupted
// *Error saying that the cell is stuck where an interrupt cannot reach it,
// keeps running in the background, that later cells run normally, and that
// interrupting again restarts the interpreter and loses all state. The
// child reports how many abandoned cells still run (Abandoner.Stuck) in
// every result and whenever the number changes. While it is not zero, an
// interrupt restarts the child: during a cell, Execute returns an
// InterpreterRestarted *Error; between cells (Interrupt with no cell
// running), the next cell is told on stderr. A child that does not answer
// the abandon frame within 5 s is taken for frozen and restarted.
//
// # Processes cells start
//
// None outlives the child. On Linux Serve makes the child a subreaper
// (PR_SET_CHILD_SUBREAPER), so that every process started below it stays
// below it, whatever process group or session it moves to; the child's
// main calls EndDescendants when Serve returns (the kernel closed the pipe,
// or died), and the Client kills the child's whole tree (stopped first, so
// that none forks meanwhile) when it restarts or closes it. Elsewhere the
// child's process group is killed.
//
// # Descriptors
//
// Serve moves its pipes from fds 3 to 6 to fds 56 and up (close-on-exec)
// and puts /dev/null on the small numbers, so that a cell closing fd 3 or 4
// harms nothing. Before and after each cell it checks them: a closed fd 1
// or fd 2 is reopened on its pipe, with a note under the cell; a closed
// protocol pipe ends the child, which tells the Client (an opLost frame, or
// a line on fd 2 when the frame pipe itself is gone), and the KernelDied
// error names the pipe. The Client also notices on its side: a write that
// fails with EPIPE (the child's fd 3 end is closed), or the end of fd 4
// while the child keeps running.
//
// # Limits
//
// One frame carries at most 1 GiB; above it the cell fails with CellTooLarge
// (not sent; the interpreter is untouched) or ValueTooLarge (its value could
// not be sent), and the message names the limit. EnvMemoryLimit sets an
// optional memory limit, enforced in the child (see its doc): a MemoryLimit
// error, with the state kept, or, past 1.25 times the limit, a restart.
//
// # Goroutines that outlive their cell
//
// Their output is tagged with the cell that started them. The Client hands
// it to that cell's Publisher while that cell is the latest one (or one of
// the last Options.KeepPublishers cells), and to the latest cell's Publisher
// otherwise.
package worker
