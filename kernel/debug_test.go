package kernel_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/gokernel/gokernel/kernel"
	"github.com/gokernel/gokernel/kernel/kerneltest"
)

// debugEval is an Evaluator with a debugger that answers every request and
// sends one event per request.
type debugEval struct{ kernel.ExecuteFunc }

func (debugEval) Debug(req json.RawMessage, events func(json.RawMessage)) json.RawMessage {
	var r struct {
		Seq     int    `json:"seq"`
		Command string `json:"command"`
	}
	_ = json.Unmarshal(req, &r)
	events(json.RawMessage(`{"type":"event","event":"stopped","body":{"threadId":1}}`))
	b, _ := json.Marshal(map[string]any{"type": "response", "request_seq": r.Seq, "command": r.Command, "success": true, "body": map[string]any{"echo": r.Command}})
	return b
}

func TestDebugRequestOnControl(t *testing.T) {
	f := kerneltest.Start(t, debugEval{}, kernel.Options{})
	if c := content(f.Reply(f.Send("control", "kernel_info_request", struct{}{}))); c["debugger"] != true {
		t.Errorf("kernel_info debugger = %v, want true for an Evaluator with Debug", c["debugger"])
	}
	id := f.Send("control", "debug_request", map[string]any{"seq": 7, "type": "request", "command": "debugInfo", "arguments": map[string]any{}})
	r := f.Reply(id)
	if ch, _ := f.ReplyChannel(id); r.Header.MsgType != "debug_reply" || ch != "control" {
		t.Fatalf("reply %s on %s", r.Header.MsgType, ch)
	}
	c := content(r)
	if c["request_seq"] != 7.0 || c["success"] != true || c["body"].(map[string]any)["echo"] != "debugInfo" {
		t.Errorf("debug_reply %v", c)
	}
	types := kerneltest.Types(f.IOPub(id))
	if !reflect.DeepEqual(types, []string{"status", "debug_event", "status"}) {
		t.Errorf("iopub %v", types)
	}
}

func TestNoDebuggerWithoutDebug(t *testing.T) {
	f := start(t, nil)
	if c := content(f.Reply(f.Send("control", "kernel_info_request", struct{}{}))); c["debugger"] != false {
		t.Errorf("kernel_info debugger = %v, want false", c["debugger"])
	}
	c := content(f.Reply(f.Send("control", "debug_request", map[string]any{"seq": 1, "type": "request", "command": "initialize"})))
	if c["success"] != false || c["command"] != "initialize" {
		t.Errorf("debug_reply without a debugger: %v", c)
	}
}
