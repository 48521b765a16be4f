package interp

import (
	"strings"
	"testing"
)

func TestSplitCell(t *testing.T) {
	tests := []struct {
		name, src string
		want      []chunkKind
	}{
		{"statement", "x := 1", []chunkKind{chunkStmt}},
		{"mixed", "import \"fmt\"\nfunc f() {}\nf()\ntype T int\nvar v = 1", []chunkKind{chunkImport, chunkDecl, chunkStmt, chunkDecl, chunkDecl}},
		{"method", "func (t T) M() {}", []chunkKind{chunkDecl}},
		{"func literal call", "func() { println() }()", []chunkKind{chunkStmt}},
		{"literal with result", "func(x int) int { return x }(3)", []chunkKind{chunkStmt}},
		{"semicolons", "a := 1; b := 2", []chunkKind{chunkStmt, chunkStmt}},
		{"for header", "for i := 0; i < 3; i++ {\n}\nif x := f(); x {\n}", []chunkKind{chunkStmt, chunkStmt}},
		{"unterminated", "y := (2", []chunkKind{chunkStmt}},
		{"multi-line block", "for {\n  x++\n}\ny()", []chunkKind{chunkStmt, chunkStmt}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := splitCell([]byte(tt.src))
			if len(got) != len(tt.want) {
				t.Fatalf("got %d chunks %v, want %v", len(got), got, tt.want)
			}
			for i, c := range got {
				if c.kind != tt.want[i] {
					t.Errorf("chunk %d %q: kind %d, want %d", i, tt.src[c.start:c.end], c.kind, tt.want[i])
				}
			}
		})
	}
}

