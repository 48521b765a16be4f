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
// (with the earlier state lost, as the message says). An interrupt cancels
// the cell's context in the child; a cell still running Options.Grace later
// is reported as unstoppable, and a second interrupt (Client.Interrupt)
// restarts the child.
//
// # Goroutines that outlive their cell
//
// Their output is tagged with the cell that started them. The Client hands
// it to that cell's Publisher while that cell is the latest one (or one of
// the last Options.KeepPublishers cells), and to the latest cell's Publisher
// otherwise.
package worker
