package complete

import (
	_ "embed"
	"go/ast"
	"go/build"
	"go/doc"
	"go/parser"
	"go/printer"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/gokernel/gokernel/interp/complete/internal/docgen"
)

//go:generate go run gendocs.go

// helperDocs is the documentation of the project's helper packages, made
// from their sources by `go generate` (see gendocs.go and package docgen).
// It is embedded because an installed kernel may run where the repository is
// not; TestHelperDocsUpToDate fails when it no longer matches the sources.
//
//go:embed helperdocs.json
var helperDocs []byte

// A pkgDoc is the go/doc view of one package, with lookups by name.
type pkgDoc struct {
	path  string
	fset  *token.FileSet
	doc   *doc.Package
	files []*ast.File // exported declarations only, bodies removed (go/doc trimmed them)

	funcs   map[string]*doc.Func  // package-level funcs, constructors included
	types   map[string]*doc.Type  // types by name
	values  map[string]*doc.Value // the const or var group declaring a name
	methods map[string]*doc.Func  // "T.M"
}

// docCache holds one entry per import path, nil when no sources were found,
// so a package is read at most once per process.
var docCache struct {
	sync.Mutex
	m       map[string]*docEntry
	helpers map[string][]docgen.File
}

type docEntry struct {
	once sync.Once
	d    *pkgDoc
}

// docsFor returns the documentation of the package with import path path,
// reading it on first use: from the embedded table for the helper packages,
// from GOROOT/src for the standard library (and "builtin"), from GOPATH/src
// for others (where yaegi reads third-party sources). It returns nil when
// none of these has the package.
func docsFor(path string) *pkgDoc {
	if path == "" || strings.HasPrefix(path, ".") || strings.Contains(path, "..") {
		return nil
	}
	docCache.Lock()
	if docCache.m == nil {
		docCache.m = map[string]*docEntry{}
		docCache.helpers, _ = docgen.Decode(helperDocs) // a bad table means no helper docs, not a crash
	}
	e := docCache.m[path]
	if e == nil {
		e = &docEntry{}
		docCache.m[path] = e
	}
	helpers := docCache.helpers
	docCache.Unlock()
	e.once.Do(func() { e.d = loadDocs(path, helpers[path]) })
	return e.d
}

func loadDocs(path string, helper []docgen.File) *pkgDoc {
	fset := token.NewFileSet()
	var files []*ast.File
	if helper != nil {
		for _, f := range helper {
			af, err := parser.ParseFile(fset, f.Name, f.Src, parser.ParseComments|parser.SkipObjectResolution)
			if err == nil {
				files = append(files, af)
			}
		}
	} else {
		dir := sourceDir(path)
		if dir == "" {
			return nil
		}
		bp, err := build.Default.ImportDir(dir, 0)
		if err != nil {
			return nil
		}
		for _, name := range bp.GoFiles {
			af, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.ParseComments|parser.SkipObjectResolution)
			if err == nil {
				files = append(files, af)
			}
		}
	}
	if len(files) == 0 {
		return nil
	}
	var mode doc.Mode
	if path == "builtin" || path == "unsafe" {
		mode = doc.AllDecls // their declarations are lower case (len, append)
	}
	dp, err := doc.NewFromFiles(fset, files, path, mode)
	if err != nil {
		return nil
	}
	d := &pkgDoc{path: path, fset: fset, doc: dp, files: files,
		funcs: map[string]*doc.Func{}, types: map[string]*doc.Type{},
		values: map[string]*doc.Value{}, methods: map[string]*doc.Func{}}
	addValues := func(vs []*doc.Value) {
		for _, v := range vs {
			for _, n := range v.Names {
				d.values[n] = v
			}
		}
	}
	addValues(dp.Consts)
	addValues(dp.Vars)
	for _, f := range dp.Funcs {
		d.funcs[f.Name] = f
	}
	for _, t := range dp.Types {
		d.types[t.Name] = t
		addValues(t.Consts)
		addValues(t.Vars)
		for _, f := range t.Funcs {
			d.funcs[f.Name] = f
		}
		for _, m := range t.Methods {
			d.methods[t.Name+"."+m.Name] = m
		}
	}
	return d
}

// sourceDir finds the directory holding the sources of path.
func sourceDir(path string) string {
	roots := []string{filepath.Join(goroot(), "src")}
	for _, gp := range filepath.SplitList(build.Default.GOPATH) {
		roots = append(roots, filepath.Join(gp, "src"))
	}
	for _, r := range roots {
		dir := filepath.Join(r, filepath.FromSlash(path))
		if st, err := os.Stat(dir); err == nil && st.IsDir() {
			return dir
		}
	}
	return ""
}

