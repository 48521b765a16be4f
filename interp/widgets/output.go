package widgets

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/gokernel/gokernel/interp/display"
	"github.com/gokernel/gokernel/kernel/mime"
)

// An Output shows what a piece of code prints and displays, in place: the
// frontend routes every output whose parent is the Output's msg_id into it
// (the @jupyter-widgets/output protocol), so Capture sets msg_id to the id
// of the message being served while its function runs.
type Output struct {
	*Model
	capMu sync.Mutex // one capture at a time: msg_id holds one id
}

// NewOutput makes an empty output area.
func NewOutput() *Output {
	m := newModel(outputModule, outputVersion, "Output", "", map[string]any{
		"msg_id": "", "outputs": []any{}, "_dom_classes": []string{}, "layout": nil,
	})
	return &Output{Model: m}
}

// Capture runs f with its prints and displays shown in o. A panic in f is
// shown in o as an error, and Capture returns normally.
func (o *Output) Capture(f func()) {
	o.capMu.Lock()
	defer o.capMu.Unlock()
	if id := parentID(); id != "" {
		o.Set("msg_id", id)
		defer o.Set("msg_id", "")
	}
	o.protect("captured function", f)
}

// Clear empties o.
func (o *Output) Clear() { o.Set("outputs", []any{}) }

// Show appends v (rendered as display.Show would) to o's outputs, without
// capturing: it works from any goroutine and in a headless run, since the
// outputs are part of the widget's state.
func (o *Output) Show(v any) {
	b := display.BundleOf(v)
	md := b.Metadata
	if md == nil {
		md = map[string]any{}
	}
	o.append(map[string]any{"output_type": "display_data", "data": b.Data, "metadata": md})
}

// Print appends text to o's outputs as stdout.
func (o *Output) Print(text string) {
	o.append(map[string]any{"output_type": "stream", "name": "stdout", "text": text})
}

func (o *Output) append(out map[string]any) {
	o.mu.Lock()
	old, _ := o.state["outputs"].([]any)
	outs := append(append([]any(nil), old...), out)
	o.mu.Unlock()
	o.Set("outputs", outs)
}

// An Interactive runs a function into an Output whenever one of its
// controls changes. A run happens while the change's message is served, as
// ipywidgets does, so that what it prints carries that message as parent
// (JupyterLab routes such output to the Output only while the message is
// being served). Runs never queue up: a change whose message is superseded
// (a later update of the same control has already reached the kernel) only
// marks the output stale, and the latest message runs once with the latest
// values; a change that comes while a run is going (from another goroutine,
// or from f itself) makes one more run when it ends. JupyterLab also holds back a slider's
// updates while one is being served and then sends only the latest, so a
// dragged slider gives a run now and a run at the end.
type Interactive struct {
	*Box
	Out *Output

	f       func()
	mu      sync.Mutex
	pending bool
	running bool
	idle    chan struct{} // closed and replaced when a burst of runs ends
	runs    atomic.Int64
}

// Interact shows controls above an Output and runs f into it now and after
// every change of a control. f reads the controls itself:
//
//	n := widgets.NewIntSlider("threads", 1, 8, 4)
//	widgets.Interact(func() { fmt.Println(strings.Repeat("*", n.Value())) }, n)
func Interact(f func(), controls ...Widget) {
	display.Show(NewInteractive(f, controls...))
}

// NewInteractive is Interact without showing: it returns the box (controls
// and output), which a cell shows as its last value or with display.Show.
// f has run once when it returns.
func NewInteractive(f func(), controls ...Widget) *Interactive {
	out := NewOutput()
	children := append(append([]Widget(nil), controls...), out)
	it := &Interactive{Box: NewVBox(children...), Out: out, f: f, idle: make(chan struct{})}
	close(it.idle)
	for _, c := range controls {
		if c != nil {
			c.model().watch(it.changed)
		}
	}
	it.changed(false)
	return it
}

// Runs returns how many runs of f have started.
func (it *Interactive) Runs() int { return int(it.runs.Load()) }

// Wait waits until no run is going or due, at most timeout; it reports
// whether that happened.
func (it *Interactive) Wait(timeout time.Duration) bool {
	it.mu.Lock()
	idle := it.idle
	it.mu.Unlock()
	select {
	case <-idle:
		return true
	case <-time.After(timeout):
		return false
	}
}

// changed marks the output stale. Unless superseded, it then runs f until
// nothing is stale, on the calling goroutine (the message's); when a run is
// already going, that one runs again when it ends.
func (it *Interactive) changed(superseded bool) {
	it.mu.Lock()
	it.pending = true
	if superseded {
		it.mu.Unlock()
		return
	}
	if it.running {
		// The run going on (elsewhere, or f itself changing a control) sees
		// pending when it ends and runs again. Waiting here could deadlock.
		it.mu.Unlock()
		return
	}
	it.running = true
	it.idle = make(chan struct{})
	it.mu.Unlock()
	for {
		it.mu.Lock()
		if !it.pending {
			it.running = false
			close(it.idle)
			it.mu.Unlock()
			return
		}
		it.pending = false
		it.mu.Unlock()
		it.runs.Add(1)
		it.once()
	}
}

// once runs f into the output, replacing what the last run showed.
func (it *Interactive) once() {
	it.Out.Capture(func() {
		if _, ok := current().(mime.Parent); ok {
			display.Clear(true) // captured: clears the Output when the next output comes
		} else {
			it.Out.Clear()
		}
		it.f()
	})
}
