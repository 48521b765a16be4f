// Package nbexec runs a notebook's code cells through an Evaluator and
// writes the outputs back in nbformat 4, as nbclient would, without Python or
// ZeroMQ: it is `gokernel execute`.
//
//	nb, err := nbexec.Read("lesson.ipynb")
//	err = nb.Parameterize([]nbexec.Param{{Name: "n", Value: "1000"}}) // as papermill's -p
//	err = nbexec.CheckWritable("out.ipynb")                          // before anything runs
//	res, err := nbexec.Run(ctx, nb, ev, nbexec.Options{})
//	err = nb.Write("out.ipynb") // atomic, through symlinks, keeping the mode
//
// Run clears every code cell first, so a notebook saved after a run that
// stopped early (an error, an interrupt) holds this run's outputs and no
// other: the cells after the stop are empty.
//
// The outputs are those a frontend would save: consecutive stream writes to
// one stream become one output, update_display_data replaces the outputs
// with that display id in every cell, clear_output(wait) clears at the next
// output, and errors are "error" outputs with ename, evalue and traceback.
// Fields of the notebook it does not know are kept as they were.
package nbexec

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/gokernel/gokernel/kernel"
	"github.com/gokernel/gokernel/kernel/mime"
)

// A Notebook is an nbformat 4 document, kept as generic JSON so that
// unknown fields survive a round trip.
type Notebook struct {
	doc map[string]any
}

// Read parses the notebook at path.
func Read(path string) (*Notebook, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("nbexec: %w", err)
	}
	nb, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("nbexec: %s: %w", path, err)
	}
	return nb, nil
}

// Parse parses notebook JSON.
func Parse(b []byte) (*Notebook, error) {
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("not a notebook: %w", err)
	}
	if v, _ := doc["nbformat"].(json.Number); v.String() != "4" {
		return nil, fmt.Errorf("nbformat %v is not supported (only 4)", doc["nbformat"])
	}
	cells, ok := doc["cells"].([]any)
	if !ok {
		return nil, errors.New("notebook has no cells list")
	}
	// nbformat requires these of code cells; hand-written notebooks omit them.
	for _, c := range cells {
		m, ok := c.(map[string]any)
		if !ok {
			continue
		}
		joinLines(m)
		if m["cell_type"] == "code" {
			if _, ok := m["outputs"]; !ok {
				m["outputs"] = []any{}
			}
			if _, ok := m["execution_count"]; !ok {
				m["execution_count"] = nil
			}
		}
	}
	return &Notebook{doc: doc}, nil
}

// Bytes encodes the notebook as nbformat writes it: one-space indent, sorted
// keys, no HTML escaping, a final newline.
func (nb *Notebook) Bytes() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(splitLines(nb.doc)); err != nil {
		return nil, fmt.Errorf("nbexec: %w", err)
	}
	return buf.Bytes(), nil
}

// Write saves the notebook to path without ever leaving half a notebook
// there, and without touching any other file: see WriteFile.
func (nb *Notebook) Write(path string) error {
	b, err := nb.Bytes()
	if err != nil {
		return err
	}
	return WriteFile(path, b)
}

// Cells returns the notebook's cells.
func (nb *Notebook) Cells() []map[string]any {
	raw, _ := nb.doc["cells"].([]any)
	cells := make([]map[string]any, 0, len(raw))
	for _, c := range raw {
		if m, ok := c.(map[string]any); ok {
			cells = append(cells, m)
		}
	}
	return cells
}

// Source returns a cell's source as one string (nbformat allows a string or
// a list of lines).
func Source(cell map[string]any) string {
	switch s := cell["source"].(type) {
	case string:
		return s
	case []any:
		var b strings.Builder
		for _, l := range s {
			if str, ok := l.(string); ok {
				b.WriteString(str)
			}
		}
		return b.String()
	}
	return ""
}

// Metadata returns the notebook-level metadata map, creating it if needed.
func (nb *Notebook) Metadata() map[string]any {
	m, ok := nb.doc["metadata"].(map[string]any)
	if !ok {
		m = map[string]any{}
		nb.doc["metadata"] = m
	}
	return m
}

// Options tune a run. The zero value runs every cell with no time limit and
// stops at the first error, as nbclient does.
type Options struct {
	CellTimeout time.Duration // 0: none
	AllowErrors bool          // run on after a cell fails
	// Progress, when set, is called before each code cell runs.
	Progress func(index, total int, source string)
}

