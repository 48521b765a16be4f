package complete

import (
	"go/ast"
	"go/doc"
	"go/doc/comment"
	"go/printer"
	"go/token"
	"go/types"
	"strings"
	"unicode/utf8"

	"github.com/gokernel/gokernel/kernel/mime"
)

// Inspect returns the documentation of the name at cursor (code points):
// the identifier or selector the cursor is in or just after, or, when it is
// inside a call's parentheses, the function called (fmt.Println(|). The
// bundle holds text/plain laid out like `go doc` (the signature, then the
// doc comment indented) and text/markdown (the signature as a Go code block).
// detail > 0 (IPython's "??") adds the source of user functions and the
// method docs of types. ok is false when there is nothing to show.
func Inspect(code string, cursor int, detail int, s Scope) (b mime.Bundle, ok bool) {
	cut := byteOffset(code, cursor)
	defer func() {
		if recover() != nil {
			b, ok = mime.Bundle{}, false
		}
	}()
	start, end := targetAt(code, cut)
	if start < 0 {
		return mime.Bundle{}, false
	}
	c := newContext(code, start)
	if c.cur.kind == ckImport {
		return mime.Bundle{}, false
	}
	expr := code[start:end]
	var di docInfo
	p, n := c.analyse(s, start, expr, true)
	if p != nil && n != nil {
		di = describeNode(p, n, detail)
	}
	if di.sig == "" {
		di = describeSyntax(c, s, expr, detail)
	}
	if di.sig == "" {
		return mime.Bundle{}, false
	}
	return di.bundle(), true
}

// targetAt finds the expression to inspect: the identifier around cut with
// the selector chain before it, else the function whose call's parentheses
// hold cut. It returns -1, -1 when there is none.
func targetAt(code string, cut int) (int, int) {
	a, b := cut, cut
	for a > 0 {
		r, n := utf8.DecodeLastRuneInString(code[:a])
		if !isIdentRune(r) {
			break
		}
		a -= n
	}
	for b < len(code) {
		r, n := utf8.DecodeRuneInString(code[b:])
		if !isIdentRune(r) {
			break
		}
		b += n
	}
	if a < b && isIdent(code[a:b]) {
		c := newContext(code, a)
		if _, in := c.unterminated(a); in {
			return -1, -1
		}
		if i := c.tokBefore(a); i >= 0 && c.toks[i].tok == token.PERIOD {
			if s := c.operandStart(i); s >= 0 {
				return s, b
			}
		}
		return a, b
	}
	// Inside a call: find the innermost ( left open before cut.
	c := newContext(code, cut)
	if _, in := c.unterminated(cut); in {
		return -1, -1
	}
	depth := 0
	for i := len(c.toks) - 1; i >= 0 && c.toks[i].pos >= c.cur.start; i-- {
		switch c.toks[i].tok {
		case token.RPAREN, token.RBRACK, token.RBRACE:
			depth++
		case token.LBRACK, token.LBRACE:
			depth--
		case token.LPAREN:
			if depth > 0 {
				depth--
				continue
			}
			if i == 0 {
				return -1, -1
			}
			j := i - 1
			switch c.toks[j].tok {
			case token.IDENT:
				s := c.toks[j].pos
				if j > 0 && c.toks[j-1].tok == token.PERIOD {
					if os := c.operandStart(j - 1); os >= 0 {
						s = os
					}
				}
				return s, c.toks[j].end
			case token.RBRACK: // f[int](
				k := j
				if s := c.operandStart(k + 1); s >= 0 && k+1 < len(c.toks) {
					return s, c.toks[j].end
				}
			}
			return -1, -1
		}
	}
	return -1, -1
}

