// Package mime is the contract shared by the kernel and the cell runtime:
// MIME bundles, the Publisher that carries a request's outputs to the
// frontend, and completion items.
//
//	b := mime.Bundle{Data: map[string]any{mime.HTML: "<b>hi</b>", mime.Text: "hi"}}
//	out.Display(b, "") // display_data
//
// It imports only the standard library, so both sides of the kernel/interp
// boundary (and the compiled helper packages cells import) can use it
// without depending on each other.
package mime

import (
	"errors"
	"fmt"
	"sort"
)

// MIME types the kernel and the helpers produce.
const (
	Text     = "text/plain"
	HTML     = "text/html"
	Markdown = "text/markdown"
	LaTeX    = "text/latex"
	SVG      = "image/svg+xml"
	PNG      = "image/png"
	JPEG     = "image/jpeg"
	JSON     = "application/json"
	VegaLite = "application/vnd.vegalite.v5+json"
)

// A Bundle is one output: the same value in several MIME types, as in the
// data and metadata fields of display_data and execute_result.
//
// Textual types hold strings; binary images hold base64 strings (as the
// protocol requires); JSON and Vega-Lite hold any JSON-marshalable value.
// Every bundle the project produces carries Text, so that every frontend
// (and a saved notebook read as text) has something to show.
type Bundle struct {
	Data     map[string]any `json:"data"`
	Metadata map[string]any `json:"metadata"`
}

// TextBundle returns a bundle holding only text/plain.
func TextBundle(s string) Bundle {
	return Bundle{Data: map[string]any{Text: s}}
}

// IsZero reports whether b holds no data at all.
func (b Bundle) IsZero() bool { return len(b.Data) == 0 }

// Types returns the MIME types in b, sorted.
func (b Bundle) Types() []string {
	ts := make([]string, 0, len(b.Data))
	for t := range b.Data {
		ts = append(ts, t)
	}
	sort.Strings(ts)
	return ts
}

// A Bundler is a value that knows how to display itself. The interpreter
// renders a cell's final value through it, and display helpers accept it.
type Bundler interface {
	Bundle() Bundle
}

// ErrNoStdin is returned by Publisher.Input when the frontend did not allow
// input for the request being served (allow_stdin false), or the request was
// interrupted while waiting for the reply (ErrInputInterrupted, which wraps it).
var ErrNoStdin = errors.New("mime: this frontend does not accept input for this request (allow_stdin is false)")

// ErrInputInterrupted is returned by Publisher.Input when the cell was
// interrupted while its input request waited for a reply. It says so itself
// because the interrupt may reach the code reading input only after this
// error does: the reader stops the cell on it, as input() raises
// KeyboardInterrupt.
var ErrInputInterrupted = fmt.Errorf("mime: the input request was interrupted: %w", ErrNoStdin)

// A Publisher sends outputs for the request being served. Its methods are
// safe to call from any goroutine; outputs keep the order of the calls.
type Publisher interface {
	// Stream sends text to a stream; name is "stdout" or "stderr".
	Stream(name, text string)
	// Display sends display_data; id "" means no display_id.
	Display(b Bundle, id string)
	// Update sends update_display_data for a display made with the same id.
	Update(b Bundle, id string)
	// Clear sends clear_output; wait defers the clearing until the next output.
	Clear(wait bool)
	// Input asks the frontend for one line (input_request on stdin) and
	// returns the reply without its trailing newline. It returns ErrNoStdin
	// when the request does not allow input.
	Input(prompt string, password bool) (string, error)
}

// A Completion is one match of a complete_request, with the type shown
// beside it in JupyterLab's completer (_jupyter_types_experimental).
type Completion struct {
	Text      string `json:"text"`
	Type      string `json:"type,omitempty"` // "function", "type", "variable", "package", "keyword", "field", "method", "constant"
	Signature string `json:"signature,omitempty"`
}
