package interp

import (
	"context"
	"fmt"
	"testing"
)

// Benchmarks of the instrumentation blocking.go and rt add to interpreted
// code; run beside a build without it (see the report of the blocking
// branch):
//
//	go test -run XXX -bench 'BenchmarkCell$|BenchmarkInterpretedCall|BenchmarkLoop|BenchmarkChannel' -count 5 ./interp/

func benchCell(b *testing.B, setup, cell string) {
	b.Helper()
	s, err := NewSession(Options{})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if _, err := s.Execute(ctx, setup, discard{}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Execute(ctx, cell, discard{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkInterpretedCall: 10,000 interpreted calls per op (each enters
// through rt.Enter, the depth check's home).
func BenchmarkInterpretedCall(b *testing.B) {
	benchCell(b, "func inc(n int) int { return n + 1 }\nx := 0",
		"for i := 0; i < 10000; i++ { x = inc(x) }")
}

// BenchmarkLoop compares an interpreted loop of 300,000 iterations run by
// the cell itself (plain) with the same loop run as the only thread of the
// emulated GIL (gil), whose checkpoint is the loop's rt.Tick: the
// difference is what the checkpoint costs when no other thread waits.
func BenchmarkLoop(b *testing.B) {
	const loop = "for i := 0; i < 300000; i++ { x += i }"
	b.Run("plain", func(b *testing.B) {
		benchCell(b, "x := 0", fmt.Sprintf("func() { %s }()\n_ = x", loop))
	})
	b.Run("gil", func(b *testing.B) {
		benchCell(b, "import \"github.com/gokernel/gokernel/interp/gil\"\nx := 0",
			fmt.Sprintf("g := gil.New(gil.Options{})\ng.Go(\"t\", func() { %s })\ng.JoinAll()", loop))
	})
}

// BenchmarkChannel: 1,000 values through a buffered channel per op, sent
// and received by the cell (the fast paths of Send and Recv).
func BenchmarkChannel(b *testing.B) {
	benchCell(b, "ch := make(chan int, 1000)\nx := 0",
		"func() { for i := 0; i < 1000; i++ { ch <- i }; for i := 0; i < 1000; i++ { x += <-ch } }()\n_ = x")
}
