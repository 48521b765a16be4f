package interp

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"go/types"
	"path"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"unicode"

	"github.com/gokernel/gokernel/interp/internal/cellgrammar"
	"github.com/gokernel/gokernel/interp/symbols"
	"github.com/traefik/yaegi/stdlib"
	"github.com/traefik/yaegi/stdlib/unrestricted"
)

// Diagnosis: a cell's mistakes in Go's words.
//
// yaegi reports some mistakes badly, and a few of them damage the session:
// x := nosuchpkg.Foo fails with "constant definition loop" and leaves an
// incomplete symbol nosuchpkg behind, so a later cell naming it fails with
// "CFG post-order panic: ... incomplete type nosuchpkg"; fmt.Printn("hi")
// (with fmt not imported, so auto-import finds no fmt exporting Printn)
// fails with "undefined: fmt". Two passes fix this:
//
//   - precheck runs before yaegi sees the cell. With go/parser alone and
//     the symbol tables compiled into the kernel, it finds names that
//     nothing declares (undefined: widgets, undefined: fmt.Printn, with a
//     did-you-mean from the package's exported names), functions that
//     can end without returning (missing return) and assignments whose
//     call returns another number of values (x := strconv.Atoi("1")),
//     both of which yaegi accepts. A cell it rejects runs no statement, as
//     go build would build nothing. It is conservative: a name it cannot
//     be sure about (a dot import, a package imported from source) is
//     left to yaegi, so it never rejects a cell yaegi would run correctly;
//     a cell made only of known names costs it one scan, no parse.
//   - explain rewrites the failures yaegi does report in its own words
//     into go build's (package fmt "fmt" has no symbol Printn, cannot
//     convert "a" to int, 5/2 truncated to int, stringT, ...), reading the
//     cell around yaegi's position for what yaegi leaves out (where a
//     value goes, which call), and makes sure none of its internal panics
//     reaches the user raw.
//
// The session calls both from Session.run; TestDiagnoseTable holds a cell
// for every message.

// pkgTables returns the exported symbols of a package compiled into the
// kernel, by import path (nil for other packages). It is the table
// completion uses: the standard library, its unrestricted parts (os.Exit)
// and the helper packages.
var pkgTables = packages

// A diag is one mistake found in a cell.
type diag struct {
	off int // offset in the cell
	msg string
}

// precheck returns an *Error for the first mistake it finds in a cell
// (later ones are listed in its traceback), or nil. known reports whether a
// name is declared in the session, imported whether a package is imported
// under name (imported(".") for a dot import); imports lists the session's
// imports as "name path" (name empty when the import does not write one).
func precheck(n int, code string, known, imported func(string) bool, imports func() []string) (err error) {
	defer func() {
		if recover() != nil {
			err = nil // a bug here must not cost the cell: yaegi still checks it
		}
	}()
	cs := &cellSrc{n: n, src: code}
	toks, errs := cellgrammar.Lex(code)
	if d, ok := unclosed(code, toks, errs); ok {
		line, col := cs.lineCol(d.off)
		return compileError("SyntaxError", cs, line, col, d.msg)
	}
	if onlyKnown(toks, known, imported) {
		return nil
	}
	f, fset := parseCell(cs)
	if f == nil {
		return nil // a syntax error: prepare reports it with its position
	}
	diags := undefinedNames(cs, f, fset, known, imported, imports)
	diags = append(diags, missingReturns(cs, f, fset)...)
	if len(diags) == 0 {
		diags = resultCounts(cs, f, fset, known, imported, imports)
	}
	if len(diags) == 0 {
		return nil
	}
	sort.SliceStable(diags, func(i, j int) bool { return diags[i].off < diags[j].off })
	line, col := cs.lineCol(diags[0].off)
	e := compileError("CompileError", cs, line, col, diags[0].msg)
	for _, d := range diags[1:] {
		l, c := cs.lineCol(d.off)
		e.Trace = append(e.Trace, fmt.Sprintf("line %d:%d: %s", l, c, d.msg))
	}
	return e
}

// parseCell parses a cell as prepare lays it out (imports and
// declarations at top level, statements in a function body), with the
// parser's object resolution, which tells which names the cell itself
// declares. It returns nil if the cell does not parse.
func parseCell(cs *cellSrc) (*ast.File, *token.FileSet) {
	code := cs.src
	chunks := splitCell([]byte(code))
	var b strings.Builder
	b.WriteString("package main\n")
	add := func(c chunk) {
		cs.segs = append(cs.segs, seg{syn: b.Len(), cell: c.start, n: c.end - c.start})
		b.WriteString(code[c.start:c.end])
		b.WriteString("\n")
	}
	for _, c := range chunks {
		if c.kind != chunkStmt {
			add(c)
		}
	}
	b.WriteString("func _() {\n")
	for _, c := range chunks {
		if c.kind == chunkStmt {
			add(c)
		}
	}
	b.WriteString("}\n")
	sort.Slice(cs.segs, func(i, j int) bool { return cs.segs[i].syn < cs.segs[j].syn })
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "cell", b.String(), 0)
	if err != nil {
		return nil, nil
	}
	return f, fset
}

