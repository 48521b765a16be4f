package lesson

import (
	"math"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// spinSink keeps the compiler from removing the probe's loop.
var spinSink atomic.Uint64

func spin(n int) {
	var x uint64 = 1
	for i := 0; i < n; i++ {
		x = x*6364136223846793005 + 1442695040888963407
	}
	spinSink.Add(x)
}

// Parallelism measures how much faster k CPU-bound tasks finish side by side
// than one after the other on this machine right now, at most k and the
// number of CPUs: the speedup a parallel model can reach here. On a
// dedicated 2-core machine it is about 2; a virtual machine whose cores are
// shared with others may offer much less, and for minutes at a time, so
// facts about parallel speedups are stated against this figure rather than
// against the number of cores. It takes about a quarter of a second.
func Parallelism(k int) float64 {
	k = min(k, runtime.NumCPU())
	if k <= 1 {
		return 1
	}
	n := 1 << 20
	for { // size the task to about 20 ms
		start := time.Now()
		spin(n)
		if time.Since(start) > 10*time.Millisecond || n > 1<<30 {
			break
		}
		n *= 2
	}
	ratios := make([]float64, 0, 3)
	for r := 0; r < 3; r++ {
		start := time.Now()
		for i := 0; i < k; i++ {
			spin(n)
		}
		serial := time.Since(start)
		start = time.Now()
		var wg sync.WaitGroup
		for i := 0; i < k; i++ {
			wg.Add(1)
			go func() { defer wg.Done(); spin(n) }()
		}
		wg.Wait()
		ratios = append(ratios, serial.Seconds()/time.Since(start).Seconds())
	}
	sort.Float64s(ratios)
	return math.Max(1, math.Min(float64(k), ratios[1]))
}
