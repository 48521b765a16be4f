package mime

import (
	"strings"
	"sync"
)

// An Output is one call recorded by a Recorder.
type Output struct {
	Kind   string // "stream", "display", "update", "clear", "send"
	Name   string // stream name for "stream"
	Text   string // stream text for "stream"
	Bundle Bundle // for "display" and "update"
	ID     string // display id for "display" and "update"
	Wait   bool   // for "clear"
	// MsgType, Content and Metadata are a Send's.
	MsgType  string
	Content  any
	Metadata any
}

// A Recorder is a Publisher that records what it is sent, for tests (like
// net/http/httptest.ResponseRecorder). Inputs are answered from Inputs in
// order; when none are left, Input returns ErrNoStdin.
type Recorder struct {
	mu      sync.Mutex
	outputs []Output
	Inputs  []string
	Prompts []string
}

var (
	_ Publisher = (*Recorder)(nil)
	_ Sender    = (*Recorder)(nil)
)

func (r *Recorder) add(o Output) {
	r.mu.Lock()
	defer r.mu.Unlock()
	// Coalesce consecutive writes to one stream, as the kernel does, so
	// tests can compare whole texts whatever the write sizes were.
	if n := len(r.outputs); o.Kind == "stream" && n > 0 && r.outputs[n-1].Kind == "stream" && r.outputs[n-1].Name == o.Name {
		r.outputs[n-1].Text += o.Text
		return
	}
	r.outputs = append(r.outputs, o)
}

// Stream implements Publisher.
func (r *Recorder) Stream(name, text string) { r.add(Output{Kind: "stream", Name: name, Text: text}) }

// Display implements Publisher.
func (r *Recorder) Display(b Bundle, id string) { r.add(Output{Kind: "display", Bundle: b, ID: id}) }

// Update implements Publisher.
func (r *Recorder) Update(b Bundle, id string) { r.add(Output{Kind: "update", Bundle: b, ID: id}) }

// Clear implements Publisher.
func (r *Recorder) Clear(wait bool) { r.add(Output{Kind: "clear", Wait: wait}) }

// Send implements Sender.
func (r *Recorder) Send(msgType string, content, metadata any) {
	r.add(Output{Kind: "send", MsgType: msgType, Content: content, Metadata: metadata})
}

// Input implements Publisher.
func (r *Recorder) Input(prompt string, password bool) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Prompts = append(r.Prompts, prompt)
	if len(r.Inputs) == 0 {
		return "", ErrNoStdin
	}
	s := r.Inputs[0]
	r.Inputs = r.Inputs[1:]
	return s, nil
}

// Outputs returns a copy of what was recorded so far.
func (r *Recorder) Outputs() []Output {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Output(nil), r.outputs...)
}

// Stdout returns everything streamed to stdout, concatenated.
func (r *Recorder) Stdout() string { return r.streamText("stdout") }

// Stderr returns everything streamed to stderr, concatenated.
func (r *Recorder) Stderr() string { return r.streamText("stderr") }

func (r *Recorder) streamText(name string) string {
	var b strings.Builder
	for _, o := range r.Outputs() {
		if o.Kind == "stream" && o.Name == name {
			b.WriteString(o.Text)
		}
	}
	return b.String()
}
