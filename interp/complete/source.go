package complete

import (
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"strconv"
	"strings"
	"sync"

	"github.com/gokernel/gokernel/interp/internal/cellgrammar"
)

// This file turns a notebook's state (earlier cells) plus the cell being
// typed into one Go file that go/types can check.
//
// A cell is not a Go file: it mixes imports, declarations and statements,
// and at the cursor it is usually unfinished. So the text is cut into
// top-level chunks with go/scanner (a chunk ends at a semicolon, written or
// automatic, outside any bracket), and each chunk is kept for what it adds
// to the package scope:
//
//	import "fmt"          → the file's imports
//	func f() {...}        → kept as is (type, var, const and methods too)
//	x, y := f()           → var x, y = f()   (yaegi makes these globals too)
//	for ... {...}         → dropped: a statement declares nothing outside itself
//
// The chunk holding the cursor is cut at the cursor, an operand is put where
// the completion goes, and the brackets left open are closed, so that
//
//	for _, s := range xs {
//	    s.Fi|
//
// becomes `func _() { for _, s := range xs { s } }` and go/types says what
// s is, with every local declared before the cursor in scope.

// A lexed token; end is the offset just past it. The lexer and the
// splitter are cellgrammar's, shared with the session, so that completion
// cuts a cell exactly as the session runs it.
type lexTok struct {
	pos, end int
	tok      token.Token
	lit      string
	auto     bool // a semicolon the scanner inserted at a newline or EOF
}

// lexResult holds the tokens of a text and the scanner's complaints.
type lexResult struct {
	toks []lexTok
	errs []lexErr
	g    []cellgrammar.Token // the same tokens, for cellgrammar.Split
}

type lexErr struct {
	off int
	msg string
}

func lex(src string) lexResult {
	g, errs := cellgrammar.Lex(src)
	r := lexResult{toks: make([]lexTok, len(g)), g: g}
	for i, t := range g {
		r.toks[i] = lexTok{pos: t.Pos, end: t.End, tok: t.Tok, lit: t.Lit, auto: t.Auto}
	}
	for _, e := range errs {
		r.errs = append(r.errs, lexErr{e.Off, e.Msg})
	}
	return r
}

type chunkKind = cellgrammar.Kind

const (
	ckStmt   = cellgrammar.Stmt   // a statement that declares nothing at top level
	ckDefine = cellgrammar.Define // a := statement: its names become globals
	ckDecl   = cellgrammar.Decl   // func, method, type, var or const
	ckImport = cellgrammar.Import // an import declaration
)

// A chunk is one top-level declaration or statement: src[start:end], made of
// toks[t0:t1].
type chunk struct {
	start, end int
	t0, t1     int
	kind       chunkKind
	define     int // offset of the top-level := in a ckDefine chunk
}

// split cuts src into top-level chunks (cellgrammar.Split). Semicolons at
// len(src) are ignored, so a text cut at the cursor keeps its last chunk
// open.
func split(src string, lr lexResult) []chunk {
	cs := cellgrammar.Split(src, lr.g)
	out := make([]chunk, len(cs))
	for i, c := range cs {
		out[i] = chunk{start: c.Start, end: c.End, t0: c.T0, t1: c.T1, kind: c.Kind, define: c.Define}
	}
	return out
}

// An importSpec is one import of a cell: the name it is used by ("." for a
// dot import) and its path.
type importSpec struct {
	name, path string
	explicit   bool // the name was written
}

// parseImports reads the specs of an import chunk.
func parseImports(text string) []importSpec {
	f, err := parser.ParseFile(token.NewFileSet(), "", "package p;"+text, parser.ImportsOnly)
	if f == nil && err != nil {
		return nil
	}
	var out []importSpec
	for _, s := range f.Imports {
		p, err := strconv.Unquote(s.Path.Value)
		if err != nil {
			continue
		}
		is := importSpec{name: defaultName(p), path: p}
		if s.Name != nil {
			is.name, is.explicit = s.Name.Name, true
		}
		out = append(out, is)
	}
	return out
}

