package subprocess

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gokernel/gokernel/interp/rt"
)

// guard fails the test instead of hanging when f does not return.
func guard(t *testing.T, d time.Duration, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s did not return within %s", what, d)
	}
}

// children returns the pids of this process's children, read from /proc.
func children(t *testing.T) []int {
	t.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	me := os.Getpid()
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so cut at the last ')'.
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) > 1 {
			if pp, _ := strconv.Atoi(f[1]); pp == me {
				pids = append(pids, pid)
			}
		}
	}
	return pids
}

func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	return err == nil && !strings.Contains(string(b), ") Z ")
}

func noStrays(t *testing.T) {
	t.Helper()
	if kids := children(t); len(kids) > 0 {
		t.Errorf("child processes left behind: %v", kids)
	}
	if l := Live(); len(l) > 0 {
		t.Errorf("workers still registered as live: %v", l)
	}
}

func newPool(t *testing.T, n int) *Pool {
	t.Helper()
	p, err := NewPool(n)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Terminate() })
	return p
}

func TestProcessStartJoin(t *testing.T) {
	cases := []struct {
		name    string
		fn      any
		args    []any
		code    int
		errText string // "" when Join must succeed
	}{
		{"returns", "square", []any{7}, 0, ""},
		{"func value", spin, []any{1000}, 0, ""},
		{"returns an error", "failOn3", []any{3}, 1, "three is not allowed"},
		{"panics", "panicOn2", []any{2}, 1, "assignment to entry in nil map"},
		{"os.Exit", "exitWith", []any{5}, 5, "exit status 5"},
		{"killed by a signal", "killSelf", nil, -9, "signal: killed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := NewProcess(c.fn, c.args...)
			if p.ExitCode() != NoExitCode || p.IsAlive() {
				t.Fatalf("before Start: exit code %d, alive %v", p.ExitCode(), p.IsAlive())
			}
			if err := p.Start(); err != nil {
				t.Fatal(err)
			}
			if p.Pid() <= 0 {
				t.Errorf("Pid() = %d", p.Pid())
			}
			var err error
			guard(t, 20*time.Second, "Join", func() { err = p.Join() })
			if got := p.ExitCode(); got != c.code {
				t.Errorf("ExitCode() = %d, want %d", got, c.code)
			}
			if c.errText == "" && err != nil {
				t.Errorf("Join() = %v", err)
			}
			if c.errText != "" && (err == nil || !strings.Contains(err.Error(), c.errText)) {
				t.Errorf("Join() = %v, want an error containing %q", err, c.errText)
			}
			if p.IsAlive() || alive(p.Pid()) {
				t.Errorf("process %d still alive after Join", p.Pid())
			}
			if !strings.HasPrefix(p.Name, "Process-") {
				t.Errorf("Name = %q", p.Name)
			}
		})
	}
	t.Run("result", func(t *testing.T) {
		p := NewProcess("mirror", point{1, 2})
		p.Start()
		p.Join()
		v, err := p.Result()
		if err != nil || v != (point{2, 1}) {
			t.Errorf("Result() = %#v, %v; want point{2, 1}", v, err)
		}
	})
	t.Run("join before start", func(t *testing.T) {
		if err := NewProcess("square", 1).Join(); !errors.Is(err, ErrNotStarted) {
			t.Errorf("Join() = %v, want ErrNotStarted", err)
		}
	})
	t.Run("terminate", func(t *testing.T) {
		q := NewQueue()
		p := NewProcess("signalThenSleep", q, 30*time.Second)
		p.Start()
		q.Get() // it runs
		p.Terminate()
		guard(t, 10*time.Second, "Join after Terminate", func() { p.Join() })
		if got := p.ExitCode(); got != -15 {
			t.Errorf("ExitCode() after Terminate = %d, want -15", got)
		}
	})
	noStrays(t)
}

