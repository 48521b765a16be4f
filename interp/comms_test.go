package interp

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/gokernel/gokernel/interp/widgets"
	"github.com/gokernel/gokernel/kernel/mime"
)

// TestWidgetInCell: a widget made in a cell shows as its last value, and a
// frontend update runs the cell's observer with its output under the
// message; a panicking observer is reported and the session goes on.
func TestWidgetInCell(t *testing.T) {
	s, err := NewSession(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cell := &mime.Recorder{}
	b, err := s.Execute(context.Background(), `
s := widgets.NewIntSlider("n", 0, 10, 3)
s.Observe(func(v int) {
	if v == 9 {
		panic("nine")
	}
	fmt.Println("v is", v)
})
s`, cell)
	if err != nil {
		t.Fatal(err)
	}
	view, ok := b.Data[widgets.ViewMIME].(map[string]any)
	if !ok {
		t.Fatalf("last value: %v", b.Data)
	}
	id, _ := view["model_id"].(string)
	var opened bool
	for _, o := range cell.Outputs() {
		if o.Kind == "send" && o.MsgType == "comm_open" {
			opened = true
		}
	}
	if !opened || id == "" {
		t.Fatalf("no comm_open for %q: %v", id, cell.Outputs())
	}
	upd := func(v int) *mime.Recorder {
		out := &mime.Recorder{}
		c, _ := json.Marshal(map[string]any{"comm_id": id, "data": map[string]any{"method": "update", "state": map[string]any{"value": v}}})
		if err := s.HandleComm(context.Background(), mime.CommMsg{Type: "comm_msg", MsgID: "m", Content: c}, out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	if out := upd(7); !strings.Contains(out.Stdout(), "v is 7") {
		t.Errorf("observer output: %v", out.Outputs())
	}
	if out := upd(9); !strings.Contains(out.Stderr()+cell.Stderr(), "nine") {
		t.Errorf("panic not reported: %v / %v", out.Outputs(), cell.Outputs())
	}
	if out := upd(4); !strings.Contains(out.Stdout(), "v is 4") {
		t.Errorf("after a panic: %v", out.Outputs())
	}
	b, err = s.Execute(context.Background(), `s.Value()`, cell)
	if err != nil || b.Data[mime.Text] != "4" {
		t.Errorf("value in the next cell: %v %v", b.Data, err)
	}
}
