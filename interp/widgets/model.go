package widgets

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/gokernel/gokernel/interp/comm"
	"github.com/gokernel/gokernel/interp/display"
	"github.com/gokernel/gokernel/kernel/mime"
)

// Versions of the protocol and of the frontend modules this package speaks:
// those of JupyterLab 4 with jupyterlab_widgets 3 (ipywidgets 8).
const (
	ProtocolVersion = "2.1.0"
	ViewMIME        = "application/vnd.jupyter.widget-view+json"

	controlsModule  = "@jupyter-widgets/controls"
	controlsVersion = "2.0.0"
	baseModule      = "@jupyter-widgets/base"
	baseVersion     = "2.0.0"
	outputModule    = "@jupyter-widgets/output"
	outputVersion   = "1.0.0"

	target        = "jupyter.widget"
	controlTarget = "jupyter.widget.control"
)

// A Widget is anything this package makes: a model in the frontend, shown
// with display.Show or as a cell's last value.
type Widget interface {
	mime.Bundler
	ModelID() string
	model() *Model
}

// A Model is the state every widget shares: its comm, the attributes the
// frontend keeps in sync, and the handlers of attributes Go code reads.
// Widgets embed it; its methods are the ones every widget has.
type Model struct {
	comm *comm.Comm
	name string // "IntSlider": the text/plain fallback

	mu       sync.Mutex
	state    map[string]any                                                             // attribute -> JSON value, as the frontend has it
	decoders map[string]func(json.RawMessage) (notify func(superseded bool), err error) // attributes Go code reads
	onCustom func(json.RawMessage)
	watchers []func(superseded bool) // run after any observed attribute changed (Interact)
	text     func() string           // the text/plain, when not the default (boxes, choices)
}

var (
	regMu  sync.Mutex
	models = map[string]*Model{} // by model id, for request_states
)

func init() {
	comm.Register(controlTarget, openControl)
}

// newModel opens the widget's comm with its full state. modelName is the
// frontend's model name without "Model" ("IntSlider"); the view is the
// same name with "View" unless view says otherwise.
func newModel(module, version, modelName, view string, state map[string]any) *Model {
	if view == "" {
		view = modelName
	}
	full := map[string]any{
		"_model_module": module, "_model_module_version": version, "_model_name": modelName + "Model",
		"_view_module": module, "_view_module_version": version, "_view_name": view + "View",
	}
	if module == controlsModule {
		full["_dom_classes"] = []string{}
		full["layout"] = nil // the frontend makes none: fine for every view here
		full["tabbable"] = nil
		full["tooltip"] = nil
	}
	for k, v := range state {
		full[k] = v
	}
	m := &Model{name: modelName, state: full, decoders: map[string]func(json.RawMessage) (func(bool), error){}}
	m.comm = comm.Open(target, map[string]any{"state": full, "buffer_paths": []any{}},
		map[string]any{"version": ProtocolVersion})
	m.comm.OnMsg(m.handle)
	m.comm.OnClose(func(*comm.Msg) { unregister(m) })
	regMu.Lock()
	models[m.comm.ID()] = m
	regMu.Unlock()
	return m
}

func unregister(m *Model) {
	regMu.Lock()
	delete(models, m.comm.ID())
	regMu.Unlock()
}

func (m *Model) model() *Model { return m }

// ModelID returns the widget's model id (its comm id).
func (m *Model) ModelID() string { return m.comm.ID() }

// Bundle implements mime.Bundler: the widget view, with a text fallback for
// frontends without widgets (and saved notebooks read as text).
func (m *Model) Bundle() mime.Bundle {
	return mime.Bundle{Data: map[string]any{
		ViewMIME:  map[string]any{"model_id": m.ModelID(), "version_major": 2, "version_minor": 0},
		mime.Text: m.String(),
	}}
}

// String describes the widget in one line, its value included.
func (m *Model) String() string {
	if m.text != nil {
		return m.text()
	}
	return m.describe()
}

func (m *Model) describe() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.name
	if d, _ := m.state["description"].(string); d != "" {
		s += " " + fmt.Sprintf("%q", d)
	}
	if v, ok := m.state["value"]; ok {
		b, _ := json.Marshal(v)
		s += " value=" + string(b)
	}
	return s
}

// Get returns the attribute's value as the frontend has it (JSON types).
func (m *Model) Get(attr string) any {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.state[attr]
}

// Set sets attributes of the widget ("description", "disabled", "layout"
// references...) and sends them to the frontend: pairs of name and value.
func (m *Model) Set(attr string, value any, more ...any) {
	st := map[string]any{attr: value}
	for i := 0; i+1 < len(more); i += 2 {
		if k, ok := more[i].(string); ok {
			st[k] = more[i+1]
		}
	}
	m.mu.Lock()
	for k, v := range st {
		m.state[k] = v
	}
	m.mu.Unlock()
	m.send("update", st)
}

// Close closes the widget's comm: its views show that it is gone.
func (m *Model) Close() {
	unregister(m)
	m.comm.Close(nil)
}

// Send sends a custom message (method "custom") to the frontend's model.
func (m *Model) Send(content any) {
	m.comm.Send(map[string]any{"method": "custom", "content": content})
}

