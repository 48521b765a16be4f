package futex

import (
	"sync"
	"testing"
	"time"
)

func TestLockExcludes(t *testing.T) {
	var l Lock
	n := 0
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 1000 {
				l.Acquire(nil)
				n++
				l.Release()
			}
		}()
	}
	wg.Wait()
	if n != 4000 {
		t.Fatalf("n = %d, want 4000: the lock let two holders in", n)
	}
	if l.Locked() || l.Release() {
		t.Fatal("a free lock reports held, or releases")
	}
}

func TestAcquireStops(t *testing.T) {
	var l Lock
	l.Acquire(nil)
	stop := make(chan struct{})
	res := make(chan bool)
	go func() { res <- l.Acquire(stop) }()
	close(stop)
	select {
	case ok := <-res:
		if ok {
			t.Fatal("Acquire took a held lock")
		}
	case <-time.After(10 * time.Second): // hang guard only
		t.Fatal("Acquire did not see stop")
	}
}

func TestWaitWakes(t *testing.T) {
	var l Lock
	l.Acquire(nil)
	got := make(chan struct{})
	go func() { l.Acquire(nil); close(got) }()
	time.Sleep(time.Millisecond)
	l.Release()
	select {
	case <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("a released lock's waiter never got it")
	}
}
