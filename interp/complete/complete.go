// Package complete answers a Go notebook's complete_request (Tab),
// inspect_request (Shift-Tab) and is_complete_request (Enter in
// `jupyter console`), from the text of the cell and the session's state:
//
//	s := complete.Scope{
//		Imports:  map[string]string{"fmt": "fmt"},
//		Decls:    []string{"type Point struct{ X, Y int }", "p := Point{1, 2}"},
//		Packages: complete.PackagesFrom(stdlib.Symbols), // yaegi's tables
//	}
//	items, start, end := complete.Complete("p.", 2, s)   // X, Y
//	b, ok := complete.Inspect("fmt.Println(", 12, 0, s)   // signature and doc
//	status, indent := complete.IsComplete("for {")        // "incomplete", "    "
//
// It does not import the interpreter: the session fills a Scope, so this
// package is tested alone and costs the session nothing until Tab is
// pressed.
//
// # How it works
//
// The earlier cells and the cell being typed become one Go file (see
// source.go): imports, the declarations of every cell (top-level := become
// package variables, as in the session), and the cell cut at the cursor
// with its open brackets closed. go/types checks that file; compiled
// packages come from the session's symbol tables, turned into go/types
// packages through reflect. What go/types learns about the expression
// before a dot gives fields and methods; the scope at the cursor gives the
// names in scope, locals included. When the cell does not parse, the same
// is tried with the cursor's line alone, then with nothing of the cell;
// names of packages and declarations still come from the syntax.
//
// Documentation comes from go/doc: the standard library from GOROOT's
// sources (read once per package), the project's helper packages from a
// table embedded at build time (helperdocs.json, made by `go generate`,
// since an installed kernel may not have the repository's sources), and
// the user's declarations from the cells' own comments.
//
// Cursor offsets are in Unicode code points, as the Jupyter protocol
// counts them.
package complete

import (
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"
	"path"
	"reflect"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gokernel/gokernel/kernel/mime"
)

// A Scope is what the session knows that the cell text does not say. The
// zero Scope is valid: completion then knows only the cell, the standard
// library's sources and the helper packages' documentation.
type Scope struct {
	// Imports maps the name cells use for a package to its import path:
	// "fmt" → "fmt", "rand" → "math/rand", "m" → "math" for import m "math".
	// Imports written in Decls count too, so a session that passes whole
	// cells may leave this nil.
	Imports map[string]string

	// Decls holds the source of the session's earlier cells, oldest first:
	// whole cells (imports, declarations and statements mixed) or single
	// declarations. Their imports, funcs, types, vars, consts and methods,
	// and the variables their top-level := statements declare, are in
	// scope; other statements are ignored. A later declaration of a name
	// replaces an earlier one, as when a cell is edited and re-run. Pass
	// only cells that compiled: a broken one only adds noise.
	Decls []string

	// Packages returns the exported symbols of a compiled package, as
	// yaegi's symbol tables hold them ("Println" → reflect.ValueOf(fmt.Println),
	// types as (*T)(nil), variables addressable, untyped constants as
	// constant.Value), or nil when path has no table. PackagesFrom builds
	// it from yaegi's Exports. When nil (or nil for a path), members are
	// read from the package's sources instead: slower, and it lists what is
	// declared rather than what the interpreter can reach.
	Packages func(path string) map[string]reflect.Value
}

// PackagesFrom builds a Scope.Packages from symbol tables in yaegi's
// layout (interp.Exports, stdlib.Symbols: keys "path/name", such as
// "math/rand/rand"). Later tables win.
func PackagesFrom(tables ...map[string]map[string]reflect.Value) func(string) map[string]reflect.Value {
	idx := map[string]map[string]reflect.Value{}
	for _, t := range tables {
		for key, syms := range t {
			idx[path.Dir(key)] = syms
		}
	}
	return func(p string) map[string]reflect.Value { return idx[p] }
}

// An item is a completion candidate before it becomes a mime.Completion.
type item struct {
	name, kind, sig string
	rank            int // smaller first: locals, package, imports, builtins, keywords
}

var keywords = []string{
	"break", "case", "chan", "const", "continue", "default", "defer", "else",
	"fallthrough", "for", "func", "go", "goto", "if", "import", "interface",
	"map", "package", "range", "return", "select", "struct", "switch", "type", "var",
}

