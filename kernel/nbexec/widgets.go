package nbexec

import (
	"encoding/json"
	"fmt"

	"github.com/gokernel/gokernel/kernel/mime"
)

// Widgets in a headless run. The collector plays the frontend's part as
// nbclient does: it keeps the state of every widget the cells open (comm
// messages on the jupyter.widget target), routes outputs into an Output
// widget while its msg_id names the running cell (as JupyterLab does), and
// saves the widgets' last state in the notebook's metadata, where JupyterLab
// and nbconvert find it (application/vnd.jupyter.widget-state+json).

const widgetStateMIME = "application/vnd.jupyter.widget-state+json"

type widgetState struct {
	models    map[string]map[string]any // comm id -> model_name, model_module, model_module_version, state
	capture   map[string]string         // msg_id -> Output model capturing it
	clearNext map[string]bool           // Output models cleared when their next output comes
}

func (col *collector) widgetsLocked() *widgetState {
	if col.widgets == nil {
		col.widgets = &widgetState{models: map[string]map[string]any{}, capture: map[string]string{}, clearNext: map[string]bool{}}
	}
	return col.widgets
}

// ParentID implements mime.Parent: the id outputs of this cell carry, which
// an Output widget's msg_id names to capture them.
func (co *cellOutputs) ParentID() string { return co.id }

// Send implements mime.Sender: comm messages update the widgets' state.
func (co *cellOutputs) Send(msgType string, content, metadata any) {
	var c struct {
		CommID     string `json:"comm_id"`
		TargetName string `json:"target_name"`
		Data       struct {
			Method string         `json:"method"`
			State  map[string]any `json:"state"`
		} `json:"data"`
	}
	b, err := json.Marshal(content)
	if err != nil || json.Unmarshal(b, &c) != nil || c.CommID == "" {
		return
	}
	co.col.mu.Lock()
	defer co.col.mu.Unlock()
	ws := co.col.widgetsLocked()
	switch msgType {
	case mime.MsgCommOpen:
		if c.TargetName != "jupyter.widget" || c.Data.State == nil {
			return
		}
		ws.models[c.CommID] = map[string]any{
			"model_name": c.Data.State["_model_name"], "model_module": c.Data.State["_model_module"],
			"model_module_version": c.Data.State["_model_module_version"], "state": c.Data.State,
		}
		ws.noteCapture(c.CommID, c.Data.State)
	case mime.MsgCommMsg:
		m := ws.models[c.CommID]
		if m == nil || c.Data.Method != "update" {
			return
		}
		st := m["state"].(map[string]any)
		for k, v := range c.Data.State {
			st[k] = v
		}
		ws.noteCapture(c.CommID, c.Data.State)
	case mime.MsgCommClose:
		delete(ws.models, c.CommID)
		ws.noteCapture(c.CommID, map[string]any{"msg_id": ""})
	}
}

// noteCapture follows an Output model's msg_id.
func (ws *widgetState) noteCapture(id string, state map[string]any) {
	msgID, ok := state["msg_id"].(string)
	if !ok {
		return
	}
	for k, v := range ws.capture {
		if v == id {
			delete(ws.capture, k)
		}
	}
	if msgID != "" {
		ws.capture[msgID] = id
	}
}

// capturedLocked returns the Output model that captures outputs with parent
// id, or "".
func (col *collector) capturedLocked(id string) string {
	if col.widgets == nil || id == "" {
		return ""
	}
	return col.widgets.capture[id]
}

// captureLocked adds an output to an Output model's outputs.
func (col *collector) captureLocked(model string, o map[string]any) {
	ws := col.widgets
	st, _ := ws.models[model]["state"].(map[string]any)
	if st == nil {
		return
	}
	outs, _ := st["outputs"].([]any)
	if ws.clearNext[model] {
		outs, ws.clearNext[model] = nil, false
	}
	if o["output_type"] == "stream" && len(outs) > 0 {
		if last, ok := outs[len(outs)-1].(map[string]any); ok && last["output_type"] == "stream" && last["name"] == o["name"] {
			last["text"] = fmt.Sprint(last["text"]) + fmt.Sprint(o["text"])
			return
		}
	}
	st["outputs"] = append(outs, o)
}

// clearCaptureLocked clears an Output model, now or at its next output.
func (col *collector) clearCaptureLocked(model string, wait bool) {
	if wait {
		col.widgets.clearNext[model] = true
		return
	}
	if st, _ := col.widgets.models[model]["state"].(map[string]any); st != nil {
		st["outputs"] = []any{}
	}
}

// saveWidgets stores the widgets' state in the notebook's metadata, or
// removes a stale one when the run made none.
func (col *collector) saveWidgets(nb *Notebook) {
	col.mu.Lock()
	defer col.mu.Unlock()
	md, _ := nb.doc["metadata"].(map[string]any)
	if md == nil {
		md = map[string]any{}
		nb.doc["metadata"] = md
	}
	if col.widgets == nil || len(col.widgets.models) == 0 {
		if w, ok := md["widgets"].(map[string]any); ok {
			delete(w, widgetStateMIME)
			if len(w) == 0 {
				delete(md, "widgets")
			}
		}
		return
	}
	state := make(map[string]any, len(col.widgets.models))
	for id, m := range col.widgets.models {
		state[id] = m
	}
	md["widgets"] = map[string]any{widgetStateMIME: map[string]any{"version_major": 2, "version_minor": 0, "state": state}}
}
