package complete

import (
	"fmt"
	"go/constant"
	"go/token"
	"io"
	"math"
	"math/rand"
	"net/http"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gokernel/gokernel/kernel/mime"
)

// testTables imitates what `yaegi extract` writes (keys "path/name"; types
// as (*T)(nil), variables addressable, untyped constants as constant.Value)
// for a few packages, so these tests need neither yaegi nor the session.
var testTables = map[string]map[string]reflect.Value{
	"fmt/fmt": {
		"Println":       reflect.ValueOf(fmt.Println),
		"Printf":        reflect.ValueOf(fmt.Printf),
		"Print":         reflect.ValueOf(fmt.Print),
		"Sprintf":       reflect.ValueOf(fmt.Sprintf),
		"Errorf":        reflect.ValueOf(fmt.Errorf),
		"Fprintln":      reflect.ValueOf(fmt.Fprintln),
		"Stringer":      reflect.ValueOf((*fmt.Stringer)(nil)),
		"_fmt_Stringer": reflect.ValueOf((*struct{ IValue any })(nil)), // a yaegi wrapper: never listed
	},
	"strings/strings": {
		"Builder":   reflect.ValueOf((*strings.Builder)(nil)),
		"Reader":    reflect.ValueOf((*strings.Reader)(nil)),
		"NewReader": reflect.ValueOf(strings.NewReader),
		"Repeat":    reflect.ValueOf(strings.Repeat),
		"ToUpper":   reflect.ValueOf(strings.ToUpper),
		"Fields":    reflect.ValueOf(strings.Fields),
	},
	"math/rand/rand": {
		"New":       reflect.ValueOf(rand.New),
		"NewSource": reflect.ValueOf(rand.NewSource),
		"Intn":      reflect.ValueOf(rand.Intn),
		"Rand":      reflect.ValueOf((*rand.Rand)(nil)),
		"Source":    reflect.ValueOf((*rand.Source)(nil)),
	},
	"math/math": {
		"Pi":       reflect.ValueOf(constant.MakeFromLiteral("3.14159265358979323846264338327950288419716939937510582097494459", token.FLOAT, 0)),
		"MaxInt64": reflect.ValueOf(constant.MakeFromLiteral("9223372036854775807", token.INT, 0)),
		"Sqrt":     reflect.ValueOf(math.Sqrt),
	},
	"os/os": {
		"Args":   reflect.ValueOf(&os.Args).Elem(),
		"Stdout": reflect.ValueOf(&os.Stdout).Elem(),
		"Getenv": reflect.ValueOf(os.Getenv),
		"File":   reflect.ValueOf((*os.File)(nil)),
	},
	"io/io": {
		"Writer":  reflect.ValueOf((*io.Writer)(nil)),
		"Discard": reflect.ValueOf(&io.Discard).Elem(),
		"EOF":     reflect.ValueOf(&io.EOF).Elem(),
	},
	"net/http/http": {
		"Get":     reflect.ValueOf(http.Get),
		"Request": reflect.ValueOf((*http.Request)(nil)),
		"Client":  reflect.ValueOf((*http.Client)(nil)),
	},
	"time/time": {
		"Now":      reflect.ValueOf(time.Now),
		"Since":    reflect.ValueOf(time.Since),
		"Time":     reflect.ValueOf((*time.Time)(nil)),
		"Duration": reflect.ValueOf((*time.Duration)(nil)),
		"Second":   reflect.ValueOf(time.Second),
	},
}

// scope is a session after a few cells.
var scope = Scope{
	Imports:  map[string]string{"fmt": "fmt", "strings": "strings", "rand": "math/rand", "math": "math", "os": "os", "time": "time", "io": "io"},
	Packages: PackagesFrom(testTables),
	Decls: []string{
		"// A Point is a place on the plane.\ntype Point struct{ X, Y int }\n\n// Norm is the Manhattan length of p.\nfunc (p Point) Norm() int { return p.X + p.Y }",
		"p := Point{1, 2}\nfmt.Println(p)",
		"// Square returns x*x.\nfunc Square(x int) int { return x * x }",
		"type T struct{ A int }",
		"type T struct{ B string }", // re-run with a change: B replaces A
		"var t T\nconst Limit = 10",
		"type Base struct{ ID int }\nfunc (*Base) Hello() string { return \"hi\" }\ntype Derived struct {\n\tBase\n\tName string\n}\nd := Derived{}",
		"größe := 3",
	},
}

