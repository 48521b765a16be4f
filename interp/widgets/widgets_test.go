package widgets

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gokernel/gokernel/interp/comm"
	"github.com/gokernel/gokernel/interp/display"
	"github.com/gokernel/gokernel/kernel/mime"
)

// rec is a Recorder that also tells its parent's id, as the kernel's
// publishers do.
type rec struct {
	mime.Recorder
	id string
}

func (r *rec) ParentID() string { return r.id }

var curMu sync.Mutex

// use makes r the current publisher for the test.
func use(t *testing.T, r *rec) {
	curMu.Lock()
	display.SetCurrent(func() mime.Publisher { return r })
	t.Cleanup(func() { display.SetCurrent(nil); curMu.Unlock() })
}

// sends returns the Send calls recorded, as JSON-decoded maps.
func sends(r *rec, msgType string) []map[string]any {
	var out []map[string]any
	for _, o := range r.Outputs() {
		if o.Kind != "send" || o.MsgType != msgType {
			continue
		}
		b, err := json.Marshal(o.Content)
		if err != nil {
			panic(err)
		}
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		out = append(out, m)
	}
	return out
}

// frontend sends a comm message as the kernel hands it over.
func frontend(t *testing.T, typ, id string, content map[string]any) error {
	t.Helper()
	b, _ := json.Marshal(content)
	return comm.Handle(mime.CommMsg{Type: typ, MsgID: "msg-" + id, Content: b}, display.Current())
}

func update(t *testing.T, w Widget, state map[string]any) error {
	return frontend(t, mime.MsgCommMsg, w.ModelID(), map[string]any{
		"comm_id": w.ModelID(), "data": map[string]any{"method": "update", "state": state, "buffer_paths": []any{}},
	})
}

func TestIntSliderOpenAndView(t *testing.T) {
	r := &rec{id: "cell-1"}
	use(t, r)
	s := NewIntSlider("threads", 1, 8, 4)
	opens := sends(r, "comm_open")
	if len(opens) != 1 {
		t.Fatalf("comm_opens: %v", r.Outputs())
	}
	o := opens[0]
	if o["target_name"] != "jupyter.widget" || o["comm_id"] != s.ModelID() {
		t.Errorf("comm_open %v", o)
	}
	for _, out := range r.Outputs() {
		if out.Kind == "send" && out.MsgType == "comm_open" {
			if md, _ := out.Metadata.(map[string]any); md["version"] != "2.1.0" {
				t.Errorf("comm_open metadata %v", out.Metadata)
			}
		}
	}
	st := o["data"].(map[string]any)["state"].(map[string]any)
	for k, want := range map[string]any{
		"_model_name": "IntSliderModel", "_view_name": "IntSliderView", "_model_module": "@jupyter-widgets/controls",
		"_model_module_version": "2.0.0", "_view_module_version": "2.0.0", "value": 4.0, "min": 1.0, "max": 8.0, "description": "threads",
	} {
		if st[k] != want {
			t.Errorf("state[%s] = %v, want %v", k, st[k], want)
		}
	}
	b := display.BundleOf(s)
	view, _ := b.Data[ViewMIME].(map[string]any)
	if view["model_id"] != s.ModelID() || view["version_major"] != 2 || view["version_minor"] != 0 {
		t.Errorf("view %v", b.Data)
	}
	if txt, _ := b.Data[mime.Text].(string); !strings.Contains(txt, "IntSlider") || !strings.Contains(txt, "value=4") {
		t.Errorf("text/plain %q", txt)
	}
}

func TestUpdateObserveEcho(t *testing.T) {
	r := &rec{id: "cell-2"}
	use(t, r)
	s := NewIntSlider("n", 0, 100, 10)
	var got []int
	s.Observe(func(v int) { got = append(got, v) })
	if err := update(t, s, map[string]any{"value": 42}); err != nil {
		t.Fatal(err)
	}
	if s.Value() != 42 || fmt.Sprint(got) != "[42]" {
		t.Errorf("value %d, observed %v", s.Value(), got)
	}
	var echoed bool
	for _, m := range sends(r, "comm_msg") {
		d := m["data"].(map[string]any)
		if d["method"] == "echo_update" && d["state"].(map[string]any)["value"] == 42.0 {
			echoed = true
		}
	}
	if !echoed {
		t.Errorf("no echo_update: %v", sends(r, "comm_msg"))
	}
	// From Go: the frontend gets an update, observers run.
	s.SetValue(7)
	last := sends(r, "comm_msg")
	d := last[len(last)-1]["data"].(map[string]any)
	if d["method"] != "update" || d["state"].(map[string]any)["value"] != 7.0 || fmt.Sprint(got) != "[42 7]" {
		t.Errorf("SetValue sent %v, observed %v", d, got)
	}
}

