package nbexec

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"strconv"
	"strings"
)

// Tags of the parameters cell and of the cell Parameterize injects after
// it: papermill's names, so notebooks work with either tool.
const (
	ParametersTag         = "parameters"
	InjectedParametersTag = "injected-parameters"
)

// A Param is a value for one of a notebook's parameters, given as
// `gokernel execute -p Name=Value`.
type Param struct {
	Name, Value string
}

// ParseParam parses "name=value".
func ParseParam(s string) (Param, error) {
	name, value, ok := strings.Cut(s, "=")
	name = strings.TrimSpace(name)
	if !ok {
		return Param{}, fmt.Errorf("nbexec: parameter %q: want name=value", s)
	}
	if !token.IsIdentifier(name) {
		return Param{}, fmt.Errorf("nbexec: parameter %q: %q is not a Go name", s, name)
	}
	return Param{Name: name, Value: value}, nil
}

// Parameterize sets parameters as papermill does: the first code cell
// tagged "parameters" holds the defaults (the sizes a lesson runs with),
// and a new code cell tagged "injected-parameters" right after it assigns
// params, so that the cells below see them. An injected cell left by an
// earlier run is replaced.
//
// Every name must be one the parameters cell declares or assigns (var,
// const or :=); anything else is an error, before anything runs, since a
// misspelt size would otherwise run the notebook at the default quietly.
// The injected cell assigns each variable (`n = 50`) and declares each
// constant again (`const N = 50`). A value is Go source when it parses as a
// Go expression naming nothing but Go's predeclared identifiers and
// qualified names (50, 1e6, -3, 2*time.Second, true, []int{1, 2},
// "quoted"); any other value is a string, quoted for Go (fast → "fast",
// /tmp/x → "/tmp/x"). A parameter the parameters cell gives a string (a
// string literal, or type string) is always a string: Value is quoted unless
// it is already a Go string literal.
func (nb *Notebook) Parameterize(params []Param) error {
	if len(params) == 0 {
		return nil
	}
	cells, _ := nb.doc["cells"].([]any)
	at := -1
	for i, c := range cells {
		if m, ok := c.(map[string]any); ok && m["cell_type"] == "code" && hasTag(m, ParametersTag) {
			at = i
			break
		}
	}
	if at < 0 {
		return fmt.Errorf("nbexec: -p %s: no code cell is tagged %q (tag the cell that holds the sizes; see the README)", params[0].Name, ParametersTag)
	}
	decl, err := declared(Source(cells[at].(map[string]any)))
	if err != nil {
		return fmt.Errorf("nbexec: the parameters cell (cell %d) is not Go that gokernel can read: %w", at+1, err)
	}
	var unknown, known []string
	for _, p := range params {
		if _, ok := decl[p.Name]; !ok && !slices.Contains(unknown, p.Name) {
			unknown = append(unknown, p.Name)
		}
	}
	if len(unknown) > 0 {
		for n := range decl {
			known = append(known, n)
		}
		slices.Sort(known)
		sets := "sets nothing"
		if len(known) > 0 {
			sets = "sets " + strings.Join(known, ", ")
		}
		return fmt.Errorf("nbexec: -p %s: not a parameter: the parameters cell (cell %d) %s", strings.Join(unknown, ", -p "), at+1, sets)
	}

	// The last value given for a name wins, in the order names first came.
	var order []string
	values := map[string]string{}
	for _, p := range params {
		if _, ok := values[p.Name]; !ok {
			order = append(order, p.Name)
		}
		values[p.Name] = p.Value
	}
	var src strings.Builder
	src.WriteString("// Parameters injected by gokernel execute -p\n")
	for _, name := range order {
		d := decl[name]
		if d.constant {
			src.WriteString("const ")
		}
		fmt.Fprintf(&src, "%s = %s\n", name, goValue(values[name], d.str))
	}
	cell := map[string]any{
		"cell_type":       "code",
		"execution_count": nil,
		"metadata":        map[string]any{"tags": []any{InjectedParametersTag}},
		"outputs":         []any{},
		"source":          strings.TrimSuffix(src.String(), "\n"),
	}
	// Cell ids came with nbformat 4.5; older schemas refuse them.
	n, _ := nb.doc["nbformat_minor"].(json.Number)
	if minor, err := n.Int64(); err == nil && minor >= 5 {
		cell["id"] = newCellID()
	}
	out := make([]any, 0, len(cells)+1)
	for i, c := range cells {
		if m, ok := c.(map[string]any); ok && hasTag(m, InjectedParametersTag) {
			continue
		}
		out = append(out, c)
		if i == at {
			out = append(out, cell)
		}
	}
	nb.doc["cells"] = out
	return nil
}