// unclosed finds a bracket the cell opens and never closes. go/parser
// would report it against the text prepare wraps around the cell
// ("expected '(', found cell"), so it is reported here, at the end of the
// cell, with the place of the opening bracket.
func unclosed(code string, toks []cellgrammar.Token, errs []cellgrammar.Error) (diag, bool) {
	type open struct {
		off int
		tok token.Token
	}
	var stack []open
	for _, t := range toks {
		switch t.Tok {
		case token.LPAREN, token.LBRACE, token.LBRACK:
			stack = append(stack, open{t.Pos, t.Tok})
		case token.RPAREN, token.RBRACE, token.RBRACK:
			if len(stack) == 0 {
				return diag{}, false // a stray closer: the parser says it well
			}
			stack = stack[:len(stack)-1]
		}
	}
	bad := len(errs) > 0
	if bad || len(stack) == 0 {
		return diag{}, false // scanner errors (an unterminated string) come first
	}
	o := stack[len(stack)-1]
	closer := map[token.Token]string{token.LPAREN: ")", token.LBRACE: "}", token.LBRACK: "]"}[o.tok]
	cs := &cellSrc{src: code}
	line, col := cs.lineCol(o.off)
	end := len(strings.TrimRightFunc(code, unicode.IsSpace))
	return diag{off: end, msg: fmt.Sprintf("expected '%s', found end of cell (the %s at line %d:%d is not closed)", closer, o.tok, line, col)}, true
}

// onlyKnown reports whether a cell is made only of names the session
// knows, with nothing this pass checks (no func, no declaration, no
// assignment): most cells, such as x++ or fmt.Println(x) once x is
// declared, which then cost no parse.
func onlyKnown(toks []cellgrammar.Token, known, imported func(string) bool) bool {
	for i, t := range toks {
		switch t.Tok {
		case token.FUNC, token.DEFINE, token.ASSIGN, token.VAR, token.CONST, token.TYPE, token.IMPORT:
			return false
		case token.IDENT:
			if i > 0 && toks[i-1].Tok == token.PERIOD {
				continue // a member: its package or value is checked
			}
			if !known(t.Lit) && !imported(t.Lit) && types.Universe.Lookup(t.Lit) == nil {
				return false
			}
		}
	}
	return true
}