// Complete returns the completions for the code at cursor and the range
// [start, end) of code they replace, all in code points. end reaches past
// the cursor over the rest of an identifier the cursor is inside, so
// choosing "Println" at fmt.Pr|int replaces the whole word. It never
// panics; with nothing to offer it returns no items and start = end = cursor.
func Complete(code string, cursor int, s Scope) (items []mime.Completion, start, end int) {
	cut := byteOffset(code, cursor)
	cursor = utf8.RuneCountInString(code[:cut])
	defer func() {
		if recover() != nil {
			items, start, end = nil, cursor, cursor
		}
	}()
	its, bs, be := complete(code, cut, s)
	if len(its) == 0 {
		return nil, cursor, cursor
	}
	out := make([]mime.Completion, len(its))
	for i, it := range its {
		out[i] = mime.Completion{Text: it.name, Type: it.kind, Signature: it.sig}
	}
	return out, runeOffset(code, bs), runeOffset(code, be)
}

func complete(code string, cut int, s Scope) ([]item, int, int) {
	c := newContext(code, cut)
	end := cut
	for end < len(code) {
		r, n := utf8.DecodeRuneInString(code[end:])
		if !isIdentRune(r) {
			break
		}
		end += n
	}
	prefix, prefixStart := "", cut
	var last *lexTok
	if n := len(c.toks); n > 0 {
		last = &c.toks[n-1]
		if last.tok == token.SEMICOLON && last.pos >= cut && n > 1 {
			last = &c.toks[n-2]
		}
	}
	// Inside a string or comment: only import paths are completed.
	if st, ok := c.unterminated(cut); ok {
		if st == token.STRING && c.cur.kind == ckImport && strings.HasPrefix(code[st0(c, cut):cut], "\"") {
			q := st0(c, cut)
			return importPaths(code[q+1 : cut]), q + 1, end
		}
		return nil, cut, cut
	}
	if last != nil && last.end == cut {
		switch {
		case last.tok == token.IDENT || last.tok.IsKeyword():
			prefix, prefixStart = code[last.pos:cut], last.pos
		case last.tok == token.COMMENT, last.tok.IsLiteral(),
			last.tok == token.RPAREN, last.tok == token.RBRACK, last.tok == token.RBRACE:
			return nil, cut, cut // f()| or 3|: nothing is being named
		}
	}
	// Is there a selector before the prefix?
	dot := c.tokBefore(prefixStart)
	if dot >= 0 && c.toks[dot].tok == token.PERIOD {
		opStart := c.operandStart(dot)
		if opStart < 0 {
			return nil, cut, cut
		}
		operand := code[opStart:c.toks[dot].pos]
		return filter(members(c, s, opStart, operand), prefix), prefixStart, end
	}
	if c.cur.kind == ckImport {
		return nil, cut, cut
	}
	return filter(inScope(c, s, prefixStart), prefix), prefixStart, end
}

// st0 returns the start of the unterminated literal the cut is in.
func st0(c *context, cut int) int {
	for _, e := range c.lexErrs {
		if strings.Contains(e.msg, "not terminated") {
			return e.off
		}
	}
	return cut
}

// unterminated reports whether cut is inside a string, rune or comment that
// the text before it leaves open (the scanner's view: it saw the literal
// start and hit the end).
func (c *context) unterminated(cut int) (token.Token, bool) {
	for _, e := range c.lexErrs {
		switch {
		case strings.Contains(e.msg, "raw string literal not terminated"), strings.Contains(e.msg, "string literal not terminated"):
			return token.STRING, true
		case strings.Contains(e.msg, "rune literal not terminated"):
			return token.CHAR, true
		case strings.Contains(e.msg, "comment not terminated"):
			return token.COMMENT, true
		}
	}
	// A // comment runs to the end of its line: a cut inside it ends it.
	if n := len(c.toks); n > 0 {
		t := c.toks[n-1]
		if t.tok == token.SEMICOLON && n > 1 {
			t = c.toks[n-2]
		}
		if t.tok == token.COMMENT && t.end == cut && strings.HasPrefix(t.lit, "//") {
			return token.COMMENT, true
		}
	}
	return 0, false
}

