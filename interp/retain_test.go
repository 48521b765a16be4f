package interp

import (
	"context"
	"fmt"
	"go/token"
	"runtime"
	"testing"
)

func TestDebugTreesFound(t *testing.T) {
	if !debugTreesFound() {
		t.Fatal("yaegi's Interpreter.roots or scope.child is gone: dropDebugTrees does nothing, and memory grows with every cell (see retain.go)")
	}
}

// TestMemoryFlat runs the same kinds of cells many times and checks that
// the live heap and yaegi's FileSet stop growing (they grew by about 13 KiB
// and one file per cell before dropDebugTrees and forget's RemoveFile).
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