// undefinedNames finds identifiers that nothing declares: not the cell,
// not the session, not an import, not the universe. A selector X.Sel
// whose X is such a name is reported as go build does: undefined: X when
// no package compiled into the kernel is named X, undefined: X.Sel when
// one is (auto-import would have imported it) but exports no Sel.
func undefinedNames(cs *cellSrc, f *ast.File, fset *token.FileSet, known, imported func(string) bool, imports func() []string) []diag {
	if imported(".") {
		return nil // a dot import declares names this pass cannot see
	}
	candidatesOnce.Do(loadCandidates)
	// Names the cell's imports declare. A package imported from source
	// (no symbol table) may be named anything (github.com/x/rand/v2 is
	// rand), so then no X of X.Sel can be called undefined.
	cellPkgs := map[string]bool{}
	anyName := false
	for _, k := range imports() {
		name, p, _ := strings.Cut(k, " ")
		if name == "" && pkgTables(strings.Trim(p, "`\"")) == nil {
			anyName = true
		}
	}
	for _, spec := range f.Imports {
		p := strings.Trim(spec.Path.Value, "`\"")
		switch {
		case spec.Name != nil && spec.Name.Name == ".":
			return nil
		case spec.Name != nil:
			cellPkgs[spec.Name.Name] = true
		case pkgTables(p) != nil:
			cellPkgs[tableNames()[p]] = true
		default:
			cellPkgs[path.Base(p)] = true
			anyName = true
		}
	}
	// The cell's top-level variables: its statements sit in a function
	// body here, but the session makes them globals its declarations see.
	cellVars := map[string]bool{}
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Name.Name != "_" || fd.Recv != nil || fd.Body == nil {
			continue
		}
		for _, st := range fd.Body.List {
			switch s := st.(type) {
			case *ast.AssignStmt:
				if s.Tok == token.DEFINE {
					for _, l := range s.Lhs {
						if id, ok := l.(*ast.Ident); ok {
							cellVars[id.Name] = true
						}
					}
				}
			case *ast.DeclStmt:
				if g, ok := s.Decl.(*ast.GenDecl); ok {
					for _, sp := range g.Specs {
						switch sp := sp.(type) {
						case *ast.ValueSpec:
							for _, id := range sp.Names {
								cellVars[id.Name] = true
							}
						case *ast.TypeSpec:
							cellVars[sp.Name.Name] = true
						}
					}
				}
			}
		}
	}
	// X of every X.Sel, to tell package uses from plain names.
	sels := map[*ast.Ident][]*ast.SelectorExpr{}
	byName := map[string][]*ast.SelectorExpr{}
	ast.Inspect(f, func(n ast.Node) bool {
		if se, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := se.X.(*ast.Ident); ok && id.Obj == nil {
				sels[id] = append(sels[id], se)
				byName[id.Name] = append(byName[id.Name], se)
			}
		}
		return true
	})
	off := func(p token.Pos) int { return cs.cellOffset(fset.Position(p).Offset) }
	var out []diag
	reported := map[string]bool{}
	for _, id := range f.Unresolved {
		name := id.Name
		if name == "_" || cellPkgs[name] || cellVars[name] || known(name) || imported(name) ||
			types.Universe.Lookup(name) != nil || strings.Contains(name, mark) {
			continue
		}
		ses, isPkg := sels[id]
		if !isPkg {
			if _, ok := candidates[name]; ok {
				continue // a package used without a selector: yaegi says so
			}
			out = append(out, diag{off(id.Pos()), "undefined: " + name})
			continue
		}
		if anyName {
			continue
		}
		if len(candidates[name]) == 0 {
			if reported[name] {
				continue
			}
			reported[name] = true
			out = append(out, diag{off(id.Pos()), "undefined: " + name + didYouMean(name, packageNames(), "")})
			continue
		}
		// A package auto-import knows: it imports the first package of
		// that name exporting every Sel the cell uses, so none did.
		if autoImportable(name, byName[name]) {
			continue
		}
		for _, se := range ses {
			sel := se.Sel.Name
			key := name + "." + sel
			if reported[key] || exportedBySome(name, sel) {
				continue
			}
			reported[key] = true
			out = append(out, diag{off(se.Sel.Pos()), "undefined: " + key + didYouMean(sel, exportedNames(name), name+".")})
		}
	}
	return out
}

// importKeys lists the session's imports as "name path" (see precheck).
func (s *Session) importKeys() []string {
	keys := make([]string, 0, len(s.decls.imported))
	for k := range s.decls.imported {
		keys = append(keys, k)
	}
	return keys
}

// autoImportable reports whether some package named name exports every
// selector of ses (so auto-import imports it).
func autoImportable(name string, ses []*ast.SelectorExpr) bool {
candidate:
	for _, p := range candidates[name] {
		for _, se := range ses {
			if _, ok := p.syms[se.Sel.Name]; !ok {
				continue candidate
			}
		}
		return true
	}
	return false
}

// exportedBySome reports whether a package named name exports sel in any
// table (os.Exit is only in the unrestricted one).
func exportedBySome(name, sel string) bool {
	for _, p := range candidates[name] {
		if _, ok := pkgTables(p.path)[sel]; ok {
			return true
		}
	}
	return false
}

// tableNames maps the import path of every package with a symbol table
// to its name, from the tables' keys (path/name): gopkg.in/yaml.v3 → yaml.
var tableNames = sync.OnceValue(func() map[string]string {
	m := map[string]string{}
	for _, t := range []map[string]map[string]reflect.Value{stdlib.Symbols, unrestricted.Symbols, symbols.Symbols} {
		for key := range t {
			m[path.Dir(key)] = path.Base(key)
		}
	}
	return m
})

