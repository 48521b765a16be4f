// Package goroutines runs the threading API on real goroutines, in parallel
// on every core: threads without a GIL, as PEP 703 proposes for CPython.
//
//	m := goroutines.New(goroutines.Options{})
//	t1 := m.Go("", func() { workloads.SumSquares(n) })
//	t2 := m.Go("", func() { workloads.SumSquares(n) })
//	m.JoinAll()          // about twice as fast as running both in turn, on 2 cores
//	m.Report()
//
// It has the same API as package gil (both are a threading.Model), so a
// lesson compares the two by swapping one value:
//
//	var m threading.Model = gil.New(gil.Options{})
//	m = goroutines.New(goroutines.Options{})
//
// Shared data needs the same care as with real threads: the race detector
// and lost updates are real here.
package goroutines

import (
	"github.com/gokernel/gokernel/interp/gil/threading"
	"github.com/gokernel/gokernel/interp/timeline"
)

// Options configures a Runtime. The zero value is usable.
type Options struct {
	Recorder *timeline.Recorder // nil: a new one
	Name     string             // "" : "goroutines"
}

// A Runtime runs threads as free goroutines, recording who ran when.
type Runtime struct {
	*threading.Runtime
}

var _ threading.Model = (*Runtime)(nil)

// New returns a runtime with no threads.
func New(o Options) *Runtime {
	name := o.Name
	if name == "" {
		name = "goroutines"
	}
	return &Runtime{threading.New(name, nil, o.Recorder)}
}

// Parallel runs fn(0) ... fn(n-1) on n threads of m and joins them; it is
// m.Parallel, kept for callers of the first version of this package.
func Parallel(m threading.Model, n int, fn func(i int)) { m.Parallel(n, fn) }
