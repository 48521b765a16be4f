package workloads_test

import (
	"bytes"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gokernel/gokernel/interp/gil"
	"github.com/gokernel/gokernel/interp/rt"
	"github.com/gokernel/gokernel/interp/timeline"
	"github.com/gokernel/gokernel/interp/workloads"
)

func TestCPU(t *testing.T) {
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"SumSquares(10)", workloads.SumSquares(10), uint64(285)},
		{"CountPrimes(15000)", workloads.CountPrimes(15000), 1754},
		{"CountPrimes(2)", workloads.CountPrimes(2), 0},
		{"IsPrime(1)", workloads.IsPrime(1), false},
		{"IsPrime(7919)", workloads.IsPrime(7919), true},
		{"IsPrime(7917)", workloads.IsPrime(7917), false},
		{"MergeSort", workloads.MergeSort([]int{5, 1, 4, 1, 3}), []int{1, 1, 3, 4, 5}},
		{"MergeSort(nil)", len(workloads.MergeSort(nil)), 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if a, b := fmt.Sprint(tc.got), fmt.Sprint(tc.want); a != b {
				t.Errorf("got %s, want %s", a, b)
			}
		})
	}
	lists := workloads.RandomLists(20, 300, 1)
	for i, l := range workloads.SortAll(lists) {
		for j := 1; j < len(l); j++ {
			if l[j-1] > l[j] {
				t.Fatalf("list %d not sorted at %d", i, j)
			}
		}
	}
	workloads.Countdown(1000) // returns
	if n := workloads.Calibrate(5*time.Millisecond, func(n int) { workloads.Countdown(n) }); n < 1000 {
		t.Errorf("Calibrate gave %d", n)
	}
}

func TestServer(t *testing.T) {
	before := runtime.NumGoroutine()
	srv, err := workloads.StartServer()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path    string
		wantLen int
		wantErr bool
	}{
		{"/", len(workloads.Page), false},
		{"/delay/0.01", len(workloads.Page), false},
		{"/bytes/1000", 1000, false},
		{"/delay/abc", 0, true},
		{"/delay/-1", 0, true},
		{"/nothing", 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			n, err := workloads.Fetch(srv.URL + tc.path)
			if (err != nil) != tc.wantErr || (!tc.wantErr && n != tc.wantLen) {
				t.Errorf("Fetch = %d, %v", n, err)
			}
		})
	}
	// a slow request in flight does not hold Close up
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); workloads.Fetch(srv.URL + "/delay/30") }()
	time.Sleep(20 * time.Millisecond)
	if err := srv.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	wg.Wait()
	srv.Close() // twice is harmless
	for i := 0; i < 100 && runtime.NumGoroutine() > before; i++ {
		time.Sleep(10 * time.Millisecond) // the client's connection goroutines wind down
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines before, %d after Close:\n%s", before, n, buf[:runtime.Stack(buf, true)])
	}
}

func TestDelayMessageLog(t *testing.T) {
	var out bytes.Buffer
	clock := &timeline.FakeClock{}
	l := &workloads.Logger{W: &out, Clock: clock}
	g := gil.New(gil.Options{})
	g.Go("", func() { workloads.DelayMessageTo(l, "TWO", time.Millisecond) })
	g.JoinAll()
	workloads.DelayMessageTo(l, "ONE", 0)
	want := "00:00:00:Thread-1:TWO received\n00:00:00:Thread-1:Printing TWO\n00:00:00:MainThread:ONE received\n00:00:00:MainThread:Printing ONE\n"
	if out.String() != want {
		t.Errorf("log:\n%s\nwant:\n%s", out.String(), want)
	}
	if m := l.Messages(); len(m) != 4 || m[0] != "Thread-1:TWO received" {
		t.Errorf("Messages = %q", m)
	}
}

