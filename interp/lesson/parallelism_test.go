package lesson

import (
	"runtime"
	"testing"
)

func TestParallelismBounds(t *testing.T) {
	for _, k := range []int{0, 1, 2, 64} {
		p := Parallelism(k)
		if p < 1 || p > float64(max(1, min(k, runtime.NumCPU()))) {
			t.Errorf("Parallelism(%d) = %.2f, outside [1, min(k, NumCPU)]", k, p)
		}
	}
}
