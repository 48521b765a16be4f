package complete

import "testing"

func TestIsComplete(t *testing.T) {
	tests := []struct {
		name, code     string
		status, indent string
	}{
		{"empty", "", "complete", ""},
		{"blank lines", "\n\n  \n", "complete", ""},
		{"statement", "x := 1", "complete", ""},
		{"call", "fmt.Println(\"hi\")", "complete", ""},
		{"mixed cell", "import \"fmt\"\ntype P struct{ X int }\np := P{1}\nfmt.Println(p)", "complete", ""},
		{"closed block", "for i := range 3 {\n\tfmt.Println(i)\n}", "complete", ""},
		{"pasted program", "package main\n\nfunc main() {}\n", "complete", ""},
		{"trailing comment", "x := 1 // one", "complete", ""},
		{"open brace", "for {", "incomplete", "    "},
		{"open func", "func f() {", "incomplete", "    "},
		{"two levels", "func f() {\n    if x {", "incomplete", "        "},
		{"open paren", "fmt.Println(1,", "incomplete", "    "},
		{"open bracket", "xs := []int{\n1, 2,", "incomplete", "    "},
		{"open import group", "import (\n\t\"fmt\"", "incomplete", "    "},
		{"raw string", "s := `first line", "incomplete", ""},
		{"block comment", "/* a comment", "incomplete", ""},
		{"binary operator", "x := 1 +", "incomplete", ""},
		{"dot of a chain", "b.\n\tWrite(p).", "incomplete", ""},
		{"define without value", "x :=", "incomplete", ""},
		{"stray closer", "}", "invalid", ""},
		{"wrong closer", "f(1]", "invalid", ""},
		{"unterminated string", "fmt.Println(\"abc)", "invalid", ""},
		{"unterminated rune", "r := 'a", "invalid", ""},
		{"if without brace", "if x", "invalid", ""},
		{"syntax error", "x := := 3", "invalid", ""},
		{"illegal character", "x := 1 @ 2", "invalid", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, indent := IsComplete(tt.code)
			if status != tt.status || indent != tt.indent {
				t.Errorf("IsComplete(%q) = %q, %q; want %q, %q", tt.code, status, indent, tt.status, tt.indent)
			}
		})
	}
}