// defaultName guesses the package name of an import path: its last element,
// without a major-version suffix (math/rand/v2 is rand, gopkg.in/yaml.v3 is
// yaml).
func defaultName(path string) string {
	name := path[strings.LastIndex(path, "/")+1:]
	if len(name) > 1 && name[0] == 'v' && strings.Trim(name[1:], "0123456789") == "" {
		if i := strings.LastIndex(path, "/"); i > 0 {
			return defaultName(path[:i])
		}
	}
	if i := strings.Index(name, ".v"); i > 0 {
		name = name[:i]
	}
	name = strings.TrimPrefix(name, "go-")
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '.' {
			return '_'
		}
		return r
	}, name)
}

// A digest is what one cell's source contributes to the package: imports
// and declaration texts.
type digest struct {
	imports []importSpec
	decls   []string
}

var digestCache struct {
	sync.Mutex
	m map[string]*digest
}

// digestOf reduces a cell (or a single declaration) to its imports and
// top-level declarations. Results are cached: the same earlier cells come
// with every request.
func digestOf(src string) *digest {
	digestCache.Lock()
	d, ok := digestCache.m[src]
	digestCache.Unlock()
	if ok {
		return d
	}
	d = &digest{}
	lr := lex(src)
	for _, c := range split(src, lr) {
		text := src[c.start:c.end]
		switch c.kind {
		case ckImport:
			d.imports = append(d.imports, parseImports(text)...)
		case ckDecl:
			d.decls = appendDecl(d.decls, text)
		case ckDefine:
			d.decls = appendDecl(d.decls, defineToVar(src, c))
		}
	}
	digestCache.Lock()
	if digestCache.m == nil || len(digestCache.m) > 5000 {
		digestCache.m = map[string]*digest{}
	}
	digestCache.m[src] = d
	digestCache.Unlock()
	return d
}

// appendDecl adds a declaration that parses on its own: one broken chunk
// must not hide the rest of the file from the parser.
func appendDecl(decls []string, text string) []string {
	if _, err := parser.ParseFile(token.NewFileSet(), "", "package p;"+text, parser.SkipObjectResolution); err != nil {
		return decls
	}
	return append(decls, text)
}

// defineToVar rewrites `a, b := f()` as `var a, b = f()`, keeping any
// comment before it (a doc comment for Inspect).
func defineToVar(src string, c chunk) string {
	lead := ""
	lhsStart := c.start
	for _, t := range c.toksOf(src) {
		if t.tok != token.COMMENT {
			lhsStart = t.pos
			break
		}
	}
	lead = src[c.start:lhsStart]
	return lead + "var " + src[lhsStart:c.define] + " = " + src[c.define+2:c.end]
}

// toksOf relexes the chunk (chunks do not keep their tokens).
func (c chunk) toksOf(src string) []lexTok {
	lr := lex(src[c.start:c.end])
	for i := range lr.toks {
		lr.toks[i].pos += c.start
		lr.toks[i].end += c.start
	}
	return lr.toks
}

// closers returns what closes the brackets left open by toks, innermost
// first, with no newline (a newline would insert a semicolon and break a
// composite literal).
func closers(toks []lexTok) string {
	var stack []token.Token
	for _, t := range toks {
		switch t.tok {
		case token.LPAREN, token.LBRACK, token.LBRACE:
			stack = append(stack, t.tok)
		case token.RPAREN, token.RBRACK, token.RBRACE:
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		}
	}
	var b strings.Builder
	for i := len(stack) - 1; i >= 0; i-- {
		switch stack[i] {
		case token.LPAREN:
			b.WriteString(")")
		case token.LBRACK:
			b.WriteString("]")
		case token.LBRACE:
			b.WriteString("}")
		}
	}
	return b.String()
}