func (m *Model) send(method string, state map[string]any) {
	m.comm.Send(map[string]any{"method": method, "state": state, "buffer_paths": []any{}})
}

// fullState returns a copy of the state.
func (m *Model) fullState() map[string]any {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := make(map[string]any, len(m.state))
	for k, v := range m.state {
		c[k] = v
	}
	return c
}

// data is a comm_msg's data from the frontend.
type data struct {
	Method  string                     `json:"method"`
	State   map[string]json.RawMessage `json:"state"`
	Content json.RawMessage            `json:"content"`
}

// handle serves a comm_msg from the frontend.
func (m *Model) handle(msg *comm.Msg) {
	var d data
	if err := json.Unmarshal(msg.Data, &d); err != nil {
		m.comm.Report(fmt.Errorf("widgets: %s: malformed message from the frontend: %v", m.name, err))
		return
	}
	switch d.Method {
	case "update":
		m.update(d.State, msg.Superseded)
	case "request_state":
		m.send("update", m.fullState())
	case "custom":
		m.mu.Lock()
		f := m.onCustom
		m.mu.Unlock()
		if f != nil {
			m.protect("custom message", func() { f(d.Content) })
		}
	default:
		m.comm.Report(fmt.Errorf("widgets: %s: unknown method %q from the frontend; ignored", m.name, d.Method))
	}
}

// update applies state from the frontend: each attribute is decoded and
// stored, echoed back (echo_update, as ipywidgets 8 does, so that other
// frontends showing the widget follow), and only then are observers run. A
// malformed attribute is reported under the widget's cell and keeps its
// previous value; the others still apply.
func (m *Model) update(state map[string]json.RawMessage, superseded bool) {
	keys := make([]string, 0, len(state))
	for k := range state {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var errs []error
	var notify []func(superseded bool)
	echo := map[string]any{}
	for _, k := range keys {
		raw := state[k]
		if dec := m.decoders[k]; dec != nil { // set once, at construction
			n, err := dec(raw)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %v", k, err))
				continue
			}
			if n != nil {
				notify = append(notify, n)
			}
			echo[k] = m.Get(k)
			continue
		}
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %v", k, err))
			continue
		}
		m.mu.Lock()
		m.state[k] = v
		m.mu.Unlock()
		echo[k] = v
	}
	if len(echo) > 0 {
		m.send("echo_update", echo)
	}
	if len(errs) > 0 {
		m.comm.Report(fmt.Errorf("widgets: %s: bad state from the frontend (the previous value stays): %w", m.name, errors.Join(errs...)))
	}
	for _, n := range notify {
		n(superseded)
	}
}

// watch adds f to the functions run after any observed attribute changed;
// superseded is the frontend message's (mime.CommMsg), false for changes
// made in Go.
func (m *Model) watch(f func(superseded bool)) {
	m.mu.Lock()
	m.watchers = append(m.watchers, f)
	m.mu.Unlock()
}

func (m *Model) changed(superseded bool) {
	m.mu.Lock()
	ws := make([]func(bool), len(m.watchers))
	copy(ws, m.watchers)
	m.mu.Unlock()
	for _, f := range ws {
		m.protect("change watcher", func() { f(superseded) })
	}
}

// protect runs a callback, reporting a panic under the widget's cell.
func (m *Model) protect(what string, f func()) {
	defer func() {
		if r := recover(); r != nil {
			m.comm.Report(comm.Panic(r, fmt.Sprintf("%s of %s %s", what, m.name, m.ModelID())))
		}
	}()
	f()
}

// openControl serves the jupyter.widget.control comm a frontend opens to
// get every widget back after a page reload: request_states is answered
// with update_states, the full state of every live widget.
func openControl(c *comm.Comm, _ *comm.Msg) {
	c.OnMsg(func(msg *comm.Msg) {
		var d data
		_ = json.Unmarshal(msg.Data, &d)
		if d.Method != "request_states" {
			return
		}
		c.Send(map[string]any{"method": "update_states", "states": States(), "buffer_paths": []any{}})
	})
}

// States returns the full state of every live widget, keyed by model id, as
// update_states and a notebook's widget-state metadata hold it.
func States() map[string]any {
	regMu.Lock()
	ms := make([]*Model, 0, len(models))
	for _, m := range models {
		ms = append(ms, m)
	}
	regMu.Unlock()
	states := make(map[string]any, len(ms))
	for _, m := range ms {
		st := m.fullState()
		states[m.ModelID()] = map[string]any{
			"model_name":           st["_model_name"],
			"model_module":         st["_model_module"],
			"model_module_version": st["_model_module_version"],
			"state":                st,
		}
	}
	return states
}

// ref is how a state refers to another widget.
func ref(w Widget) string { return "IPY_MODEL_" + w.ModelID() }

// current is the Publisher of the running cell or callback.
func current() mime.Publisher { return display.Current() }

// parentID is the msg_id outputs sent now will carry as parent, "" when
// the Publisher does not say.
func parentID() string {
	if p, ok := current().(mime.Parent); ok {
		return p.ParentID()
	}
	return ""
}

// label is the text of a value in an options list.
func label(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	if s, ok := v.(fmt.Stringer); ok {
		return s.String()
	}
	return strings.TrimSpace(fmt.Sprint(v))
}
