package worker

import (
	"encoding/json"
	"sync/atomic"
)

// A Debugger is an Evaluator that also serves the Jupyter debugger: Debug
// answers one Debug Adapter Protocol request (a debug_request's content) and
// sends DAP events to events, also later, while a cell runs or is stopped
// (interp.Session implements it). The kernel finds it by type assertion.
type Debugger interface {
	Debug(req json.RawMessage, events func(json.RawMessage)) json.RawMessage
}

var _ Debugger = (*Client)(nil)

// debugHook is where the Client hands the child's DAP events: the events
// func of the latest Debug call.
type debugHook struct {
	events atomic.Pointer[func(json.RawMessage)]
}

// Debug forwards a DAP request to the child (frame op "debug"; the reply
// carries the DAP response in Text). Events arrive as "debug_event" frames at
// any time and go to events. A child that cannot debug, or does not answer
// within Options.CallTimeout, gets an unsuccessful DAP response.
func (c *Client) Debug(req json.RawMessage, events func(json.RawMessage)) json.RawMessage {
	if events != nil {
		c.debug.events.Store(&events)
	}
	f, err := c.call(&frame{Op: opDebug, Text: string(req)})
	switch {
	case err != nil:
		return dapFailure(req, "the interpreter did not answer: "+err.Error())
	case f.Err != nil:
		return dapFailure(req, f.Err.Msg)
	case f.Text == "":
		return dapFailure(req, "the interpreter sent no debug reply")
	}
	return json.RawMessage(f.Text)
}

// debugEvent hands a DAP event from the child to the kernel.
func (c *Client) debugEvent(text string) {
	if p := c.debug.events.Load(); p != nil && text != "" {
		(*p)(json.RawMessage(text))
	}
}

// debug answers a "debug" frame in the child.
func (s *server) debug(f *frame) {
	r := &frame{Op: opReply, ID: f.ID}
	d, ok := s.ev.(Debugger)
	if !ok {
		r.Text = string(dapFailure(json.RawMessage(f.Text), "this interpreter has no debugger"))
	} else if p := protect(func() { r.Text = string(d.Debug(json.RawMessage(f.Text), s.debugEvent)) }); p != nil {
		r.Text = string(dapFailure(json.RawMessage(f.Text), p.Error()))
	}
	_ = s.send(r)
}

func (s *server) debugEvent(ev json.RawMessage) {
	_ = s.send(&frame{Op: opDebugEvent, Text: string(ev)})
}

// dapFailure is an unsuccessful DAP response to req.
func dapFailure(req json.RawMessage, msg string) json.RawMessage {
	var r struct {
		Seq     int    `json:"seq"`
		Command string `json:"command"`
	}
	_ = json.Unmarshal(req, &r)
	b, _ := json.Marshal(map[string]any{"seq": 0, "type": "response", "request_seq": r.Seq, "command": r.Command,
		"success": false, "message": msg, "body": map[string]any{}})
	return b
}
