package kernel

import (
	"context"

	"github.com/gokernel/gokernel/kernel/mime"
)

// An Evaluator runs notebook cells. The kernel calls Execute, Complete,
// Inspect and IsComplete from one goroutine at a time.
//
// Execute must return soon after ctx is cancelled (interrupt_request or
// SIGINT). The bundle it returns is the cell's final value (execute_result);
// a zero Bundle means the cell had none. A returned error becomes an error
// output: if it implements
//
//	interface{ Name() string; Traceback() []string }
//
// (found with errors.As) those give ename and traceback; otherwise ename is
// "Error" and the traceback is the error text.
//
// An Evaluator that also implements io.Closer is closed when the kernel shuts
// down.
type Evaluator interface {
	Execute(ctx context.Context, code string, out mime.Publisher) (mime.Bundle, error)
	// Complete returns the matches for the code at cursor (a rune offset, as
	// the protocol counts it) and the rune range [start, end) they replace.
	Complete(code string, cursor int) (matches []mime.Completion, start, end int)
	// Inspect returns the documentation for the name at cursor.
	Inspect(code string, cursor int, detail int) (mime.Bundle, bool)
	// IsComplete answers is_complete_request: status is "complete",
	// "incomplete", "invalid" or "unknown"; indent goes with "incomplete".
	IsComplete(code string) (status, indent string)
}

// Comms is implemented by an Evaluator that serves comms (Jupyter widgets):
// the kernel hands it every comm_open, comm_msg and comm_close from the
// frontend, with a Publisher whose parent is that message and which is also
// a mime.Sender, through which the Evaluator sends its own comm messages.
// HandleComm is called from the goroutine that calls Execute, never at the
// same time; it must return soon after ctx is cancelled (interrupt). Its
// error is logged: what the user must see, the Evaluator shows through out.
// comm_info_request is answered by the kernel, from the comm messages it
// has seen cross in both directions.
type Comms interface {
	HandleComm(ctx context.Context, m mime.CommMsg, out mime.Publisher) error
}

// ExecuteFunc adapts a function to an Evaluator that only executes: it
// completes nothing, inspects nothing and calls every cell complete. It makes
// fakes for tests one line long.
type ExecuteFunc func(ctx context.Context, code string, out mime.Publisher) (mime.Bundle, error)

// Execute calls f.
func (f ExecuteFunc) Execute(ctx context.Context, code string, out mime.Publisher) (mime.Bundle, error) {
	return f(ctx, code, out)
}

// Complete implements Evaluator with no matches.
func (ExecuteFunc) Complete(code string, cursor int) ([]mime.Completion, int, int) {
	return nil, cursor, cursor
}

// Inspect implements Evaluator with nothing found.
func (ExecuteFunc) Inspect(string, int, int) (mime.Bundle, bool) { return mime.Bundle{}, false }

// IsComplete implements Evaluator: every cell is complete.
func (ExecuteFunc) IsComplete(string) (string, string) { return "complete", "" }