// cursorAt splits a test's code at "|", returning the code without it and
// the cursor in code points.
func cursorAt(t *testing.T, s string) (string, int) {
	t.Helper()
	i := strings.Index(s, "|")
	if i < 0 {
		t.Fatalf("no | cursor in %q", s)
	}
	return s[:i] + s[i+1:], utf8.RuneCountInString(s[:i])
}

func texts(cs []mime.Completion) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Text
	}
	return out
}

func find(cs []mime.Completion, text string) (mime.Completion, bool) {
	for _, c := range cs {
		if c.Text == text {
			return c, true
		}
	}
	return mime.Completion{}, false
}

func TestComplete(t *testing.T) {
	tests := []struct {
		name   string
		code   string // | marks the cursor
		scope  *Scope // nil means scope
		want   []string
		not    []string // must not be offered
		exact  bool     // want is the whole list, in order
		kinds  map[string]string
		sigs   map[string]string
		quoted bool // the range starts after a quote (import paths), not at a word
	}{
		{name: "package member", code: "fmt.Pr|", want: []string{"Print", "Printf", "Println"}, exact: true,
			kinds: map[string]string{"Println": "function"}, sigs: map[string]string{"Println": "func(a ...any) (n int, err error)"}},
		{name: "mid word replaces the rest", code: "fmt.Pri|ntln(1)", want: []string{"Print", "Printf", "Println"}},
		{name: "case-insensitive when nothing matches", code: "fmt.print|", want: []string{"Print", "Printf", "Println"}},
		{name: "no wrapper names", code: "fmt.|", want: []string{"Stringer", "Errorf"}, not: []string{"_fmt_Stringer"},
			kinds: map[string]string{"Stringer": "type"}},
		{name: "untyped constant", code: "math.P|", want: []string{"Pi"}, kinds: map[string]string{"Pi": "constant"}},
		{name: "package variable", code: "os.Ar|", want: []string{"Args"}, kinds: map[string]string{"Args": "variable"}, sigs: map[string]string{"Args": "[]string"}},
		{name: "user struct fields and methods", code: "p.|", want: []string{"X", "Y", "Norm"}, exact: true,
			kinds: map[string]string{"X": "field", "Norm": "method"}, sigs: map[string]string{"Norm": "func() int", "X": "int"}},
		{name: "redefined type wins", code: "t.|", want: []string{"B"}, not: []string{"A"}},
		{name: "embedded fields and promoted methods", code: "d.|", want: []string{"Base", "Name", "ID", "Hello"}},
		{name: "compiled type through a call", code: "r := rand.New(rand.NewSource(1))\nr.Int|", want: []string{"Intn", "Int63", "Int31n"},
			kinds: map[string]string{"Intn": "method"}, sigs: map[string]string{"Intn": "func(n int) int"}}, // names from the docs
		{name: "byte, not uint8, from reflect", code: "var b strings.Builder\nb.Wri|", want: []string{"Write"}, sigs: map[string]string{"Write": "func(p []byte) (int, error)"}},
		{name: "method on a call result", code: "time.Now().Ad|", want: []string{"Add", "AddDate"}, exact: true},
		{name: "local in a loop", code: "for i := 0; i < 3; i++ {\n\tname := strings.Repeat(\"a\", i)\n\tna|", want: []string{"name"},
			kinds: map[string]string{"name": "variable"}},
		{name: "local's members in a loop", code: "for i := 0; i < 3; i++ {\n\tvar b strings.Builder\n\tb.Wr|\n}", want: []string{"Write", "WriteByte", "WriteRune", "WriteString"}, exact: true},
		{name: "earlier statement of the cell", code: "q := Point{}\nw := q.Norm()\nw2 := &q\nw2.|", want: []string{"X", "Y", "Norm"}},
		{name: "declaration earlier in the cell", code: "type Q struct{ Zed int }\nvar q Q\nq.|", want: []string{"Zed"}, exact: true},
		{name: "inside a call with text after", code: "fmt.Println(p.|, 3)\nfor {", want: []string{"X", "Y", "Norm"}},
		{name: "in an if condition", code: "if p.N| > 2 {", want: []string{"Norm"}, exact: true},
		{name: "inside a func declaration", code: "func show(pt Point) {\n\tfmt.Println(pt.|)\n}", want: []string{"X", "Y", "Norm"}},
		{name: "user function", code: "Sq|", want: []string{"Square"}, exact: true,
			kinds: map[string]string{"Square": "function"}, sigs: map[string]string{"Square": "func(x int) int"}},
		{name: "user constant", code: "Lim|", want: []string{"Limit"}, kinds: map[string]string{"Limit": "constant"}},
		{name: "package name", code: "st|", want: []string{"strings"}, kinds: map[string]string{"strings": "package"}},
		{name: "builtin", code: "x := le|", want: []string{"len"}, kinds: map[string]string{"len": "function"}},
		{name: "keyword", code: "fo|", want: []string{"for"}, kinds: map[string]string{"for": "keyword"}},
		{name: "keyword being typed", code: "for|", want: []string{"for"}},
		{name: "unicode before the cursor", code: "s := \"héllo wörld, ünïcode ✓\"\nfmt.Pr|", want: []string{"Print"}},
		{name: "unicode identifier", code: "grö|", want: []string{"größe"}, exact: true},
		{name: "selector on a new line", code: "x := strings.\n\tRep|", want: []string{"Repeat"}, exact: true},
		{name: "type's method expression", code: "Point.|", want: []string{"Norm"}, exact: true},
		{name: "in a string", code: "fmt.Println(\"p.|\")", want: nil, exact: true},
		{name: "in a comment", code: "// p.|", want: nil, exact: true},
		{name: "after a float", code: "x := 3.|", want: nil, exact: true},
		{name: "right after a call", code: "fmt.Println()|", want: nil, exact: true},
		{name: "import path", code: "import \"net/htt|\"", quoted: true, want: []string{"net/http", "net/http/httptest"},
			kinds: map[string]string{"net/http": "module"}},
		{name: "import of a helper package", quoted: true, code: "import \"github.com/gokernel/gokernel/interp/tim|\"", want: []string{"github.com/gokernel/gokernel/interp/timeline"}},
		{name: "import in the cell, members from sources", code: "import \"unicode/utf8\"\nutf8.Valid|", want: []string{"Valid", "ValidRune", "ValidString"}, exact: true,
			sigs: map[string]string{"ValidString": "func(s string) bool"}},
		{name: "generic package without a table", code: "import \"slices\"\nslices.Sor|", want: []string{"Sort", "SortFunc", "SortStableFunc", "Sorted"}},
		{name: "helper package from the embedded docs", code: "import \"github.com/gokernel/gokernel/interp/timeline\"\ntimeline.Ne|", want: []string{"New"}},
		{name: "fields of a big compiled struct", code: "import \"net/http\"\nresp, err := http.Get(\"http://127.0.0.1/\")\nresp.Requ|", want: []string{"Request"}, exact: true,
			kinds: map[string]string{"Request": "field"}, sigs: map[string]string{"Request": "*http.Request"}},
		{name: "no Scope at all", code: "import \"strings\"\nvar b strings.Builder\nb.Gr|", scope: &Scope{}, want: []string{"Grow"}, exact: true},
		{name: "broken code elsewhere in the cell", code: "x := [}\np.|", want: []string{"X", "Y", "Norm"}},
		{name: "nothing typed yet", code: "x := |", want: []string{"p", "Point", "Square", "fmt", "len"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, cur := cursorAt(t, tt.code)
			s := scope
			if tt.scope != nil {
				s = *tt.scope
			}
			items, start, end := Complete(code, cur, s)
			got := texts(items)
			if tt.exact && !equal(got, tt.want) {
				t.Fatalf("Complete(%q) = %q, want %q", tt.code, got, tt.want)
			}
			for _, w := range tt.want {
				if _, ok := find(items, w); !ok {
					t.Errorf("Complete(%q) = %q, missing %q", tt.code, got, w)
				}
			}
			for _, n := range tt.not {
				if _, ok := find(items, n); ok {
					t.Errorf("Complete(%q) offers %q", tt.code, n)
				}
			}
			for name, kind := range tt.kinds {
				if c, _ := find(items, name); c.Type != kind {
					t.Errorf("%s: type %q, want %q", name, c.Type, kind)
				}
			}
			for name, sig := range tt.sigs {
				if c, _ := find(items, name); c.Signature != sig {
					t.Errorf("%s: signature %q, want %q", name, c.Signature, sig)
				}
			}
			if len(items) == 0 {
				if start != cur || end != cur {
					t.Errorf("no items: range [%d,%d), want [%d,%d)", start, end, cur, cur)
				}
				return
			}
			// The range covers the word being typed, after the cursor too.
			runes := []rune(code)
			wordStart := cur
			for wordStart > 0 && (isIdentRune(runes[wordStart-1]) || tt.quoted && runes[wordStart-1] != '"') {
				wordStart--
			}
			wordEnd := cur
			for wordEnd < len(runes) && isIdentRune(runes[wordEnd]) {
				wordEnd++
			}
			if start != wordStart || end != wordEnd {
				t.Errorf("range [%d,%d) = %q, want [%d,%d) = %q", start, end, string(runes[start:end]), wordStart, wordEnd, string(runes[wordStart:wordEnd]))
			}
		})
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestCompleteBadInput checks that odd requests give no items, not a panic.
func TestCompleteBadInput(t *testing.T) {
	tests := []struct {
		name   string
		code   string
		cursor int
	}{
		{"empty", "", 0},
		{"cursor past the end", "fmt.", 99},
		{"negative cursor", "fmt.", -3},
		{"lone dot", ".", 1},
		{"unbalanced closers", ")))}}]].", 8},
		{"invalid utf-8", "x := \"\xff\xfe\"\n\xff.", 9},
		{"dot after a string", "\"abc\".", 6},
		{"deep nesting", strings.Repeat("(", 500) + "p.", 502},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, start, end := Complete(tt.code, tt.cursor, scope)
			n := utf8.RuneCountInString(tt.code)
			if start < 0 || end < start || end > n {
				t.Errorf("range [%d,%d) outside the code (%d code points), items %q", start, end, n, texts(items))
			}
		})
	}
}

