package interp

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gokernel/gokernel/interp/internal/cellgrammar"
	"github.com/gokernel/gokernel/kernel/mime"
)

// rawWords are yaegi's internal words and names: none may reach the user.
var rawWords = []string{"CFG post-order panic", "definition loop", "the interpreter failed", "incomplete type",
	mark, "_.go", "stringT", "intT", "ǂcell", "found cell", "found '}'", "  returns"}

// TestDiagnoseTable runs cells that fail and checks the error each gets:
// its name, a substring of its message and the cell line (and column) it
// points at. Each case has a fresh session; setup cells run first and must
// succeed.
func TestDiagnoseTable(t *testing.T) {
	tests := []struct {
		name      string
		setup     []string
		cell      string
		ename     string
		msg       string // substring of the message (after "line L:C: ")
		line, col int    // 0: not checked
	}{
		// Unknown packages: go build says undefined: X.
		{name: "unknown package call", cell: `s := widgets.IntSlider(3, 0, 10, "n")`, ename: "CompileError", msg: "undefined: widgets", line: 1, col: 6},
		{name: "unknown package value", cell: "x := nosuchpkg.Foo", ename: "CompileError", msg: "undefined: nosuchpkg", line: 1, col: 6},
		{name: "unknown package statement", cell: "fmt.Println(1)\n\nnosuchpkg.Foo()", ename: "CompileError", msg: "undefined: nosuchpkg", line: 3, col: 1},
		{name: "unknown package in func", cell: "func h() {\n\tnosuchpkg.Bar()\n}", ename: "CompileError", msg: "undefined: nosuchpkg", line: 2, col: 2},
		{name: "unknown package type", cell: "type T struct{ w widgets.Thing }", ename: "CompileError", msg: "undefined: widgets", line: 1, col: 18},
		{name: "unknown package var type", cell: "var w widgets.Thing", ename: "CompileError", msg: "undefined: widgets", line: 1, col: 7},
		{name: "unknown package alias", cell: "type T = nosuch.Type", ename: "CompileError", msg: "undefined: nosuch", line: 1, col: 10},
		{name: "unknown package near a known one", cell: `fmtt.Println("a")`, ename: "CompileError", msg: "undefined: fmtt (did you mean fmt?)", line: 1, col: 1},
		{name: "unknown package after a failure", setup: nil, cell: "x := nosuchpkg.Foo\n----\nnosuchpkg.Foo()", ename: "CompileError", msg: "undefined: nosuchpkg", line: 1, col: 1},
		// Unknown members of known packages, imported or not.
		{name: "stdlib member, auto-import", cell: `fmt.Printn("hi")`, ename: "CompileError", msg: "undefined: fmt.Printn (did you mean fmt.Println?)", line: 1, col: 5},
		{name: "stdlib member, imported", setup: []string{`import "fmt"`}, cell: "x := 1\nfmt.Printn(x)", ename: "CompileError", msg: "undefined: fmt.Printn (did you mean fmt.Println?)", line: 2, col: 5},
		{name: "stdlib member, imported in the cell", cell: "import \"fmt\"\nfmt.Printn(1)", ename: "CompileError", msg: "undefined: fmt.Printn (did you mean fmt.Println?)", line: 2, col: 5},
		{name: "stdlib member, case", cell: `fmt.println("x")`, ename: "CompileError", msg: "undefined: fmt.println (but have Println)", line: 1, col: 5},
		{name: "stdlib member, nothing close", cell: `fmt.Zzzzzzz()`, ename: "CompileError", msg: "undefined: fmt.Zzzzzzz", line: 1, col: 5},
		{name: "stdlib constant", cell: "time.Sleep(time.Secnd)", ename: "CompileError", msg: "undefined: time.Secnd (did you mean time.Second?)", line: 1, col: 17},
		{name: "unrestricted member", cell: "os.Exitt(1)", ename: "CompileError", msg: "undefined: os.Exitt (did you mean os.Exit?)", line: 1, col: 4},
		{name: "helper member", cell: "display.Tabel(1)", ename: "CompileError", msg: "undefined: display.Tabel (did you mean display.Table?)", line: 1, col: 9},
		{name: "helper member, imported", setup: []string{`import "github.com/gokernel/gokernel/interp/display"`}, cell: "display.Tabel(1)", ename: "CompileError", msg: "undefined: display.Tabel (did you mean display.Table?)", line: 1, col: 9},
		// Undefined names.
		{name: "undefined variable", cell: "y := undefinedVar + 1", ename: "CompileError", msg: "undefined: undefinedVar", line: 1, col: 6},
		{name: "undefined in call", cell: "import \"fmt\"\nfmt.Println(nosuch)", ename: "CompileError", msg: "undefined: nosuch", line: 2, col: 13},
		{name: "undefined func", cell: `Println("a")`, ename: "CompileError", msg: "undefined: Println", line: 1, col: 1},
		{name: "undefined in var", cell: "var v = undefinedFn()", ename: "CompileError", msg: "undefined: undefinedFn", line: 1, col: 9},
		{name: "undefined in const", cell: "const c = undefinedC", ename: "CompileError", msg: "undefined: undefinedC", line: 1, col: 11},
		{name: "undefined field", setup: []string{"x := 1"}, cell: "x.Foo", ename: "CompileError", msg: "x.Foo undefined (no field or method Foo)", line: 1, col: 3},
		{name: "undefined method", cell: "x := strings.Builder{}\nx.Grow(1)\nx.Frob()", ename: "CompileError", msg: "x.Frob undefined (no field or method Frob)", line: 3, col: 3},
		{name: "unknown field in literal", cell: "type T struct{ A int }\nt := T{B: 1}", ename: "CompileError", msg: "unknown field B in struct literal", line: 2},
		{name: "several undefined", cell: "x := nosuchpkg.Foo + widgets.Bar", ename: "CompileError", msg: "undefined: nosuchpkg", line: 1, col: 6},
		// Types.
		{name: "mismatched types", cell: "a := 1\nb := \"x\"\nc := a + b", ename: "CompileError", msg: "invalid operation: mismatched types int and string", line: 3},
		{name: "assign a string to an int", cell: "var q int\nq = \"str\"", ename: "CompileError", msg: `cannot use "str" (untyped string constant) as int value in assignment`, line: 2, col: 5},
		{name: "declare an int with a string", cell: `var a int = "s"`, ename: "CompileError", msg: `cannot use "s" (untyped string constant) as int value in variable declaration`, line: 1, col: 13},
		{name: "argument of the wrong type", setup: []string{"func f(a, b int) int { return a + b }"}, cell: `x := f(1, "b")`, ename: "CompileError", msg: `cannot use "b" (untyped string constant) as int value in argument to f`, line: 1, col: 11},
		{name: "field of the wrong type", cell: "type T struct{ A int }\nt := T{A: \"x\"}", ename: "CompileError", msg: `cannot use "x" (untyped string constant) as int value in struct literal`, line: 2, col: 11},
		{name: "float to int", cell: "var y int\ny = 2.5", ename: "CompileError", msg: "cannot use 2.5 (untyped float constant) as int value in assignment (truncated)", line: 2, col: 5},
		{name: "explicit conversion", cell: `x := int("a")`, ename: "CompileError", msg: "cannot convert", line: 1},
		{name: "wrong return type", cell: `func f() int { return "a" }`, ename: "CompileError", msg: `cannot use "a" (untyped string constant) as int value in return statement`, line: 1, col: 23},
		{name: "wrong return type, variable", cell: "func f(s string) int { return s }", ename: "CompileError", msg: "cannot use s (value of type string) as int value in return statement", line: 1},
		{name: "untyped constants", cell: `1 + "a"`, ename: "CompileError", msg: "mismatched types untyped int and untyped string", line: 1},
		{name: "interface not implemented", setup: []string{"type T struct{}"}, cell: "var i interface{ M() } = T{}", ename: "CompileError", msg: "cannot use type", line: 1},
		{name: "map key type", cell: "m := map[string]int{}\nm[1] = 2", ename: "CompileError", msg: "cannot use 1 (untyped int constant) as string value in map index", line: 2, col: 3},
		{name: "float index", cell: "x := []int{1}\nx[1.5]", ename: "CompileError", msg: "invalid argument: index 1.5 (untyped float constant) truncated to int", line: 2, col: 3},
		// Argument and result counts.
		{name: "too few arguments", setup: []string{"func f(a, b int) int { return a + b }"}, cell: "f(1)", ename: "CompileError", msg: "not enough arguments in call to f", line: 1},
		{name: "too many arguments", setup: []string{"func f(a, b int) int { return a + b }"}, cell: "f(1, 2, 3)", ename: "CompileError", msg: "too many arguments in call to f", line: 1, col: 9},
		{name: "builtin arguments", cell: "len(1, 2)", ename: "CompileError", msg: "too many arguments for len", line: 1},
		{name: "too few results", cell: "func k() (int, error) { return 1 }", ename: "CompileError", msg: "not enough arguments to return", line: 1},
		{name: "results at top level", cell: "return 5", ename: "CompileError", msg: "too many arguments to return", line: 1},
		{name: "missing return", cell: "func g() int {\n}", ename: "CompileError", msg: "missing return", line: 2, col: 1},
		{name: "missing return after if", cell: "func g(x int) int {\n\tif x > 0 {\n\t\treturn 1\n\t}\n}", ename: "CompileError", msg: "missing return", line: 5},
		{name: "missing return, loop with break", cell: "func g() int {\n\tL: for { break L }\n}", ename: "CompileError", msg: "missing return", line: 3},
		{name: "missing return in literal", cell: "f := func() int {\n\tprintln()\n}", ename: "CompileError", msg: "missing return", line: 3},
		// Results used as values.
		{name: "two results, one variable", cell: `x := strconv.Atoi("1")`, ename: "CompileError", msg: "assignment mismatch: 1 variable but strconv.Atoi returns 2 values", line: 1, col: 6},
		{name: "one result, two variables", cell: "a, b := strconv.Itoa(1)", ename: "CompileError", msg: "assignment mismatch: 2 variables but strconv.Itoa returns 1 value", line: 1},
		{name: "no result used", cell: "v := time.Sleep(1)", ename: "CompileError", msg: "time.Sleep(1) (no value) used as value", line: 1, col: 6},
		{name: "cell func without result", cell: "func f() {}\nv := f()", ename: "CompileError", msg: "f() (no value) used as value", line: 2, col: 6},
		{name: "cell func, two results", cell: "func f() (int, int) { return 1, 2 }\nx := f()", ename: "CompileError", msg: "assignment mismatch: 1 variable but f returns 2 values", line: 2},
		// Syntax.
		{name: "unfinished expression", cell: "x := 1 +", ename: "SyntaxError", msg: "expected operand, found end of cell", line: 1},
		{name: "bare keyword", cell: "defer", ename: "SyntaxError", msg: "found end of cell", line: 1},
		{name: "unclosed brace", cell: "func f() {\n\tfmt.Println(\"x\")", ename: "SyntaxError", msg: "expected '}', found end of cell (the { at line 1:10 is not closed)", line: 2},
		{name: "unclosed paren", cell: "fmt.Println(1,\n  2", ename: "SyntaxError", msg: "expected ')', found end of cell", line: 2},
		{name: "unclosed for", cell: "for {", ename: "SyntaxError", msg: "expected '}'", line: 1},
		{name: "go without call", cell: "go fmt.Println", ename: "SyntaxError", msg: "expression in go must be function call", line: 1},
		{name: "unterminated string", cell: `"unterminated`, ename: "SyntaxError", msg: "string literal not terminated", line: 1},
		{name: "bad rune", cell: "x := 'ab'", ename: "SyntaxError", msg: "illegal rune literal", line: 1},
		{name: "stray closer", cell: "x := 1)", ename: "SyntaxError", msg: "", line: 1},
		// Imports.
		{name: "missing package", cell: `import "nosuch/pkg"`, ename: "CompileError", msg: `import "nosuch/pkg" error`, line: 1},
		{name: "import twice", cell: "import \"fmt\"\nimport \"fmt\"", ename: "CompileError", msg: "fmt redeclared in this block", line: 2},
		// yaegi gaps, kept here so a change shows: go build refuses these
		// cells, yaegi compiles them and fails when they run (the words are
		// reflect's; they are not rewritten, as cells may call reflect too).
		{name: "gap: call a non-function", cell: "x := 1\nx()", ename: "panic", msg: "call of reflect.Value.Call on int Value"},
		{name: "gap: send the wrong type", cell: "ch := make(chan int, 1)\nch <- \"a\"", ename: "panic", msg: "cannot be converted to type int"},
		// Initialization cycles reach yaegi, whose words are replaced.
		{name: "initialization cycle", cell: "var a = b\nvar b = a", ename: "CompileError", msg: "defined in terms of itself", line: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewSession(Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			cells := append(append([]string(nil), tt.setup...), strings.Split(tt.cell, "\n----\n")...)
			var got error
			for i, c := range cells {
				_, got = s.Execute(context.Background(), c, &mime.Recorder{})
				if i < len(tt.setup) && got != nil {
					t.Fatalf("setup cell %q: %v", c, got)
				}
			}
			checkDiag(t, got, tt.ename, tt.msg, tt.line, tt.col)
		})
	}
}