func hasTag(cell map[string]any, tag string) bool {
	md, _ := cell["metadata"].(map[string]any)
	tags, _ := md["tags"].([]any)
	return slices.Contains(tags, any(tag))
}

func newCellID() string {
	var b [4]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// A param is what the parameters cell says of one name.
type param struct {
	constant bool // declared with const: set again with const
	str      bool // a string: values are always quoted
}

// declared returns the names the parameters cell declares or assigns at
// its top level. A cell is read as the body of a function (n := 10, n = 10,
// var n = 10) or, failing that, as a file's declarations (var/const blocks).
func declared(src string) (map[string]param, error) {
	names := map[string]param{}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", "package p; func _() {\n"+src+"\n}", 0)
	if err == nil {
		for _, st := range f.Decls[0].(*ast.FuncDecl).Body.List {
			switch st := st.(type) {
			case *ast.AssignStmt:
				if st.Tok != token.DEFINE && st.Tok != token.ASSIGN {
					continue
				}
				for i, l := range st.Lhs {
					id, ok := l.(*ast.Ident)
					if !ok || id.Name == "_" {
						continue
					}
					p := names[id.Name]
					if len(st.Lhs) == len(st.Rhs) {
						p.str = isString(st.Rhs[i])
					}
					names[id.Name] = p
				}
			case *ast.DeclStmt:
				genDecl(st.Decl.(*ast.GenDecl), names)
			}
		}
		return names, nil
	}
	f, err2 := parser.ParseFile(fset, "", "package p\n"+src, 0)
	if err2 != nil {
		return nil, err // the function-body reading's error: the likelier form
	}
	for _, d := range f.Decls {
		if gd, ok := d.(*ast.GenDecl); ok {
			genDecl(gd, names)
		}
	}
	return names, nil
}

func genDecl(gd *ast.GenDecl, names map[string]param) {
	if gd.Tok != token.VAR && gd.Tok != token.CONST {
		return
	}
	for _, s := range gd.Specs {
		vs := s.(*ast.ValueSpec)
		typed := false
		if id, ok := vs.Type.(*ast.Ident); ok && id.Name == "string" {
			typed = true
		}
		for i, id := range vs.Names {
			if id.Name == "_" {
				continue
			}
			p := param{constant: gd.Tok == token.CONST, str: typed}
			if vs.Type == nil && len(vs.Values) == len(vs.Names) {
				p.str = isString(vs.Values[i])
			}
			names[id.Name] = p
		}
	}
}

func isString(e ast.Expr) bool {
	lit, ok := e.(*ast.BasicLit)
	return ok && lit.Kind == token.STRING
}

// goValue renders a -p value as Go source (see Parameterize for the rule).
func goValue(v string, str bool) string {
	e, err := parser.ParseExpr(v)
	if err == nil && isString(e) {
		return v
	}
	if str || err != nil || strings.ContainsAny(v, "\n\r") || !literal(e) {
		return strconv.Quote(v)
	}
	return v
}

// literal reports whether e names nothing but Go's predeclared identifiers
// (true, nil, int, len, ...) and qualified names (time.Second).
func literal(e ast.Expr) bool {
	ok := true
	ast.Inspect(e, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.SelectorExpr:
			if _, pkg := n.X.(*ast.Ident); pkg {
				return false
			}
		case *ast.Ident:
			if !predeclared[n.Name] {
				ok = false
			}
		}
		return ok
	})
	return ok
}

// predeclared are Go's predeclared identifiers (the universe block), listed
// here rather than taken from go/types so that the kernel binary, which
// links this package, stays small.
var predeclared = map[string]bool{
	"any": true, "bool": true, "byte": true, "comparable": true, "complex64": true, "complex128": true,
	"error": true, "float32": true, "float64": true, "int": true, "int8": true, "int16": true,
	"int32": true, "int64": true, "rune": true, "string": true, "uint": true, "uint8": true,
	"uint16": true, "uint32": true, "uint64": true, "uintptr": true,
	"true": true, "false": true, "iota": true, "nil": true,
	"append": true, "cap": true, "clear": true, "close": true, "complex": true, "copy": true,
	"delete": true, "imag": true, "len": true, "make": true, "max": true, "min": true, "new": true,
	"panic": true, "print": true, "println": true, "real": true, "recover": true,
}
