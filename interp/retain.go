package interp

import (
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"strings"

	"github.com/gokernel/gokernel/interp/internal/yaegiframe"
	"github.com/gokernel/gokernel/interp/rt"
)

// A re-run cell must not keep the values of its earlier runs.
//
// yaegi gives a redeclared package-level variable (x := ... again, or
// var x again) a new slot in the global frame and leaves the old slot
// holding its value for ever: re-running `data := make([]byte, 100<<20)`
// five times kept 500 MiB. The session frees an old slot, after the cell
// that replaced it ran, by putting a fresh zero value in it; memory taken
// with &x stays alive as Go would keep it.
//
// Code compiled before the redeclaration still reads the old slot. Code
// the session re-emits for the new variable (funcs that mention it) does
// not, so the old slot is freed only when nothing else can be running or
// be called later with it: no goroutine a cell started is running, and
// the name was never mentioned inside a func literal, a method, or a
// func used as a value (see Session.captures). Otherwise it is kept, as
// before.

// globalVar returns the frame slot of the package-level variable name.
func (s *Session) globalVar(name string) (int, bool) {
	if !s.syms.Found() {
		// Found once package main exists (the prelude makes it).
		s.syms, _ = yaegiframe.MainSymbols(s.i)
	}
	return s.syms.GlobalVar(name)
}

// noteCaptures records the names that code which may outlive the cell
// can read: those mentioned inside func literals (a closure may be kept
// and called later), and funcs used as values rather than called (the
// value keeps the version of the func it was taken from).
func (s *Session) noteCaptures(code string) {
	if !strings.Contains(code, "func") && !s.mentionsFunc(code) {
		return
	}
	var files []*ast.File
	for _, c := range splitCell([]byte(code)) {
		src := "package p\n" + code[c.start:c.end]
		if c.kind == chunkStmt {
			src = "package p\nfunc _() {\n" + code[c.start:c.end] + "\n}"
		}
		if f, err := parser.ParseFile(token.NewFileSet(), "", src, parser.SkipObjectResolution); err == nil {
			files = append(files, f)
		}
	}
	called := map[*ast.Ident]bool{}
	visit := func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CallExpr:
			if id, ok := n.Fun.(*ast.Ident); ok {
				called[id] = true
			}
		case *ast.FuncDecl:
			called[n.Name] = true // its declaration, not a use
		case *ast.FuncLit:
			ast.Inspect(n.Body, func(n ast.Node) bool {
				if id, ok := n.(*ast.Ident); ok {
					s.captures[id.Name] = true
				}
				return true
			})
			return false
		case *ast.Ident:
			if !called[n] && s.decls.kind[n.Name] == KindFunc {
				s.captures[n.Name] = true
			}
		}
		return true
	}
	for _, f := range files {
		ast.Inspect(f, visit)
	}
}

// mentionsFunc reports whether code mentions a session func by name
// (a cell without "func" is scanned, not parsed, unless it does).
func (s *Session) mentionsFunc(code string) bool {
	var sc scanner.Scanner
	fs := token.NewFileSet()
	sc.Init(fs.AddFile("", -1, len(code)), []byte(code), nil, 0)
	for {
		_, tok, lit := sc.Scan()
		switch tok {
		case token.EOF:
			return false
		case token.IDENT:
			if s.decls.kind[lit] == KindFunc {
				return true
			}
		}
	}
}

// captured reports whether code that may still run could read the
// variable name: a func literal mentions it, or a method or a func used
// as a value does, directly or through the funcs it calls.
func (s *Session) captured(name string) bool {
	if s.captures[name] {
		return true
	}
	seen := map[string]bool{}
	var queue []string
	for n := range s.captures {
		queue = append(queue, n)
	}
	for k, u := range s.decls.units {
		if Kind(u.kind) == KindMethod {
			queue = append(queue, k)
		}
	}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		if seen[n] {
			continue
		}
		seen[n] = true
		u := s.decls.units[n]
		if u == nil {
			continue
		}
		for r := range u.refs {
			if r == name {
				return true
			}
			queue = append(queue, r)
		}
	}
	return false
}

// oldSlots notes the frame slots of the existing variables a file is about
// to redeclare (overlay: user name -> internal name it will have).
func (s *Session) oldSlots(overlay map[string]string) map[string]int {
	var old map[string]int
	for n := range overlay {
		if s.decls.kind[n] != KindVar {
			continue
		}
		if idx, ok := s.globalVar(s.decls.cur[n]); ok {
			if old == nil {
				old = map[string]int{}
			}
			old[n] = idx
		}
	}
	return old
}

// freeOld frees the slots in old that the file just run replaced.
func (s *Session) freeOld(old map[string]int, overlay map[string]string) {
	if len(old) == 0 || rt.LiveGoroutines() > 0 {
		return
	}
	for n, idx := range old {
		if now, ok := s.globalVar(overlay[n]); ok && now != idx && !s.captured(n) {
			s.frame.Free(idx)
		}
	}
}

// freeTemps frees the global slots [from, to) that a file just run took
// for the intermediate values of its statements and variable
// initializers, keeping those of the variables it declared (found by
// name among the file's identifiers). yaegi compiles top-level code in the
// global frame, and these slots kept the last value computed there: the
// make([]byte, n) of x := make([]byte, n) stayed alive after x itself was
// replaced. Only the file's own compiled statements know these slots, and
// they have run. The old value is not written to but replaced, so
// anything that shares its memory keeps it.
func (s *Session) freeTemps(f *ast.File, from, to int) {
	if from < 0 || to <= from {
		return
	}
	keep := map[int]bool{}
	seen := map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok && !seen[id.Name] {
			seen[id.Name] = true
			if idx, ok := s.globalVar(id.Name); ok && idx >= from && idx < to {
				keep[idx] = true
			}
		}
		return true
	})
	var temps []int
	for idx := from; idx < to; idx++ {
		if !keep[idx] {
			temps = append(temps, idx)
		}
	}
	s.frame.Free(temps...)
}