// tokBefore returns the index of the last real token ending at or before
// off, or -1.
func (c *context) tokBefore(off int) int {
	for i := len(c.toks) - 1; i >= 0; i-- {
		t := c.toks[i]
		if t.tok == token.COMMENT || (t.tok == token.SEMICOLON && t.auto) {
			if t.tok == token.SEMICOLON && t.pos < off {
				return i // a line ended: nothing continues across it
			}
			continue
		}
		if t.end <= off {
			return i
		}
	}
	return -1
}

// operandStart walks back from the period at toks[dot] over the operand of
// the selector: identifiers, dots, and bracketed calls and indexes
// (a.b(x)[i].c). It returns the operand's first offset, or -1 when there is
// none (a float literal such as "3.").
func (c *context) operandStart(dot int) int {
	i := dot - 1
	start := -1
	for i >= 0 {
		t := c.toks[i]
		switch t.tok {
		case token.IDENT:
			start = t.pos
			if i > 0 && c.toks[i-1].tok == token.PERIOD {
				i -= 2
				continue
			}
			return start
		case token.RPAREN, token.RBRACK, token.RBRACE:
			depth := 0
			for ; i >= 0; i-- {
				switch c.toks[i].tok {
				case token.RPAREN, token.RBRACK, token.RBRACE:
					depth++
				case token.LPAREN, token.LBRACK, token.LBRACE:
					depth--
				}
				if depth == 0 {
					break
				}
			}
			if i < 0 {
				return -1
			}
			start = c.toks[i].pos
			i--
			if i >= 0 {
				switch c.toks[i].tok {
				case token.IDENT, token.RPAREN, token.RBRACK:
					continue // f(x), a[i], f[T](x), g()(x)
				}
			}
			return start
		case token.STRING:
			return -1 // "abc". has no members
		default:
			return start
		}
	}
	return start
}

// members lists the fields and methods of operand, or the members of the
// package it names.
func members(c *context, s Scope, opStart int, operand string) []item {
	p, n := c.analyse(s, opStart, operand, true)
	if p != nil && n != nil {
		if id, ok := n.(*ast.Ident); ok {
			if pn, ok := p.info.Uses[id].(*types.PkgName); ok {
				return packageMembers(s, pn.Imported().Path(), pn.Imported())
			}
		}
		if tv, ok := p.info.Types[n]; ok && tv.Type != nil {
			return fieldsAndMethods(tv.Type, p.pkg, tv.IsType())
		}
	}
	// No types: a package name is still a package name.
	if isIdent(operand) {
		e := newEnv(s, c.cell, c.chunks[:len(c.chunks)-1])
		if path, ok := e.importMap()[operand]; ok {
			return packageMembers(s, path, nil)
		}
	}
	return nil
}

// packageMembers lists a package's exported names. pkg, when known, gives
// exact kinds and types; signatures come from the documentation when it is
// there, for its parameter names.
func packageMembers(s Scope, path string, pkg *types.Package) []item {
	d := docsFor(path)
	if pkg == nil || !pkg.Complete() && len(pkg.Scope().Names()) == 0 {
		if s.Packages != nil {
			if t := s.Packages(path); t != nil {
				pkg = conv.fromTable(path, t)
			}
		}
	}
	if pkg == nil {
		if d == nil {
			return nil
		}
		return d.members()
	}
	var out []item
	q := qualifier(pkg)
	for _, name := range pkg.Scope().Names() {
		obj := pkg.Scope().Lookup(name)
		if !obj.Exported() {
			continue
		}
		it := objectItem(obj, q)
		if f, ok := obj.(*types.Func); ok && d != nil {
			if df := d.funcs[f.Name()]; df != nil {
				it.sig = d.funcSignature(df.Decl)
			}
		}
		out = append(out, it)
	}
	return out
}

// qualifier prints other packages' names as cells write them.
func qualifier(self *types.Package) types.Qualifier {
	return func(p *types.Package) string {
		if p == self || p == nil || p.Path() == "main" {
			return ""
		}
		return p.Name()
	}
}