// describeNode documents the object n denotes, as go/types resolved it.
func describeNode(p *program, n ast.Expr, detail int) docInfo {
	var id *ast.Ident
	switch x := n.(type) {
	case *ast.Ident:
		id = x
	case *ast.SelectorExpr:
		id = x.Sel
	case *ast.CallExpr, *ast.IndexExpr, *ast.IndexListExpr:
		// f[int]: document f.
		switch f := ast.Unparen(x).(type) {
		case *ast.IndexExpr:
			return describeNode(p, f.X, detail)
		case *ast.IndexListExpr:
			return describeNode(p, f.X, detail)
		}
		return docInfo{nil, "", "", ""}
	default:
		return docInfo{nil, "", "", ""}
	}
	obj := p.info.Uses[id]
	if obj == nil {
		obj = p.info.Defs[id]
	}
	if obj == nil {
		return docInfo{nil, "", "", ""}
	}
	q := qualifier(p.pkg)
	switch o := obj.(type) {
	case *types.PkgName:
		return packageDoc(o.Imported().Path(), detail)
	case *types.Builtin, *types.Nil:
		return builtinDoc(obj.Name())
	}
	if obj.Pkg() == nil { // universe: int, error, true, ...
		return builtinDoc(obj.Name())
	}
	if obj.Pkg() == p.pkg {
		return userDoc(p, obj, q, detail)
	}
	// A member of another package: its names print as its own source has them.
	d := docsFor(obj.Pkg().Path())
	q = qualifier(obj.Pkg())
	sig := types.ObjectString(obj, q)
	if d == nil {
		return docInfo{nil, sig, "", ""}
	}
	switch o := obj.(type) {
	case *types.Func:
		if sig, ok := o.Type().(*types.Signature); ok && sig.Recv() != nil {
			recv := sig.Recv().Type()
			if ptr, ok := recv.(*types.Pointer); ok {
				recv = ptr.Elem()
			}
			if named, ok := recv.(*types.Named); ok {
				if m := d.methods[named.Obj().Name()+"."+o.Name()]; m != nil {
					return docInfo{d, d.declString(m.Decl), m.Doc, ""}
				}
			}
			// An interface method: its doc is a comment on the field.
			if named, ok := recv.(*types.Named); ok {
				if t := d.types[named.Obj().Name()]; t != nil {
					if s, txt := d.fieldDoc(t, o.Name()); s != "" {
						return docInfo{d, s, txt, ""}
					}
				}
			}
			return docInfo{d, types.ObjectString(obj, q), "", ""}
		}
		if f := d.funcs[o.Name()]; f != nil {
			return docInfo{d, d.declString(f.Decl), f.Doc, ""}
		}
	case *types.TypeName:
		if t := d.types[o.Name()]; t != nil {
			return d.typeInfo(t, detail)
		}
	case *types.Var:
		if o.IsField() {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				if s := p.info.Selections[sel]; s != nil {
					recv := s.Recv()
					if ptr, ok := recv.Underlying().(*types.Pointer); ok {
						recv = ptr.Elem()
					}
					if named, ok := recv.(*types.Named); ok && named.Obj().Pkg() != nil {
						if dd := docsFor(named.Obj().Pkg().Path()); dd != nil {
							if t := dd.types[named.Obj().Name()]; t != nil {
								if _, txt := dd.fieldDoc(t, o.Name()); txt != "" {
									return docInfo{dd, "field " + o.Name() + " " + types.TypeString(o.Type(), q), txt, ""}
								}
							}
						}
					}
				}
			}
			return docInfo{d, "field " + o.Name() + " " + types.TypeString(o.Type(), q), "", ""}
		}
		if v := d.values[o.Name()]; v != nil {
			return d.valueInfo(v, sig)
		}
	case *types.Const:
		if v := d.values[o.Name()]; v != nil {
			return d.valueInfo(v, sig)
		}
	}
	return docInfo{d, sig, "", ""}
}

// userDoc documents a name the cells declared: its declaration as written
// (a function without its body unless detail > 0) and its doc comment;
// for a variable, its type and the doc of that type.
func userDoc(p *program, obj types.Object, q types.Qualifier, detail int) docInfo {
	pos := obj.Pos()
	var decl ast.Node
	var docGroup *ast.CommentGroup
	for _, d := range p.file.Decls {
		if !(d.Pos() <= pos && pos < d.End()) {
			continue
		}
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Name.Pos() == pos {
				decl, docGroup = d, d.Doc
			}
		case *ast.GenDecl:
			for _, sp := range d.Specs {
				if sp.Pos() <= pos && pos < sp.End() {
					docGroup = d.Doc
					switch sp := sp.(type) {
					case *ast.TypeSpec:
						decl = &ast.GenDecl{Tok: token.TYPE, Specs: []ast.Spec{sp}}
						if sp.Doc != nil {
							docGroup = sp.Doc
						}
					case *ast.ValueSpec:
						if sp.Doc != nil {
							docGroup = sp.Doc
						}
					}
				}
			}
		}
	}
	text := ""
	if docGroup != nil {
		text = docGroup.Text()
	}
	switch o := obj.(type) {
	case *types.Func:
		fd, ok := decl.(*ast.FuncDecl)
		if !ok {
			return docInfo{nil, types.ObjectString(obj, q), text, ""}
		}
		if detail > 0 {
			end := fd.End()
			if body := p.bodies[fd]; body != nil {
				end = body.End()
			}
			return docInfo{nil, p.src[p.offset(fd.Pos()):p.offset(end)], text, ""}
		}
		return docInfo{nil, printNode(p.fset, &ast.FuncDecl{Recv: fd.Recv, Name: fd.Name, Type: fd.Type}), text, ""}
	case *types.TypeName:
		if decl != nil {
			return docInfo{nil, printNode(p.fset, decl), text, ""}
		}
		return docInfo{nil, types.ObjectString(obj, q), text, ""}
	case *types.Var, *types.Const:
		sig := types.ObjectString(obj, q)
		if o.Parent() != nil && o.Parent() != p.pkg.Scope() {
			sig = strings.Replace(sig, "var ", "var (local) ", 1) // not visible from other cells
		}
		if text == "" {
			// Say what the type is, as `go doc` would for its type.
			t := obj.Type()
			if ptr, ok := t.(*types.Pointer); ok {
				t = ptr.Elem()
			}
			if named, ok := t.(*types.Named); ok && named.Obj().Pkg() != nil && named.Obj().Pkg() != p.pkg {
				if d := docsFor(named.Obj().Pkg().Path()); d != nil {
					if dt := d.types[named.Obj().Name()]; dt != nil {
						return docInfo{d, sig, d.doc.Synopsis(dt.Doc), ""}
					}
				}
			}
		}
		return docInfo{nil, sig, text, ""}
	}
	return docInfo{nil, types.ObjectString(obj, q), text, ""}
}