func TestPoolMap(t *testing.T) {
	p := newPool(t, 2)
	xs := make([]int, 50)
	want := make([]any, len(xs))
	for i := range xs {
		xs[i] = i
		want[i] = i * i
	}
	for _, chunk := range []int{0, 1, 7, 100} {
		t.Run(fmt.Sprintf("chunk %d", chunk), func(t *testing.T) {
			got, err := p.MapChunk("square", xs, chunk)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("MapChunk = %v, want %v", got, want)
			}
		})
	}
	t.Run("structs", func(t *testing.T) {
		got, err := p.Map("mirror", []point{{1, 2}, {3, 4}})
		if err != nil {
			t.Fatal(err)
		}
		if want := []any{point{2, 1}, point{4, 3}}; !reflect.DeepEqual(got, want) {
			t.Errorf("Map(mirror) = %#v, want %#v", got, want)
		}
	})
	t.Run("starmap", func(t *testing.T) {
		got, err := p.Starmap("add", [][]any{{1, 2}, {3, 4}, {5, 6}})
		if err != nil || !reflect.DeepEqual(got, []any{3, 7, 11}) {
			t.Errorf("Starmap = %v, %v", got, err)
		}
	})
	t.Run("both workers used", func(t *testing.T) {
		seen := map[any]bool{}
		for range 20 {
			r, err := p.Starmap("pid", [][]any{{}, {}, {}, {}})
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range r {
				seen[v] = true
			}
			if len(seen) == 2 {
				break
			}
		}
		if len(seen) != 2 {
			t.Errorf("tasks ran in %d distinct processes, want 2", len(seen))
		}
	})
	t.Run("errors by item", func(t *testing.T) {
		got, err := p.MapChunk("failOn3", []int{1, 2, 3, 4}, 1)
		var te *TaskError
		if !errors.As(err, &te) || te.Item != 2 || !strings.Contains(err.Error(), "three is not allowed") {
			t.Fatalf("err = %v, want a TaskError for item 2 (the value 3)", err)
		}
		if got[0] != 1 || got[3] != 4 {
			t.Errorf("the other items' results are %v", got)
		}
	})
}

func TestApplyAsyncAndImap(t *testing.T) {
	p := newPool(t, 2)
	t.Run("apply", func(t *testing.T) {
		v, err := p.Apply("add", 40, 2)
		if err != nil || v != 42 {
			t.Errorf("Apply = %v, %v", v, err)
		}
	})
	t.Run("apply_async", func(t *testing.T) {
		rs := make([]*AsyncResult, 10)
		for i := range rs {
			rs[i] = p.ApplyAsync("square", i)
		}
		for i, r := range rs {
			v, err := r.Get()
			if err != nil || v != i*i {
				t.Errorf("result %d = %v, %v", i, v, err)
			}
			if !r.Ready() {
				t.Errorf("result %d not Ready after Get", i)
			}
		}
	})
	t.Run("imap in order", func(t *testing.T) {
		it := p.Imap("square", []int{5, 4, 3, 2, 1})
		var got []any
		for it.Next() {
			if it.Index() != len(got) {
				t.Errorf("Index() = %d, want %d", it.Index(), len(got))
			}
			got = append(got, it.Value())
		}
		if it.Err() != nil || !reflect.DeepEqual(got, []any{25, 16, 9, 4, 1}) {
			t.Errorf("Imap gave %v, %v", got, it.Err())
		}
	})
	t.Run("imap unordered", func(t *testing.T) {
		it := p.ImapUnordered("square", []int{1, 2, 3, 4})
		sum := 0
		for it.Next() {
			sum += it.Value().(int)
		}
		if it.Err() != nil || sum != 30 {
			t.Errorf("ImapUnordered sum %d, %v", sum, it.Err())
		}
	})
	t.Run("imap stops at an error", func(t *testing.T) {
		it := p.Imap("failOn3", []int{1, 2, 3, 4})
		n := 0
		for it.Next() {
			n++
		}
		if n != 2 || it.Err() == nil {
			t.Errorf("got %d results before the error %v, want 2 and an error", n, it.Err())
		}
	})
	t.Run("several results", func(t *testing.T) {
		v, err := p.Apply("swap", "a", "b")
		if err != nil || !reflect.DeepEqual(v, []any{"b", "a"}) {
			t.Errorf("Apply(swap) = %#v, %v", v, err)
		}
	})
}

