package complete_test

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/gokernel/gokernel/interp/complete"
)

// A session fills a Scope from what earlier cells declared and the symbol
// tables the interpreter uses (here a hand-made table in yaegi's layout).
func ExampleComplete() {
	s := complete.Scope{
		Decls: []string{
			"import \"strings\"\ntype Point struct{ X, Y int }\nfunc (p Point) Norm() int { return p.X + p.Y }",
			"p := Point{1, 2}",
		},
		Packages: complete.PackagesFrom(map[string]map[string]reflect.Value{
			"strings/strings": {"Builder": reflect.ValueOf((*strings.Builder)(nil))},
		}),
	}
	cell := "q := &p\nfmt.Println(q.)" // cursor after "q."
	items, start, end := complete.Complete(cell, strings.Index(cell, "q.")+2, s)
	for _, it := range items {
		fmt.Printf("%-5s %-6s %s\n", it.Text, it.Type, it.Signature)
	}
	fmt.Println(start, end)
	// Output:
	// X     field  int
	// Y     field  int
	// Norm  method func() int
	// 22 22
}

func ExampleInspect() {
	cell := "fmt.Println(" // Shift-Tab inside the parentheses
	b, ok := complete.Inspect(cell, len(cell), 0, complete.Scope{Imports: map[string]string{"fmt": "fmt"}})
	fmt.Println(ok)
	fmt.Println(strings.SplitN(b.Data["text/plain"].(string), "\n", 2)[0])
	// Output:
	// true
	// func Println(a ...any) (n int, err error)
}

func ExampleIsComplete() {
	for _, cell := range []string{"x := 1", "for i := range 3 {", "func f() {\n    if true {", "s := `raw", "}"} {
		status, indent := complete.IsComplete(cell)
		fmt.Printf("%-10s %q\n", status, indent)
	}
	// Output:
	// complete   ""
	// incomplete "    "
	// incomplete "        "
	// incomplete ""
	// invalid    ""
}