// A program is the synthesized file and what was learnt while making it.
type program struct {
	src      string
	fset     *token.FileSet
	file     *ast.File
	pkg      *types.Package
	info     *types.Info
	imports  map[string]string // name → path, as the file has them
	insertAt int               // offset in src of the inserted operand
	insert   string
	bodies   map[*ast.FuncDecl]*ast.BlockStmt // the bodies stripBodies took
}

// env is the part of a program that does not depend on the cursor: the
// imports and declarations of earlier cells and of the current cell's
// chunks before the cursor.
type env struct {
	scope   Scope
	imports []importSpec // in order; later ones win
	decls   []string
}

func newEnv(s Scope, cell string, before []chunk) *env {
	e := &env{scope: s}
	for name, path := range s.Imports {
		e.imports = append(e.imports, importSpec{name: name, path: path, explicit: name != defaultName(path)})
	}
	// Map order is random; keep it stable for caching and tests.
	sortImports(e.imports)
	for _, src := range s.Decls {
		d := digestOf(src)
		e.imports = append(e.imports, d.imports...)
		e.decls = append(e.decls, d.decls...)
	}
	for _, c := range before {
		text := cell[c.start:c.end]
		switch c.kind {
		case ckImport:
			e.imports = append(e.imports, parseImports(text)...)
		case ckDecl:
			e.decls = appendDecl(e.decls, text)
		case ckDefine:
			e.decls = appendDecl(e.decls, defineToVar(cell, c))
		}
	}
	return e
}

func sortImports(is []importSpec) {
	for i := 1; i < len(is); i++ {
		for j := i; j > 0 && is[j].name < is[j-1].name; j-- {
			is[j], is[j-1] = is[j-1], is[j]
		}
	}
}

// importMap returns the imports by name; a later import of a name wins.
func (e *env) importMap() map[string]string {
	m := map[string]string{}
	for _, is := range e.imports {
		if is.name == "_" {
			continue
		}
		m[is.name] = is.path
	}
	return m
}

