package complete

import (
	"strings"
	"testing"

	"github.com/gokernel/gokernel/kernel/mime"
)

func TestInspect(t *testing.T) {
	tests := []struct {
		name   string
		code   string // | marks the cursor
		detail int
		scope  *Scope
		want   []string // substrings of text/plain, in order
		not    []string
		none   bool // nothing to show
	}{
		{name: "stdlib function", code: "fmt.Print|ln(1)",
			want: []string{"func Println(a ...any) (n int, err error)\n", "    Println formats using the default formats"}},
		{name: "in the call's parentheses", code: "fmt.Println(|", want: []string{"func Println(a ...any)"}},
		{name: "after the first argument", code: "fmt.Println(p, |", want: []string{"func Println(a ...any)"}},
		{name: "nested call: the inner one", code: "fmt.Println(strings.Repeat(\"a\", |", want: []string{"func Repeat(s string, count int) string"}},
		{name: "just after the name", code: "strings.ToUpper|", want: []string{"func ToUpper(s string) string"}},
		{name: "package", code: "fmt|", want: []string{"package fmt // import \"fmt\"", "Package fmt implements formatted I/O"}},
		{name: "package by alias", code: "ra|nd.Intn(3)", want: []string{"package rand // import \"math/rand\""}},
		{name: "stdlib type lists its methods", code: "var b strings.Buil|der", want: []string{"type Builder struct", "A Builder is used", "func (b *Builder) WriteString(s string) (int, error)"}},
		{name: "method of a compiled type", code: "r := rand.New(rand.NewSource(1))\nr.Int|n(3)", want: []string{"func (r *Rand) Intn(n int) int", "Intn returns"}},
		{name: "method on a call result", code: "time.Now().Ad|d(time.Second)", want: []string{"func (t Time) Add(d Duration) Time"}},
		{name: "stdlib constant", code: "math.P|i", want: []string{"Pi", "Mathematical constants"}},
		{name: "stdlib variable", code: "os.Ar|gs", want: []string{"var Args []string", "Args hold the command-line arguments"}},
		{name: "user function", code: "Squ|are(3)", want: []string{"func Square(x int) int\n", "    Square returns x*x."}, not: []string{"return x * x"}},
		{name: "user function source with detail", code: "Square|", detail: 1, want: []string{"func Square(x int) int { return x * x }"}},
		{name: "user type", code: "var q Poi|nt", want: []string{"type Point struct{ X, Y int }", "A Point is a place on the plane."}},
		{name: "user method", code: "p.No|rm()", want: []string{"func (p Point) Norm() int", "Norm is the Manhattan length of p."}},
		{name: "user variable", code: "p|", want: []string{"var p Point"}},
		{name: "field", code: "p.X|", want: []string{"field X int"}},
		{name: "local variable with a compiled type", code: "for {\n\tr := rand.New(nil)\n\tr|", want: []string{"var (local) r *rand.Rand", "A Rand is a source of random numbers."}},
		{name: "declared in this cell with a doc", code: "// Twice doubles.\nfunc Twice(x int) int { return 2 * x }\nTwi|ce(2)", want: []string{"func Twice(x int) int", "Twice doubles."}},
		{name: "generic user function", code: "// Map applies f to each.\nfunc Map[T, U any](xs []T, f func(T) U) []U { return nil }\nMap(|", want: []string{"func Map[T, U any](xs []T, f func(T) U) []U", "Map applies f to each."}},
		{name: "builtin function", code: "le|n(x)", want: []string{"func len(v Type) int", "The len built-in function returns the length"}},
		{name: "builtin type", code: "var x erro|r", want: []string{"type error interface", "The error built-in interface type"}},
		{name: "generic package without a table", code: "import \"slices\"\nslices.Sort|(xs)", want: []string{"func Sort[S ~[]E, E cmp.Ordered](x S)", "Sort sorts a slice"}},
		{name: "helper package", code: "import \"github.com/gokernel/gokernel/interp/timeline\"\ntimeline.Ne|w()", want: []string{"func New() *Recorder"}},
		{name: "no scope: sources only", code: "import \"strings\"\nstrings.Fiel|ds(s)", scope: &Scope{}, want: []string{"func Fields(s string) []string"}},
		{name: "unparsable cell still finds a package member", code: "if x := fmt.Sprint|f(\"%d\", 3); x != \"\" {", want: []string{"func Sprintf(format string, a ...any) string"}},
		{name: "unicode before", code: "s := \"ünïcödé ✓\"\nfmt.Sprint|f(s)", want: []string{"func Sprintf("}},
		{name: "in a string", code: "fmt.Println(\"Println|\")", none: true},
		{name: "in a comment", code: "// fmt.Println|", none: true},
		{name: "unknown name", code: "nosuchthing|", none: true},
		{name: "empty", code: "|", none: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, cur := cursorAt(t, tt.code)
			s := scope
			if tt.scope != nil {
				s = *tt.scope
			}
			b, ok := Inspect(code, cur, tt.detail, s)
			if tt.none {
				if ok {
					t.Fatalf("Inspect(%q) = %q, want nothing", tt.code, b.Data[mime.Text])
				}
				return
			}
			if !ok {
				t.Fatalf("Inspect(%q) found nothing", tt.code)
			}
			text, _ := b.Data[mime.Text].(string)
			md, _ := b.Data[mime.Markdown].(string)
			if !strings.HasPrefix(md, "```go\n") {
				t.Errorf("markdown does not start with a Go block: %q", md)
			}
			rest := text
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("Inspect(%q) text/plain:\n%s\nwant (in order) %q", tt.code, text, w)
				}
				rest = rest[i+len(w):]
			}
			for _, n := range tt.not {
				if strings.Contains(text, n) {
					t.Errorf("Inspect(%q) text/plain:\n%s\nshould not hold %q", tt.code, text, n)
				}
			}
		})
	}
}

func TestInspectBadInput(t *testing.T) {
	for _, code := range []string{"", ")", "(((((", "\xff\xfe(", "fmt.(", "\"abc\"(", strings.Repeat("f(", 300)} {
		for _, cur := range []int{-1, 0, 1, len(code), len(code) + 5} {
			Inspect(code, cur, 0, scope) // must not panic
		}
	}
}