// TestPrepare checks the rewriting by rendering the cell's code with every
// global name resolved to itself.
func TestPrepare(t *testing.T) {
	tests := []struct {
		name, src string
		contains  []string
		warn      bool
	}{
		{"tick in loops and funcs", "func f() { for { } }", []string{"func f() { ǂ.Enter(); for { ǂ.Tick(); } }"}, false},
		{"go statement", "go f(x, 1)", []string{`ǂ.GoAt("In[1] line 1", func() func() { ǂg1 := x; return func() { f(ǂg1, 1) } }())`}, false},
		{"go method value", "func h(o T) { go o.m(x) }", []string{"ǂgf1 := o.m;", "ǂgf1(ǂg2)"}, false},
		{"select", "select { case <-c: }", []string{`case <-c: ǂ.EndWait();`, `case <-ǂ.SelectWait("In[1] line 1: select (receive on c)", c): ǂ.StopWait();`}, false},
		{"select with default", "select { case <-c: default: }", []string{"case <-ǂ.Done(): ǂ.Stop();"}, false},
		{"select on a call", "select { case <-time.After(d): }", []string{`ǂ.SelectWaitTimed("In[1] line 1: select (receive on time.After(d))")`}, false},
		{"receive statement", "<-c", []string{`<-ǂrv(c, "In[1] line 1: receive on c")`}, false},
		{"receive expression", "func f() int { return <-c }", []string{`return (<-ǂrv(c, "In[1] line 1: receive on c"))`}, false},
		{"comma ok", "func f() { x, ok := <-c; _, _ = x, ok }", []string{`x, ok := <-ǂrv(c, "In[1] line 1: receive on c")`}, false},
		{"top-level receive", "x := <-c", []string{`ǂq1_1 := c; func() { ǂq1_1 = ǂrv(ǂq1_1, "In[1] line 1: receive on c") }(); x := (<-ǂq1_1)`}, false},
		{"send", "c <- 1", []string{`{ ǂc1 := c; ǂb2 := ǂsb(ǂc1); ǂb2 <- 1; ǂ.Send(ǂc1, ǂb2, "In[1] line 1: send on c") }`}, false},
		{"send of a call", "c <- f()", []string{`{ ǂc1 := c; ǂb2 := ǂsb(ǂc1); ǂb2 <- f(); ǂ.Send(ǂc1, ǂb2, "In[1] line 1: send on c") }`}, false},
		{"range over a channel", "func f(in <-chan int) { for v := range in { _ = v } }", []string{`for v, ǂok1 := <-ǂrv(in, "In[1] line 1: receive on in (range)"); ǂok1; v, ǂok1 = <-ǂrv(in, "In[1] line 1: receive on in (range)") {`}, false},
		{"range over a slice", "func f(s []int) { for v := range s { _ = v } }", []string{"for v := range s {"}, false},
		{"wait hint", "var mu sync.Mutex\nfunc f() { mu.Lock() }", []string{`ǂ.At("In[1] line 2: mu.Lock()"); mu.Lock()`}, false},
		{"range over int", "for i := range 3 { }", []string{"for i, ǂn2 := (3)-(3), 3; i < ǂn2; i++ {"}, false},
		{"min", "min(1, 2)", []string{"ǂmin(1, 2)"}, false},
		{"clear", "clear(m)", []string{"ǂ.Clear(m)"}, false},
		{"recover", "defer func() { recover() }()", []string{"ǂ.Repanic(recover())"}, false},
		{"loop var captured", "for i := 0; i < 3; i++ { go func() { use(i) }() }", []string{"for ǂlv1 := 0; ǂlv1 < 3; ǂlv1++", "func() { i := ǂlv1;"}, false},
		{"loop var captured and modified", "for i := 0; i < 3; i++ { i++; fs = append(fs, func() int { return i }) }",
			[]string{"func() { i := ǂlv1; defer func() { ǂlv1 = i }(); _ = i;"}, false},
		{"body var captured", "for _, s := range xs { u := s; f(func() string { return u }) }",
			[]string{"for _, s := range xs { ǂ.Tick(); func() {  u := s;", " }(); }"}, false},
		{"body var captured with exits", "func g() (int, error) {\nL:\nfor { u := 1; f(func() int { return u }); if u > 0 { break }; if u < 0 { continue L }; return u, nil } }",
			[]string{"ǂc3 := func() int {", "return 1 }", "return 2 }", "{ ǂr1 = u; ǂr2 = nil; return 3 }",
				"if ǂc3 == 1 { break }; if ǂc3 == 2 { continue }; if ǂc3 == 3 { return ǂr1, ǂr2 }"}, false},
		{"loop with defer is left alone", "for _, s := range xs { u := s; defer func() { use(u) }() }", nil, true},
		{"labeled break in select", "L:\nfor { select { default: break L } }", []string{"goto ǂbrkL", "}; ǂbrkL: ;"}, false},
		{"final value", "x := 1\nx", []string{"ǂv := x; ǂ.Show("}, false},
		{"print is not a value", "fmt.Println(1)", []string{"fmt.Println(1)"}, false},
		{"func value companion", "type T int\nfunc sq(x T) T { return x }\nf(sq, sq(1))\ng := sq",
			[]string{"var sqǂǂ = ǂ.NameFunc(sq, \"sq\").(func(x T) T)", "f(sqǂǂ, sq(1))", "g := sqǂǂ"}, false},
		{"no companion for generics and methods", "func id[T any](x T) T { return x }\nfunc (t T) M() {}\nf(id[int])",
			[]string{"f(id[int])"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := prepare(1, tt.src, func(string) bool { return false }, nil, false)
			if err != nil {
				t.Fatal(err)
			}
			var all []piece
			for _, u := range p.units {
				all = append(all, u.pieces...)
			}
			for _, s := range p.steps {
				all = append(all, s.pieces...)
			}
			got := renderFile("t", "", all, func(n string) string { return n }).src
			for _, c := range tt.contains {
				if !strings.Contains(got, c) {
					t.Errorf("rendered\n%s\nlacks %q", got, c)
				}
			}
			if (len(p.warnings) > 0) != tt.warn {
				t.Errorf("warnings %q, want some: %v", p.warnings, tt.warn)
			}
			if tt.name == "no companion for generics and methods" && strings.Contains(got, companionSuffix) {
				t.Errorf("rendered\n%s\nhas a companion", got)
			}
			if tt.name == "print is not a value" && p.show {
				t.Error("Println shown as a value")
			}
		})
	}
}

func TestPrepareSyntaxError(t *testing.T) {
	_, err := prepare(1, "x := 1\ny := (2", func(string) bool { return false }, nil, false)
	e, ok := err.(*Error)
	if !ok || e.Ename != "SyntaxError" || !strings.HasPrefix(e.Msg, "line 2:") {
		t.Fatalf("got %v, want a SyntaxError on line 2", err)
	}
}