// build writes the file: imports, declarations, then the cursor chunk
// (text + insert + closers), at top level when it is a declaration, else in
// the body of func _().
func (e *env) build(text, insert string, topLevel bool) (src string, insertAt int) {
	var b strings.Builder
	b.WriteString("package main\n\n")
	seen := map[string]bool{}
	var lines []string
	for i := len(e.imports) - 1; i >= 0; i-- {
		is := e.imports[i]
		key := is.name
		if key == "." || key == "_" {
			key += is.path
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		lines = append(lines, is.name+" "+strconv.Quote(is.path)+"\n")
	}
	if len(lines) > 0 {
		b.WriteString("import (\n")
		for i := len(lines) - 1; i >= 0; i-- {
			b.WriteString(lines[i])
		}
		b.WriteString(")\n\n")
	}
	for _, d := range e.decls {
		b.WriteString(d)
		b.WriteString("\n\n")
	}
	if !topLevel {
		b.WriteString("func _() {\n")
	}
	b.WriteString(text)
	insertAt = b.Len()
	b.WriteString(insert)
	lr := lex(text + insert)
	b.WriteString(closers(lr.toks))
	if !topLevel {
		b.WriteString("\n}")
	}
	b.WriteString("\n")
	return b.String(), insertAt
}

// check parses and type-checks src. Errors are expected (unused variables,
// the cut at the cursor) and ignored: go/types records what it can.
func (e *env) check(src string, insertAt int, insert string) (p *program) {
	defer func() {
		if recover() != nil {
			p = nil // a go/types bug on odd input must not take the kernel down
		}
	}()
	fset := token.NewFileSet()
	f, _ := parser.ParseFile(fset, "cell.go", src, parser.ParseComments|parser.SkipObjectResolution)
	if f == nil {
		return nil
	}
	dedupe(f, insertAt)
	bodies := stripBodies(f, fset, insertAt)
	info := &types.Info{
		Types:      map[ast.Expr]types.TypeAndValue{},
		Defs:       map[*ast.Ident]types.Object{},
		Uses:       map[*ast.Ident]types.Object{},
		Selections: map[*ast.SelectorExpr]*types.Selection{},
		Scopes:     map[ast.Node]*types.Scope{},
	}
	cfg := types.Config{
		Importer:                 importerFor(e.scope),
		Error:                    func(error) {},
		DisableUnusedImportCheck: true,
	}
	pkg, _ := cfg.Check("main", fset, []*ast.File{f}, info)
	imports := map[string]string{}
	for _, is := range f.Imports {
		path, _ := strconv.Unquote(is.Path.Value)
		name := defaultName(path)
		if is.Name != nil {
			name = is.Name.Name
		}
		imports[name] = path
	}
	return &program{src: src, fset: fset, file: f, pkg: pkg, info: info, imports: imports, insertAt: insertAt, insert: insert, bodies: bodies}
}

// dedupe drops declarations that a later one redefines (a cell re-run with
// a changed func), keeping the newest, as the session does.
func dedupe(f *ast.File, keep int) {
	seen := map[string]bool{}
	declKeys := func(d ast.Decl) []string {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv != nil && len(d.Recv.List) > 0 {
				return []string{cellgrammar.ReceiverName(d.Recv.List[0].Type) + "." + d.Name.Name}
			}
			return []string{d.Name.Name}
		}
		return nil
	}
	var out []ast.Decl
	for i := len(f.Decls) - 1; i >= 0; i-- {
		d := f.Decls[i]
		if g, ok := d.(*ast.GenDecl); ok && g.Tok != token.IMPORT {
			var specs []ast.Spec
			for _, s := range g.Specs {
				names := specNames(s)
				fresh := false
				for _, n := range names {
					if n == "_" || !seen[n] {
						fresh = true
					}
				}
				if fresh || len(names) == 0 {
					specs = append(specs, s)
				}
			}
			for _, s := range specs {
				for _, n := range specNames(s) {
					seen[n] = true
				}
			}
			if len(specs) == 0 {
				continue
			}
			g.Specs = reverseSpecs(specs)
			out = append(out, g)
			continue
		}
		keys := declKeys(d)
		dup := len(keys) > 0
		for _, k := range keys {
			if k == "_" || k == "init" || !seen[k] {
				dup = false
			}
			seen[k] = true
		}
		if dup && !(d.Pos() <= token.Pos(keep+1) && token.Pos(keep+1) <= d.End()) {
			continue
		}
		out = append(out, d)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	f.Decls = out
}

func reverseSpecs(s []ast.Spec) []ast.Spec {
	for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
		s[i], s[j] = s[j], s[i]
	}
	return s
}

func specNames(s ast.Spec) []string {
	switch s := s.(type) {
	case *ast.TypeSpec:
		return []string{s.Name.Name}
	case *ast.ValueSpec:
		var out []string
		for _, n := range s.Names {
			out = append(out, n.Name)
		}
		return out
	}
	return nil
}

// stripBodies removes the bodies of the functions that do not hold the
// cursor: their insides cannot change what is in scope at the cursor, and
// checking them would make every request cost as much as the whole session.
func stripBodies(f *ast.File, fset *token.FileSet, keep int) map[*ast.FuncDecl]*ast.BlockStmt {
	bodies := map[*ast.FuncDecl]*ast.BlockStmt{}
	tf := fset.File(f.Pos())
	if tf == nil {
		return bodies
	}
	at := tf.Pos(min(keep, tf.Size()))
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Body != nil {
			if !(fd.Pos() <= at && at <= fd.End()) {
				bodies[fd] = fd.Body
				fd.Body = nil
			}
		}
	}
	return bodies
}

