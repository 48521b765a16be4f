package threading_test

import (
	"errors"
	"io"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gokernel/gokernel/interp/gil/threading"
	"github.com/gokernel/gokernel/interp/rt"
	"github.com/gokernel/gokernel/interp/timeline"
)

func TestMisuseIsAClearError(t *testing.T) {
	r := threading.New("test", nil, nil)
	tests := []struct {
		name string
		f    func()
		want error
	}{
		{"start twice", func() { th := r.Go("", func() {}); th.Start() }, threading.ErrStartedTwice},
		{"release an unlocked lock", func() { r.NewLock().Release() }, threading.ErrUnlocked},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := rt.Protect(tc.f)
			err, _ := p.Value.(error)
			if p == nil || !errors.Is(err, tc.want) {
				t.Errorf("got %v, want a panic with %v", p, tc.want)
			}
		})
	}
	r.JoinAll()
}

func TestSyncPrimitives(t *testing.T) {
	r := threading.New("test", nil, nil)
	ev := r.NewEvent()
	if ev.WaitTimeout(time.Millisecond) {
		t.Error("unset event reported set")
	}
	r.Go("setter", func() { ev.Set() })
	ev.Wait()
	ev.Clear()
	if ev.IsSet() {
		t.Error("cleared event still set")
	}
	q := r.NewQueue(0)
	if _, ok := q.TryGet(); ok {
		t.Error("TryGet on an empty queue")
	}
	q.Put("a")
	q.Put("b")
	if q.Len() != 2 || q.Get() != "a" {
		t.Error("queue order")
	}
	l := r.NewLock()
	if !l.TryAcquire() || l.TryAcquire() || !l.Locked() {
		t.Error("TryAcquire")
	}
	l.Release()
	var never *threading.Thread = r.Thread("idle", func() {})
	never.Join() // never started: returns
	if never.Alive() || threading.CurrentName() != "MainThread" {
		t.Error("names and liveness")
	}
	var inside string
	r.Go("named", func() { inside = threading.CurrentName() }).Join()
	if inside != "named" {
		t.Errorf("CurrentName in a thread = %q", inside)
	}
}

func TestReportTable(t *testing.T) {
	clock := &timeline.FakeClock{}
	rec := timeline.NewWithClock(clock)
	lane := threading.NewLane(rec, "T")
	lane.Enter(timeline.Running, "")
	clock.Advance(3 * time.Millisecond)
	lane.Enter(timeline.Sleeping, "")
	clock.Advance(2 * time.Millisecond)
	lane.End()
	rep := threading.NewReport("model", rec, map[string]int{"GIL switches": 4})
	l := rep.Lane("T")
	if l.Running != 3*time.Millisecond || l.Sleeping != 2*time.Millisecond || rep.Wall != 5*time.Millisecond {
		t.Errorf("totals %+v wall %v", l, rep.Wall)
	}
	s := rep.String()
	for _, want := range []string{"T", "GIL switches", "4"} {
		if !strings.Contains(s, want) {
			t.Errorf("report text lacks %q:\n%s", want, s)
		}
	}
}

// JoinAll ends a run: the next thread starts a fresh timeline.
func TestOneRunPerTimeline(t *testing.T) {
	r := threading.New("test", nil, nil)
	r.Go("first", func() {})
	r.JoinAll()
	r.Go("second", func() {})
	r.JoinAll()
	if lanes := r.Recorder().Lanes(); len(lanes) != 1 || lanes[0] != "second" {
		t.Errorf("lanes %v, want only the last run's thread", lanes)
	}
}

// Values a cell may print describe themselves.
func TestStrings(t *testing.T) {
	r := threading.New("test", nil, nil)
	p := r.NewPool(2)
	f := p.Submit(func() any { return 42 })
	f.Result()
	e := r.NewEvent()
	q := r.NewQueue(3)
	q.Put(1)
	l := r.NewLock()
	checks := map[string]string{
		p.String(): "ThreadPoolExecutor-0: 1 of 2 workers",
		f.String(): "<Future state=finished returned int>",
		e.String(): "<Event unset>",
		q.String(): "<Queue 1 items, maxsize 3>",
		l.String(): "<unlocked Lock>",
	}
	for got, want := range checks {
		if !strings.HasPrefix(got, want) {
			t.Errorf("String() = %q, want it to start with %q", got, want)
		}
	}
	p.Shutdown()
	if s := r.String(); !strings.HasPrefix(s, "test: 1 threads started, 0 alive, 1 pools") {
		t.Errorf("Runtime.String() = %q", s)
	}
}

// A thread's end is complete when Join returns: what it prints on a panic
// has been printed, and the spare processor of OS-thread runtimes is given
// back (a cell that joins and then reads either must see it).
func TestJoinSeesTheWholeEnd(t *testing.T) {
	base := runtime.GOMAXPROCS(0)
	r := threading.New("test", nil, nil)
	r.SetOSThreads(true)
	for i := range 100 {
		r.Go("", func() {}).Join()
		if n := runtime.GOMAXPROCS(0); n != base {
			t.Fatalf("join %d: GOMAXPROCS %d after the thread ended, want %d", i, n, base)
		}
	}

	old := os.Stderr
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	os.Stderr = pw
	t.Cleanup(func() { os.Stderr = old })
	out := make(chan string)
	go func() { // drains the pipe meanwhile, so a long stack cannot block the thread
		b, _ := io.ReadAll(pr)
		out <- string(b)
	}()
	r.Go("boom", func() { panic("boom") }).Join()
	pw.Write([]byte("<joined>")) // after Join, by the joiner
	pw.Close()
	joined := <-out
	if i := strings.Index(joined, "Exception in thread boom"); i < 0 || i > strings.Index(joined, "<joined>") {
		t.Fatalf("the thread's panic was not printed before Join returned: %q", joined)
	}
}