func checkDiag(t *testing.T, got error, ename, msg string, line, col int) {
	t.Helper()
	var e *Error
	if !errors.As(got, &e) {
		t.Fatalf("got %v, want an *Error %s: %s", got, ename, msg)
	}
	if e.Ename != ename || !strings.Contains(e.Msg, msg) {
		t.Errorf("got %s: %s\nwant %s: ...%s...", e.Ename, e.Msg, ename, msg)
	}
	if line > 0 {
		want := "line " + itoa(line) + ":"
		if col > 0 {
			want += itoa(col) + ":"
		}
		if !strings.HasPrefix(e.Msg, want) {
			t.Errorf("got %q, want it at %s", e.Msg, want)
		}
	}
	for _, l := range append([]string{e.Msg}, e.Traceback()...) {
		for _, w := range rawWords {
			if strings.Contains(l, w) {
				t.Errorf("%q shows yaegi's internal %q", l, w)
			}
		}
	}
}

// TestPrecheckAcceptsValidCells runs cells a careless precheck would
// reject: every name here is declared somewhere it cannot easily see.
func TestPrecheckAcceptsValidCells(t *testing.T) {
	tests := []struct {
		name  string
		cells []string
	}{
		{"shadowed package name", []string{"fmt := 3\n_ = fmt"}},
		{"type switch", []string{"x := 1\nswitch v := interface{}(x).(type) { case int: _ = v }"}},
		{"generics", []string{"func f[P any](p P) P { var q P = p; return q }\nf(3)"}},
		{"labels", []string{"L:\nfor { break L }"}},
		{"terminating switch", []string{"func g(x int) int {\n\tswitch {\n\tcase x > 0:\n\t\treturn 1\n\tdefault:\n\t\tpanic(\"no\")\n\t}\n}"}},
		{"terminating for", []string{"func g() int { for { } }"}},
		{"terminating select", []string{"func g(c chan int) int { select { case <-c: return 1 } }"}},
		{"terminating if-else", []string{"func g(x int) int { if x > 0 { return 1 } else { return 2 } }"}},
		{"break in an inner loop", []string{"func g() int {\n\tfor {\n\t\tfor { break }\n\t}\n}"}},
		{"session type and method", []string{"type T struct{ A int }", "func (t T) M() int { return t.A }", "t := T{A: 2}\nt.M()"}},
		{"dot import", []string{"import . \"math\"\nSqrt(4)"}},
		{"dot import earlier", []string{"import . \"math\"", "Sqrt(4)"}},
		{"renamed import", []string{"import m \"math\"\nm.Sqrt(4)"}},
		{"renamed import earlier", []string{"import m \"math\"", "m.Sqrt(4)"}},
		{"cell var used by a func", []string{"y := 2\nfunc h() int { return y }\nh()"}},
		{"func declared later in the cell", []string{"x := h()\nfunc h() int { return 1 }"}},
		{"func literal", []string{"h := func() int { return 1 }\nh()"}},
		{"auto-import of two members", []string{"rand.Intn(3)\nrand.Float64()"}},
		{"unrestricted os", []string{"_ = os.Getpid()"}},
		{"builtins", []string{"m := map[int]int{}\nclear(m)\n_ = max(min(1, 2), 3)"}},
		{"results as many as variables", []string{"n, err := strconv.Atoi(\"1\")\n_, _ = n, err", "var a, b = strconv.Atoi(\"2\")\n_, _ = a, b"}},
		{"conversion", []string{"d := time.Duration(3)\n_ = d"}},
		{"variadic results", []string{"func f() (int, int) { return 1, 2 }\na, b := f()\n_, _ = a, b"}},
		{"func variable", []string{"f := strconv.Itoa\ns := f(1)\n_ = s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewSession(Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			for _, c := range tt.cells {
				if _, err := s.Execute(context.Background(), c, &mime.Recorder{}); err != nil {
					t.Fatalf("cell %q: %v", c, err)
				}
			}
		})
	}
}

