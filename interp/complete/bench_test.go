package complete

import (
	"fmt"
	"go/types"
	"reflect"
	"strings"
	"testing"
)

// resetCaches forgets everything learnt, so a benchmark can measure the
// first request of a session (GOROOT's location stays known).
func resetCaches() {
	conv.mu.Lock()
	conv.types = map[reflect.Type]types.Type{}
	conv.pkgs = map[string]*types.Package{}
	conv.built = map[pkgKey]*types.Package{}
	conv.mu.Unlock()
	docCache.Lock()
	docCache.m = nil
	docCache.Unlock()
	docTypes.Lock()
	docTypes.m = nil
	docTypes.Unlock()
	digestCache.Lock()
	digestCache.m = nil
	digestCache.Unlock()
}

// bigScope is a session after n cells, each declaring a type, a method, a
// function and a variable.
func bigScope(n int) Scope {
	s := scope
	s.Decls = append([]string(nil), scope.Decls...)
	for i := 0; i < n; i++ {
		s.Decls = append(s.Decls, fmt.Sprintf("type T%d struct{ A, B int }\nfunc (t T%d) Sum() int { return t.A + t.B }\n// F%d does things.\nfunc F%d(x int) int {\n\tfor i := 0; i < x; i++ {\n\t\tx += i\n\t}\n\treturn x\n}\nv%d := F%d(3)\nfmt.Println(v%d)", i, i, i, i, i, i, i))
	}
	return s
}

func BenchmarkComplete(b *testing.B) {
	cases := []struct {
		name, code string
		s          Scope
	}{
		{"package member", "fmt.Pr", scope},
		{"method of a local", "for i := 0; i < 3; i++ {\n\tr := rand.New(rand.NewSource(int64(i)))\n\tr.In", scope},
		{"name in scope", "x := Sq", scope},
		{"50 cells, method of a local", "for i := 0; i < 3; i++ {\n\tr := rand.New(rand.NewSource(int64(i)))\n\tr.In", bigScope(50)},
		{"200 cells, method of a local", "for i := 0; i < 3; i++ {\n\tr := rand.New(rand.NewSource(int64(i)))\n\tr.In", bigScope(200)},
		{"200 cells, name in scope", "x := F19", bigScope(200)},
	}
	for _, c := range cases {
		b.Run("first/"+c.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				resetCaches()
				b.StartTimer()
				if items, _, _ := Complete(c.code, len([]rune(c.code)), c.s); len(items) == 0 {
					b.Fatal("no items")
				}
			}
		})
		b.Run("repeat/"+c.name, func(b *testing.B) {
			Complete(c.code, len([]rune(c.code)), c.s)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if items, _, _ := Complete(c.code, len([]rune(c.code)), c.s); len(items) == 0 {
					b.Fatal("no items")
				}
			}
		})
	}
}

func BenchmarkInspect(b *testing.B) {
	noTables := scope
	noTables.Packages = nil
	cases := []struct{ name, code string }{
		{"fmt.Println", "fmt.Println("},
		{"net/http.Get", "import \"net/http\"\nhttp.Get("},
		{"net/http.Get, no table", "import \"net/http\"\nhttp.Get("},
		{"user func", "Square("},
	}
	for _, c := range cases {
		s := scope
		if strings.HasSuffix(c.name, "no table") {
			s = noTables
		}
		b.Run("first/"+c.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				resetCaches()
				b.StartTimer()
				if _, ok := Inspect(c.code, len([]rune(c.code)), 0, s); !ok {
					b.Fatal("nothing")
				}
			}
		})
		b.Run("repeat/"+c.name, func(b *testing.B) {
			Inspect(c.code, len([]rune(c.code)), 0, s)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, ok := Inspect(c.code, len([]rune(c.code)), 0, s); !ok {
					b.Fatal("nothing")
				}
			}
		})
	}
}

func BenchmarkIsComplete(b *testing.B) {
	code := strings.Repeat("for i := range 10 {\n\tfmt.Println(i)\n}\n", 20) + "func f() {"
	for i := 0; i < b.N; i++ {
		IsComplete(code)
	}
}
