package eventloop_test

import (
	"fmt"
	"os"
	"time"

	"github.com/gokernel/gokernel/interp/eventloop"
	"github.com/gokernel/gokernel/interp/timeline"
	"github.com/gokernel/gokernel/interp/workloads"
)

// The article's gather with a blocking call in THREE: the other tasks
// cannot print until THREE's blocking sleep is over.
func Example() {
	log := &workloads.Logger{W: os.Stdout, Clock: &timeline.FakeClock{}}
	unit := 20 * time.Millisecond
	delay := func(name string, k int, blocking bool) eventloop.Coro {
		return func(t *eventloop.Task) (any, error) {
			log.Log("%s received", name)
			if blocking {
				t.BlockingSleep(time.Duration(k) * unit)
			} else {
				t.Sleep(time.Duration(k) * unit)
			}
			log.Log("Printing %s", name)
			return name, nil
		}
	}
	res, err := eventloop.Run(func(t *eventloop.Task) (any, error) {
		return t.Gather(delay("ONE", 1, false), delay("TWO", 2, false), delay("THREE", 3, true), delay("FOUR", 4, false))
	})
	fmt.Println(res, err)
	// Output:
	// 00:00:00:MainThread:ONE received
	// 00:00:00:MainThread:TWO received
	// 00:00:00:MainThread:THREE received
	// 00:00:00:MainThread:Printing THREE
	// 00:00:00:MainThread:FOUR received
	// 00:00:00:MainThread:Printing ONE
	// 00:00:00:MainThread:Printing TWO
	// 00:00:00:MainThread:Printing FOUR
	// [ONE TWO THREE FOUR] <nil>
}