// TestExplainInternal feeds explain the internal failures yaegi produces,
// which the precheck keeps cells from reaching, so that a case it misses
// still reads as a message about the cell.
func TestExplainInternal(t *testing.T) {
	code := "x := 1\ny := widgets.Foo"
	tests := []struct {
		in   *Error
		want string
	}{
		{&Error{Ename: "CompileError", Msg: "the interpreter failed on this cell: 200003:1: CFG post-order panic: 30003:6: incomplete type widgets"}, "line 2:6: undefined: widgets"},
		{&Error{Ename: "CompileError", Msg: "line 2:1: constant definition loop"}, "line 2:1: a declaration here uses a name that is undefined or defined in terms of itself (the interpreter found an initialization cycle)"},
		{&Error{Ename: "CompileError", Msg: "the interpreter failed on this cell: runtime error: invalid memory address or nil pointer dereference"}, "the interpreter cannot compile this cell (runtime error: invalid memory address or nil pointer dereference)"},
		{&Error{Ename: "CompileError", Msg: "line 1:2: CFG post-order panic: 300002:4: something odd"}, "line 1:2: the interpreter cannot compile this cell (something odd)"},
		{&Error{Ename: "CompileError", Msg: `line 2:6: package fmt "fmt" has no symbol Printn`}, "line 2:6: undefined: fmt.Printn (did you mean fmt.Println?)"},
		{&Error{Ename: "CompileError", Msg: `line 1:3: cannot use "a" (type stringT) as type intT in return argument`}, `line 1:3: cannot use "a" (untyped string constant) as int value in return statement`},
		{&Error{Ename: "panic", Msg: "boom"}, "boom"},
		// Precheck leaves undefined: fmt to yaegi when a package imported
		// from source might be named fmt.
		{&Error{Ename: "CompileError", Msg: "line 1:1: undefined: x"}, "line 1:1: undefined: x"},
		{&Error{Ename: "CompileError", Msg: "line 2:6: undefined: widgets"}, "line 2:6: undefined: widgets"},
	}
	for _, tt := range tests {
		got := explain(2, code, tt.in)
		e, ok := got.(*Error)
		if !ok || e.Msg != tt.want {
			t.Errorf("explain(%q) = %v, want %q", tt.in.Msg, got, tt.want)
			continue
		}
		for _, w := range rawWords {
			if strings.Contains(e.Msg, w) {
				t.Errorf("%q shows %q", e.Msg, w)
			}
		}
	}
}