func objectItem(obj types.Object, q types.Qualifier) item {
	it := item{name: obj.Name()}
	switch o := obj.(type) {
	case *types.Func:
		it.kind = "function"
		if sig, ok := o.Type().(*types.Signature); ok && sig.Recv() != nil {
			it.kind = "method"
		}
		it.sig = types.TypeString(o.Type(), q)
	case *types.TypeName:
		it.kind = "type"
		switch o.Type().Underlying().(type) {
		case *types.Struct:
			it.sig = "struct"
		case *types.Interface:
			it.sig = "interface"
		default:
			it.sig = types.TypeString(o.Type().Underlying(), q)
		}
	case *types.Var:
		it.kind = "variable"
		if o.IsField() {
			it.kind = "field"
		}
		it.sig = types.TypeString(o.Type(), q)
	case *types.Const:
		it.kind = "constant"
		it.sig = types.TypeString(o.Type(), q)
		if v := o.Val(); v != nil && v.Kind() != constant.Unknown {
			s := v.ExactString()
			if len(s) > 40 {
				s = s[:37] + "..."
			}
			it.sig += " = " + s
		}
	case *types.PkgName:
		it.kind = "package"
		it.sig = o.Imported().Path()
	case *types.Builtin:
		it.kind = "function"
		it.sig = "builtin"
	case *types.Nil:
		it.kind = "constant"
		it.sig = "untyped nil"
	default:
		it.kind = "variable"
	}
	return it
}

// fieldsAndMethods lists what can follow a value (or type) of type t and a
// dot: fields (promoted ones included, shallowest first) and the method set
// of t, or of *t when a value of t could be addressable.
func fieldsAndMethods(t types.Type, from *types.Package, isType bool) []item {
	q := qualifier(from)
	var out []item
	seen := map[string]bool{}
	visible := func(o types.Object) bool {
		return o.Exported() || o.Pkg() == nil || o.Pkg() == from
	}
	if !isType {
		// Breadth-first over embedded structs, so shallow fields win.
		queue := []types.Type{t}
		done := map[types.Type]bool{}
		for len(queue) > 0 {
			cur := queue[0]
			queue = queue[1:]
			if p, ok := cur.Underlying().(*types.Pointer); ok {
				cur = p.Elem()
			}
			if done[cur] {
				continue
			}
			done[cur] = true
			st, ok := cur.Underlying().(*types.Struct)
			if !ok {
				continue
			}
			for i := 0; i < st.NumFields(); i++ {
				f := st.Field(i)
				if !seen[f.Name()] && visible(f) {
					seen[f.Name()] = true
					out = append(out, objectItem(f, q)) // fields rank 0: before methods
				}
				if f.Embedded() {
					queue = append(queue, f.Type())
				}
			}
		}
	}
	mt := t
	if _, isPtr := t.Underlying().(*types.Pointer); !isPtr && !types.IsInterface(t) && !isType {
		mt = types.NewPointer(t)
	}
	ms := types.NewMethodSet(mt)
	for i := 0; i < ms.Len(); i++ {
		o := ms.At(i).Obj()
		if seen[o.Name()] || !visible(o) {
			continue
		}
		seen[o.Name()] = true
		it := objectItem(o, q)
		it.kind = "method"
		it.rank = 1
		if s := docMethodSignature(ms.At(i).Recv(), o); s != "" {
			it.sig = s // with parameter names, which reflect does not know
		}
		out = append(out, it)
	}
	return out
}

// docMethodSignature returns the signature of a compiled type's method as
// its documentation writes it, or "".
func docMethodSignature(recv types.Type, m types.Object) string {
	if m.Pkg() == nil || m.Pkg().Path() == "main" {
		return ""
	}
	sig, ok := m.Type().(*types.Signature)
	if !ok || sig.Recv() == nil {
		return ""
	}
	t := sig.Recv().Type()
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	named, ok := t.(*types.Named)
	if !ok {
		return ""
	}
	d := docsFor(m.Pkg().Path())
	if d == nil {
		return ""
	}
	if f := d.methods[named.Obj().Name()+"."+m.Name()]; f != nil {
		return d.funcSignature(f.Decl)
	}
	return ""
}