// nodeAt finds the expression that spans exactly [start, end) of the
// synthesized source.
func (p *program) nodeAt(start, end int) ast.Expr {
	tf := p.fset.File(p.file.Pos())
	if tf == nil || end > tf.Size() {
		return nil
	}
	ps, pe := tf.Pos(start), tf.Pos(end)
	var found ast.Expr
	ast.Inspect(p.file, func(n ast.Node) bool {
		if n == nil || found != nil {
			return false
		}
		if n.Pos() > ps || n.End() < pe {
			return false
		}
		if e, ok := n.(ast.Expr); ok && n.Pos() == ps && n.End() == pe {
			found = e
			return false
		}
		return true
	})
	return found
}

// pos converts an offset of the synthesized source to a token.Pos.
func (p *program) pos(off int) token.Pos {
	tf := p.fset.File(p.file.Pos())
	if tf == nil {
		return token.NoPos
	}
	return tf.Pos(min(off, tf.Size()))
}

// The cursor context: what the user is completing or inspecting.
type context struct {
	cell    string
	chunks  []chunk // chunks of cell[:cut]
	cur     chunk   // the chunk holding the cut (last of chunks)
	toks    []lexTok
	lexErrs []lexErr
}

func newContext(cell string, cut int) *context {
	lr := lex(cell[:cut])
	cs := split(cell[:cut], lr)
	return &context{cell: cell, chunks: cs, cur: cs[len(cs)-1], toks: lr.toks, lexErrs: lr.errs}
}

// analyse builds and checks the program with insert placed at cell offset
// at (inside the cursor chunk), trying three ways from the most faithful to
// the most robust until one yields a node for the insert:
//
//  1. the chunk up to at, insert, closing brackets;
//  2. the chunk up to the start of the line, "_ = " or nothing, insert;
//  3. only the insert, alone in a function body.
func (c *context) analyse(s Scope, at int, insert string, asValue bool) (*program, ast.Expr) {
	e := newEnv(s, c.cell, c.chunks[:len(c.chunks)-1])
	top := c.cur.kind == ckDecl || c.cur.kind == ckImport
	if c.cur.kind == ckImport {
		return nil, nil
	}
	lineStart := strings.LastIndexByte(c.cell[:at], '\n') + 1
	if lineStart < c.cur.start {
		lineStart = c.cur.start
	}
	lead := ""
	if asValue {
		lead = "_ = "
	}
	tries := []struct {
		text, insert string
		top          bool
	}{
		{c.cell[c.cur.start:at], insert, top},
		{c.cell[c.cur.start:lineStart], lead + insert, top},
		{"", lead + insert, false},
	}
	for i, t := range tries {
		if i == 1 && lineStart == c.cur.start && !top {
			continue // same as the third
		}
		src, insertAt := e.build(t.text, t.insert, t.top)
		off := insertAt + len(t.insert) - len(insert)
		p := e.check(src, off, insert)
		if p == nil {
			continue
		}
		p.insertAt = off
		if n := p.nodeAt(off, off+len(insert)); n != nil {
			if !asValue || p.usable(n) {
				return p, n
			}
		}
		if i == len(tries)-1 {
			return p, nil
		}
	}
	return nil, nil
}

// usable reports whether go/types learnt something about n: its type, or
// at least what it names (a generic function used without instantiation
// has no type but is still worth documenting).
func (p *program) usable(n ast.Expr) bool {
	var id *ast.Ident
	switch x := n.(type) {
	case *ast.Ident:
		id = x
	case *ast.SelectorExpr:
		id = x.Sel
	}
	if id != nil {
		if _, ok := p.info.Uses[id].(*types.PkgName); ok {
			return true
		}
		if _, ok := p.info.Uses[id].(*types.Func); ok {
			return true
		}
	}
	tv, ok := p.info.Types[n]
	return ok && tv.Type != nil && tv.Type != types.Typ[types.Invalid]
}