// exportedNames lists what the packages named name export, for
// suggestions.
func exportedNames(name string) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range candidates[name] {
		for s := range pkgTables(p.path) {
			if !seen[s] && ast.IsExported(s) {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	sort.Strings(out)
	return out
}

// packageNames lists the names of the packages a cell can use without
// importing them.
func packageNames() []string {
	out := make([]string, 0, len(candidates))
	for name := range candidates {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// didYouMean returns " (did you mean fmt.Println?)" for the name among
// names closest to got, or "" when none is close. A name differing only in
// case gets go build's own wording: " (but have Println)".
func didYouMean(got string, names []string, qual string) string {
	best, bestD, bestA := "", -1, 0
	for _, n := range names {
		if n == got {
			continue
		}
		if strings.EqualFold(n, got) {
			return " (but have " + n + ")"
		}
		d := editDistance(strings.ToLower(got), strings.ToLower(n))
		// Among equally close names, the one that keeps more of the
		// typed name's ends: Printn is Println missing an l, not Print
		// with an n added.
		a := affix(got, n)
		if bestD < 0 || d < bestD || (d == bestD && a > bestA) {
			best, bestD, bestA = n, d, a
		}
	}
	if bestD < 0 || bestD > maxTypos(got) {
		return ""
	}
	return " (did you mean " + qual + best + "?)"
}

// affix is the length of the common prefix plus the common suffix of a
// and b.
func affix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	m := 0
	for m < len(a)-n && m < len(b)-n && a[len(a)-1-m] == b[len(b)-1-m] {
		m++
	}
	return n + m
}

// maxTypos is how far a suggestion may be from what was typed: one edit in
// a short name, two in a longer one, three in a long one.
func maxTypos(s string) int {
	switch n := len(s); {
	case n <= 4:
		return 1
	case n <= 10:
		return 2
	default:
		return 3
	}
}

// editDistance counts the insertions, deletions, substitutions and swaps
// of neighbours that turn a into b (optimal string alignment distance).
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// resultCounts finds assignments whose one call returns another number
// of values than there are variables (x := strconv.Atoi("1")), or none
// (v := time.Sleep(1)), for the calls whose results are known for sure: a
// func the cell declares, or a func of a package compiled into the kernel
// that the cell reaches by its own name. yaegi accepts both and fails at
// run time, if at all.
func resultCounts(cs *cellSrc, f *ast.File, fset *token.FileSet, known, imported func(string) bool, imports func() []string) []diag {
	for _, k := range imports() {
		if name, p, _ := strings.Cut(k, " "); name == "" && pkgTables(strings.Trim(p, "`\"")) == nil {
			return nil // a package from source may shadow a name below
		}
	}
	cellImports := map[string]string{}
	for _, spec := range f.Imports {
		p := strings.Trim(spec.Path.Value, "`\"")
		name := tableNames()[p]
		if spec.Name != nil {
			name = spec.Name.Name
		}
		if name == "" {
			return nil
		}
		cellImports[name] = p
	}
	// results returns the number of results of the func a call calls, or
	// -1 when it is not known for sure.
	results := func(call *ast.CallExpr) int {
		switch fn := ast.Unparen(call.Fun).(type) {
		case *ast.Ident:
			if fn.Obj == nil {
				return -1
			}
			fd, ok := fn.Obj.Decl.(*ast.FuncDecl)
			if !ok || fd.Recv != nil || fd.Type.TypeParams != nil {
				return -1
			}
			return fieldCount(fd.Type.Results)
		case *ast.SelectorExpr:
			x, ok := fn.X.(*ast.Ident)
			if !ok || x.Obj != nil || known(x.Name) {
				return -1
			}
			var paths []string
			if p, ok := cellImports[x.Name]; ok {
				paths = []string{p}
			} else {
				if !imported(x.Name) && !autoImportable(x.Name, []*ast.SelectorExpr{fn}) {
					return -1
				}
				for _, c := range candidates[x.Name] {
					paths = append(paths, c.path)
				}
			}
			n := -1
			for _, p := range paths {
				v, ok := pkgTables(p)[fn.Sel.Name]
				if !ok {
					continue
				}
				if v.Kind() != reflect.Func || v.CanAddr() {
					return -1 // a type conversion, a func variable: leave it
				}
				if n >= 0 && n != v.Type().NumOut() {
					return -1 // packages of that name disagree
				}
				n = v.Type().NumOut()
			}
			return n
		}
		return -1
	}
	var out []diag
	check := func(lhs int, rhs []ast.Expr) {
		if len(rhs) != 1 {
			return
		}
		call, ok := ast.Unparen(rhs[0]).(*ast.CallExpr)
		if !ok {
			return
		}
		got := results(call)
		if got < 0 || got == lhs {
			return
		}
		callee := exprText(cs, fset, call.Fun)
		off := cs.cellOffset(fset.Position(call.Pos()).Offset)
		if got == 0 {
			out = append(out, diag{off, exprText(cs, fset, call) + " (no value) used as value"})
			return
		}
		out = append(out, diag{off, fmt.Sprintf("assignment mismatch: %s but %s returns %s", plural(lhs, "variable"), callee, plural(got, "value"))})
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			if n.Tok == token.DEFINE || n.Tok == token.ASSIGN {
				check(len(n.Lhs), n.Rhs)
			}
		case *ast.ValueSpec:
			if len(n.Values) > 0 {
				check(len(n.Names), n.Values)
			}
		}
		return true
	})
	return out
}

func fieldCount(fl *ast.FieldList) int {
	if fl == nil {
		return 0
	}
	n := 0
	for _, f := range fl.List {
		n += max(1, len(f.Names))
	}
	return n
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// exprText returns the cell's text of an expression of the parsed cell.
func exprText(cs *cellSrc, fset *token.FileSet, x ast.Expr) string {
	from := cs.cellOffset(fset.Position(x.Pos()).Offset)
	to := cs.cellOffset(fset.Position(x.End()).Offset)
	if from < 0 || to > len(cs.src) || from > to {
		return "the call"
	}
	return cs.src[from:to]
}

// missingReturns finds functions with results whose body can end without
// a return statement (yaegi accepts them and returns zero values).
func missingReturns(cs *cellSrc, f *ast.File, fset *token.FileSet) []diag {
	var out []diag
	check := func(ft *ast.FuncType, body *ast.BlockStmt) {
		if body == nil || ft.Results == nil || len(ft.Results.List) == 0 {
			return
		}
		if !terminates(body, "") {
			out = append(out, diag{cs.cellOffset(fset.Position(body.Rbrace).Offset), "missing return"})
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch fn := n.(type) {
		case *ast.FuncDecl:
			check(fn.Type, fn.Body)
		case *ast.FuncLit:
			check(fn.Type, fn.Body)
		}
		return true
	})
	return out
}

// terminates reports whether s is a terminating statement as the Go
// specification defines it. label is the label of s, if any.
func terminates(s ast.Stmt, label string) bool {
	switch s := s.(type) {
	case *ast.ReturnStmt:
		return true
	case *ast.BranchStmt:
		return s.Tok == token.GOTO || s.Tok == token.FALLTHROUGH
	case *ast.ExprStmt:
		call, ok := ast.Unparen(s.X).(*ast.CallExpr)
		if !ok {
			return false
		}
		id, ok := ast.Unparen(call.Fun).(*ast.Ident)
		return ok && id.Name == "panic" && id.Obj == nil
	case *ast.BlockStmt:
		return listTerminates(s.List)
	case *ast.IfStmt:
		return s.Else != nil && terminates(s.Body, "") && terminates(s.Else, "")
	case *ast.LabeledStmt:
		return terminates(s.Stmt, s.Label.Name)
	case *ast.ForStmt:
		return s.Cond == nil && !breaks(s.Body, label)
	case *ast.SwitchStmt:
		return clausesTerminate(s.Body, label, true)
	case *ast.TypeSwitchStmt:
		return clausesTerminate(s.Body, label, true)
	case *ast.SelectStmt:
		return clausesTerminate(s.Body, label, false)
	}
	return false
}

func listTerminates(list []ast.Stmt) bool {
	for i := len(list) - 1; i >= 0; i-- {
		if _, empty := list[i].(*ast.EmptyStmt); empty {
			continue
		}
		return terminates(list[i], "")
	}
	return false
}

// clausesTerminate: no break out of the statement, every clause ends in a
// terminating statement, and (for a switch) there is a default.
func clausesTerminate(body *ast.BlockStmt, label string, needDefault bool) bool {
	hasDefault := !needDefault
	for _, c := range body.List {
		var list []ast.Stmt
		switch c := c.(type) {
		case *ast.CaseClause:
			list = c.Body
			hasDefault = hasDefault || c.List == nil
		case *ast.CommClause:
			list = c.Body
		}
		if !listTerminates(list) {
			return false
		}
		for _, s := range list {
			if breaks(s, label) {
				return false
			}
		}
	}
	return hasDefault
}

// breaks reports whether a break inside n leaves the statement n belongs
// to: an unlabeled one not nested in another for, switch or select, or
// one with that statement's label.
func breaks(n ast.Node, label string) bool {
	found := false
	var walk func(n ast.Node, nested bool)
	walk = func(n ast.Node, nested bool) {
		ast.Inspect(n, func(m ast.Node) bool {
			if found {
				return false
			}
			switch m := m.(type) {
			case *ast.BranchStmt:
				if m.Tok == token.BREAK && ((m.Label == nil && !nested) || (m.Label != nil && m.Label.Name == label)) {
					found = true
				}
			case *ast.FuncLit:
				return false
			case *ast.ForStmt, *ast.RangeStmt, *ast.SwitchStmt, *ast.TypeSwitchStmt, *ast.SelectStmt:
				if m != n {
					walk(bodyOf(m), true)
					return false
				}
			}
			return true
		})
	}
	walk(n, false)
	return found
}

func bodyOf(n ast.Node) ast.Node {
	switch n := n.(type) {
	case *ast.ForStmt:
		return n.Body
	case *ast.RangeStmt:
		return n.Body
	case *ast.SwitchStmt:
		return n.Body
	case *ast.TypeSwitchStmt:
		return n.Body
	case *ast.SelectStmt:
		return n.Body
	}
	return n
}

// yaegi's wordings, and go build's.
var (
	noSymbol      = regexp.MustCompile(`^line (\d+):(\d+): package (\S+) "([^"]+)" has no symbol (\S+)$`)
	mismatch      = regexp.MustCompile(`assignment mismatch: (\d+) variables? but  returns (\d+) values?`)
	undefinedPkg  = regexp.MustCompile(`^line (\d+):(\d+): undefined: ([\p{L}_][\p{L}\p{N}_]*)$`)
	undefSel      = regexp.MustCompile(`^line (\d+):(\d+): undefined (?:selector|method): (\S+)$`)
	yaegiType     = regexp.MustCompile(`\b(bool|string|u?int(?:8|16|32|64)?|uintptr|float(?:32|64)|complex(?:64|128)|error|nil|interface|func|struct|map|chan|ptr|slice|array)T\b`)
	lineColMsg    = regexp.MustCompile(`^line (\d+):(\d+): (.*)$`)
	incomplete    = regexp.MustCompile(`incomplete type ([\p{L}_][\p{L}\p{N}_]*)`)
	redeclaredPkg = regexp.MustCompile(`(\S+)/_\.go redeclared in this block`)
	rawPos        = regexp.MustCompile(`(?:_\.go:)?\b\d{5,}:\d+: `)
	internalText  = []string{"CFG post-order panic", "definition loop", "the interpreter failed on this cell", "incomplete type", "runtime error:"}
)

// explain rewrites a cell's failure in go build's words where yaegi's
// differ, and turns yaegi's internal failures into a message about the
// cell. Other errors pass through unchanged.
func explain(n int, code string, err error) (out error) {
	defer func() {
		if recover() != nil {
			out = err // a bug here must not hide the failure
		}
	}()
	e, ok := err.(*Error)
	if !ok {
		return err
	}
	cs := &cellSrc{n: n, src: code}
	if e.Ename == "SyntaxError" {
		// The '}' that closes the function prepare wraps statements in.
		if m := lineColMsg.FindStringSubmatch(e.Msg); m != nil && strings.HasSuffix(m[3], "found '}'") &&
			strings.TrimSpace(code[offsetOf(cs, atoi(m[1]), atoi(m[2])):]) == "" {
			return compileError("SyntaxError", cs, atoi(m[1]), atoi(m[2]), strings.TrimSuffix(m[3], "'}'")+"end of cell")
		}
		return err
	}
	if e.Ename != "CompileError" {
		return err
	}
	msg := e.Msg
	if m := noSymbol.FindStringSubmatch(msg); m != nil {
		line, col := atoi(m[1]), atoi(m[2])
		name, p, sel := m[3], m[4], m[5]
		col = selCol(cs, line, col, name, sel)
		var names []string
		for s := range pkgTables(p) {
			if ast.IsExported(s) {
				names = append(names, s)
			}
		}
		sort.Strings(names)
		return compileError("CompileError", cs, line, col, "undefined: "+name+"."+sel+didYouMean(sel, names, name+"."))
	}
	if m := undefinedPkg.FindStringSubmatch(msg); m != nil {
		// undefined: fmt, for fmt.Printn: auto-import found no fmt
		// exporting Printn (precheck says so first, unless a package
		// imported from source might be named fmt).
		candidatesOnce.Do(loadCandidates)
		line, col, name := atoi(m[1]), atoi(m[2]), m[3]
		if sel := selectorAfter(cs, line, col, name); sel != "" && len(candidates[name]) > 0 && !exportedBySome(name, sel) {
			return compileError("CompileError", cs, line, selCol(cs, line, col, name, sel),
				"undefined: "+name+"."+sel+didYouMean(sel, exportedNames(name), name+"."))
		}
	}
	if m := undefSel.FindStringSubmatch(msg); m != nil {
		line, col := atoi(m[1]), atoi(m[2])
		if x := selectorAt(cs, line, col, m[3]); x != "" {
			return compileError("CompileError", cs, line, selCol(cs, line, col, x, m[3]),
				x+"."+m[3]+" undefined (no field or method "+m[3]+")")
		}
	}
	msg = redeclaredPkg.ReplaceAllString(msg, "$1 redeclared in this block")
	if m := returnArg.FindStringSubmatch(msg); m != nil {
		kind := " (value of type " + m[3] + ")"
		if x, err := parser.ParseExpr(m[2]); err == nil && constKind(x) != "" {
			kind = constKind(x)
		}
		msg = m[1] + "cannot use " + m[2] + kind + " as " + m[4] + " value in return statement"
	}
	if m := lineColMsg.FindStringSubmatch(msg); m != nil {
		if better := inContext(cs, atoi(m[1]), atoi(m[2]), m[3]); better != "" {
			msg = "line " + m[1] + ":" + m[2] + ": " + better
		}
	}
	if mismatch.MatchString(msg) {
		msg = mismatch.ReplaceAllString(msg, "assignment mismatch: $1 variables but the call returns $2 values")
		msg = strings.ReplaceAll(msg, "returns 1 values", "returns 1 value")
	}
	msg = yaegiType.ReplaceAllStringFunc(msg, func(s string) string {
		switch s = strings.TrimSuffix(s, "T"); s {
		case "ptr":
			return "pointer"
		case "nil":
			return "untyped nil"
		}
		return s
	})
	if !isInternal(msg) {
		if msg == e.Msg {
			return err
		}
		return rebuild(cs, e, msg)
	}
	// An internal failure. An incomplete type is a name nothing declares.
	if m := incomplete.FindStringSubmatch(msg); m != nil {
		if off, ok := identOffset(code, m[1]); ok {
			line, col := cs.lineCol(off)
			return compileError("CompileError", cs, line, col, "undefined: "+m[1])
		}
	}
	inner := msg
	line, col := 0, 0
	if m := lineColMsg.FindStringSubmatch(msg); m != nil {
		line, col, inner = atoi(m[1]), atoi(m[2]), m[3]
	}
	inner = rawPos.ReplaceAllString(inner, "")
	for _, p := range []string{"the interpreter failed on this cell: ", "CFG post-order panic: "} {
		inner = strings.ReplaceAll(inner, p, "")
	}
	text := "the interpreter cannot compile this cell (" + inner + ")"
	if strings.Contains(inner, "definition loop") {
		text = "a declaration here uses a name that is undefined or defined in terms of itself (the interpreter found an initialization cycle)"
	}
	if line > 0 {
		return compileError("CompileError", cs, line, col, text)
	}
	return &Error{Ename: "CompileError", Msg: text, Trace: []string{"CompileError: " + text}}
}

var (
	cannotConvert = regexp.MustCompile(`^cannot convert (.+) to (\S+)$`)
	returnArg     = regexp.MustCompile(`^(line \d+:\d+: )cannot use (.+) \(type (\S+)\) as type (\S+) in return argument$`)
	truncated     = regexp.MustCompile(`^-?\d+/\d+ truncated to (\S+)$`)
)

// inContext rewrites yaegi's words for a value of the wrong type or a
// call with too many arguments, which do not say where the value goes, in
// go build's, from the expression at line:col of the cell. It returns ""
// when it has nothing better.
func inContext(cs *cellSrc, line, col int, msg string) string {
	conv := cannotConvert.FindStringSubmatch(msg)
	trunc := truncated.FindStringSubmatch(msg)
	if conv == nil && trunc == nil && msg != "too many arguments" {
		return ""
	}
	c := &cellSrc{n: cs.n, src: cs.src}
	f, fset := parseCell(c)
	if f == nil {
		return ""
	}
	at := offsetOf(c, line, col)
	// The innermost expression starting at the position, and the node
	// holding it.
	var path []ast.Node
	ast.Inspect(f, func(n ast.Node) bool {
		if n == nil {
			return false
		}
		from := c.cellOffset(fset.Position(n.Pos()).Offset)
		to := c.cellOffset(fset.Position(n.End()).Offset)
		if at < from || at >= to {
			return false
		}
		path = append(path, n)
		return true
	})
	suffix := ""
	if trunc != nil { // 5/2 truncated to int: the constant at the position
		for i := len(path) - 1; i >= 0 && conv == nil; i-- {
			if b, ok := path[i].(*ast.BasicLit); ok {
				conv, suffix = []string{"", exprText(c, fset, b), trunc[1]}, " (truncated)"
			}
		}
		if conv == nil {
			return ""
		}
	}
	if conv == nil { // too many arguments: the call holding the extra one
		for i := len(path) - 1; i >= 0; i-- {
			if call, ok := path[i].(*ast.CallExpr); ok {
				return "too many arguments in call to " + exprText(c, fset, call.Fun)
			}
		}
		return ""
	}
	val, typ := conv[1], conv[2]
	for i := len(path) - 1; i > 0; i-- {
		x, ok := path[i].(ast.Expr)
		if !ok || exprText(c, fset, x) != val {
			continue
		}
		use := "cannot use " + val + constKind(x) + " as " + typ + " value in "
		if ix, ok := path[i-1].(*ast.IndexExpr); ok && ix.Index == x && suffix != "" {
			return "invalid argument: index " + val + constKind(x) + " truncated to " + typ
		}
		if r := inNode(c, fset, path[i-1], x, val, typ, use); r != "" {
			return r + suffix
		}
		return ""
	}
	return ""
}

// inNode says where x, held by parent, goes: "in assignment", ...
func inNode(c *cellSrc, fset *token.FileSet, parent ast.Node, x ast.Expr, val, typ, use string) string {
	switch p := parent.(type) {
	case *ast.CallExpr:
		if p.Fun == x {
			return ""
		}
		if _, isType := p.Fun.(*ast.Ident); isType && exprText(c, fset, p.Fun) == typ {
			return "cannot convert " + val + constKind(x) + " to type " + typ // an explicit conversion
		}
		return use + "argument to " + exprText(c, fset, p.Fun)
	case *ast.AssignStmt:
		return use + "assignment"
	case *ast.ValueSpec:
		return use + "variable declaration"
	case *ast.ReturnStmt:
		return use + "return statement"
	case *ast.IndexExpr:
		if p.Index == x {
			return use + "map index"
		}
	case *ast.SendStmt:
		return use + "send"
	case *ast.KeyValueExpr, *ast.CompositeLit:
		return use + "struct literal"
	}
	return ""
}

// constKind describes a literal as go build does: "a" is an untyped
// string constant.
func constKind(x ast.Expr) string {
	if b, ok := x.(*ast.BasicLit); ok {
		switch b.Kind {
		case token.STRING:
			return " (untyped string constant)"
		case token.INT:
			return " (untyped int constant)"
		case token.FLOAT:
			return " (untyped float constant)"
		case token.CHAR:
			return " (untyped rune constant)"
		}
	}
	return ""
}

// rebuild makes a new *Error with msg, keeping e's source lines.
func rebuild(cs *cellSrc, e *Error, msg string) *Error {
	if m := lineColMsg.FindStringSubmatch(msg); m != nil {
		return compileError(e.Ename, cs, atoi(m[1]), atoi(m[2]), m[3])
	}
	return &Error{Ename: e.Ename, Msg: msg, Trace: []string{e.Ename + ": " + msg}}
}

func isInternal(msg string) bool {
	for _, t := range internalText {
		if strings.Contains(msg, t) {
			return true
		}
	}
	return false
}

// selCol returns the column of sel in "x.sel" on a line of the cell at or
// after col (yaegi points at x; go build at sel), or col.
func selCol(cs *cellSrc, line, col int, x, sel string) int {
	src := cs.srcLine(line)
	from := max(0, min(col-1, len(src)))
	re := regexp.MustCompile(`\b` + regexp.QuoteMeta(x) + `\s*\.\s*` + regexp.QuoteMeta(sel) + `\b`)
	if loc := re.FindStringIndex(src[from:]); loc != nil {
		return from + loc[0] + strings.LastIndex(src[from+loc[0]:from+loc[1]], sel) + 1
	}
	return col
}

// selectorAt returns the text of x in the first x.sel on a line of the
// cell at or after col.
func selectorAt(cs *cellSrc, line, col int, sel string) string {
	src := cs.srcLine(line)
	from := max(0, min(col-1, len(src)))
	re := regexp.MustCompile(`([\p{L}_][\p{L}\p{N}_.\[\]()]*?)\s*\.\s*` + regexp.QuoteMeta(sel) + `\b`)
	if m := re.FindStringSubmatch(src[from:]); m != nil {
		return m[1]
	}
	return ""
}

// selectorAfter returns sel of the x.sel starting at line:col of the
// cell, or "".
func selectorAfter(cs *cellSrc, line, col int, x string) string {
	src := cs.srcLine(line)
	from := max(0, min(col-1, len(src)))
	re := regexp.MustCompile(`^` + regexp.QuoteMeta(x) + `\s*\.\s*([\p{L}_][\p{L}\p{N}_]*)`)
	if m := re.FindStringSubmatch(src[from:]); m != nil {
		return m[1]
	}
	return ""
}

// identOffset finds name used as an identifier in code.
func identOffset(code, name string) (int, bool) {
	fset := token.NewFileSet()
	file := fset.AddFile("", -1, len(code))
	var s scanner.Scanner
	s.Init(file, []byte(code), func(token.Position, string) {}, 0)
	for {
		p, t, lit := s.Scan()
		if t == token.EOF {
			return 0, false
		}
		if t == token.IDENT && lit == name {
			return file.Offset(p), true
		}
	}
}

// offsetOf returns the offset in the cell of a line and column.
func offsetOf(cs *cellSrc, line, col int) int {
	off := 0
	for l := 1; l < line; l++ {
		i := strings.IndexByte(cs.src[off:], '\n')
		if i < 0 {
			return len(cs.src)
		}
		off += i + 1
	}
	return min(off+max(col-1, 0), len(cs.src))
}

func atoi(s string) int {
	n := 0
	for _, r := range s {
		n = n*10 + int(r-'0')
	}
	return n
}