func TestDidYouMean(t *testing.T) {
	names := []string{"Print", "Printf", "Println", "Sprint", "Sprintf", "Sprintln", "Errorf"}
	tests := []struct{ got, want string }{
		{"Printn", " (did you mean fmt.Println?)"},
		{"Prinln", " (did you mean fmt.Println?)"},
		{"Pritnf", " (did you mean fmt.Printf?)"}, // a swap is one edit
		{"println", " (but have Println)"},
		{"Errof", " (did you mean fmt.Errorf?)"},
		{"Scan", ""},
		{"Zzzzzzzz", ""},
	}
	for _, tt := range tests {
		if got := didYouMean(tt.got, names, "fmt."); got != tt.want {
			t.Errorf("didYouMean(%q) = %q, want %q", tt.got, got, tt.want)
		}
	}
	for _, c := range []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"a", "", 1}, {"abc", "acb", 1}, {"kitten", "sitting", 3}, {"Printn", "Println", 1}} {
		if d := editDistance(c.a, c.b); d != c.d {
			t.Errorf("editDistance(%q, %q) = %d, want %d", c.a, c.b, d, c.d)
		}
	}
}

// BenchmarkPrecheck is the cost precheck adds to every cell (compare
// BenchmarkCell, which runs the same cell through the whole session).
func BenchmarkPrecheck(b *testing.B) {
	known := func(n string) bool { return n == "a" }
	imported := func(string) bool { return false }
	imports := func() []string { return nil }
	for _, code := range []string{"a++\na", "for i := 0; i < 3; i++ {\n\tfmt.Println(i, strings.ToUpper(\"x\"))\n}"} {
		b.Run(strings.Fields(code)[0], func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if err := precheck(1, code, known, imported, imports); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// FuzzDiagnose feeds precheck and explain any text: they must not panic
// (their recover would hide it, so the passes they guard are called here
// directly), and every error must point inside the cell.
func FuzzDiagnose(f *testing.F) {
	for _, c := range []string{"s := widgets.IntSlider(3, 0, 10, \"n\")", "fmt.Printn(1)", "func g() int {\n}",
		"x := strconv.Atoi(\"1\")", "for {", "if xs := []int{1}; len(xs) > 0 { L: for { break L } }", "var q int\nq = \"s\""} {
		f.Add(c, "line 1:1: cannot convert 1 to string")
	}
	known := func(n string) bool { return n == "a" }
	no := func(string) bool { return false }
	none := func() []string { return nil }
	f.Fuzz(func(t *testing.T, code, yaegiMsg string) {
		cs := &cellSrc{src: code}
		toks, errs := cellgrammar.Lex(code)
		unclosed(code, toks, errs)
		if f, fset := parseCell(cs); f != nil {
			undefinedNames(cs, f, fset, known, no, none)
			missingReturns(cs, f, fset)
			resultCounts(cs, f, fset, known, no, none)
		}
		if err := precheck(1, code, known, no, none); err != nil {
			e := err.(*Error)
			if !strings.HasPrefix(e.Msg, "line ") {
				t.Fatalf("%q: %q has no line", code, e.Msg)
			}
		}
		explain(1, code, &Error{Ename: "CompileError", Msg: yaegiMsg})
		for _, m := range []string{"cannot convert 1 to string", "too many arguments", "5/2 truncated to int"} {
			probeContext(code, m)
		}
	})
}

// probeContext runs the helpers that read the cell around a position of
// yaegi's at every line start of code.
func probeContext(code, msg string) {
	cs := &cellSrc{src: code}
	for l := 1; l <= strings.Count(code, "\n")+1; l++ {
		inContext(cs, l, 1, msg)
		selectorAt(cs, l, 1, "x")
		selCol(cs, l, 1, "x", "y")
	}
}

// TestPrecheckSourcePackage imports a package from source whose name is
// not its path's last element (example.com/dice/v2 is package rand): the
// precheck cannot know the name, so it must let the cell run, and a typo
// in another package still gets go build's words (from explain).
func TestPrecheckSourcePackage(t *testing.T) {
	gopath := t.TempDir()
	dir := filepath.Join(gopath, "src", "example.com", "dice", "v2")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	src := "package rand\n\n// Roll returns a fair roll.\nfunc Roll() int { return 4 }\n"
	if err := os.WriteFile(filepath.Join(dir, "dice.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := NewSession(Options{GOPATH: gopath})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if _, err := s.Execute(ctx, `import "example.com/dice/v2"`, &mime.Recorder{}); err != nil {
		t.Fatal(err)
	}
	b, err := s.Execute(ctx, "rand.Roll()", &mime.Recorder{})
	if err != nil {
		t.Fatalf("rand.Roll(): %v", err)
	}
	if got := b.Data[mime.Text]; got != "4" {
		t.Errorf("rand.Roll() = %v, want 4", got)
	}
	_, err = s.Execute(ctx, `fmt.Printn("x")`, &mime.Recorder{})
	checkDiag(t, err, "CompileError", "undefined: fmt.Printn (did you mean fmt.Println?)", 1, 5)
}
