package kernel

import (
	"context"
	"encoding/json"
)

// The Jupyter debugger: debug_request and debug_reply on the control
// channel, debug_event on iopub. Their contents are Debug Adapter Protocol
// messages, which the kernel passes through to the Evaluator untouched.
const (
	msgDebugRequest = "debug_request"
	msgDebugReply   = "debug_reply"
	msgDebugEvent   = "debug_event"
)

// A Debugger is an Evaluator that serves the Jupyter debugger. Debug answers
// one DAP request (a debug_request's content) with the DAP response (the
// debug_reply's content) and sends DAP events to events, also after it
// returns: a breakpoint hit while a cell runs. Debug must answer while a cell
// runs or is stopped at a breakpoint (it is called from the control
// goroutine, beside Execute). The kernel says debugger: true in
// kernel_info_reply only for an Evaluator that implements it.
type Debugger interface {
	Debug(req json.RawMessage, events func(json.RawMessage)) json.RawMessage
}

func (k *Kernel) debugger() (Debugger, bool) {
	d, ok := k.ev.(Debugger)
	return d, ok
}

func (k *Kernel) debugRequest(_ context.Context, r *request) {
	d, ok := k.debugger()
	if !ok {
		var req struct {
			Seq     int    `json:"seq"`
			Command string `json:"command"`
		}
		_ = json.Unmarshal(r.msg.Content, &req)
		k.reply(r, msgDebugReply, map[string]any{"type": "response", "request_seq": req.Seq, "command": req.Command,
			"success": false, "message": "this kernel has no debugger", "body": map[string]any{}})
		return
	}
	parent := r.msg.Header
	events := func(ev json.RawMessage) {
		if json.Valid(ev) {
			k.publish(parent, msgDebugEvent, ev)
		}
	}
	resp := d.Debug(json.RawMessage(r.msg.Content), events)
	if !json.Valid(resp) {
		resp = json.RawMessage(`{"type":"response","success":false,"message":"the debugger sent an invalid reply","body":{}}`)
	}
	k.reply(r, msgDebugReply, resp)
}
