package gil

import (
	"fmt"
	"sort"
	"sync/atomic"
	"time"

	"github.com/gokernel/gokernel/interp/gil/threading"
	"github.com/gokernel/gokernel/interp/rt"
)

// Slices runs two CPU-bound threads under a GIL with the given switch
// interval for about d and returns how long each held the GIL before the
// other took it over (the time slices), in order. Each thread spins on
// rt.Tick and notes the time whenever it finds that the other ran since its
// own last step, the way the CPython counterpart (a loop comparing a shared
// "owner" variable) does, so both sides measure the same thing: the drop
// request's timing plus the hand-over.
func Slices(interval, d time.Duration) []time.Duration {
	g := New(Options{SwitchInterval: interval})
	var owner atomic.Int32
	var stamps []time.Time // appended under the GIL only
	end := time.Now().Add(d)
	spin := func(me int32) func() {
		return func() {
			for {
				rt.Tick()
				if owner.Load() != me {
					now := time.Now()
					stamps = append(stamps, now)
					owner.Store(me)
					if now.After(end) {
						return
					}
				}
			}
		}
	}
	g.Go("", spin(1))
	g.Go("", spin(2))
	g.JoinAll()
	var out []time.Duration
	for i := 1; i < len(stamps); i++ {
		out = append(out, stamps[i].Sub(stamps[i-1]))
	}
	return out
}

// Median returns the median of ds (0 for none).
func Median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// ConvoyWaits runs an I/O thread that sleeps w n times next to a CPU-bound
// thread under a GIL with the given switch interval and returns, for each
// sleep, how much longer than w it took: the wait for the GIL after the
// sleep (the convoy effect), plus the sleep's own overshoot.
func ConvoyWaits(interval, w time.Duration, n int) []time.Duration {
	if n < 1 {
		n = 1
	}
	g := New(Options{SwitchInterval: interval})
	var stop atomic.Bool
	g.Go("cpu", func() {
		for !stop.Load() {
			rt.Tick()
		}
	})
	out := make([]time.Duration, 0, n)
	g.Go("io", func() {
		defer stop.Store(true)
		for range n {
			t := time.Now()
			threading.Sleep(w) // time.sleep's precision
			out = append(out, time.Since(t)-w)
		}
	})
	g.JoinAll()
	return out
}

// String summarises the GIL: its threads, switches, and time each thread
// held it, e.g. for a GIL that is a cell's last value.
func (g *GIL) String() string {
	s := g.Stats()
	r := g.Report()
	out := fmt.Sprintf("%s: switch interval %v, %d threads, %d switches, %d drop requests, %d forced switches",
		g.Name(), g.SwitchInterval(), len(r.Lanes), s.Switches, s.DropRequests, s.ForcedSwitches)
	if h := g.Holder(); h != "" {
		out += ", held by " + h
	}
	for _, l := range r.Lanes {
		out += fmt.Sprintf("\n  %s: held the GIL %v, waited for it %v", l.Lane, l.Running.Round(time.Microsecond), l.WaitingGIL.Round(time.Microsecond))
	}
	return out
}