func TestBadInput(t *testing.T) {
	owner := &rec{id: "cell-3"}
	use(t, owner)
	s := NewIntSlider("n", 0, 10, 1)
	s.Observe(func(v int) {
		if v == 5 {
			panic("five is right out")
		}
	})
	if err := update(t, s, map[string]any{"value": "lots"}); err != nil {
		t.Fatal(err)
	}
	if s.Value() != 1 || !strings.Contains(owner.Stderr(), "bad state") || !strings.Contains(owner.Stderr(), "value") {
		t.Errorf("value %d, stderr %q", s.Value(), owner.Stderr())
	}
	if err := update(t, s, map[string]any{"value": 5}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(owner.Stderr(), "five is right out") {
		t.Errorf("panic not reported: %q", owner.Stderr())
	}
	// Still working.
	if err := update(t, s, map[string]any{"value": 6}); err != nil || s.Value() != 6 {
		t.Errorf("after a panic: %v, value %d", err, s.Value())
	}
	if err := frontend(t, mime.MsgCommMsg, "x", map[string]any{"comm_id": "nope", "data": map[string]any{}}); err == nil || !strings.Contains(err.Error(), "unknown comm") {
		t.Errorf("unknown comm id: %v", err)
	}
	if err := comm.Handle(mime.CommMsg{Type: mime.MsgCommMsg, Content: json.RawMessage(`{"comm_id": 3`)}, owner); err == nil {
		t.Error("malformed content: no error")
	}
	if err := frontend(t, mime.MsgCommMsg, "y", map[string]any{"comm_id": s.ModelID(), "data": "not an object"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(owner.Stderr(), "malformed message") {
		t.Errorf("malformed data not reported: %q", owner.Stderr())
	}
}

func TestControlRequestStates(t *testing.T) {
	r := &rec{id: "cell-4"}
	use(t, r)
	s := NewFloatSlider("x", 0, 1, 0.5)
	if err := frontend(t, mime.MsgCommOpen, "ctl", map[string]any{"comm_id": "ctl-1", "target_name": "jupyter.widget.control", "data": map[string]any{}}); err != nil {
		t.Fatal(err)
	}
	if err := frontend(t, mime.MsgCommMsg, "ctl", map[string]any{"comm_id": "ctl-1", "data": map[string]any{"method": "request_states"}}); err != nil {
		t.Fatal(err)
	}
	var states map[string]any
	for _, m := range sends(r, "comm_msg") {
		if m["comm_id"] == "ctl-1" && m["data"].(map[string]any)["method"] == "update_states" {
			states = m["data"].(map[string]any)["states"].(map[string]any)
		}
	}
	st, ok := states[s.ModelID()].(map[string]any)
	if !ok || st["model_name"] != "FloatSliderModel" || st["model_module_version"] != "2.0.0" || st["state"].(map[string]any)["value"] != 0.5 {
		t.Fatalf("update_states: %v", states)
	}
	// A comm_close from the frontend forgets the widget.
	if err := frontend(t, mime.MsgCommClose, "c", map[string]any{"comm_id": s.ModelID(), "data": map[string]any{}}); err != nil {
		t.Fatal(err)
	}
	if _, ok := States()[s.ModelID()]; ok {
		t.Error("closed widget still in States")
	}
	// An unknown target is closed at once.
	if err := frontend(t, mime.MsgCommOpen, "u", map[string]any{"comm_id": "u-1", "target_name": "nobody"}); err == nil {
		t.Error("unknown target: no error")
	}
	closes := sends(r, "comm_close")
	if len(closes) == 0 || closes[len(closes)-1]["comm_id"] != "u-1" {
		t.Errorf("no comm_close for an unknown target: %v", closes)
	}
}

func TestChoicesAndButton(t *testing.T) {
	r := &rec{id: "cell-5"}
	use(t, r)
	d := NewDropdown("unit", []string{"ms", "s", "min"}, "s")
	var seen string
	d.Observe(func(v string) { seen = v })
	if d.Value() != "s" {
		t.Errorf("initial %q", d.Value())
	}
	_ = update(t, d, map[string]any{"index": 2})
	if d.Value() != "min" || seen != "min" {
		t.Errorf("after index 2: %q, observed %q", d.Value(), seen)
	}
	_ = update(t, d, map[string]any{"index": 9})
	if d.Value() != "min" || !strings.Contains(r.Stderr(), "out of range") {
		t.Errorf("index 9: %q, stderr %q", d.Value(), r.Stderr())
	}
	if err := d.SetValue("hours"); err == nil {
		t.Error("SetValue of a non-option: no error")
	}
	tb := NewToggleButtons("mode", []string{"a", "b"}, "a")
	_ = update(t, tb, map[string]any{"index": 1})
	if tb.Value() != "b" {
		t.Errorf("toggle %q", tb.Value())
	}
	b := NewButton("go")
	clicks := 0
	b.OnClick(func() { clicks++ })
	_ = frontend(t, mime.MsgCommMsg, "b", map[string]any{"comm_id": b.ModelID(), "data": map[string]any{"method": "custom", "content": map[string]any{"event": "click"}}})
	if clicks != 1 {
		t.Errorf("clicks %d", clicks)
	}
	rs := NewIntRangeSlider("r", 0, 10, 2, 5)
	_ = update(t, rs, map[string]any{"value": []int{3, 8}})
	if lo, hi := rs.Value(); lo != 3 || hi != 8 {
		t.Errorf("range %d %d", lo, hi)
	}
	cb := NewCheckbox("on", false)
	_ = update(t, cb, map[string]any{"value": true})
	txt := NewText("name", "")
	_ = update(t, txt, map[string]any{"value": "gopher"})
	if !cb.Value() || txt.Value() != "gopher" {
		t.Errorf("checkbox %v text %q", cb.Value(), txt.Value())
	}
	box := NewHBox(d, NewLabel("l"), NewHTML("<b>x</b>"), NewPlay(0, 10, 100*time.Millisecond), NewIntProgress("p", 0, 10))
	if ch := box.Get("children").([]string); len(ch) != 5 || ch[0] != "IPY_MODEL_"+d.ModelID() {
		t.Errorf("children %v", ch)
	}
}

func TestOutputCapture(t *testing.T) {
	r := &rec{id: "cell-6"}
	use(t, r)
	o := NewOutput()
	o.Capture(func() { display.Current().Stream("stdout", "hi\n") })
	var ids []any
	for _, m := range sends(r, "comm_msg") {
		if m["comm_id"] == o.ModelID() {
			ids = append(ids, m["data"].(map[string]any)["state"].(map[string]any)["msg_id"])
		}
	}
	if fmt.Sprint(ids) != "[cell-6 ]" {
		t.Errorf("msg_id updates %v", ids)
	}
	o.Capture(func() { panic("boom") })
	if !strings.Contains(r.Stderr(), "boom") {
		t.Errorf("panic in a capture: %q", r.Stderr())
	}
}

// TestInteractCoalesces: superseded updates (a later one already waits)
// only mark the output stale; the latest runs once, while its message is
// served, with the latest value.
func TestInteractCoalesces(t *testing.T) {
	r := &rec{id: "cell-7"}
	use(t, r)
	s := NewIntSlider("n", 0, 1000, 0)
	var seen []int
	it := NewInteractive(func() { seen = append(seen, s.Value()) }, s)
	if it.Runs() != 1 {
		t.Fatalf("runs after creation: %d", it.Runs())
	}
	for i := 1; i <= 100; i++ {
		b, _ := json.Marshal(map[string]any{"comm_id": s.ModelID(), "data": map[string]any{"method": "update", "state": map[string]any{"value": i}}})
		err := comm.Handle(mime.CommMsg{Type: mime.MsgCommMsg, MsgID: fmt.Sprint("m", i), Content: b, Superseded: i < 100}, r)
		if err != nil {
			t.Fatal(err)
		}
	}
	// The run happened before Handle returned, in the last message.
	if it.Runs() != 2 || fmt.Sprint(seen) != "[0 100]" {
		t.Errorf("runs %d, values seen %v; want 2 runs, the second with 100", it.Runs(), seen)
	}
	if !it.Wait(time.Second) {
		t.Error("not idle")
	}
}

// TestInteractChangeDuringRun: f changing a control itself makes one more
// run, not a deadlock or a run per change.
func TestInteractChangeDuringRun(t *testing.T) {
	r := &rec{id: "cell-8"}
	use(t, r)
	s := NewIntSlider("n", 0, 10, 0)
	var seen []int
	NewInteractive(func() {
		v := s.Value()
		seen = append(seen, v)
		if v < 3 {
			s.SetValue(v + 1)
		}
	}, s)
	if fmt.Sprint(seen) != "[0 1 2 3]" {
		t.Errorf("values seen %v", seen)
	}
}

func TestTextFallback(t *testing.T) {
	r := &rec{id: "cell-9"}
	use(t, r)
	s := NewIntSlider("threads", 1, 8, 4)
	d := NewDropdown("unit", []string{"ms", "s"}, "s")
	it := NewInteractive(func() {}, s, d)
	txt, _ := it.Bundle().Data[mime.Text].(string)
	if txt != `VBox: IntSlider "threads" value=4; Dropdown "unit" value="s" of ["ms" "s"]` {
		t.Errorf("text/plain %q", txt)
	}
}
