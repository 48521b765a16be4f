// Package goleak shows the goroutines that notebook cells started and
// that are still alive, and stops them:
//
//	goleak.List()    // a table: goroutine, started at, state, age
//	goleak.StopAll() // stops the goroutines of earlier cells
//
// A cell that ends while goroutines it started still run gets a note
// under it saying how many and where they were started; this package is
// what the note points to. Limits of the interpreter (call depth, the
// deadlock delay) are set here too.
package goleak

import (
	"fmt"
	"html"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gokernel/gokernel/interp/rt"
	"github.com/gokernel/gokernel/kernel/mime"
)

// A Goroutine is one live goroutine started by a go statement in a cell.
type Goroutine struct {
	ID      int64
	Origin  string        // where its go statement is: "In[4] line 2"
	State   string        // "running", or what it waits on
	Age     time.Duration // since it started
	Blocked bool
}

// A Table lists goroutines; it displays itself as a table.
type Table []Goroutine

// List returns the live goroutines cells started, oldest first.
func List() Table {
	now := time.Now()
	var t Table
	for _, g := range rt.Goroutines() {
		state := "running"
		if g.Wait != "" {
			state = "blocked at " + g.Wait
		}
		t = append(t, Goroutine{ID: g.ID, Origin: g.Origin, State: state, Age: now.Sub(g.Started).Round(time.Millisecond), Blocked: g.Wait != ""})
	}
	return t
}

// Count returns how many goroutines cells started are alive.
func Count() int { return len(rt.Goroutines()) }

// StopAll stops the goroutines that earlier cells started (each stops at
// its next loop iteration, call or wait) and returns how many there were.
// Goroutines of the running cell are left alone.
func StopAll() int { return rt.StopGoroutines() }

// SetMaxDepth sets how deep interpreted calls may nest before the call
// fails with a RecursionError (1000 by default, as Python's recursion
// limit; $GOKERNEL_MAX_DEPTH sets it for the kernel), and returns the
// previous limit. Unwinding a deep recursion costs the square of its
// depth in yaegi (each frame recovers and panics again): 3000 takes
// seconds.
func SetMaxDepth(n int) (previous int) { return rt.SetMaxDepth(n) }

// SetDeadlockAfter sets how long every goroutine must stay blocked before
// the cell ends with a deadlock report (1s by default; 0 turns the check
// off), and returns the previous setting.
func SetDeadlockAfter(d time.Duration) (previous time.Duration) { return rt.SetDeadlockAfter(d) }

// String is the table as text.
func (t Table) String() string {
	if len(t) == 0 {
		return "no goroutines started by cells are alive"
	}
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "goroutine\tstarted at\tage\tstate")
	for _, g := range t {
		fmt.Fprintf(w, "%d\t%s\t%v\t%s\n", g.ID, g.Origin, g.Age, g.State)
	}
	w.Flush()
	return strings.TrimRight(b.String(), "\n")
}

// Bundle shows the table as HTML, with the text for other frontends.
func (t Table) Bundle() mime.Bundle {
	var b strings.Builder
	b.WriteString("<table><tr><th>goroutine</th><th>started at</th><th>age</th><th>state</th></tr>")
	for _, g := range t {
		fmt.Fprintf(&b, "<tr><td>%d</td><td>%s</td><td>%v</td><td>%s</td></tr>", g.ID, html.EscapeString(g.Origin), g.Age, html.EscapeString(g.State))
	}
	b.WriteString("</table>")
	if len(t) == 0 {
		b.Reset()
		b.WriteString("<p>" + t.String() + "</p>")
	}
	return mime.Bundle{Data: map[string]any{mime.Text: t.String(), mime.HTML: b.String()}}
}