// A CellError is the error of a cell that failed or was interrupted.
type CellError struct {
	Index       int // index of the cell in the notebook (0-based; markdown cells count)
	Count       int // its execution count, In [Count]
	Ename       string
	Evalue      string
	Traceback   []string
	Interrupted bool // the run's context was cancelled while the cell ran
}

func (e *CellError) Error() string {
	return fmt.Sprintf("nbexec: cell %d (In [%d]) raised %s: %s", e.Index+1, e.Count, e.Ename, e.Evalue)
}

// Result summarises a run.
type Result struct {
	Cells    int // code cells with code, those a full run executes
	Executed int // of which ran (the one that failed or was interrupted included)
	Errors   []*CellError
	Elapsed  time.Duration
}

// Run executes the notebook's code cells in order and stores their outputs.
// It returns the first cell error unless Options.AllowErrors is set, in which
// case all errors are in Result.Errors and the error is nil.
//
// Cancelling ctx interrupts the running cell and ends the run: the error is
// then a *CellError with Interrupted set, or, if no cell was running, one
// that wraps ctx.Err().
//
// Every code cell's outputs and execution count are cleared before the
// first cell runs, as papermill does: a run that stops early (an error, an
// interrupt) leaves the cells after the stop empty, never with outputs of an
// earlier run beside this run's.
func Run(ctx context.Context, nb *Notebook, ev kernel.Evaluator, o Options) (Result, error) {
	start := time.Now()
	var res Result
	cells := nb.Cells()
	for _, c := range cells {
		if c["cell_type"] != "code" {
			continue
		}
		c["outputs"] = []any{}
		c["execution_count"] = nil
		if strings.TrimSpace(Source(c)) != "" {
			res.Cells++
		}
	}
	col := &collector{byID: map[string][]*output{}}
	defer col.saveWidgets(nb) // widgets.go
	count := 0
	for i, c := range cells {
		src := Source(c)
		if c["cell_type"] != "code" || strings.TrimSpace(src) == "" {
			continue
		}
		if err := ctx.Err(); err != nil {
			res.Elapsed = time.Since(start)
			return res, fmt.Errorf("nbexec: interrupted before cell %d: %w", i+1, err)
		}
		count++
		if o.Progress != nil {
			o.Progress(count, res.Cells, src)
		}
		cell := col.begin(c)
		b, timedOut, err := execute(ctx, ev, src, cell, o.CellTimeout)
		cell.flush()
		c["execution_count"] = count
		res.Executed++
		if !b.IsZero() {
			cell.add(&output{m: map[string]any{
				"output_type":     "execute_result",
				"execution_count": count,
				"data":            jsonData(b.Data),
				"metadata":        orEmpty(b.Metadata),
			}})
		}
		if err == nil && ctx.Err() != nil && !timedOut {
			// The interrupt came as the cell finished: it ran, and the run
			// stops here all the same.
			col.end()
			res.Elapsed = time.Since(start)
			return res, fmt.Errorf("nbexec: interrupted after cell %d: %w", i+1, ctx.Err())
		}
		if err != nil {
			ce := cellError(i, err)
			ce.Count = count
			switch {
			case timedOut:
				ce.Ename, ce.Evalue = "CellTimeoutError", fmt.Sprintf("cell %d did not finish within %s", i+1, o.CellTimeout)
			case ctx.Err() != nil:
				ce.Interrupted = true
			}
			cell.add(&output{m: map[string]any{
				"output_type": "error",
				"ename":       ce.Ename,
				"evalue":      ce.Evalue,
				"traceback":   toAny(ce.Traceback),
			}})
			res.Errors = append(res.Errors, ce)
			if !o.AllowErrors || ce.Interrupted {
				col.end()
				res.Elapsed = time.Since(start)
				return res, ce
			}
		}
		col.end()
	}
	res.Elapsed = time.Since(start)
	return res, nil
}

// stuckEvery is how often Run asks an evaluator with an Interrupt method to
// interrupt a cell that outlived its time limit. The worker client restarts
// the interpreter on the interrupt after its grace period: a timed-out cell
// stuck where an interrupt cannot reach must end the run, not hang it, as
// nobody is there to press interrupt a second time.
const stuckEvery = time.Second