func TestUpdateCounter(t *testing.T) {
	var c workloads.Counter
	l := &workloads.Logger{W: &bytes.Buffer{}}
	workloads.UpdateCounter(l, &c, nil, nil)
	workloads.UpdateCounter(l, &c, func() {}, &sync.Mutex{})
	if c.Value() != 2 {
		t.Errorf("value %d", c.Value())
	}
	want := []string{"Update Started", "Reading Value From Db", "Updating Value", "Update Finished"}
	m := l.Messages()
	for i, w := range want {
		if !strings.HasSuffix(m[i], w) {
			t.Errorf("line %d = %q, want %q", i, m[i], w)
		}
	}
	if workloads.Increment(&c, 10, true); c.Value() != 12 {
		t.Errorf("Increment: %d", c.Value())
	}
}

// countingScheduler counts blocking calls, to see where Fetch releases the GIL.
type countingScheduler struct {
	mu              sync.Mutex
	blocking, ended int
}

func (s *countingScheduler) Checkpoint(int64) {}

func (s *countingScheduler) Blocking(int64) func() {
	s.mu.Lock()
	s.blocking++
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		s.ended++
		s.mu.Unlock()
	}
}

// Fetch releases the GIL at each blocking call, as CPython does at each
// system call (getaddrinfo, connect, send, recv), not once around the
// whole request.
func TestFetchBlocksPerCall(t *testing.T) {
	srv, err := workloads.StartServer()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	s := &countingScheduler{}
	prev := rt.SetScheduler(s)
	n, err := workloads.Fetch(srv.URL + "/bytes/100000")
	rt.SetScheduler(prev)
	if err != nil {
		t.Fatal(err)
	}
	if n != 100000 {
		t.Errorf("Fetch read %d bytes, want 100000", n)
	}
	// resolve, connect, write, and 100 kB in 8 KiB reads: a dozen at least
	if s.blocking < 4+100000/8192 {
		t.Errorf("Fetch made %d blocking calls, want one per system call (at least %d)", s.blocking, 4+100000/8192)
	}
	if s.ended != s.blocking {
		t.Errorf("%d blocking calls began, %d ended", s.blocking, s.ended)
	}
	if _, err := workloads.Fetch("https://127.0.0.1/"); err == nil || !strings.Contains(err.Error(), "http://") {
		t.Errorf("Fetch(https) error = %v, want one naming http://", err)
	}
	if _, err := workloads.Fetch(srv.URL + "/delay/x"); err == nil || !strings.Contains(err.Error(), "400") {
		t.Errorf("Fetch(bad delay) error = %v, want 400", err)
	}
}

// Update runs in the article's order (sleep, then read and write), and its
// lock makes two threads end with 2.
func TestUpdateArticleOrder(t *testing.T) {
	g := gil.New(gil.Options{})
	log := &workloads.Logger{W: &bytes.Buffer{}, Cost: workloads.LogRecordCost, WriteDelay: 50 * time.Microsecond}
	var c workloads.Counter
	lock := g.NewLock()
	p := g.NewPool(2)
	for range 2 {
		p.Submit(func() any { workloads.Update(log, &c, 2*time.Millisecond, lock); return nil })
	}
	p.Shutdown()
	if c.Value() != 2 {
		t.Errorf("with the lock the final value is %d, want 2", c.Value())
	}
	var mine []string
	for _, m := range log.Messages() {
		if strings.HasPrefix(m, "ThreadPoolExecutor-0_0:") {
			mine = append(mine, strings.TrimPrefix(m, "ThreadPoolExecutor-0_0:"))
		}
	}
	want := "Update Started|Sleeping|Reading Value From Db|Updating Value|Update Finished"
	if got := strings.Join(mine, "|"); got != want {
		t.Errorf("thread 0 logged %q, want %q", got, want)
	}
}

func TestStrings(t *testing.T) {
	var c workloads.Counter
	c.Write(3)
	l := &workloads.Logger{W: &bytes.Buffer{}, WriteDelay: time.Microsecond}
	l.Log("x")
	for got, want := range map[string]string{
		c.String(): "counter = 3",
		l.String(): "logger: 1 lines, each write takes 1µs",
	} {
		if got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
	}
}
