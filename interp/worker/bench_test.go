//go:build linux || darwin

package worker

import (
	"context"
	"testing"
	"time"

	"github.com/gokernel/gokernel/kernel/mime"
)

// BenchmarkStart measures a child from New to ready (the fake evaluator:
// process start and Go runtime start-up, without yaegi), and how long New
// itself blocks its caller (ns/op minus ready is Close).
func BenchmarkStart(b *testing.B) {
	var newTime, ready time.Duration
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		c := newClient(b, Options{})
		newTime += time.Since(t0)
		d, err := c.Ready(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		ready += d
		c.Close()
	}
	b.ReportMetric(float64(newTime.Microseconds())/float64(b.N), "µs-New")
	b.ReportMetric(float64(ready.Microseconds())/float64(b.N), "µs-ready")
}

// BenchmarkExecute measures a trivial cell's round trip through the pipes.
func BenchmarkExecute(b *testing.B) {
	c := newClient(b, Options{})
	out := &mime.Recorder{}
	if _, err := c.Execute(context.Background(), "value 1", out); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.Execute(context.Background(), "value 1", out); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExecutePrint: a cell that prints one line to fd 1.
func BenchmarkExecutePrint(b *testing.B) {
	c := newClient(b, Options{})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.Execute(context.Background(), "print hello", &mime.Recorder{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLines prints 100,000 lines with fmt.Println (one write(2) each).
func BenchmarkLines(b *testing.B) {
	c := newClient(b, Options{})
	streams := 0
	for i := 0; i < b.N; i++ {
		out := &counter{}
		if _, err := c.Execute(context.Background(), "lines 100000", out); err != nil {
			b.Fatal(err)
		}
		streams += out.streams
	}
	b.ReportMetric(float64(streams)/float64(b.N), "Stream-calls")
}

// BenchmarkComplete: a Complete round trip.
func BenchmarkComplete(b *testing.B) {
	c := newClient(b, Options{})
	c.Complete("fm", 2)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.Complete("fm", 2)
	}
}
