// Package docgen makes the documentation table that interp/complete embeds
// for the project's helper packages (interp/display, interp/bench, ...):
//
//	data, err := docgen.Generate("/path/to/repo/interp") // what `go generate ./interp/complete` runs
//	files, err := docgen.Decode(data)                   // what interp/complete reads at run time
//
// An installed kernel binary may run where the repository's sources are not,
// so the helpers' doc comments travel inside the binary. The table holds each
// package's Go files with function bodies removed (declarations and doc
// comments are all go/doc needs), so the run-time side reads them with the
// same go/doc code as the standard library's sources from GOROOT.
package docgen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/build"
	"go/parser"
	"go/printer"
	"go/token"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
)

// ModulePrefix is the import path of the directory Generate reads.
const ModulePrefix = "github.com/gokernel/gokernel/interp"

// skip lists the packages under interp/ that cells do not import: the
// session itself, its generated symbol tables and this completer.
var skip = map[string]bool{
	"":         true, // package interp: the session
	"complete": true,
	"symbols":  true,
	"worker":   true,
}

// A File is one source file of a helper package, without function bodies.
type File struct {
	Name string `json:"name"`
	Src  string `json:"src"`
}

// Generate reads the helper packages under interpDir and returns the table
// as indented JSON, sorted, so that regenerating unchanged sources gives the
// same bytes.
func Generate(interpDir string) ([]byte, error) {
	table := map[string][]File{}
	err := filepath.WalkDir(interpDir, func(dir string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(interpDir, dir)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if rel == "." {
			rel = ""
		}
		base := d.Name()
		if rel != "" && (base == "testdata" || base == "internal" || strings.HasPrefix(base, ".") || strings.HasPrefix(base, "_")) {
			return filepath.SkipDir
		}
		if skip[rel] || skip[strings.SplitN(rel, "/", 2)[0]] {
			return nil
		}
		files, err := packageFiles(dir)
		if err != nil || len(files) == 0 {
			return nil // no Go package here, or a command: nothing to document
		}
		table[ModulePrefix+"/"+rel] = files
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("docgen: reading %s: %w", interpDir, err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", " ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(table); err != nil { // maps encode with sorted keys
		return nil, fmt.Errorf("docgen: %w", err)
	}
	return buf.Bytes(), nil
}

// Decode reads a table made by Generate.
func Decode(data []byte) (map[string][]File, error) {
	var t map[string][]File
	if err := json.Unmarshal(data, &t); err != nil {
		return nil, fmt.Errorf("docgen: bad documentation table: %w", err)
	}
	return t, nil
}

// packageFiles returns the non-test files of the package in dir that build
// for the default context, bodies stripped. A package main gives nothing.
func packageFiles(dir string) ([]File, error) {
	bp, err := build.Default.ImportDir(dir, 0)
	if err != nil {
		return nil, err
	}
	if bp.Name == "main" {
		return nil, nil
	}
	names := append([]string(nil), bp.GoFiles...)
	sort.Strings(names)
	var out []File
	for _, name := range names {
		src, err := Strip(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		out = append(out, File{Name: name, Src: src})
	}
	return out, nil
}

// Strip returns the source of file with every function body and the
// comments inside bodies removed.
func Strip(file string) (string, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, nil, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return "", fmt.Errorf("docgen: %w", err)
	}
	var bodies [][2]token.Pos
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Body != nil {
			bodies = append(bodies, [2]token.Pos{fd.Body.Pos(), fd.Body.End()})
			fd.Body = nil
		}
	}
	// Function literals in package-level var initializers keep their bodies:
	// they are rare and the declaration still reads correctly.
	kept := f.Comments[:0]
	for _, cg := range f.Comments {
		inBody := false
		for _, b := range bodies {
			if cg.Pos() >= b[0] && cg.End() <= b[1] {
				inBody = true
				break
			}
		}
		if !inBody {
			kept = append(kept, cg)
		}
	}
	f.Comments = kept
	var buf bytes.Buffer
	cfg := printer.Config{Mode: printer.UseSpaces | printer.TabIndent, Tabwidth: 8}
	if err := cfg.Fprint(&buf, fset, f); err != nil {
		return "", fmt.Errorf("docgen: printing %s: %w", file, err)
	}
	return buf.String(), nil
}
