package rt

import (
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"
)

func TestGoIDDistinct(t *testing.T) {
	ids := make(chan int64, 2)
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); ids <- GoID() }()
	}
	wg.Wait()
	a, b := <-ids, <-ids
	if a <= 0 || b <= 0 || a == b || a == GoID() {
		t.Fatalf("GoID gave %d and %d (caller %d)", a, b, GoID())
	}
}

func TestInterruptStopsTickAndSleepInCellGoroutines(t *testing.T) {
	c := BeginCell("cell")
	defer c.End()
	stopped := make(chan any, 2)
	Go(func() { // a tight loop: only Tick can stop it
		defer func() { stopped <- recover() }()
		for {
			Tick()
		}
	})
	Go(func() { // a long sleep
		defer func() { stopped <- recover() }()
		Sleep(time.Hour)
	})
	time.Sleep(20 * time.Millisecond)
	c.Interrupt()
	for i := 0; i < 2; i++ {
		select {
		case v := <-stopped:
			if _, ok := v.(Interrupted); !ok {
				t.Fatalf("goroutine ended with %v, want Interrupted", v)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("an interrupted goroutine did not stop")
		}
	}
	if !c.Interrupted() {
		t.Fatal("Interrupted() = false after Interrupt")
	}
	select {
	case <-c.Done():
	default:
		t.Fatal("Done not closed after Interrupt")
	}
}

func TestPendingFallsBackWhenGoroutinesEnd(t *testing.T) {
	c := BeginCell(nil)
	done := make(chan struct{})
	Go(func() {
		defer close(done)
		for {
			Tick()
		}
	})
	c.Interrupt()
	<-done
	c.End()
	deadline := time.Now().Add(5 * time.Second)
	for pending.Load() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("pending = %d after every goroutine of the interrupted cell ended; Tick stays on its slow path", pending.Load())
		}
		time.Sleep(time.Millisecond)
	}
}

func TestGoRecoversPanicsAndReportsTheCell(t *testing.T) {
	got := make(chan *Panic, 1)
	var owner *Cell
	SetPanicHandler(func(c *Cell, p *Panic) { owner = c; got <- p })
	defer SetPanicHandler(func(*Cell, *Panic) {})
	c := BeginCell("cell")
	defer c.End()
	Go(func() { panic("boom") })
	select {
	case p := <-got:
		if p.Value != "boom" || len(p.Stack) == 0 {
			t.Fatalf("panic = %v with %d bytes of stack", p.Value, len(p.Stack))
		}
		if owner != c {
			t.Fatalf("panic reported for cell %v, want %v", owner, c)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the panic was not reported")
	}
}

func TestOutputFollowsOwnership(t *testing.T) {
	first := BeginCell("first")
	release := make(chan struct{})
	seen := make(chan *Cell)
	Go(func() {
		<-release
		seen <- Output() // a goroutine of the first cell, still running
	})
	first.End()
	second := BeginCell("second")
	defer second.End()
	if got := Output(); got != second {
		t.Fatalf("Output() in the cell's own goroutine = %v, want the second cell", got.Value)
	}
	close(release)
	if got := <-seen; got != first {
		t.Fatalf("Output() in the first cell's goroutine = %v, want the first cell", got.Value)
	}
}

type recordingScheduler struct {
	mu          sync.Mutex
	checkpoints int
	blocked     int
}

func (s *recordingScheduler) Checkpoint(int64) {
	s.mu.Lock()
	s.checkpoints++
	s.mu.Unlock()
}

func (s *recordingScheduler) Blocking(int64) func() {
	s.mu.Lock()
	s.blocked++
	s.mu.Unlock()
	return func() {}
}

func TestSchedulerHooks(t *testing.T) {
	s := &recordingScheduler{}
	prev := SetScheduler(s)
	defer SetScheduler(prev)
	Tick() // nothing raised: the fast path does not call the scheduler
	Raise()
	Tick()
	Lower()
	Tick()
	Blocking()()
	Sleep(time.Millisecond)
	if s.checkpoints != 1 || s.blocked != 2 {
		t.Fatalf("checkpoints = %d, blocking calls = %d; want 1 and 2", s.checkpoints, s.blocked)
	}
}

func TestSetSchedulerDropsLeakedRaises(t *testing.T) {
	prev := SetScheduler(&recordingScheduler{})
	Raise()
	Raise()
	Lower()
	SetScheduler(prev) // one Raise never lowered: it must not outlive its scheduler
	if got := pending.Load(); got != 0 {
		t.Fatalf("pending = %d after the scheduler went away", got)
	}
	Lower() // a late Lower must not drive pending negative
	if got := pending.Load(); got != 0 {
		t.Fatalf("pending = %d after a late Lower", got)
	}
}

func BenchmarkTick(b *testing.B) {
	for i := 0; i < b.N; i++ {
		Tick()
	}
}

// TestGoIDFast: the id read from the goroutine record is the one the
// stack trace prints, on this goroutine and on many others.
func TestGoIDFast(t *testing.T) {
	if goidOff < 0 && (runtime.GOARCH == "amd64" || runtime.GOARCH == "arm64") {
		t.Errorf("the goroutine id was not found in the runtime's record: GoID parses stack traces")
	}
	check := func() error {
		if a, b := GoID(), stackGoID(); a != b {
			return fmt.Errorf("GoID() = %d, stack trace says %d", a, b)
		}
		return nil
	}
	if err := check(); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 100)
	for i := 0; i < 100; i++ {
		go func() { errs <- check() }()
	}
	for i := 0; i < 100; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// TestStorm: goroutines of a go statement stop on an interrupt with their
// defers run (runtime.Goexit), none is left owned, and once a storm of them
// is gone its memory is given back.
func TestStorm(t *testing.T) {
	const n = stormSize + 100
	before := Trims()
	c := BeginCell(nil)
	var deferred sync.WaitGroup
	deferred.Add(n)
	var started sync.WaitGroup
	started.Add(n)
	for i := 0; i < n; i++ {
		GoStatement(func() {
			defer deferred.Done()
			started.Done()
			Sleep(time.Hour)
			t.Error("Sleep returned after the interrupt")
		})
	}
	started.Wait()
	c.Interrupt()
	c.End()
	deferred.Wait()
	for deadline := time.Now().Add(30 * time.Second); c.Running() > 0 || Trims() == before; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) { // hang guard
			t.Fatalf("after the interrupt: %d goroutines still running, %d trims", c.Running(), Trims()-before)
		}
	}
	n2 := 0
	owners.each(func(_ int64, g *goroutine) {
		if g.cell == c {
			n2++
		}
	})
	if n2 != 0 {
		t.Errorf("%d goroutines still owned by the interrupted cell", n2)
	}
}

func TestAdopt(t *testing.T) {
	c := BeginCellOn(-7, "adopter")
	defer c.End()
	done := make(chan *Cell, 2)
	go func() {
		release := c.Adopt()
		done <- Current()
		release()
		done <- Current()
	}()
	if got := <-done; got != c {
		t.Errorf("adopted goroutine's cell = %v, want %v", got, c)
	}
	if got := <-done; got != nil {
		t.Errorf("after release: %v", got)
	}
}
