package eventloop_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gokernel/gokernel/interp/eventloop"
	"github.com/gokernel/gokernel/interp/gil"
	"github.com/gokernel/gokernel/interp/rt"
	"github.com/gokernel/gokernel/interp/timeline"
	"github.com/gokernel/gokernel/interp/workloads"
)

// journal records events in order across tasks.
type journal struct {
	mu sync.Mutex
	ev []string
}

func (j *journal) add(s string) { j.mu.Lock(); j.ev = append(j.ev, s); j.mu.Unlock() }
func (j *journal) String() string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return strings.Join(j.ev, " ")
}

func delay(j *journal, name string, d time.Duration, blocking bool) eventloop.Coro {
	return func(t *eventloop.Task) (any, error) {
		j.add(name + "+")
		if blocking {
			t.BlockingSleep(d)
		} else {
			t.Sleep(d)
		}
		j.add(name + "-")
		return name, nil
	}
}

func TestConcurrencyAndStall(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name string
		main func(j *journal) eventloop.Coro
		want string
	}{
		{"tasks overlap their sleeps", func(j *journal) eventloop.Coro {
			return func(t *eventloop.Task) (any, error) {
				a := t.CreateTask("", delay(j, "TWO", 40*ms, false))
				b := t.CreateTask("", delay(j, "THREE", 60*ms, false))
				t.Await(a)
				t.Await(b)
				return nil, nil
			}
		}, "TWO+ THREE+ TWO- THREE-"},
		{"a blocking call stalls every task", func(j *journal) eventloop.Coro {
			return func(t *eventloop.Task) (any, error) {
				_, err := t.Gather(delay(j, "ONE", 20*ms, false), delay(j, "THREE", 80*ms, true), delay(j, "FOUR", 30*ms, false))
				return nil, err
			}
		}, "ONE+ THREE+ THREE- FOUR+ ONE- FOUR-"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var j journal
			loop := eventloop.New(eventloop.Options{})
			if _, err := loop.Run(tc.main(&j)); err != nil {
				t.Fatal(err)
			}
			if got := j.String(); got != tc.want {
				t.Errorf("order %q, want %q", got, tc.want)
			}
			rep := loop.Report()
			if strings.Contains(tc.name, "stall") && rep.Lane("event loop").Blocked == 0 {
				t.Errorf("the stall is not on the loop's lane: %+v", rep.Lanes)
			}
		})
	}
}

func TestOneTaskAtATime(t *testing.T) {
	var inside, most atomic.Int32
	work := func(t *eventloop.Task) (any, error) {
		for range 50 {
			n := inside.Add(1)
			if n > most.Load() {
				most.Store(n)
			}
			for range 1000 {
				rt.Tick()
			}
			inside.Add(-1)
			t.Sleep(0)
		}
		return nil, nil
	}
	_, err := eventloop.Run(func(t *eventloop.Task) (any, error) {
		return t.Gather(work, work, work)
	})
	if err != nil || most.Load() != 1 {
		t.Errorf("err %v, %d tasks ran at once", err, most.Load())
	}
}

func TestGatherErrorsAndPanics(t *testing.T) {
	boom := errors.New("boom")
	v, err := eventloop.Run(func(t *eventloop.Task) (any, error) {
		return t.Gather(
			func(*eventloop.Task) (any, error) { return 1, nil },
			func(*eventloop.Task) (any, error) { return nil, boom },
			func(*eventloop.Task) (any, error) { panic("bad") },
		)
	})
	res, _ := v.([]any)
	if !errors.Is(err, boom) || len(res) != 3 || res[0] != 1 {
		t.Errorf("Gather = %v, %v", v, err)
	}
	_, err = eventloop.Run(func(t *eventloop.Task) (any, error) {
		u := t.CreateTask("", func(*eventloop.Task) (any, error) { panic("bad") })
		return t.Await(u)
	})
	var p *rt.Panic
	if !errors.As(err, &p) || p.Value != "bad" {
		t.Errorf("a panicking task gave %v", err)
	}
}