var gorootOnce struct {
	sync.Once
	dir string
}

// goroot finds the Go installation whose sources document the standard
// library: $GOROOT, else the one this binary was built with (when it is
// still there), else what `go env GOROOT` says. The answer is cached.
func goroot() string {
	gorootOnce.Do(func() {
		ok := func(d string) bool {
			st, err := os.Stat(filepath.Join(d, "src", "fmt"))
			return d != "" && err == nil && st.IsDir()
		}
		for _, d := range []string{os.Getenv("GOROOT"), runtime.GOROOT()} { //nolint:staticcheck // deprecated, still the cheapest guess
			if ok(d) {
				gorootOnce.dir = d
				return
			}
		}
		if out, err := exec.Command("go", "env", "GOROOT").Output(); err == nil {
			if d := strings.TrimSpace(string(out)); ok(d) {
				gorootOnce.dir = d
			}
		}
	})
	return gorootOnce.dir
}

// members lists the exported names of the package with their kinds and
// signatures, from its doc (the fallback when no symbol table is known).
func (d *pkgDoc) members() []item {
	var out []item
	for n, f := range d.funcs {
		out = append(out, item{name: n, kind: "function", sig: d.funcSignature(f.Decl)})
	}
	for n, t := range d.types {
		out = append(out, item{name: n, kind: "type", sig: d.typeKind(t.Decl)})
	}
	for n, v := range d.values {
		k := "variable"
		if v.Decl.Tok == token.CONST {
			k = "constant"
		}
		out = append(out, item{name: n, kind: k})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// funcSignature prints a func declaration's type without its name:
// "func(a ...any) (n int, err error)", parameter names kept.
func (d *pkgDoc) funcSignature(fd *ast.FuncDecl) string {
	if fd == nil {
		return ""
	}
	return "func" + strings.TrimPrefix(d.print(&ast.FuncType{Params: fd.Type.Params, Results: fd.Type.Results, TypeParams: fd.Type.TypeParams}), "func")
}

// print formats a node of this package's sources.
func (d *pkgDoc) print(n any) string {
	var b strings.Builder
	cfg := printer.Config{Mode: printer.UseSpaces, Tabwidth: 4}
	if err := cfg.Fprint(&b, d.fset, n); err != nil {
		return ""
	}
	return b.String()
}

// typeKind says what kind of type a declaration makes: "struct",
// "interface", or the underlying type's text ("int", "func(x int)").
func (d *pkgDoc) typeKind(g *ast.GenDecl) string {
	if g == nil || len(g.Specs) == 0 {
		return ""
	}
	ts, ok := g.Specs[0].(*ast.TypeSpec)
	if !ok {
		return ""
	}
	switch ts.Type.(type) {
	case *ast.StructType:
		return "struct"
	case *ast.InterfaceType:
		return "interface"
	}
	return d.print(ts.Type)
}

var pathList struct {
	sync.Once
	paths []string
}

// importPaths completes an import path: the standard library's packages
// (from GOROOT/src, internal and vendored ones left out) and the helper
// packages.
func importPaths(prefix string) []item {
	pathList.Do(func() {
		seen := map[string]bool{}
		src := filepath.Join(goroot(), "src")
		_ = filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
			if err != nil || !d.IsDir() {
				return nil
			}
			rel, _ := filepath.Rel(src, p)
			rel = filepath.ToSlash(rel)
			base := d.Name()
			if rel != "." && (base == "internal" || base == "testdata" || base == "vendor" || rel == "cmd" || strings.HasPrefix(base, ".") || strings.HasPrefix(base, "_")) {
				return filepath.SkipDir
			}
			if rel == "." || rel == "builtin" {
				return nil
			}
			if matches, _ := filepath.Glob(filepath.Join(p, "*.go")); len(matches) > 0 {
				seen[rel] = true
			}
			return nil
		})
		docCache.Lock()
		if docCache.helpers == nil {
			docCache.helpers, _ = docgen.Decode(helperDocs)
		}
		for p := range docCache.helpers {
			seen[p] = true
		}
		docCache.Unlock()
		for p := range seen {
			pathList.paths = append(pathList.paths, p)
		}
		sort.Strings(pathList.paths)
	})
	var out []item
	for _, p := range pathList.paths {
		if strings.HasPrefix(p, prefix) {
			out = append(out, item{name: p, kind: "module"})
		}
	}
	return out
}
