package kernel

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/gokernel/gokernel/kernel/mime"
)

// After a cell fails with stop_on_error, every execute_request that was
// already queued behind it is answered "aborted" (ipykernel flushes its
// queue the same way). So is one that arrives within abortGrace of the
// failure if its header's date says it was sent before the failure: it was
// on the wire, queued in all but name. A request sent after the client saw
// the failure runs, however fast it comes.
const abortGrace = 200 * time.Millisecond

// tracebacker is what an Evaluator's error may implement to give ename and
// traceback (declared here so interp need not import kernel).
type tracebacker interface {
	Name() string
	Traceback() []string
}

func (k *Kernel) execute(ctx context.Context, r *request) {
	var req executeRequest
	if !k.parse(r, &req, msgExecuteReply) {
		return
	}
	storeHistory := !req.Silent && (req.StoreHistory == nil || *req.StoreHistory)
	allowStdin := req.AllowStdin == nil || *req.AllowStdin
	stopOnError := req.StopOnError == nil || *req.StopOnError

	if k.queuedBehindFailure(r) {
		k.reply(r, msgExecuteReply, executeReply{Status: statusAborted, ExecutionCount: k.count})
		return
	}

	if storeHistory {
		k.count++
	}
	count := k.count
	if !req.Silent {
		k.publish(r.msg.Header, msgExecuteInput, executeInput{Code: req.Code, ExecutionCount: count})
	}

	cellCtx, cancel := context.WithCancel(ctx)
	k.execMu.Lock()
	k.cancelExec = cancel
	k.execMu.Unlock()
	out := newPublisher(k, r, allowStdin, cellCtx)

	result, err := k.evaluate(cellCtx, req.Code, out)

	k.execMu.Lock()
	k.cancelExec = nil
	k.execMu.Unlock()
	cancel() // Input from a goroutine that outlives the cell now fails fast
	out.flush()

	var resultText string
	if err == nil && !req.Silent && !result.IsZero() {
		d, m := data(result)
		k.publish(r.msg.Header, msgExecuteResult, executeResult{ExecutionCount: count, Data: d, Metadata: m})
		resultText, _ = d[mime.Text].(string)
	}
	if storeHistory {
		k.history = append(k.history, historyEntry{line: count, input: req.Code, output: resultText})
	}
	if err != nil {
		e := errorFields(err)
		k.publish(r.msg.Header, msgError, e)
		k.reply(r, msgExecuteReply, executeReply{
			Status:         statusError,
			ExecutionCount: count,
			errorContent:   errorContent{EName: e.EName, EValue: e.EValue, Traceback: e.Traceback},
		})
		if stopOnError {
			k.failedAt = time.Now()
		}
		return
	}
	k.reply(r, msgExecuteReply, executeReply{
		Status:          statusOK,
		ExecutionCount:  count,
		UserExpressions: map[string]any{},
		Payload:         []any{},
	})
}

// queuedBehindFailure reports whether r was queued (or in flight) when the
// last cell failed with stop_on_error.
func (k *Kernel) queuedBehindFailure(r *request) bool {
	switch {
	case k.failedAt.IsZero() || r.received.IsZero():
		return false
	case r.received.Before(k.failedAt):
		return true
	case r.received.Sub(k.failedAt) < abortGrace:
		sent, err := time.Parse(time.RFC3339Nano, r.msg.Header.Date)
		return err == nil && sent.Before(k.failedAt)
	}
	return false
}

// evaluate calls the Evaluator, turning a panic in it into an error so that a
// broken Evaluator fails the cell and not the kernel.
func (k *Kernel) evaluate(ctx context.Context, code string, out mime.Publisher) (b mime.Bundle, err error) {
	defer func() {
		if p := recover(); p != nil {
			k.log.Printf("kernel: the evaluator panicked: %v\n%s", p, debug.Stack())
			b, err = mime.Bundle{}, &evalPanic{value: p}
		}
	}()
	return k.ev.Execute(ctx, code, out)
}

type evalPanic struct{ value any }

func (e *evalPanic) Error() string       { return fmt.Sprintf("kernel: evaluator panicked: %v", e.value) }
func (e *evalPanic) Name() string        { return "KernelPanic" }
func (e *evalPanic) Traceback() []string { return []string{e.Error()} }

// errorFields turns an Evaluator error into ename, evalue and traceback.
func errorFields(err error) errorOutput {
	e := errorOutput{EName: "Error", EValue: err.Error()}
	var tb tracebacker
	switch {
	case errors.As(err, &tb):
		e.EName, e.Traceback = tb.Name(), tb.Traceback()
	case errors.Is(err, context.Canceled):
		e.EName = "Interrupted"
	}
	if e.EName == "" {
		e.EName = "Error"
	}
	if len(e.Traceback) == 0 {
		e.Traceback = []string{e.EValue}
	}
	return e
}