func TestCrashAndPanic(t *testing.T) {
	p := newPool(t, 2)
	t.Run("panic is an error on that task only", func(t *testing.T) {
		before := p.Pids()
		got, err := p.MapChunk("panicOn2", []int{1, 2, 3}, 1)
		var te *TaskError
		if !errors.As(err, &te) || !te.Panic || te.Item != 1 {
			t.Fatalf("err = %v, want a panic TaskError for item 1 (the value 2)", err)
		}
		if !strings.Contains(te.Msg, "nil map") || !strings.Contains(te.Msg, "main_test.go") {
			t.Errorf("the panic report lacks the value or the stack: %s", te.Msg)
		}
		if got[0] != 1 || got[2] != 3 {
			t.Errorf("other results: %v", got)
		}
		if !reflect.DeepEqual(before, p.Pids()) {
			t.Errorf("workers changed after a panic: %v then %v", before, p.Pids())
		}
	})
	t.Run("a worker dies mid-task", func(t *testing.T) {
		got, err := p.MapChunk("exitOn3", []int{1, 2, 3, 4, 5}, 1)
		var we *WorkerError
		if !errors.As(err, &we) {
			t.Fatalf("err = %v, want a WorkerError", err)
		}
		for _, want := range []string{"PoolWorker-", "exit status 7", "giving up on 3", "exitOn3(item 2)"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q lacks %q", err, want)
			}
		}
		if we.Pid <= 0 || alive(we.Pid) {
			t.Errorf("dead worker pid %d (alive %v)", we.Pid, alive(we.Pid))
		}
		if got[0] != 10 || got[4] != 50 {
			t.Errorf("other results: %v", got)
		}
		// The pool replaced the worker and keeps working.
		r, err := p.Map("square", []int{1, 2, 3})
		if err != nil || !reflect.DeepEqual(r, []any{1, 4, 9}) {
			t.Errorf("after the crash Map = %v, %v", r, err)
		}
		if n := len(p.Pids()); n != 2 {
			t.Errorf("%d workers after the crash, want 2", n)
		}
	})
	t.Run("killed by a signal", func(t *testing.T) {
		_, err := p.Apply("killSelf")
		if err == nil || !strings.Contains(err.Error(), "signal: killed") {
			t.Errorf("err = %v, want a WorkerError saying signal: killed", err)
		}
		if v, err := p.Apply("square", 9); err != nil || v != 81 {
			t.Errorf("after the kill Apply = %v, %v", v, err)
		}
	})
}

func TestQueueAndPipe(t *testing.T) {
	p := newPool(t, 2)
	t.Run("queue from a worker", func(t *testing.T) {
		q := NewQueue()
		if _, err := p.Apply("produce", q, 3); err != nil {
			t.Fatal(err)
		}
		if q.Len() != 3 {
			t.Errorf("Len() = %d, want 3", q.Len())
		}
		for i := range 3 {
			v, err := q.Get()
			if want := fmt.Sprintf("item %d", i); err != nil || v != want {
				t.Errorf("Get() = %v, %v; want %q", v, err, want)
			}
		}
		if _, err := q.GetTimeout(10 * time.Millisecond); !errors.Is(err, ErrEmpty) {
			t.Errorf("GetTimeout on empty = %v, want ErrEmpty", err)
		}
	})
	t.Run("queue to a worker", func(t *testing.T) {
		q := NewQueue()
		r := p.ApplyAsync("consumeSum", q)
		for i := 1; i <= 10; i++ {
			q.Put(i)
		}
		q.Put(-1)
		v, err := r.Get()
		if err != nil || v != 55 {
			t.Errorf("consumeSum = %v, %v", v, err)
		}
	})
	t.Run("queue between two processes", func(t *testing.T) {
		q := NewQueue()
		cons := NewProcess("consumeSum", q)
		cons.Start()
		if _, err := p.Starmap("produce", [][]any{{q, 0}}); err != nil {
			t.Fatal(err)
		}
		prod := NewProcess("exitWith", 0)
		prod.Start()
		prod.Join()
		for _, x := range []int{4, 5, 6, -1} {
			q.Put(x)
		}
		if err := cons.Join(); err != nil {
			t.Fatal(err)
		}
		if v, _ := cons.Result(); v != 15 {
			t.Errorf("consumer summed %v, want 15", v)
		}
	})
	t.Run("pipe round trip", func(t *testing.T) {
		a, b := Pipe()
		proc := NewProcess("pipeDouble", b)
		if err := proc.Start(); err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{1, 21, 100} {
			a.Send(n)
			v, err := a.Recv()
			if err != nil || v != 2*n {
				t.Errorf("Recv() = %v, %v; want %d", v, err, 2*n)
			}
		}
		a.Send(0)
		if v, _ := a.Recv(); v != "bye" {
			t.Errorf("last Recv() = %v", v)
		}
		if err := proc.Join(); err != nil {
			t.Error(err)
		}
	})
	t.Run("closed queue", func(t *testing.T) {
		q := NewQueue()
		q.Put(1)
		q.Close()
		if err := q.Put(2); !errors.Is(err, ErrClosed) {
			t.Errorf("Put after Close = %v", err)
		}
		if v, err := q.Get(); v != 1 || err != nil {
			t.Errorf("Get after Close = %v, %v; want the value put before", v, err)
		}
		if _, err := q.Get(); !errors.Is(err, ErrClosed) {
			t.Errorf("second Get after Close = %v, want ErrClosed", err)
		}
	})
}

