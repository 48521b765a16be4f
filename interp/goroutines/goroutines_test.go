package goroutines_test

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gokernel/gokernel/interp/gil"
	"github.com/gokernel/gokernel/interp/gil/threading"
	"github.com/gokernel/gokernel/interp/goroutines"
	"github.com/gokernel/gokernel/interp/rt"
	"github.com/gokernel/gokernel/interp/workloads"
	"github.com/gokernel/gokernel/kernel/mime"
)

func TestThreadsRunInParallel(t *testing.T) {
	// Thread-1 busy-waits without a single checkpoint until Thread-2 sets
	// the flag: under a GIL Thread-2 could never run; here it does.
	m := goroutines.New(goroutines.Options{})
	var flag atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		m.Go("", func() {
			for !flag.Load() {
			}
		})
		m.Go("", func() { flag.Store(true) })
		m.JoinAll()
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("the second goroutine thread never ran")
	}
}

func TestSameWorkloadUnderBothModels(t *testing.T) {
	models := map[string]func() threading.Model{
		"gil":        func() threading.Model { return gil.New(gil.Options{}) },
		"goroutines": func() threading.Model { return goroutines.New(goroutines.Options{}) },
	}
	for name, mk := range models {
		t.Run(name, func(t *testing.T) {
			m := mk()
			var c workloads.Counter
			lock := m.NewLock()
			m.Parallel(2, func(int) {
				workloads.UpdateCounter(nil, &c, func() { rt.Sleep(10 * time.Millisecond) }, lock)
				workloads.SumSquares(100000)
			})
			if c.Value() != 2 {
				t.Errorf("with a lock: %d", c.Value())
			}
			rep := m.Report()
			if rep.Lane("Thread-1").Running == 0 || rep.Lane("Thread-2").Running == 0 {
				t.Errorf("lanes %+v", rep.Lanes)
			}
			if name == "goroutines" && (rep.Lane("Thread-1").WaitingGIL != 0 || rep.Counters != nil) {
				t.Errorf("goroutines waited for a GIL: %+v", rep)
			}
			b := rep.Bundle()
			if _, ok := b.Data[mime.Text].(string); !ok || !strings.Contains(b.Data[mime.Text].(string), "Thread-1") {
				t.Errorf("report text: %v", b.Data[mime.Text])
			}
			if _, ok := b.Data[mime.HTML]; ok {
				t.Errorf("a chart bundle with text/html")
			}
		})
	}
}

func TestLostUpdateWithoutGIL(t *testing.T) {
	m := goroutines.New(goroutines.Options{})
	var c workloads.Counter
	m.Parallel(2, func(int) {
		workloads.UpdateCounter(nil, &c, func() { rt.Sleep(20 * time.Millisecond) }, nil)
	})
	if c.Value() != 1 {
		t.Errorf("read-sleep-write without a lock ended at %d", c.Value())
	}
}

func TestPoolPanicIsAnError(t *testing.T) {
	m := goroutines.New(goroutines.Options{})
	p := m.NewPool(3)
	res, err := p.MapN(6, func(i int) any {
		if i == 4 {
			panic("four")
		}
		return i
	})
	var pn *rt.Panic
	if !errors.As(err, &pn) || res[5] != 5 {
		t.Errorf("MapN = %v, %v", res, err)
	}
	m.JoinAll()
	if len(p.Workers()) > 3 {
		t.Errorf("%d workers for a pool of 3", len(p.Workers()))
	}
}