// offset converts a position of the synthesized file to an offset.
func (p *program) offset(pos token.Pos) int {
	tf := p.fset.File(pos)
	if tf == nil {
		return 0
	}
	return tf.Offset(pos)
}

// describeSyntax documents expr without types: pkg.Name (and pkg.Type.Method)
// of an imported package, a user declaration by name, a builtin.
func describeSyntax(c *context, s Scope, expr string, detail int) docInfo {
	e := newEnv(s, c.cell, c.chunks[:len(c.chunks)-1])
	parts := strings.Split(expr, ".")
	for _, part := range parts {
		if !isIdent(strings.TrimSpace(part)) {
			return docInfo{nil, "", "", ""}
		}
	}
	if path, ok := e.importMap()[parts[0]]; ok {
		if len(parts) == 1 {
			return packageDoc(path, detail)
		}
		d := docsFor(path)
		if d == nil {
			return docInfo{nil, "", "", ""}
		}
		name := strings.TrimSpace(parts[1])
		if len(parts) == 3 {
			if m := d.methods[name+"."+strings.TrimSpace(parts[2])]; m != nil {
				return docInfo{d, d.declString(m.Decl), m.Doc, ""}
			}
			return docInfo{nil, "", "", ""}
		}
		if f := d.funcs[name]; f != nil {
			return docInfo{d, d.declString(f.Decl), f.Doc, ""}
		}
		if t := d.types[name]; t != nil {
			return d.typeInfo(t, detail)
		}
		if v := d.values[name]; v != nil {
			return d.valueInfo(v, "")
		}
		return docInfo{nil, "", "", ""}
	}
	if len(parts) == 1 {
		return builtinDoc(expr)
	}
	return docInfo{nil, "", "", ""}
}

// packageDoc documents a package: its clause and its doc comment.
func packageDoc(path string, detail int) docInfo {
	d := docsFor(path)
	if d == nil {
		return docInfo{nil, "package " + defaultName(path) + " // import \"" + path + "\"", "", ""}
	}
	return docInfo{d, "package " + d.doc.Name + " // import \"" + path + "\"", d.doc.Doc, ""}
}

// builtinDoc documents a predeclared name from GOROOT's builtin package.
func builtinDoc(name string) docInfo {
	d := docsFor("builtin")
	if d == nil {
		return docInfo{nil, "", "", ""}
	}
	if f := d.funcs[name]; f != nil {
		return docInfo{d, d.declString(f.Decl), f.Doc, ""}
	}
	if t := d.types[name]; t != nil {
		return docInfo{d, d.declString(t.Decl), t.Doc, ""}
	}
	if v := d.values[name]; v != nil {
		return docInfo{d, d.declString(v.Decl), v.Doc, ""}
	}
	return docInfo{nil, "", "", ""}
}

// valueInfo documents a var or const: a single declaration as written, a
// group (the math constants) as the object's own line, then the group's
// doc and the whole group below, as `go doc` shows it.
func (d *pkgDoc) valueInfo(v *doc.Value, sig string) docInfo {
	decl := d.declString(v.Decl)
	if len(v.Decl.Specs) == 1 || sig == "" {
		return docInfo{d, decl, v.Doc, ""}
	}
	return docInfo{d, sig, v.Doc, decl}
}

// declString prints a declaration of the package's sources.
func (d *pkgDoc) declString(n ast.Node) string {
	if fd, ok := n.(*ast.FuncDecl); ok {
		n = &ast.FuncDecl{Recv: fd.Recv, Name: fd.Name, Type: fd.Type} // no body, no doc
	}
	return printNode(d.fset, n)
}