func TestBadArguments(t *testing.T) {
	p := newPool(t, 1)
	cases := []struct {
		name string
		call func() error
		want []string
	}{
		{"channel argument", func() error { _, err := p.Apply("square", make(chan int)); return err },
			[]string{"argument 1 of square", "chan int", "cannot be sent to another process", "JSON"}},
		{"func argument in a map", func() error { _, err := p.Map("square", []any{1, func() {}}); return err },
			[]string{"item 1", "func()"}},
		{"NaN", func() error { _, err := p.Apply("norm1", nanPoint()); return err },
			[]string{"unsupported value: NaN"}},
		{"unexported field", func() error {
			type secret struct{ x int }
			_, err := p.Apply("norm1", secret{1})
			return err
		}, []string{"field x", "unexported"}},
		{"wrong argument count", func() error { _, err := p.Apply("add", 1); return err },
			[]string{"add takes 2 arguments, got 1"}},
		{"wrong argument type", func() error { _, err := p.Apply("square", "seven"); return err },
			[]string{"argument 1 of square", "cannot be decoded as int"}},
		{"result not encodable", func() error { _, err := p.Apply("notEncodableResult"); return err },
			[]string{"the result of notEncodableResult", "chan int"}},
		{"unregistered function", func() error { _, err := p.Apply(abs, 1); return err },
			[]string{"is not registered", "subprocess.Register"}},
		{"closure", func() error { _, err := p.Apply(reflect.MakeFunc(reflect.TypeOf(abs), nil).Interface(), 1); return err },
			[]string{"closures"}},
		{"unknown name", func() error { _, err := p.Apply("nosuch"); return err },
			[]string{`no function registered as "nosuch"`, "square"}},
		{"not a function", func() error { _, err := p.Apply(42); return err },
			[]string{"must be a function"}},
		{"negative pool size", func() error { _, err := NewPool(-1); return err },
			[]string{"at least one worker"}},
		{"huge pool", func() error { _, err := NewPool(100000); return err },
			[]string{"at most 64"}},
		{"queue put", func() error { return NewQueue().Put(make(chan int)) },
			[]string{"a value put on a queue", "chan int"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.call()
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	// The pool is unharmed.
	if v, err := p.Apply("square", 3); err != nil || v != 9 {
		t.Errorf("Apply after bad calls = %v, %v", v, err)
	}
}

func nanPoint() map[string]float64 {
	z := 0.0
	return map[string]float64{"X": z / z}
}

func TestInterrupt(t *testing.T) {
	p := newPool(t, 2)
	q := NewQueue()
	var recovered any
	var workerPid int
	guard(t, 15*time.Second, "an interrupted Map", func() {
		done := make(chan struct{})
		go func() {
			defer close(done)
			cell := rt.BeginCell(nil)
			defer cell.End()
			defer func() { recovered = recover() }()
			go func() {
				v, _ := q.Get() // the task has started
				workerPid = v.(int)
				cell.Interrupt()
			}()
			p.Starmap("signalThenSleep", [][]any{{q, 30 * time.Second}})
		}()
		<-done
	})
	if _, ok := recovered.(rt.Interrupted); !ok {
		t.Fatalf("Map in an interrupted cell: recovered %v, want rt.Interrupted", recovered)
	}
	if workerPid == 0 || alive(workerPid) {
		t.Errorf("the worker running the task (pid %d) is still alive", workerPid)
	}
	// The pool replaces the worker and keeps working.
	if v, err := p.Apply("square", 4); err != nil || v != 16 {
		t.Errorf("after the interrupt Apply = %v, %v", v, err)
	}
	p.Close()
	noStrays(t)
}

func TestCellFunctions(t *testing.T) {
	src := "func triple(x int) int { return 3 * x }\nfunc greet(p point) string { ... }"
	SetCellSource(func() string { return src })
	t.Cleanup(func() { SetCellSource(nil); SetFuncNamer(nil) })
	// What the interpreter hands over for a cell function: a wrapper the
	// registry has never seen (here a MakeFunc, as yaegi's are).
	triple := reflect.MakeFunc(reflect.TypeOf(func(int) int { return 0 }), func(in []reflect.Value) []reflect.Value {
		return []reflect.Value{reflect.ValueOf(3 * int(in[0].Int()))}
	}).Interface()
	tripleID := funcPtr(triple)
	SetFuncNamer(func(fn any) (string, bool) {
		if funcPtr(fn) == tripleID {
			return "triple", true
		}
		return "", false
	})
	p := newPool(t, 2)
	t.Run("by value", func(t *testing.T) {
		got, err := p.Map(triple, []int{1, 2, 3})
		if err != nil || !reflect.DeepEqual(got, []any{3, 6, 9}) {
			t.Errorf("Map(triple) = %v, %v", got, err)
		}
	})
	t.Run("by name", func(t *testing.T) {
		v, err := p.Apply("greet", point{1, 2})
		if err != nil || v != "hello (1,2)" {
			t.Errorf("Apply(greet) = %v, %v", v, err)
		}
	})
	t.Run("NameFunc", func(t *testing.T) {
		other := reflect.MakeFunc(reflect.TypeOf(func(int) int { return 0 }), nil).Interface()
		NameFunc(other, "triple")
		v, err := p.Apply(other, 5)
		if err != nil || v != 15 {
			t.Errorf("Apply(NameFunc'd) = %v, %v", v, err)
		}
	})
	t.Run("Process", func(t *testing.T) {
		pr := NewProcess(triple, 7)
		pr.Start()
		if err := pr.Join(); err != nil {
			t.Fatal(err)
		}
		if v, _ := pr.Result(); v != 21 {
			t.Errorf("Result() = %v", v)
		}
	})
	t.Run("source changes reach the workers", func(t *testing.T) {
		src += "\n// v2"
		got, err := p.Map(triple, []int{1, 2, 3, 4})
		if err != nil || !reflect.DeepEqual(got, []any{4, 7, 10, 13}) {
			t.Errorf("after a redefinition Map = %v, %v", got, err)
		}
	})
	t.Run("bad source", func(t *testing.T) {
		src = "syntax error"
		_, err := p.Apply(triple, 1)
		if err == nil || !strings.Contains(err.Error(), "could not load the notebook's declarations") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("unknown cell function", func(t *testing.T) {
		src = "func triple(x int) int { return 3 * x }"
		_, err := p.Apply("nosuch", 1)
		if err == nil || !strings.Contains(err.Error(), "undefined: nosuch") {
			t.Errorf("err = %v", err)
		}
	})
}

func TestNoStrays(t *testing.T) {
	for _, c := range []struct {
		name string
		stop func(*Pool)
	}{
		{"Close", func(p *Pool) { p.Close() }},
		{"Terminate", func(p *Pool) { p.Terminate() }},
		{"Shutdown", func(p *Pool) { Shutdown(); p.Terminate() }},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := NewPool(2)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.Map("square", []int{1, 2, 3}); err != nil {
				t.Fatal(err)
			}
			r := p.ApplyAsync("exitWith", 0) // a worker dies and is replaced
			r.Get()
			pids := p.Pids()
			guard(t, 10*time.Second, c.name, func() { c.stop(p) })
			for _, pid := range pids {
				if alive(pid) {
					t.Errorf("worker %d alive after %s", pid, c.name)
				}
			}
			noStrays(t)
			if _, err := p.Apply("square", 1); !errors.Is(err, ErrPoolClosed) {
				t.Errorf("Apply after %s = %v, want ErrPoolClosed", c.name, err)
			}
		})
	}
	t.Run("parent dies", func(t *testing.T) {
		// A worker whose parent goes away exits: its pipe from the parent
		// ends. Here the "parent" end is closed by hand.
		w, err := spawn("orphan", nil)
		if err != nil {
			t.Fatal(err)
		}
		<-w.ready
		w.l.bw.Flush()
		w.cmd.ExtraFiles = nil
		closeParentEnd(w)
		guard(t, 10*time.Second, "the orphan's exit", func() { <-w.dead })
		if code, _ := w.exitCode(); code != 0 {
			t.Errorf("orphan exit code %d, want 0 (a clean exit on end of file)", code)
		}
	})
}

func closeParentEnd(w *worker) { w.pw.Close() }
