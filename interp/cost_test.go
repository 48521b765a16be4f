package interp

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/gokernel/gokernel/kernel/mime"
)

// TestCostCurve prints the per-cell cost and the live heap every 1,000
// cells up to 10,000 (a figure, not an assertion). Run it with
//
//	GOKERNEL_COSTCURVE=1 go test -run TestCostCurve -v ./interp/
func TestCostCurve(t *testing.T) {
	if os.Getenv("GOKERNEL_COSTCURVE") == "" {
		t.Skip("set GOKERNEL_COSTCURVE=1 to print the cost curve")
	}
	s, err := NewSession(Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	out := discard{}
	s.Execute(ctx, "import \"fmt\"\na := 0", out)
	cells := []string{"a := %d", "fmt.Sprint(a + %d)", "for i := 0; i < %d%%7; i++ { a += i }", "b := []int{a, %d}\nlen(b)"}
	start := time.Now()
	var base time.Duration
	for n := 1; n <= 10000; n++ {
		if _, err := s.Execute(ctx, fmt.Sprintf(cells[n%len(cells)], n), out); err != nil {
			t.Fatalf("cell %d: %v", n, err)
		}
		if n%1000 == 0 {
			per := time.Since(start) / 1000
			if base == 0 {
				base = per
			}
			runtime.GC()
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			fmt.Printf("cells %5d: %6.1f µs/cell (x%.2f of the first 1k), heap %5.1f MiB\n",
				n, float64(per.Nanoseconds())/1e3, float64(per)/float64(base), float64(m.HeapAlloc)/(1<<20))
			start = time.Now()
		}
	}
}

func BenchmarkCell(b *testing.B) {
	s, err := NewSession(Options{})
	if err != nil {
		b.Fatal(err)
	}
	rec := &mime.Recorder{}
	ctx := context.Background()
	s.Execute(ctx, "a := 0", rec)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Execute(ctx, "a++\na", discard{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCellAfterIdle runs the cell "1" after half a millisecond of
// idleness each time, as a kernel sees cells: caches and threads are
// cold, so it reports the cell's own time (µs-exec) apart from the sleep.
func BenchmarkCellAfterIdle(b *testing.B) {
	s, err := NewSession(Options{})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	s.Execute(ctx, "1", discard{})
	b.ResetTimer()
	var busy time.Duration
	for i := 0; i < b.N; i++ {
		time.Sleep(500 * time.Microsecond)
		t0 := time.Now()
		if _, err := s.Execute(ctx, "1", discard{}); err != nil {
			b.Fatal(err)
		}
		busy += time.Since(t0)
	}
	b.ReportMetric(float64(busy.Nanoseconds())/float64(b.N)/1e3, "µs-exec")
}