func TestTimeoutsAndCancellation(t *testing.T) {
	var unwound atomic.Int32
	slow := func(t *eventloop.Task) (any, error) {
		defer unwound.Add(1)
		t.Sleep(time.Hour)
		return "late", nil
	}
	fast := func(t *eventloop.Task) (any, error) { t.Sleep(time.Millisecond); return "fast", nil }
	tests := []struct {
		name    string
		main    eventloop.Coro
		wantV   any
		wantErr error
	}{
		{"wait_for times out", func(t *eventloop.Task) (any, error) { return t.WaitFor(slow, 10*time.Millisecond) }, nil, eventloop.ErrTimeout},
		{"wait_for in time", func(t *eventloop.Task) (any, error) { return t.WaitFor(fast, time.Hour) }, "fast", nil},
		{"cancel a sleeping task", func(t *eventloop.Task) (any, error) {
			u := t.CreateTask("sleeper", slow)
			t.Sleep(time.Millisecond)
			if !u.Cancel() {
				return nil, errors.New("Cancel returned false")
			}
			_, err := t.Await(u)
			if !u.Cancelled() {
				return nil, errors.New("task not marked cancelled")
			}
			return nil, err
		}, nil, eventloop.ErrCancelled},
		{"pending tasks are cancelled at the end", func(t *eventloop.Task) (any, error) {
			t.CreateTask("", slow)
			t.Sleep(time.Millisecond)
			return "main", nil
		}, "main", nil},
		{"deadlock is an error", func(t *eventloop.Task) (any, error) {
			var a *eventloop.Task
			b := t.CreateTask("", func(t *eventloop.Task) (any, error) { t.Sleep(0); return t.Await(a) })
			a = t.CreateTask("", func(t *eventloop.Task) (any, error) { return t.Await(b) })
			return t.Await(a)
		}, nil, eventloop.ErrDeadlock},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := unwound.Load()
			v, err := eventloop.Run(tc.main)
			if v != tc.wantV || !errors.Is(err, tc.wantErr) {
				t.Errorf("got %v, %v; want %v, %v", v, err, tc.wantV, tc.wantErr)
			}
			if strings.Contains(tc.name, "slow") || tc.wantErr == eventloop.ErrTimeout || strings.Contains(tc.name, "cancel") {
				if unwound.Load() == before {
					t.Errorf("the cancelled task did not unwind (its defer did not run)")
				}
			}
		})
	}
}

func TestExecutorsAndIO(t *testing.T) {
	srv, err := workloads.StartServer()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	g := gil.New(gil.Options{})
	pool := g.NewPool(2)
	defer pool.Shutdown()
	var j journal
	loop := eventloop.New(eventloop.Options{Recorder: g.Recorder()})
	v, err := loop.Run(func(t *eventloop.Task) (any, error) {
		get := t.CreateTask("get", func(t *eventloop.Task) (any, error) {
			b, err := t.Get(srv.URL + "/delay/0.05")
			j.add("got")
			return len(b), err
		})
		tick := t.CreateTask("tick", func(t *eventloop.Task) (any, error) {
			t.Sleep(10 * time.Millisecond)
			j.add("tick")
			return nil, nil
		})
		inPool := t.CreateTask("pool", func(t *eventloop.Task) (any, error) {
			return t.RunInExecutor(pool, func() (any, error) { return workloads.CountPrimes(1000), nil })
		})
		bad := t.CreateTask("bad", func(t *eventloop.Task) (any, error) {
			return t.RunInExecutor(nil, func() (any, error) { panic("in executor") })
		})
		res, err := t.GatherTasks(get, tick, inPool)
		if _, berr := t.Await(bad); berr == nil {
			return nil, errors.New("a panic in the executor gave no error")
		}
		return res, err
	})
	res, _ := v.([]any)
	if err != nil || len(res) != 3 || res[0] != len(workloads.Page) || res[2] != 168 {
		t.Fatalf("got %v, %v", v, err)
	}
	if j.String() != "tick got" {
		t.Errorf("the GET blocked the loop: %q", j.String())
	}
	if loop.Report().Lane("get").IO == 0 {
		t.Errorf("no I/O span for the GET")
	}
}

