package cellgrammar

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strings"
	"testing"

	"github.com/gokernel/gokernel/interp/internal/cellgrammar/grammartest"
)

func TestTable(t *testing.T) {
	cases := grammartest.Cases()
	if len(cases) < 20 {
		t.Fatalf("only %d cases read", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			toks, _ := Lex(tc.Src)
			var got []grammartest.Chunk
			for _, c := range Split(tc.Src, toks) {
				if !c.Empty() {
					got = append(got, grammartest.Chunk{Kind: c.Kind.String(), Code: tc.Src[c.First:c.Last]})
				}
			}
			if !equal(got, tc.Chunks) {
				t.Errorf("cell\n%s\ngot  %q\nwant %q", tc.Src, got, tc.Chunks)
			}
		})
	}
}

func equal(a, b []grammartest.Chunk) bool {
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

// TestSpans checks the whole text of chunks (doc comments included), the
// offset of :=, and a cell cut at a cursor.
func TestSpans(t *testing.T) {
	src := "// doc\nx, y := f() // trailing\nfunc g() {}\n"
	toks, _ := Lex(src)
	cs := Split(src, toks)
	if len(cs) != 3 || !cs[2].Empty() {
		t.Fatalf("got %d chunks %+v, want 2 and an empty last one", len(cs), cs)
	}
	if got := src[cs[0].Start:cs[0].End]; got != "// doc\nx, y := f() // trailing" {
		t.Errorf("first chunk's text %q", got)
	}
	if got := src[cs[0].First:cs[0].Last]; got != "x, y := f()" {
		t.Errorf("first chunk's code %q", got)
	}
	if got := src[cs[1].Start:cs[1].End]; got != "func g() {}" {
		t.Errorf("second chunk's text %q", got)
	}
	if cs[0].Kind != Define || src[cs[0].Define:cs[0].Define+2] != ":=" {
		t.Errorf("define at %d, kind %v", cs[0].Define, cs[0].Kind)
	}
	// Cut at a cursor: no semicolon closes the last chunk.
	cut := "x := 1\nfor i := 0; i < 3; i++ {\n\tfmt.Pr"
	toks, _ = Lex(cut)
	cs = Split(cut, toks)
	if len(cs) != 2 || cs[1].Kind != Stmt || cut[cs[1].First:cs[1].Last] != "for i := 0; i < 3; i++ {\n\tfmt.Pr" {
		t.Errorf("cut cell: %+v", cs)
	}
	// A method being typed is a declaration already.
	for _, src := range []string{"func (t T) Na", "func (t T) Name[", "func (t T", "func ("} {
		toks, _ := Lex(src)
		want := Decl
		if src == "func (t T" || src == "func (" {
			want = Stmt // not yet known
		}
		if k := Split(src, toks)[0].Kind; k != want {
			t.Errorf("%q: kind %v, want %v", src, k, want)
		}
	}
}

func TestLexErrors(t *testing.T) {
	_, errs := Lex("x := \"open\ny := 1")
	if len(errs) == 0 || !strings.Contains(errs[0].Msg, "not terminated") {
		t.Errorf("errors %v", errs)
	}
}

func FuzzSplit(f *testing.F) {
	for _, c := range grammartest.Cases() {
		f.Add(c.Src)
	}
	f.Fuzz(func(t *testing.T, src string) {
		toks, _ := Lex(src)
		prev := 0
		for _, c := range Split(src, toks) {
			if c.Start < prev || c.Start > c.End || c.First < c.Start || c.Last > c.End || c.First > c.Last || c.End > len(src) {
				t.Fatalf("bad chunk %+v of %q", c, src)
			}
			prev = c.End
		}
	})
}

func TestReceiverName(t *testing.T) {
	for src, want := range map[string]string{
		"func (t T) M() {}":       "T",
		"func (t *T) M() {}":      "T",
		"func (t (*T)) M() {}":    "T",
		"func (t *T[K]) M() {}":   "T",
		"func (t T[K, V]) M() {}": "T",
		"func (t pkg.T) M() {}":   "",
	} {
		f, err := parser.ParseFile(token.NewFileSet(), "", "package p\n"+src, 0)
		if err != nil {
			t.Fatal(err)
		}
		d := f.Decls[0].(*ast.FuncDecl)
		if got := ReceiverName(d.Recv.List[0].Type); got != want {
			t.Errorf("%s: got %q, want %q", src, got, want)
		}
	}
}
