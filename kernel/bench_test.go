package kernel_test

import (
	"context"
	"testing"

	"github.com/gokernel/gokernel/kernel"
	"github.com/gokernel/gokernel/kernel/kerneltest"
	"github.com/gokernel/gokernel/kernel/mime"
)

// BenchmarkExecuteRoundTrip measures the kernel's own share of a cell's
// round trip: execute_request to execute_reply over real sockets, with an
// evaluator that does nothing. (kernel/benchmarks/kernelbench.py measures
// the whole kernel against ipykernel.)
func BenchmarkExecuteRoundTrip(b *testing.B) {
	ev := kernel.ExecuteFunc(func(ctx context.Context, code string, out mime.Publisher) (mime.Bundle, error) {
		return mime.TextBundle("1"), nil
	})
	f := kerneltest.Start(b, ev, kernel.Options{})
	defer f.Close()
	f.Execute("1")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		id := f.Send("shell", "execute_request", kerneltest.ExecuteRequest("1"))
		f.Reply(id)
	}
}
