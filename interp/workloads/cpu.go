// Package workloads holds the articles' workloads as compiled Go, so that
// timings measure Go and not the interpreter:
//
//	workloads.SumSquares(n)          // sum of i*i for i < n
//	workloads.Countdown(n)           // while n > 0: n -= 1
//	workloads.CountPrimes(15000)     // naive is_prime over range(2, n)
//	workloads.SortAll(workloads.RandomLists(1000, 30000, 1))
//	srv, _ := workloads.StartServer() // loopback HTTP: / and /delay/{s}
//	defer srv.Close()
//	workloads.Fetch(srv.URL + "/delay/1")
//	workloads.DelayMessage("TWO", 2*time.Second) // timestamped, thread-named log lines
//	workloads.Update(log, c, 2*time.Second, lock) // the article's race: sleep, read, log, write
//	workloads.UpdateCounter(log, c, pause, lock)   // a pause between the read and the write
//	workloads.Square(x), workloads.SumInts(xs)     // tasks smaller than shipping them to a process
//
// # Checkpoints
//
// The CPU workloads call rt.Tick once per loop iteration, as CPython checks
// its eval breaker at every backward jump, so the emulated GIL can switch
// them at the same points; blocking ones go through rt.Sleep and
// rt.Blocking, where CPython releases the GIL. Tick costs one atomic load.
//
// # Scale
//
// Compiled Go runs these loops 30-100 times faster than CPython (about 60x
// for SumSquares on the development machine). Rather than a fixed "python
// speed" factor, lessons pick N for a duration: Calibrate(300*time.Millisecond,
// func(n int) { SumSquares(n) }) returns the n that takes about that long
// here. A task of a few hundred milliseconds spans dozens of 5 ms switch
// intervals, so the GIL behaves as it does on CPython's multi-second runs
// (the ratios between models do not depend on the length), and a lesson of
// ten such experiments stays well under two minutes.
package workloads

import (
	"math"
	"math/rand"
	"time"

	"github.com/gokernel/gokernel/interp/rt"
)

// SumSquares returns the sum of i*i for 0 <= i < n, modulo 2^64 (Python's
// integers do not overflow; the value is not the point, the loop is).
func SumSquares(n int) uint64 {
	var s uint64
	for i := 0; i < n; i++ {
		rt.Tick()
		s += uint64(i) * uint64(i)
	}
	return s
}

// Countdown decrements n to zero, one loop iteration per step.
func Countdown(n int) {
	for n > 0 {
		rt.Tick()
		n--
	}
}

// IsPrime is the naive test: trial division by 2 .. isqrt(n).
func IsPrime(n int) bool {
	rt.Tick() // a Python call checks the eval breaker too
	if n < 2 {
		return false
	}
	lim := int(math.Sqrt(float64(n)))
	for i := 2; i <= lim; i++ {
		rt.Tick()
		if n%i == 0 {
			return false
		}
	}
	return true
}

// CountPrimes returns how many of 2 .. n-1 are prime, by IsPrime.
func CountPrimes(n int) int {
	c := 0
	for x := 2; x < n; x++ {
		rt.Tick()
		if IsPrime(x) {
			c++
		}
	}
	return c
}

// RandomLists returns count lists of size random ints, the same for the
// same seed.
func RandomLists(count, size int, seed int64) [][]int {
	r := rand.New(rand.NewSource(seed))
	out := make([][]int, count)
	for i := range out {
		l := make([]int, size)
		for j := range l {
			l[j] = r.Intn(1 << 20)
		}
		out[i] = l
	}
	return out
}

// MergeSort returns a sorted copy of xs, by top-down merge sort.
func MergeSort(xs []int) []int {
	rt.Tick()
	if len(xs) <= 1 {
		return append([]int(nil), xs...)
	}
	mid := len(xs) / 2
	a, b := MergeSort(xs[:mid]), MergeSort(xs[mid:])
	out := make([]int, 0, len(xs))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		rt.Tick()
		if a[i] <= b[j] {
			out = append(out, a[i])
			i++
		} else {
			out = append(out, b[j])
			j++
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}

// SortAll merge-sorts every list and returns the sorted lists.
func SortAll(lists [][]int) [][]int {
	out := make([][]int, len(lists))
	for i, l := range lists {
		out[i] = MergeSort(l)
	}
	return out
}

// Calibrate returns the n for which work(n) takes about target on this
// machine (at least 1). It grows n until a run takes a quarter of target or
// more (shorter runs come out slow per step: CPU clocks ramp up), times
// that n twice more and scales the fastest of the three runs linearly (a
// run slowed down by other processes would make n too small), so it costs
// about target.
func Calibrate(target time.Duration, work func(n int)) int {
	if target <= 0 {
		return 1
	}
	time1 := func(n int) time.Duration {
		start := time.Now()
		work(n)
		return time.Since(start)
	}
	n := 1000
	for {
		el := time1(n)
		if el >= target/4 || n > 1<<40 {
			el = min(el, time1(n), time1(n))
			if el <= 0 {
				el = time.Nanosecond
			}
			return max(1, int(float64(n)*float64(target)/float64(el)))
		}
		n *= 4
	}
}

// Square returns x*x: the article's square, a task far smaller than what
// shipping it to a worker process costs (Pool(5).map(square, range(10))).
func Square(x int) int { return x * x }

// SumInts returns the sum of xs: almost no work per byte, so shipping xs to
// another process costs more than the sum itself.
func SumInts(xs []int) int {
	s := 0
	for _, x := range xs {
		s += x
	}
	return s
}

// Noop does nothing: a process running it measures start-up alone.
func Noop() {}
