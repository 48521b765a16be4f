package docgen

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGenerate(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) {
		t.Helper()
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("helper/h.go", "// Package helper helps.\npackage helper\n\n// Do does it.\nfunc Do(x int) int {\n\t// secret detail\n\treturn x\n}\n")
	write("helper/h_test.go", "package helper\n\nfunc TestNothing() {}\n")
	write("complete/c.go", "package complete\n")
	write("cmd/tool/main.go", "package main\n\nfunc main() {}\n")
	write("helper/testdata/x.go", "package x\n")
	data, err := Generate(dir)
	if err != nil {
		t.Fatal(err)
	}
	table, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(table) != 1 {
		t.Fatalf("table has %d packages, want only helper: %v", len(table), table)
	}
	files := table[ModulePrefix+"/helper"]
	if len(files) != 1 || files[0].Name != "h.go" {
		t.Fatalf("helper files = %+v, want h.go only", files)
	}
	src := files[0].Src
	for _, want := range []string{"// Package helper helps.", "// Do does it.", "func Do(x int) int"} {
		if !strings.Contains(src, want) {
			t.Errorf("stripped source lacks %q:\n%s", want, src)
		}
	}
	for _, not := range []string{"secret detail", "return x"} {
		if strings.Contains(src, not) {
			t.Errorf("stripped source still has %q:\n%s", not, src)
		}
	}
	again, _ := Generate(dir)
	if string(again) != string(data) {
		t.Errorf("Generate is not deterministic")
	}
}

func TestDecodeBad(t *testing.T) {
	if _, err := Decode([]byte("{not json")); err == nil || !strings.HasPrefix(err.Error(), "docgen: ") {
		t.Errorf("Decode of bad input: err = %v", err)
	}
}
