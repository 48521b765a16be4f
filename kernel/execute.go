package kernel

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sort"
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
		k.reply(r, msgExecuteReply, executeReply{Status: statusAborted, ExecutionCount: k.count, UserExpressions: map[string]any{}, Payload: []any{}})
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
	// silent: "will not broadcast output on the IOPUB channel" (the spec);
	// status busy and idle still go, as with ipykernel.
	out.silent = req.Silent

	var (
		result  mime.Bundle
		err     error
		payload = []any{}
	)
	if name, detail, ok := helpRequest(req.Code); ok {
		payload = k.help(out, name, detail)
	} else {
		result, err = k.evaluate(cellCtx, req.Code, out)
	}

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
		if !req.Silent {
			k.publish(r.msg.Header, msgError, e)
		}
		k.reply(r, msgExecuteReply, executeReply{
			Status:          statusError,
			ExecutionCount:  count,
			UserExpressions: map[string]any{},
			Payload:         []any{},
			errorContent:    errorContent{EName: e.EName, EValue: e.EValue, Traceback: e.Traceback},
		})
		if stopOnError {
			k.failedAt = time.Now()
		}
		return
	}
	k.reply(r, msgExecuteReply, executeReply{
		Status:          statusOK,
		ExecutionCount:  count,
		UserExpressions: k.userExpressions(ctx, req.UserExpressions),
		Payload:         payload,
	})
}

// expressionEvaluator is what an Evaluator may implement to evaluate a
// user_expressions entry its own way (without counting it as a cell, say).
// Others are asked to Execute the expression with its outputs discarded.
type expressionEvaluator interface {
	EvaluateExpression(ctx context.Context, expr string) (mime.Bundle, error)
}

// userExpressions evaluates execute_request's user_expressions after the
// cell, as the spec says: each gets its own result or error, nothing is
// published and the execution count does not move. Names are evaluated in
// sorted order, so that expressions with effects behave the same each time.
func (k *Kernel) userExpressions(ctx context.Context, exprs map[string]any) map[string]any {
	out := make(map[string]any, len(exprs))
	names := make([]string, 0, len(exprs))
	for name := range exprs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		expr, ok := exprs[name].(string)
		if !ok {
			out[name] = errorResult(fmt.Errorf("user expression %q is not a string", name), "TypeError")
			continue
		}
		var (
			b   mime.Bundle
			err error
		)
		if ee, ok := k.ev.(expressionEvaluator); ok {
			b, err = k.evaluateWith(func() (mime.Bundle, error) { return ee.EvaluateExpression(ctx, expr) })
		} else {
			b, err = k.evaluate(ctx, expr, new(mime.Recorder))
		}
		if err != nil {
			out[name] = errorResult(err, "")
			continue
		}
		d, m := data(b)
		out[name] = map[string]any{"status": statusOK, "data": d, "metadata": m}
	}
	return out
}

// errorResult is a user expression's error: status, ename, evalue,
// traceback.
func errorResult(err error, ename string) map[string]any {
	e := errorFields(err)
	if ename != "" {
		e.EName = ename
	}
	return map[string]any{"status": statusError, "ename": e.EName, "evalue": e.EValue, "traceback": e.Traceback}
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
	return k.evaluateWith(func() (mime.Bundle, error) { return k.ev.Execute(ctx, code, out) })
}

// evaluateWith calls f, turning a panic in it into an error.
func (k *Kernel) evaluateWith(f func() (mime.Bundle, error)) (b mime.Bundle, err error) {
	defer func() {
		if p := recover(); p != nil {
			k.log.Printf("kernel: the evaluator panicked: %v\n%s", p, debug.Stack())
			b, err = mime.Bundle{}, &evalPanic{value: p}
		}
	}()
	return f()
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
