package bench_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gokernel/gokernel/interp/bench"
	"github.com/gokernel/gokernel/interp/display"
	"github.com/gokernel/gokernel/kernel/mime"
)

// costs returns a function that advances clk by the given costs in turn
// (the last one repeating), and a counter of its calls.
func costs(clk *bench.FakeClock, d ...time.Duration) (func(), *int) {
	n := 0
	return func() {
		clk.Advance(d[min(n, len(d)-1)])
		n++
	}, &n
}

func TestRunOpts(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name      string
		o         bench.Options
		costs     []time.Duration
		wantCalls int
		want      bench.Result // Name, Times, Number, stats
	}{
		{"fixed number, default warm-up", bench.Options{Repeat: 3, Number: 2}, []time.Duration{100 * ms, ms, ms, 2 * ms, 2 * ms, 3 * ms, 3 * ms},
			1 + 3*2, bench.Result{Times: []time.Duration{ms, 2 * ms, 3 * ms}, Number: 2, Min: ms, Median: 2 * ms, Max: 3 * ms, Mean: 2 * ms, Stddev: ms}},
		{"no warm-up", bench.Options{Repeat: 2, Number: 1, Warmup: -1}, []time.Duration{4 * ms, 2 * ms},
			2, bench.Result{Times: []time.Duration{4 * ms, 2 * ms}, Number: 1, Min: 2 * ms, Median: 3 * ms, Max: 4 * ms, Mean: 3 * ms, Stddev: 1414214}},
		// Calibration: 1, 2, 5, 10, 20, 50 calls of 3 ms; 50 calls take 150 ms ≥ 100 ms.
		{"calibrated", bench.Options{Repeat: 1}, []time.Duration{3 * ms},
			1 + 2 + 5 + 10 + 20 + 50 + 50, bench.Result{Times: []time.Duration{3 * ms}, Number: 50, Min: 3 * ms, Median: 3 * ms, Max: 3 * ms, Mean: 3 * ms}},
		{"clock that never moves", bench.Options{Repeat: 1}, []time.Duration{0},
			1 + 2 + 5 + 10 + 20 + 50 + 100 + 200 + 500 + 1000 + 1000, bench.Result{Times: []time.Duration{0}, Number: 1000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := &bench.FakeClock{}
			tt.o.Clock = clk
			f, calls := costs(clk, tt.costs...)
			got := bench.RunOpts("f", tt.o, f)
			tt.want.Name = "f"
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
			if *calls != tt.wantCalls {
				t.Errorf("f called %d times, want %d", *calls, tt.wantCalls)
			}
		})
	}
}

func TestNilFunc(t *testing.T) {
	r := bench.Run("nothing", nil)
	if !errors.Is(r.Err, bench.ErrNilFunc) || !strings.Contains(r.String(), "nil") {
		t.Errorf("got %+v", r)
	}
	c := bench.Compare(r, r)
	if c.Speedup("nothing") != 0 {
		t.Error("speedup of nothing measured")
	}
	_ = c.Bundle() // must not panic
}

func TestCompare(t *testing.T) {
	mk := func(name string, med time.Duration) bench.Result {
		return bench.Result{Name: name, Times: []time.Duration{med}, Number: 1, Min: med, Median: med, Max: med, Mean: med}
	}
	c := bench.Compare(mk("seq", 100*time.Millisecond), mk("par", 25*time.Millisecond), mk("slow", 200*time.Millisecond))
	tests := []struct {
		name string
		want float64
	}{{"seq", 1}, {"par", 4}, {"slow", 0.5}, {"missing", 0}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.Speedup(tt.name); got != tt.want {
				t.Errorf("Speedup(%q) = %v, want %v", tt.name, got, tt.want)
			}
		})
	}
	b := c.Bundle()
	if got := b.Types(); !reflect.DeepEqual(got, []string{mime.HTML, mime.Text}) {
		t.Errorf("types %v", got)
	}
	bs := c.Bundles()
	if len(bs) != 2 || bs[1].Data[mime.VegaLite] == nil || bs[0].Data[mime.HTML] == nil {
		t.Errorf("Bundles gives %d bundles, want table then chart", len(bs))
	}
	rec := &mime.Recorder{}
	display.SetCurrent(func() mime.Publisher { return rec })
	defer display.SetCurrent(nil)
	display.Show(c)
	if n := len(rec.Outputs()); n != 2 {
		t.Errorf("display.Show(comparison) sent %d outputs, want 2 (table, chart)", n)
	}
}

func TestProgressOption(t *testing.T) {
	rec := &mime.Recorder{}
	display.SetCurrent(func() mime.Publisher { return rec })
	defer display.SetCurrent(nil)
	clk := &bench.FakeClock{}
	f, _ := costs(clk, 200*time.Millisecond)
	bench.RunOpts("slow", bench.Options{Clock: clk, Number: 1, Repeat: 3, Progress: true}, f)
	out := rec.Outputs()
	last := out[len(out)-1]
	if out[0].Kind != "display" || last.Kind != "update" || last.Bundle.Data[mime.Text] != "timing slow: done 3/3 in 600 ms" {
		t.Errorf("outputs %+v", out)
	}
}

func ExampleRun() {
	// A fake clock makes the figures exact: each call "takes" 2 ms, the
	// third round's calls 3 ms.
	clk := &bench.FakeClock{}
	round := 0
	r := bench.RunOpts("work", bench.Options{Clock: clk, Repeat: 3, Number: 10, Warmup: -1}, func() {
		if round >= 20 {
			clk.Advance(3 * time.Millisecond)
		} else {
			clk.Advance(2 * time.Millisecond)
		}
		round++
	})
	fmt.Println(r)
	fmt.Println(r.Bundle().Data[mime.Text])
	// Output:
	// work: 2.00 ms per call (median of 3 rounds × 10 calls; min 2.00 ms, max 3.00 ms)
	// name   median      min      max     mean  ± stddev  rounds × calls
	// ----  -------  -------  -------  -------  --------  --------------
	// work  2.00 ms  2.00 ms  3.00 ms  2.33 ms    577 µs  3 × 10
}

func ExampleCompare() {
	clk := &bench.FakeClock{}
	opts := bench.Options{Clock: clk, Repeat: 3, Number: 5}
	seq := bench.RunOpts("sequential", opts, func() { clk.Advance(40 * time.Millisecond) })
	par := bench.RunOpts("4 goroutines", opts, func() { clk.Advance(11 * time.Millisecond) })
	c := bench.Compare(seq, par)
	fmt.Printf("speedup %.2f×\n", c.Speedup("4 goroutines"))
	fmt.Println(c)
	// Output:
	// speedup 3.64×
	// name           median      min      max     mean  ± stddev  rounds × calls  speedup
	// ------------  -------  -------  -------  -------  --------  --------------  -------
	// sequential    40.0 ms  40.0 ms  40.0 ms  40.0 ms       0 s  3 × 5             1.00×
	// 4 goroutines  11.0 ms  11.0 ms  11.0 ms  11.0 ms       0 s  3 × 5             3.64×
	//
	// Median time per call (baseline: sequential)
	// sequential    ██████████████████████████████ 40.0 ms
	// 4 goroutines  ████████▎                      11.0 ms
}