func TestPackagesFrom(t *testing.T) {
	pk := PackagesFrom(testTables, map[string]map[string]reflect.Value{
		"example.com/m/v2/m": {"X": reflect.ValueOf(1)},
	})
	if pk("math/rand") == nil || pk("fmt") == nil || pk("example.com/m/v2") == nil {
		t.Errorf("PackagesFrom lost a table")
	}
	if pk("rand") != nil || pk("math/rand/rand") != nil {
		t.Errorf("PackagesFrom answers for a key that is not a path")
	}
}

// TestConcurrent runs requests side by side over cold caches, for -race.
func TestConcurrent(t *testing.T) {
	resetCaches()
	cells := []string{"fmt.Pr", "r := rand.New(nil)\nr.In", "p.", "import \"slices\"\nslices.So", "time.Now().Ad", "os.Ar"}
	done := make(chan bool)
	for i := 0; i < 4; i++ {
		go func(i int) {
			defer func() { done <- true }()
			for j, c := range cells {
				c = cells[(i+j)%len(cells)]
				Complete(c, len([]rune(c)), scope)
				Inspect(c, len([]rune(c))-1, 0, scope)
			}
		}(i)
	}
	for i := 0; i < 4; i++ {
		<-done
	}
	if items, _, _ := Complete("p.", 2, scope); len(items) != 3 {
		t.Errorf("after concurrent use: %q", texts(items))
	}
}