// execute runs one cell with its time limit and reports whether it ran out.
func execute(ctx context.Context, ev kernel.Evaluator, src string, out mime.Publisher, limit time.Duration) (mime.Bundle, bool, error) {
	if limit <= 0 {
		b, err := ev.Execute(ctx, src, out)
		return b, false, err
	}
	cctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	done := make(chan struct{})
	defer close(done)
	if in, ok := ev.(interface{ Interrupt() }); ok {
		go func() {
			select {
			case <-done:
				return
			case <-cctx.Done():
			}
			if ctx.Err() != nil {
				return // the caller's interrupt, not the limit: the caller decides
			}
			t := time.NewTicker(stuckEvery)
			defer t.Stop()
			for {
				select {
				case <-done:
					return
				case <-t.C:
					in.Interrupt()
				}
			}
		}()
	}
	b, err := ev.Execute(cctx, src, out)
	timedOut := err != nil && ctx.Err() == nil && cctx.Err() == context.DeadlineExceeded
	return b, timedOut, err
}

func cellError(index int, err error) *CellError {
	ce := &CellError{Index: index, Ename: "Error", Evalue: err.Error()}
	var tb interface {
		Name() string
		Traceback() []string
	}
	if errors.As(err, &tb) {
		ce.Ename, ce.Traceback = tb.Name(), tb.Traceback()
	}
	if ce.Traceback == nil {
		ce.Traceback = []string{err.Error()}
	}
	return ce
}

// collector turns Publisher calls into saved outputs, like a frontend.
type collector struct {
	mu   sync.Mutex
	cur  *cellOutputs
	byID map[string][]*output // display id -> outputs showing it, in any cell

	cells   int          // cells begun, for their ids
	widgets *widgetState // nil until a cell opens a widget (widgets.go)
}

type output struct {
	m map[string]any
}

type cellOutputs struct {
	col       *collector
	id        string // ParentID: what an Output widget's msg_id names to capture
	cell      map[string]any
	outs      []*output
	clearNext bool
}

func (col *collector) begin(cell map[string]any) *cellOutputs {
	col.mu.Lock()
	defer col.mu.Unlock()
	col.cells++
	co := &cellOutputs{col: col, cell: cell, id: fmt.Sprintf("nbexec-cell-%d", col.cells)}
	col.cur = co
	return co
}

// end stops a cell from taking more outputs: goroutines still printing after
// their cell is saved would otherwise change a cell that has moved on.
func (col *collector) end() {
	col.mu.Lock()
	defer col.mu.Unlock()
	if col.cur != nil {
		col.cur.store()
	}
	col.cur = nil
}

// store writes the outputs into the cell's JSON. Callers hold col.mu.
func (co *cellOutputs) store() {
	outs := make([]any, len(co.outs))
	for i, o := range co.outs {
		outs[i] = o.m
	}
	co.cell["outputs"] = outs
}

func (co *cellOutputs) live() bool { return co.col.cur == co }

func (co *cellOutputs) flush() {
	co.col.mu.Lock()
	defer co.col.mu.Unlock()
	co.store()
}

func (co *cellOutputs) add(o *output) {
	co.col.mu.Lock()
	defer co.col.mu.Unlock()
	co.addLocked(o)
}

func (co *cellOutputs) addLocked(o *output) {
	if w := co.col.capturedLocked(co.id); w != "" {
		co.col.captureLocked(w, o.m) // an Output widget shows it
		return
	}
	if !co.live() && co.col.cur != nil {
		co = co.col.cur // late output from a goroutine: the running cell shows it, as Jupyter does
	} else if !co.live() {
		return
	}
	if co.clearNext {
		co.outs, co.clearNext = nil, false
	}
	if o.m["output_type"] == "stream" && len(co.outs) > 0 {
		last := co.outs[len(co.outs)-1].m
		if last["output_type"] == "stream" && last["name"] == o.m["name"] {
			last["text"] = last["text"].(string) + o.m["text"].(string)
			co.store()
			return
		}
	}
	co.outs = append(co.outs, o)
	co.store()
}

// Stream implements mime.Publisher.
func (co *cellOutputs) Stream(name, text string) {
	co.add(&output{m: map[string]any{"output_type": "stream", "name": name, "text": text}})
}

// Display implements mime.Publisher.
func (co *cellOutputs) Display(b mime.Bundle, id string) {
	o := &output{m: map[string]any{"output_type": "display_data", "data": jsonData(b.Data), "metadata": orEmpty(b.Metadata)}}
	co.col.mu.Lock()
	defer co.col.mu.Unlock()
	if id != "" {
		co.col.byID[id] = append(co.col.byID[id], o)
	}
	co.addLocked(o)
}

