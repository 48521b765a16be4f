package interp

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sort"
	"testing"
	"time"

	"github.com/gokernel/gokernel/kernel/mime"
)

// TestCostCurve prints the per-cell cost and the live heap every 1,000
// cells up to 10,000 (a figure, not an assertion). Run it with
//
//	GOKERNEL_COSTCURVE=1 go test -run TestCostCurve -v ./interp/
//
// At each thousand, probe cells run alternately in the long session and
// in a fresh one, and the ratio of their medians is the growth: a shared
// machine's speed swings by half from minute to minute, which moves both
// sides alike.
func TestCostCurve(t *testing.T) {
	if os.Getenv("GOKERNEL_COSTCURVE") == "" {
		t.Skip("set GOKERNEL_COSTCURVE=1 to print the cost curve")
	}
	ctx := context.Background()
	out := discard{}
	newSession := func() *Session {
		s, err := NewSession(Options{})
		if err != nil {
			t.Fatal(err)
		}
		s.Execute(ctx, "import \"fmt\"\na := 0", out)
		return s
	}
	s := newSession()
	cells := []string{"a := %d", "fmt.Sprint(a + %d)", "for i := 0; i < %d%%7; i++ { a += i }", "b := []int{a, %d}\nlen(b)"}
	median := func(ds []time.Duration) float64 {
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		return float64(ds[len(ds)/2].Nanoseconds()) / 1e3
	}
	for n := 1; n <= 10000; n++ {
		if _, err := s.Execute(ctx, fmt.Sprintf(cells[n%len(cells)], n), out); err != nil {
			t.Fatalf("cell %d: %v", n, err)
		}
		if n%1000 != 0 {
			continue
		}
		fresh := newSession()
		// Two probes: a cell that declares a variable (it pays for the
		// interpreter's global frame) and one that does not.
		probes := []string{"a := %d", "fmt.Sprint(a + %d)"}
		ratios := make([]float64, len(probes))
		var l0 float64
		for i, probe := range probes {
			var long, short []time.Duration
			for k := 0; k < 150; k++ {
				code := fmt.Sprintf(probe, k)
				for _, x := range []struct {
					s  *Session
					ds *[]time.Duration
				}{{s, &long}, {fresh, &short}} {
					t0 := time.Now()
					if _, err := x.s.Execute(ctx, code, out); err != nil {
						t.Fatalf("probe %q: %v", code, err)
					}
					*x.ds = append(*x.ds, time.Since(t0))
				}
			}
			ratios[i] = median(long) / median(short)
			if i == 0 {
				l0 = median(long)
			}
		}
		fresh.Close()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		fmt.Printf("cells %5d: declaring cell %6.1f µs, x%.2f of a fresh session's; other cell x%.2f; heap %5.1f MiB\n",
			n, l0, ratios[0], ratios[1], float64(m.HeapAlloc)/(1<<20))
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
