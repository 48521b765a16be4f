package comm

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/gokernel/gokernel/interp/display"
	"github.com/gokernel/gokernel/kernel/mime"
)

func TestOpenSendCloseAndInfo(t *testing.T) {
	r := &mime.Recorder{}
	display.SetCurrent(func() mime.Publisher { return r })
	defer display.SetCurrent(nil)

	c := Open("test.target", map[string]any{"a": 1}, nil)
	var got []string
	c.OnMsg(func(m *Msg) { got = append(got, string(m.Data)) })
	if info := Comms("test.target"); info[c.ID()] != "test.target" {
		t.Errorf("Comms(target) = %v", info)
	}
	if info := Comms("other"); len(info) != 0 {
		t.Errorf("Comms(other) = %v", info)
	}
	content, _ := json.Marshal(map[string]any{"comm_id": c.ID(), "data": map[string]any{"x": 2}})
	if err := Handle(mime.CommMsg{Type: mime.MsgCommMsg, MsgID: "m1", Content: content}, r); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != `{"x":2}` {
		t.Errorf("OnMsg got %v", got)
	}
	c.Send(map[string]any{"y": 3})
	c.Close(nil)
	c.Send(map[string]any{"after": "close"}) // dropped
	var types []string
	for _, o := range r.Outputs() {
		if o.Kind == "send" {
			types = append(types, o.MsgType)
		}
	}
	if strings.Join(types, ",") != "comm_open,comm_msg,comm_close" {
		t.Errorf("sent %v", types)
	}
	if _, ok := Comms("")[c.ID()]; ok || !c.Closed() {
		t.Error("closed comm still listed")
	}
}

func TestHandleErrors(t *testing.T) {
	r := &mime.Recorder{}
	for _, tc := range []struct{ typ, content, want string }{
		{mime.MsgCommMsg, `{`, "malformed"},
		{mime.MsgCommMsg, `{"data": {}}`, "without a comm_id"},
		{mime.MsgCommClose, `{"comm_id": "gone"}`, "unknown comm id"},
		{"comm_bogus", `{"comm_id": "x"}`, "not a comm message"},
	} {
		err := Handle(mime.CommMsg{Type: tc.typ, Content: json.RawMessage(tc.content)}, r)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %s: %v, want %q", tc.typ, tc.content, err, tc.want)
		}
	}
	// A target whose open callback panics: the error is reported, the comm
	// stays usable by the kernel.
	Register("panicky", func(c *Comm, m *Msg) { panic("no") })
	defer Register("panicky", nil)
	err := Handle(mime.CommMsg{Type: mime.MsgCommOpen, Content: json.RawMessage(`{"comm_id": "p1", "target_name": "panicky"}`)}, r)
	if err == nil || !strings.Contains(err.Error(), "panic") || !strings.Contains(r.Stderr(), "no") {
		t.Errorf("panicking open: %v, stderr %q", err, r.Stderr())
	}
}