// typeInfo is a type's declaration and doc, then its constructors and
// methods, one line each (their docs too when detail > 0), as `go doc T`
// lists them.
func (d *pkgDoc) typeInfo(t *doc.Type, detail int) docInfo {
	di := docInfo{d: d, sig: d.declString(t.Decl), doc: t.Doc}
	var b strings.Builder
	var fs []*doc.Func
	fs = append(fs, t.Funcs...)
	fs = append(fs, t.Methods...)
	if len(fs) > 0 {
		b.WriteString("\n")
		for _, f := range fs {
			b.WriteString(d.declString(f.Decl))
			b.WriteString("\n")
			if detail > 0 && f.Doc != "" {
				b.WriteString(indent(string(d.doc.Text(f.Doc)), "    "))
				b.WriteString("\n")
			}
		}
	}
	di.extra = b.String()
	return di
}

// fieldDoc finds the comment of a struct field or interface method in a
// type's declaration.
func (d *pkgDoc) fieldDoc(t *doc.Type, name string) (string, string) {
	for _, sp := range t.Decl.Specs {
		ts, ok := sp.(*ast.TypeSpec)
		if !ok {
			continue
		}
		var list *ast.FieldList
		switch x := ts.Type.(type) {
		case *ast.StructType:
			list = x.Fields
		case *ast.InterfaceType:
			list = x.Methods
		}
		if list == nil {
			continue
		}
		for _, f := range list.List {
			for _, n := range f.Names {
				if n.Name != name {
					continue
				}
				cg := f.Doc
				if cg == nil {
					cg = f.Comment
				}
				txt := ""
				if cg != nil {
					txt = cg.Text()
				}
				if _, isFunc := f.Type.(*ast.FuncType); isFunc {
					return "func (" + ts.Name.Name + ") " + name + strings.TrimPrefix(printNode(d.fset, f.Type), "func"), txt
				}
				return name + " " + printNode(d.fset, f.Type), txt
			}
		}
	}
	return "", ""
}

func printNode(fset *token.FileSet, n any) string {
	var b strings.Builder
	cfg := printer.Config{Mode: printer.UseSpaces, Tabwidth: 4}
	if err := cfg.Fprint(&b, fset, n); err != nil {
		return ""
	}
	return b.String()
}

func indent(s, by string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = by + l
		}
	}
	return strings.Join(lines, "\n")
}

// docInfo is what Inspect found: a signature, a doc comment (raw, as in
// the source) and extra lines shown as they are (a type's methods).
type docInfo struct {
	d     *pkgDoc // formats the doc comment with its package's links; may be nil
	sig   string
	doc   string
	extra string
}

// bundle lays out the doc: text/plain like `go doc` (the doc indented under
// the signature), text/markdown with the signature as a Go block and the
// doc comment as Markdown.
func (di docInfo) bundle() mime.Bundle {
	var p *comment.Parser
	var pr *comment.Printer
	if di.d != nil {
		p, pr = di.d.doc.Parser(), di.d.doc.Printer()
	} else {
		p, pr = new(comment.Parser), &comment.Printer{}
	}
	pr.TextWidth = 76
	// Doc links: to pkg.go.dev for the standard library, plain text for
	// others (the helper packages are not published there), never the
	// "#Name" anchors go/doc makes by default, which go nowhere in a tooltip.
	self := ""
	if di.d != nil {
		self = di.d.path
	}
	pr.DocLinkURL = func(l *comment.DocLink) string {
		path := l.ImportPath
		if path == "" {
			path = self
		}
		if path == "" || strings.Contains(strings.SplitN(path, "/", 2)[0], ".") || path == "builtin" {
			return ""
		}
		u := "https://pkg.go.dev/" + path
		if l.Name != "" {
			u += "#" + l.Name
			if l.Recv != "" {
				u = "https://pkg.go.dev/" + path + "#" + l.Recv + "." + l.Name
			}
		}
		return u
	}
	plain := di.sig + "\n"
	md := "```go\n" + di.sig + "\n```\n"
	if strings.TrimSpace(di.doc) != "" {
		parsed := p.Parse(di.doc)
		plain += indent(string(pr.Text(parsed)), "    ") + "\n"
		md += "\n" + string(pr.Markdown(parsed))
	}
	if extra := strings.Trim(di.extra, "\n"); extra != "" {
		plain += "\n" + extra + "\n"
		md += "\n```go\n" + extra + "\n```\n"
	}
	return mime.Bundle{Data: map[string]any{mime.Text: plain, mime.Markdown: md}}
}
