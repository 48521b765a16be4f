package subprocess

import (
	"flag"
	"fmt"
	"runtime"
	"testing"
	"time"
)

var figures = flag.Bool("figures", false, "print start-up, IPC and speedup figures (go test -run Figures -figures -v)")

// TestFigures prints what processes cost on this machine and the speedup of
// a CPU-bound function on 2 processes. It asserts nothing about speed.
//
//	go test -run Figures -figures -v ./interp/subprocess
func TestFigures(t *testing.T) {
	if !*figures {
		t.Skip("run with -figures to print the figures")
	}
	c, err := Measure()
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println(c)
	// About 0.3 s of work per call on one core of this machine.
	n := calibrateSpin(300 * time.Millisecond)
	for _, workers := range []int{1, runtime.NumCPU()} {
		s, err := MeasureSpeedupOpts(SpeedupOptions{Workers: workers, Repeat: 3}, spin, n)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Println(s)
	}
}

func calibrateSpin(target time.Duration) int {
	n := 1_000_000
	for {
		t0 := time.Now()
		spin(n)
		if d := time.Since(t0); d > 50*time.Millisecond {
			return int(float64(n) * float64(target) / float64(d))
		}
		n *= 2
	}
}

func BenchmarkStartup(b *testing.B) {
	for range b.N {
		w, err := spawn("bench", nil)
		if err != nil {
			b.Fatal(err)
		}
		<-w.ready
		w.stop(time.Second)
	}
}

func BenchmarkRoundTrip(b *testing.B) {
	w, err := spawn("bench", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer w.stop(time.Second)
	<-w.ready
	b.ResetTimer()
	for range b.N {
		if _, err := w.ping(nil, true); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkApply(b *testing.B) {
	p, err := NewPool(1)
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	p.Apply("square", 1)
	b.ResetTimer()
	for i := range b.N {
		if _, err := p.Apply("square", i); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMap1000(b *testing.B) {
	p, err := NewPool(2)
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	xs := make([]int, 1000)
	b.ResetTimer()
	for range b.N {
		if _, err := p.Map("square", xs); err != nil {
			b.Fatal(err)
		}
	}
}
