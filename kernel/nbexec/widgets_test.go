package nbexec

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/gokernel/gokernel/kernel"
	"github.com/gokernel/gokernel/kernel/mime"
)

// TestWidgetsHeadless: an Output widget whose msg_id names the running cell
// takes the cell's outputs, as JupyterLab and nbclient route them, and the
// widgets' last state is saved in the notebook's metadata.
func TestWidgetsHeadless(t *testing.T) {
	ev := kernel.ExecuteFunc(func(ctx context.Context, code string, out mime.Publisher) (mime.Bundle, error) {
		s, ok := out.(mime.Sender)
		p, ok2 := out.(mime.Parent)
		if !ok || !ok2 {
			t.Fatal("the cell's publisher is not a mime.Sender and mime.Parent")
		}
		state := map[string]any{"_model_name": "OutputModel", "_model_module": "@jupyter-widgets/output",
			"_model_module_version": "1.0.0", "msg_id": "", "outputs": []any{}}
		s.Send("comm_open", map[string]any{"comm_id": "o1", "target_name": "jupyter.widget", "data": map[string]any{"state": state}}, nil)
		out.Display(mime.Bundle{Data: map[string]any{"text/plain": "Output"}}, "")
		upd := func(id string) {
			s.Send("comm_msg", map[string]any{"comm_id": "o1", "data": map[string]any{"method": "update", "state": map[string]any{"msg_id": id}}}, nil)
		}
		upd(p.ParentID())
		out.Stream("stdout", "captured\n")
		upd("")
		out.Stream("stdout", "in the cell\n")
		return mime.Bundle{}, nil
	})
	nb := notebook(t, "go")
	if _, err := Run(context.Background(), nb, ev, Options{}); err != nil {
		t.Fatal(err)
	}
	if got := summary(nb); len(got) != 1 || got[0] != "display_data=Output;stream:stdout=in the cell" {
		t.Errorf("cell outputs %q", got)
	}
	b, _ := json.Marshal(nb.doc["metadata"])
	var md struct {
		Widgets map[string]struct {
			State map[string]struct {
				ModelName string `json:"model_name"`
				State     struct {
					Outputs []map[string]any `json:"outputs"`
				} `json:"state"`
			} `json:"state"`
		} `json:"widgets"`
	}
	_ = json.Unmarshal(b, &md)
	o := md.Widgets[widgetStateMIME].State["o1"]
	if o.ModelName != "OutputModel" || len(o.State.Outputs) != 1 || o.State.Outputs[0]["text"] != "captured\n" {
		t.Errorf("saved widget state: %s", b)
	}
}
