package interp

import (
	"context"
	"fmt"
	"github.com/gokernel/gokernel/interp/internal/yaegiframe"
	"go/token"
	"runtime"
	"strings"
	"testing"

	"github.com/gokernel/gokernel/kernel/mime"
)

func TestDebugTreesFound(t *testing.T) {
	if !yaegiframe.DebugTreesFound() {
		t.Fatal("yaegi's Interpreter.roots or scope.child is gone: yaegiframe.DropDebugTrees does nothing, and memory grows with every cell (see retain.go)")
	}
}

// TestMemoryFlat runs the same kinds of cells many times and checks that
// the live heap and yaegi's FileSet stop growing (they grew by about 13 KiB
// and one file per cell before yaegiframe.DropDebugTrees and forget's RemoveFile).
func TestMemoryFlat(t *testing.T) {
	cells := []struct{ name, src string }{
		{"expression", "fmt.Sprint(a + %d)"},
		{"loop", "for i := 0; i < %d%%7; i++ { a += i }"},
		{"short variable", "b := []int{a, %d}\nlen(b)"},
	}
	for _, c := range cells {
		t.Run(c.name, func(t *testing.T) {
			s, err := NewSession(Options{})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			if _, err := s.Execute(ctx, "import \"fmt\"\na := 0", discard{}); err != nil {
				t.Fatal(err)
			}
			const n = 300
			var heap [2]uint64
			var files [2]int
			for i := 1; i <= 2*n; i++ {
				if _, err := s.Execute(ctx, fmt.Sprintf(c.src, i), discard{}); err != nil {
					t.Fatal(err)
				}
				if i%n == 0 {
					runtime.GC()
					var m runtime.MemStats
					runtime.ReadMemStats(&m)
					heap[i/n-1] = m.HeapAlloc
					s.i.FileSet().Iterate(func(*token.File) bool { files[i/n-1]++; return true })
				}
			}
			perCell := (int64(heap[1]) - int64(heap[0])) / n
			if perCell > 3<<10 {
				t.Errorf("the heap grows by %d bytes per cell (%d -> %d over %d cells)", perCell, heap[0], heap[1], n)
			}
			if files[1] > files[0]+5 {
				t.Errorf("yaegi's FileSet grows: %d files, then %d, %d cells later", files[0], files[1], n)
			}
		})
	}
}

func TestFrameFieldsFound(t *testing.T) {
	if !yaegiframe.FieldsFound() {
		t.Fatal("yaegi's global frame or universe types are gone: yaegiframe.Frame.Grow does nothing, and declaring cells cost more with every cell (see retain.go)")
	}
}

// liveHeap returns the live heap after a collection.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestRerunFreesOldValue re-runs cells that allocate 64 MiB: yaegi kept
// every run's value (a new global slot per redeclaration) until freeOld.
func TestRerunFreesOldValue(t *testing.T) {
	for _, src := range []string{
		"big := make([]byte, 64<<20)\nbig[7] = 1",
		"var big = make([]byte, 64<<20)",
	} {
		t.Run(src, func(t *testing.T) {
			s, err := NewSession(Options{})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			base := liveHeap()
			for i := 0; i < 6; i++ {
				if _, err := s.Execute(ctx, src, discard{}); err != nil {
					t.Fatal(err)
				}
			}
			if grown := liveHeap() - base; grown > 150<<20 {
				t.Errorf("after 6 runs the heap holds %d MiB more: old values were kept", grown>>20)
			}
			if b, err := s.Execute(ctx, "len(big)", discard{}); err != nil || b.Data["text/plain"] != "67108864" {
				t.Errorf("len(big) = %v, %v", b.Data["text/plain"], err)
			}
		})
	}
}

// TestRerunKeepsCapturedValue checks the cases where an old variable may
// still be read: it must keep its value.
func TestRerunKeepsCapturedValue(t *testing.T) {
	cases := []struct {
		name  string
		cells []string
		last  string
		want  string
	}{
		{"closure", []string{"n := 5", "get := func() int { return n }", "n := 6"}, "get()", "5"},
		{"method", []string{"n := 5", "type T struct{}\nfunc (T) Get() int { return n }\nv := T{}", "n := 6"}, "v.Get()", "5"},
		{"func value", []string{"n := 5", "func get() int { return n }\nh := get", "n := 6"}, "h()", "5"},
		{"goroutine", []string{"n := 5\ndone := make(chan int)", "go func() { <-done; done <- n }()", "n := 6"}, "done <- 0\nv := <-done\nv", "5"},
		{"new sees new", []string{"n := 5", "func get() int { return n }", "n := 6"}, "get()", "6"},
		{"var new sees new", []string{"var n = 5", "func get() int { return n }", "var n = 6"}, "get()", "6"},
		{"loop closures", []string{"x := 1\nfs := []func() int{}\nfor i := range 3 { fs = append(fs, func() int { return i*10 + x }) }", "x := 2"}, "fs[2]()", "21"},
		{"goroutine in block", []string{"k := 7\nres := make(chan int, 1)\ngo func() { v := k * 2; res <- v }()"}, "r := <-res\nr", "14"},
		{"multi-value", []string{"a, b := strconv.Atoi(\"42\")", "a, b := strconv.Atoi(\"43\")"}, "fmt.Sprint(a, b)", "43 <nil>"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := NewSession(Options{})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			for _, src := range c.cells {
				if _, err := s.Execute(ctx, src, discard{}); err != nil {
					t.Fatalf("%q: %v", src, err)
				}
			}
			b, err := s.Execute(ctx, c.last, discard{})
			if err != nil || b.Data["text/plain"] != c.want {
				t.Errorf("%q = %v, %v; want %s", c.last, b.Data["text/plain"], err, c.want)
			}
		})
	}
}

// TestRedeclaredTypeChange: code that cannot follow a variable to its new
// type keeps the old one, and the cell that redeclared it still succeeds,
// with a warning.
func TestRedeclaredTypeChange(t *testing.T) {
	for _, decl := range []struct{ first, second string }{
		{"n := 5", "n := \"five\""},
		{"var n = 5", "var n = \"five\""},
	} {
		t.Run(decl.second, func(t *testing.T) {
			s, err := NewSession(Options{})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			for _, src := range []string{decl.first, "func get() int { return n }"} {
				if _, err := s.Execute(ctx, src, discard{}); err != nil {
					t.Fatalf("%q: %v", src, err)
				}
			}
			rec := &mime.Recorder{}
			if _, err := s.Execute(ctx, decl.second, rec); err != nil {
				t.Fatalf("%q failed: %v", decl.second, err)
			}
			if !strings.Contains(rec.Stderr(), "code that uses n keeps the previous one") {
				t.Errorf("no warning on stderr: %q", rec.Stderr())
			}
			for src, want := range map[string]string{"get()": "5", "n": "five"} {
				b, err := s.Execute(ctx, src, discard{})
				if err != nil || b.Data["text/plain"] != want {
					t.Errorf("%s = %v, %v; want %s", src, b.Data["text/plain"], err, want)
				}
			}
		})
	}
}
