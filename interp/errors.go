package interp

import (
	"fmt"
	"regexp"
	"strings"
)

// An Error is a cell's failure: a compile error, a panic or an interrupt.
// The kernel reads Name and Traceback (ename and traceback of the error
// output) through an interface it declares itself.
type Error struct {
	Ename string   // "CompileError", "SyntaxError", "panic", "Interrupted"
	Msg   string   // evalue
	Trace []string // traceback lines, in cell lines
}

func (e *Error) Error() string { return e.Msg }

// Name returns the error's kind, Jupyter's ename.
func (e *Error) Name() string { return e.Ename }

// Traceback returns the lines to show under the error.
func (e *Error) Traceback() []string {
	if len(e.Trace) == 0 {
		return []string{e.Ename + ": " + e.Msg}
	}
	return e.Trace
}

func compileError(ename string, cs *cellSrc, line, col int, msg string) *Error {
	e := &Error{Ename: ename, Msg: fmt.Sprintf("line %d:%d: %s", line, col, msg)}
	e.Trace = append(e.Trace, ename+": "+e.Msg)
	if src := cs.srcLine(line); src != "" {
		e.Trace = append(e.Trace, fmt.Sprintf("%4d | %s", line, src))
		if col >= 1 {
			pad := strings.Map(func(r rune) rune {
				if r == '\t' {
					return '\t'
				}
				return ' '
			}, prefixBytes(src, col-1))
			e.Trace = append(e.Trace, "     | "+pad+"^")
		}
	}
	return e
}

func prefixBytes(s string, n int) string {
	if n > len(s) {
		n = len(s)
	}
	if n < 0 {
		n = 0
	}
	return s[:n]
}

// internal names (Tǂ3, ǂshow, mainǂ1) are written back as the user's.
var (
	versioned = regexp.MustCompile(`([\p{L}_][\p{L}\p{N}_]*)` + mark + `\d+`)
	helperRef = regexp.MustCompile(mark + `\.?`)
)

func demangle(s string) string {
	if !strings.Contains(s, mark) {
		return s
	}
	s = strings.ReplaceAll(s, companionSuffix, "")
	s = versioned.ReplaceAllString(s, "$1")
	s = strings.ReplaceAll(s, mark+"show(", "(")
	s = strings.ReplaceAll(s, mark+"cell", "cell")
	return helperRef.ReplaceAllString(s, "")
}