// inScope lists the names visible at off: locals, the package's
// declarations, imports, builtins; then keywords.
func inScope(c *context, s Scope, off int) []item {
	var out []item
	seen := map[string]bool{}
	add := func(it item) {
		if it.name == "_" || it.name == "" || seen[it.name] {
			return
		}
		seen[it.name] = true
		out = append(out, it)
	}
	p, n := c.analyse(s, off, "_", false)
	if p != nil && n != nil && p.pkg != nil {
		pos := p.pos(p.insertAt)
		inner := p.pkg.Scope().Innermost(pos)
		if inner == nil {
			inner = p.pkg.Scope()
		}
		q := qualifier(p.pkg)
		for sc := inner; sc != nil; sc = sc.Parent() {
			rank := 0 // locals
			switch {
			case sc == types.Universe:
				rank = 3
			case sc == p.pkg.Scope():
				rank = 1
			case sc.Parent() == p.pkg.Scope():
				rank = 2 // the file scope: imports
			}
			for _, name := range sc.Names() {
				if _, obj := inner.LookupParent(name, pos); obj != nil && obj.Parent() == sc {
					if name == "init" && sc == p.pkg.Scope() {
						continue
					}
					it := objectItem(obj, q)
					it.rank = rank
					add(it)
				}
			}
		}
		// Package names live in the file scope, which Innermost may skip.
		for name, path := range p.imports {
			if name != "." && name != "_" {
				add(item{name: name, kind: "package", sig: path, rank: 2})
			}
		}
	} else {
		// Syntax only: the names the declarations define, imports, builtins.
		e := newEnv(s, c.cell, c.chunks[:len(c.chunks)-1])
		for name, path := range e.importMap() {
			if name != "." {
				add(item{name: name, kind: "package", sig: path, rank: 2})
			}
		}
		for _, it := range declaredNames(e.decls) {
			it.rank = 1
			add(it)
		}
		for _, name := range types.Universe.Names() {
			it := objectItem(types.Universe.Lookup(name), nil)
			it.rank = 3
			add(it)
		}
	}
	for _, k := range keywords {
		if !seen[k] {
			out = append(out, item{name: k, kind: "keyword", rank: 4})
			seen[k] = true
		}
	}
	return out
}

// declaredNames lists the names declaration texts define, from syntax only.
func declaredNames(decls []string) []item {
	var out []item
	for _, d := range decls {
		lr := lex(d)
		ts := lr.toks
		for i := 0; i < len(ts); i++ {
			if ts[i].tok == token.COMMENT {
				continue
			}
			switch ts[i].tok {
			case token.FUNC:
				if i+1 < len(ts) && ts[i+1].tok == token.IDENT {
					out = append(out, item{name: ts[i+1].lit, kind: "function"})
				}
			case token.TYPE, token.VAR, token.CONST:
				kind := map[token.Token]string{token.TYPE: "type", token.VAR: "variable", token.CONST: "constant"}[ts[i].tok]
				for j := i + 1; j < len(ts); j++ {
					if ts[j].tok == token.IDENT {
						out = append(out, item{name: ts[j].lit, kind: kind})
						if j+1 < len(ts) && ts[j+1].tok == token.COMMA {
							j++
							continue
						}
						break
					}
					if ts[j].tok != token.LPAREN && ts[j].tok != token.SEMICOLON {
						break
					}
				}
			}
			break
		}
	}
	return out
}

// filter keeps the items that start with prefix (case-sensitively, or, when
// none does, case-insensitively: "print" finds Println), sorted by rank
// then name.
func filter(its []item, prefix string) []item {
	var out []item
	for _, it := range its {
		if strings.HasPrefix(it.name, prefix) {
			out = append(out, it)
		}
	}
	if len(out) == 0 && prefix != "" {
		lp := strings.ToLower(prefix)
		for _, it := range its {
			if strings.HasPrefix(strings.ToLower(it.name), lp) {
				out = append(out, it)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].rank != out[j].rank {
			return out[i].rank < out[j].rank
		}
		return out[i].name < out[j].name
	})
	return out
}

func isIdentRune(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if !isIdentRune(r) || (i == 0 && unicode.IsDigit(r)) {
			return false
		}
	}
	return true
}

// byteOffset converts a code point offset to a byte offset, clamped to the
// text.
func byteOffset(s string, runes int) int {
	if runes <= 0 {
		return 0
	}
	n := 0
	for i := range s {
		if n == runes {
			return i
		}
		n++
	}
	return len(s)
}

func runeOffset(s string, bytes int) int {
	if bytes > len(s) {
		bytes = len(s)
	}
	return utf8.RuneCountInString(s[:bytes])
}
