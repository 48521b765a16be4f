package interp

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/gokernel/gokernel/interp/rt"
	"github.com/gokernel/gokernel/kernel/mime"
)

// The cell's stdio. What cells print (fmt.Print*, log, os.Stdout and
// os.Stderr unless Options.PlainStdio) goes to the Publisher of the cell
// that owns the writing goroutine (rt.Output), so late output of a
// goroutine lands under the cell that started it; os.Stdin and fmt.Scan*
// read through that cell's Publisher.Input. yaegi's own panic-frame
// diagnostics, written to stderr, are kept out of the output and kept for
// the traceback (traceTable). Each type here has its own lock, if any: they
// are called from any goroutine, while cells run.

func publisherOf(c *rt.Cell) mime.Publisher {
	if c == nil {
		c = rt.Last()
	}
	if c == nil {
		return nil
	}
	p, _ := c.Value.(mime.Publisher)
	return p
}

// router sends what cells print to the Publisher of the writing
// goroutine's cell.
type router struct {
	s    *Session
	name string
}

func (r *router) Write(p []byte) (int, error) {
	if pub := publisherOf(rt.Output()); pub != nil {
		pub.Stream(r.name, string(p))
	}
	return len(p), nil
}

// filter keeps yaegi's own panic-frame diagnostics ("3:15: panic:
// main.f(...)") out of the cell's stderr and keeps them for the traceback.
type filter struct {
	s *Session
	w io.Writer
}

func (f *filter) Write(p []byte) (int, error) {
	line := strings.TrimSuffix(string(p), "\n")
	if !strings.Contains(line, "\n") && frameLine.MatchString(line) {
		gid := rt.GoID()
		if c := rt.Current(); c != nil && c.Interrupted() {
			// An interrupted goroutine unwinding: its frames are never
			// shown, and a storm of them would fill the table.
			return len(p), nil
		}
		f.s.traces.add(gid, line)
		return len(p), nil
	}
	return f.w.Write(p)
}

// stdinReader reads os.Stdin and fmt.Scan* input through the cell's
// Publisher.Input (an input_request to the frontend).
type stdinReader struct {
	mu  sync.Mutex
	buf []byte
}

func (r *stdinReader) Read(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.buf) == 0 {
		pub := publisherOf(rt.Current())
		if pub == nil {
			return 0, io.EOF
		}
		done := rt.Blocking()
		line, err := pub.Input("", false)
		done()
		if err != nil {
			// An interrupt cancelled the request: the cell stops here, as
			// input() raises KeyboardInterrupt, rather than going on with an
			// error it may ignore (the interrupt itself may reach this
			// goroutine only later).
			if errors.Is(err, mime.ErrInputInterrupted) {
				panic(rt.Interrupted{})
			}
			stopIfInterrupted()
			return 0, fmt.Errorf("interp: reading stdin: %w", err)
		}
		r.buf = []byte(line + "\n")
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

type discard struct{}

func (discard) Stream(string, string)              {}
func (discard) Display(mime.Bundle, string)        {}
func (discard) Update(mime.Bundle, string)         {}
func (discard) Clear(bool)                         {}
func (discard) Input(string, bool) (string, error) { return "", mime.ErrNoStdin }

// A traceTable keeps the panic frames yaegi prints, by goroutine, until
// the panic is reported (take).
type traceTable struct {
	mu sync.Mutex
	m  map[int64][]string // goroutine -> yaegi panic frame lines
}

func (t *traceTable) add(gid int64, line string) {
	t.mu.Lock()
	if l := t.m[gid]; len(l) < 64 {
		t.m[gid] = append(l, line)
	}
	t.mu.Unlock()
}

// take returns and forgets the frames of goroutine gid.
func (t *traceTable) take(gid int64) []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	l := t.m[gid]
	delete(t.m, gid)
	return l
}
