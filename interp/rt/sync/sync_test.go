package sync

import (
	gosync "sync"
	"testing"
	"time"

	"github.com/gokernel/gokernel/interp/rt"
)

func TestMutexCounts(t *testing.T) {
	var mu Mutex
	var wg WaitGroup
	n := 0
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 1000; j++ {
				mu.Lock()
				n++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if n != 8000 {
		t.Fatalf("n = %d, want 8000", n)
	}
	if !mu.TryLock() || mu.TryLock() {
		t.Fatal("TryLock on a free mutex must succeed once")
	}
}

func TestRWMutexWriterExcludesReaders(t *testing.T) {
	var rw RWMutex
	rw.RLock()
	rw.RLock()
	if rw.TryLock() {
		t.Fatal("TryLock while read-locked")
	}
	locked := make(chan bool)
	go func() { rw.Lock(); locked <- true }()
	time.Sleep(20 * time.Millisecond)
	if rw.TryRLock() {
		t.Fatal("a new reader got in while a writer waits")
	}
	rw.RUnlock()
	rw.RUnlock()
	<-locked
	rw.Unlock()
	if !rw.TryRLock() {
		t.Fatal("TryRLock on a free lock")
	}
}

func TestCondSignal(t *testing.T) {
	var mu Mutex
	c := NewCond(&mu)
	ready := false
	done := make(chan bool)
	go func() {
		mu.Lock()
		for !ready {
			c.Wait()
		}
		mu.Unlock()
		done <- true
	}()
	time.Sleep(10 * time.Millisecond)
	mu.Lock()
	ready = true
	c.Broadcast()
	mu.Unlock()
	<-done
}

func TestNegativeWaitGroupPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	var wg WaitGroup
	wg.Done()
}

// A wait in a cell ends when the cell is interrupted, with Interrupted.
func TestInterruptEndsWaits(t *testing.T) {
	waits := map[string]func(){
		"Mutex":     func() { var mu Mutex; mu.Lock(); mu.Lock() },
		"RWMutex":   func() { var rw RWMutex; rw.RLock(); rw.Lock() },
		"WaitGroup": func() { var wg WaitGroup; wg.Add(1); wg.Wait() },
		"Cond":      func() { var mu Mutex; c := NewCond(&mu); mu.Lock(); c.Wait() },
	}
	for name, wait := range waits {
		t.Run(name, func(t *testing.T) {
			got := make(chan any, 1)
			var cell *rt.Cell
			var wg gosync.WaitGroup
			wg.Add(1)
			started := make(chan bool)
			go func() {
				defer wg.Done()
				cell = rt.BeginCell(nil)
				defer cell.End()
				started <- true
				p := rt.Protect(wait)
				if p != nil {
					got <- p.Value
				} else {
					got <- nil
				}
			}()
			<-started
			time.Sleep(20 * time.Millisecond)
			cell.Interrupt()
			select {
			case v := <-got:
				if _, ok := v.(rt.Interrupted); !ok {
					t.Fatalf("ended with %v, want rt.Interrupted", v)
				}
			case <-time.After(10 * time.Second): // hang guard
				t.Fatal("the wait did not end")
			}
			wg.Wait()
		})
	}
}
