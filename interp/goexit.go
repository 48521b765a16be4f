package interp

import (
	"fmt"
	"runtime"
	"strings"

	"github.com/gokernel/gokernel/interp/rt"
)

// goexitPanic unwinds a cell that called runtime.Goexit on its own
// goroutine. The real Goexit would end the goroutine that runs the
// session's cells; as a panic, the cell's defers run (as Goexit runs
// them) and the cell ends with an error at the line that called it.
type goexitPanic struct{}

// cellGoexit is runtime.Goexit for cells: on the cell's goroutine it ends
// the cell, in a goroutine the cell started it ends that goroutine, as in
// Go.
func cellGoexit() {
	id := rt.GoID()
	if c := rt.Current(); c != nil && c.Goroutine() == id {
		panic(goexitPanic{})
	}
	runtime.Goexit()
}

// goexitError says that the cell called runtime.Goexit; where is "line
// N:C" (or "cell K, line N:C"), or empty when unknown.
func goexitError(where string) *Error {
	msg := "runtime.Goexit was called in the cell: it ends the goroutine that runs the cell, so the cell stopped here"
	if where != "" {
		msg += " (" + where + ")"
	}
	return &Error{Ename: "Goexit", Msg: msg + "; the session goes on with everything defined before"}
}

// goexitWhere says where the cell called Goexit, from yaegi's panic frames.
// yaegi reports each frame at the start of its function (or of the cell's
// statements), not at the call; the call is the first line from there that
// mentions Goexit, which holds unless the function calls it through
// another name.
func (s *Session) goexitWhere(frames []string) string {
	for _, f := range frames {
		m := frameLine.FindStringSubmatch(f)
		if m == nil {
			continue
		}
		line, col, _ := strings.Cut(m[1], ":")
		r, l, c := s.pos.fileOf(line, col)
		if r == nil {
			return ""
		}
		cs, cl, _ := r.position(l, c)
		if cs == nil {
			return ""
		}
		lines := strings.Split(cs.src, "\n")
		for i := cl; i >= 1 && i <= len(lines); i++ {
			if strings.Contains(lines[i-1], "Goexit(") {
				if cs.n == s.pos.cell() || cs.n == 0 {
					return fmt.Sprintf("line %d", i)
				}
				return fmt.Sprintf("cell %d, line %d", cs.n, i)
			}
		}
		return ""
	}
	return ""
}
