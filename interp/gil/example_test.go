package gil_test

import (
	"fmt"
	"os"
	"time"

	"github.com/gokernel/gokernel/interp/gil"
	"github.com/gokernel/gokernel/interp/timeline"
	"github.com/gokernel/gokernel/interp/workloads"
)

// Two threads update a shared counter by reading it, sleeping and writing
// it back. The sleep releases the GIL, so the second thread reads the value
// before the first writes it: one update is lost. A Lock prevents it.
func Example() {
	for _, locked := range []bool{false, true} {
		g := gil.New(gil.Options{})
		var c workloads.Counter
		lock := g.NewLock()
		pool := g.NewPool(2)
		for range 2 {
			pool.Submit(func() any {
				if locked {
					lock.Acquire()
					defer lock.Release()
				}
				workloads.UpdateCounter(nil, &c, func() { g.Sleep(10 * time.Millisecond) }, nil)
				return nil
			})
		}
		pool.Shutdown()
		fmt.Printf("locked=%v final value %d\n", locked, c.Value())
	}
	// Output:
	// locked=false final value 1
	// locked=true final value 2
}

// The article's delay_message on two threads: both sleep at once.
func Example_delayMessage() {
	log := &workloads.Logger{W: os.Stdout, Clock: &timeline.FakeClock{}}
	g := gil.New(gil.Options{})
	g.Go("", func() { workloads.DelayMessageTo(log, "TWO", 20*time.Millisecond) })
	g.Go("", func() { workloads.DelayMessageTo(log, "THREE", 40*time.Millisecond) })
	g.JoinAll()
	// Output:
	// 00:00:00:Thread-1:TWO received
	// 00:00:00:Thread-2:THREE received
	// 00:00:00:Thread-1:Printing TWO
	// 00:00:00:Thread-2:Printing THREE
}