func TestAwaitOutsideTaskIsAnError(t *testing.T) {
	var other *eventloop.Task
	_, err := eventloop.Run(func(t *eventloop.Task) (any, error) {
		other = t.CreateTask("", func(*eventloop.Task) (any, error) { return nil, nil })
		t.Await(other)
		p := rt.Protect(func() { other.Sleep(time.Millisecond) })
		if p == nil {
			return nil, errors.New("sleeping on another task did not fail")
		}
		return nil, fmt.Errorf("%v", p.Value)
	})
	if err == nil || !strings.Contains(err.Error(), "outside its coroutine") {
		t.Errorf("got %v", err)
	}
	_ = timeline.Running
}

func TestInterruptCancelsTasks(t *testing.T) {
	var unwound atomic.Int32
	var p *rt.Panic
	done := make(chan struct{})
	go func() {
		defer close(done)
		cell := rt.BeginCell(nil)
		defer cell.End()
		p = rt.Protect(func() {
			eventloop.Run(func(t *eventloop.Task) (any, error) {
				for range 3 {
					t.CreateTask("", func(t *eventloop.Task) (any, error) {
						defer unwound.Add(1)
						t.Sleep(time.Hour)
						return nil, nil
					})
				}
				t.CreateTask("", func(t *eventloop.Task) (any, error) {
					cell.Interrupt()
					return nil, nil
				})
				t.Sleep(time.Hour)
				return nil, nil
			})
		})
	}()
	<-done
	if p == nil {
		t.Fatal("Run returned normally from an interrupted cell")
	}
	if _, ok := p.Value.(rt.Interrupted); !ok {
		t.Errorf("panic %v", p.Value)
	}
	if unwound.Load() != 3 {
		t.Errorf("%d of 3 sleeping tasks unwound", unwound.Load())
	}
}

// A task waiting in gather is drawn as "awaiting gather", not as the
// blocked kind of a stalled loop; a second Run shows alone.
func TestGatherKindAndOneRun(t *testing.T) {
	l := eventloop.New(eventloop.Options{})
	nap := func(t *eventloop.Task) (any, error) { t.Sleep(2 * time.Millisecond); return nil, nil }
	stall := func(t *eventloop.Task) (any, error) { t.BlockingSleep(2 * time.Millisecond); return nil, nil }
	run := func() {
		if _, err := l.Run(func(t *eventloop.Task) (any, error) { return t.Gather(nap, stall) }); err != nil {
			t.Fatal(err)
		}
	}
	run() // a warm-up
	run()
	kinds := map[string]map[string]bool{}
	for _, s := range l.Recorder().Spans() {
		if kinds[s.Lane] == nil {
			kinds[s.Lane] = map[string]bool{}
		}
		kinds[s.Lane][s.Kind] = true
		if s.Kind == timeline.AwaitingGather && s.Label != "awaiting gather" {
			t.Errorf("gather span labelled %q", s.Label)
		}
	}
	lanes := l.Recorder().Lanes()
	if len(lanes) != 4 { // the loop and this run's three tasks
		t.Errorf("lanes %v: want the loop and one run's three tasks", lanes)
	}
	main := lanes[1]
	if !kinds[main][timeline.AwaitingGather] || kinds[main][timeline.Blocked] {
		t.Errorf("%s (in gather) drawn as %v, want %q and not %q", main, kinds[main], timeline.AwaitingGather, timeline.Blocked)
	}
	if !kinds["event loop"][timeline.Blocked] {
		t.Errorf("the stalled loop has no %q span: %v", timeline.Blocked, kinds["event loop"])
	}
	if timeline.AwaitingGather == timeline.Blocked || timeline.Awaiting == timeline.Blocked {
		t.Error("awaiting kinds must differ from blocked")
	}
}