// Update implements mime.Publisher: every output showing display id is
// replaced, in whichever cell it is.
func (co *cellOutputs) Update(b mime.Bundle, id string) {
	co.col.mu.Lock()
	defer co.col.mu.Unlock()
	for _, o := range co.col.byID[id] {
		o.m["data"] = jsonData(b.Data)
		o.m["metadata"] = orEmpty(b.Metadata)
	}
	if co.col.cur != nil {
		co.col.cur.store()
	}
}

// Clear implements mime.Publisher.
func (co *cellOutputs) Clear(wait bool) {
	co.col.mu.Lock()
	defer co.col.mu.Unlock()
	if w := co.col.capturedLocked(co.id); w != "" {
		co.col.clearCaptureLocked(w, wait)
		return
	}
	if !co.live() {
		return
	}
	if wait {
		co.clearNext = true
		return
	}
	co.outs = nil
	co.store()
}

// Input implements mime.Publisher: a headless run has nobody to ask.
func (co *cellOutputs) Input(prompt string, password bool) (string, error) {
	return "", mime.ErrNoStdin
}

// jsonData stores MIME data as nbformat does: text types as strings, JSON
// types as JSON values.
func jsonData(d map[string]any) map[string]any {
	out := make(map[string]any, len(d))
	for k, v := range d {
		out[k] = v
	}
	return out
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

func toAny(s []string) []any {
	a := make([]any, len(s))
	for i, v := range s {
		a[i] = v
	}
	return a
}

// splitLines returns a copy of doc with multi-line texts as lists of lines,
// as nbformat's writer stores them (sources, stream texts, textual MIME
// data), so saved notebooks diff line by line.
func splitLines(doc map[string]any) map[string]any {
	out := make(map[string]any, len(doc))
	for k, v := range doc {
		out[k] = v
	}
	raw, _ := doc["cells"].([]any)
	cells := make([]any, len(raw))
	for i, c := range raw {
		cm, ok := c.(map[string]any)
		if !ok {
			cells[i] = c
			continue
		}
		nc := make(map[string]any, len(cm))
		for k, v := range cm {
			nc[k] = v
		}
		if s, ok := nc["source"].(string); ok {
			nc["source"] = lines(s)
		}
		if outs, ok := nc["outputs"].([]any); ok {
			nouts := make([]any, len(outs))
			for j, o := range outs {
				om, ok := o.(map[string]any)
				if !ok {
					nouts[j] = o
					continue
				}
				no := make(map[string]any, len(om))
				for k, v := range om {
					no[k] = v
				}
				if s, ok := no["text"].(string); ok {
					no["text"] = lines(s)
				}
				if d, ok := no["data"].(map[string]any); ok {
					nd := make(map[string]any, len(d))
					for mt, v := range d {
						if s, ok := v.(string); ok && splittable(mt) {
							v = lines(s)
						}
						nd[mt] = v
					}
					no["data"] = nd
				}
				nouts[j] = no
			}
			nc["outputs"] = nouts
		}
		cells[i] = nc
	}
	out["cells"] = cells
	return out
}

// joinLines turns the lists of lines nbformat may store back into strings,
// the form the rest of this package works with.
func joinLines(cell map[string]any) {
	join := func(v any) any {
		l, ok := v.([]any)
		if !ok {
			return v
		}
		var b strings.Builder
		for _, s := range l {
			str, _ := s.(string)
			b.WriteString(str)
		}
		return b.String()
	}
	cell["source"] = join(cell["source"])
	outs, _ := cell["outputs"].([]any)
	for _, o := range outs {
		om, ok := o.(map[string]any)
		if !ok {
			continue
		}
		if _, ok := om["text"]; ok {
			om["text"] = join(om["text"])
		}
		if d, ok := om["data"].(map[string]any); ok {
			for mt, v := range d {
				if splittable(mt) {
					d[mt] = join(v)
				}
			}
		}
	}
}

// splittable reports whether nbformat stores data of MIME type mt as lines:
// text types yes; base64 images and JSON values no.
func splittable(mt string) bool {
	return mt == mime.SVG || (!strings.HasPrefix(mt, "image/") && !strings.HasSuffix(mt, "json"))
}

// lines splits s after each newline, keeping the newlines, as nbformat does.
func lines(s string) []any {
	var out []any
	for s != "" {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			out = append(out, s)
			break
		}
		out = append(out, s[:i+1])
		s = s[i+1:]
	}
	if out == nil {
		return []any{}
	}
	return out
}
