//go:build linux || darwin

package worker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gokernel/gokernel/kernel/mime"
)

// The test binary is also the child: with envChild set, TestMain serves a
// fake evaluator instead of running the tests (the os/exec self re-exec
// trick).
const envChild = "WORKER_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(envChild) == "1" {
		var ev Evaluator = fake{}
		if os.Getenv(envAbandoner) == "1" {
			ev = &abandoner{}
		}
		err := Serve(ev)
		EndDescendants()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// fake runs cells written in a tiny command language, one command a line.
type fake struct{}

var (
	held        [][]byte
	unstick     = make(chan struct{})
	releaseLate = make(chan struct{})
	lateDone    = make(chan struct{})
)

func (fake) Execute(ctx context.Context, code string, out mime.Publisher) (mime.Bundle, error) {
	var result mime.Bundle
	for _, line := range strings.Split(code, "\n") {
		cmd, arg, _ := strings.Cut(line, " ")
		switch cmd {
		case "":
		case "print": // through fd 1
			fmt.Println(arg)
		case "write":
			os.Stdout.Write([]byte(arg))
		case "stderr":
			fmt.Fprintln(os.Stderr, arg)
		case "sh": // a child process writing to the inherited fd 1
			c := exec.Command("sh", "-c", arg)
			c.Stdout, c.Stderr = os.Stdout, os.Stderr
			if err := c.Run(); err != nil {
				return result, err
			}
		case "stream":
			out.Stream("stdout", arg+"\n")
		case "display":
			out.Display(mime.TextBundle(arg), "")
		case "update":
			id, text, _ := strings.Cut(arg, " ")
			out.Update(mime.TextBundle(text), id)
		case "clear":
			out.Clear(arg == "wait")
		case "lines":
			n, _ := strconv.Atoi(arg)
			for i := 0; i < n; i++ {
				fmt.Println("line", i)
			}
		case "input":
			s, err := out.Input(arg, false)
			if err != nil {
				return result, err
			}
			fmt.Println("got:", s)
		case "value":
			result = mime.TextBundle(arg)
		case "nan": // a bundle JSON cannot carry
			result = mime.Bundle{Data: map[string]any{mime.Text: "x", "application/json": []float64{0 / zero()}}}
		case "error":
			name, msg, _ := strings.Cut(arg, " ")
			return result, &tbError{name, msg}
		case "plainerror":
			return result, errors.New(arg)
		case "panic": // in the cell's goroutine: Serve recovers it
			panic(arg)
		case "gopanic": // in a goroutine of its own: kills the process
			go panic(arg)
			select {}
		case "concurrentmap":
			m := map[int]int{}
			for i := 0; i < 4; i++ {
				go func() {
					for j := 0; ; j++ {
						m[j%100] = j
					}
				}()
			}
			select {}
		case "goroutines": // parked goroutines, to make a crash report large
			n, _ := strconv.Atoi(arg)
			for i := 0; i < n; i++ {
				go func() { <-ctx.Done(); select {} }()
			}
		case "unlock": // another unrecoverable runtime error
			var mu sync.Mutex
			mu.Unlock()
		case "exit":
			n, _ := strconv.Atoi(arg)
			os.Exit(n)
		case "kill":
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {}
		case "garbage": // bytes on the frame pipe that are no frame
			os.NewFile(uintptr(movedFDs[fdOut]), "").Write([]byte("garbage!"))
			select {}
		case "badjson":
			os.NewFile(uintptr(movedFDs[fdOut]), "").Write([]byte("\x00\x00\x00\x05hello"))
			select {}
		case "truncated":
			os.NewFile(uintptr(movedFDs[fdOut]), "").Write([]byte("\x00\x00\x01\x00{\"op\":"))
			select {}
		case "loop": // interruptible
			<-ctx.Done()
			return result, &tbError{"Interrupted", "interrupted"}
		case "stuck": // not interruptible
			time.Sleep(time.Hour)
		case "stuckuntil": // not interruptible, until a later cell runs unstick
			<-unstick
		case "unstick":
			close(unstick)
		case "later": // a goroutine that outlives the cell
			go func() {
				<-releaseLate
				out.Stream("stdout", arg+" (publisher)\n")
				fmt.Println(arg + " (fd 1)")
				close(lateDone)
			}()
		case "release":
			close(releaseLate)
			<-lateDone
		case "close": // a descriptor number, as a careless cell would
			n, _ := strconv.Atoi(arg)
			syscall.Close(n)
		case "closestdout":
			os.Stdout.Close()
		case "closeproto": // where Serve moved fd 3, 4, 5 or 6
			n, _ := strconv.Atoi(arg)
			syscall.Close(movedFDs[n])
		case "bgcloseproto": // the same from a goroutine, after the cell
			n, _ := strconv.Atoi(arg)
			go func() {
				time.Sleep(50 * time.Millisecond)
				syscall.Close(movedFDs[n])
			}()
		case "big": // a value of this many bytes
			n, _ := strconv.Atoi(arg)
			result = mime.TextBundle(strings.Repeat("x", n))
		case "alloc": // grows until interrupted, a mebibyte a millisecond at most
			// (flat out it can outrun the watchdog's interrupt on a machine
			// busy with other tests and reach the hard stop, which
			// allochuge and allocheld test)
			var keep [][]byte
			for ctx.Err() == nil {
				keep = append(keep, make([]byte, 1<<20))
				time.Sleep(time.Millisecond)
			}
			runtime.KeepAlive(keep)
			return result, &tbError{"Interrupted", "interrupted"}
		case "allochuge": // one allocation of this many MiB, held where no interrupt reaches
			n, _ := strconv.Atoi(arg)
			b := make([]byte, n<<20)
			time.Sleep(time.Hour)
			runtime.KeepAlive(b)
		case "allocheld": // one allocation of this many MiB, kept after the cell
			n, _ := strconv.Atoi(arg)
			held = append(held, make([]byte, n<<20))
		case "pid":
			result = mime.TextBundle(strconv.Itoa(os.Getpid()))
		default:
			return result, fmt.Errorf("fake: unknown command %q", cmd)
		}
	}
	return result, nil
}

func zero() float64 { return 0 }

// envAbandoner makes the child serve an abandoner instead of fake.
const envAbandoner = "WORKER_TEST_ABANDONER"

// abandoner is fake with the contract of interp.Session's Abandon and
// Stuck: an abandoned cell runs on in its own goroutine while Execute
// returns at once.
type abandoner struct {
	fake
	mu      sync.Mutex
	running chan struct{} // closed by Abandon; nil when no cell runs
	stuck   sync.WaitGroup
	nstuck  atomic.Int32
}

func (a *abandoner) Execute(ctx context.Context, code string, out mime.Publisher) (mime.Bundle, error) {
	type result struct {
		b   mime.Bundle
		err error
	}
	done := make(chan result, 1)
	abandon := make(chan struct{})
	a.mu.Lock()
	a.running = abandon
	a.mu.Unlock()
	defer func() {
		a.mu.Lock()
		if a.running == abandon {
			a.running = nil
		}
		a.mu.Unlock()
	}()
	go func() {
		b, err := a.fake.Execute(ctx, code, out)
		done <- result{b, err}
	}()
	select {
	case r := <-done:
		return r.b, r.err
	case <-abandon:
		a.nstuck.Add(1)
		go func() { <-done; a.nstuck.Add(-1) }()
		return mime.Bundle{}, &tbError{"Interrupted", "the cell is stuck"}
	}
}

func (a *abandoner) Abandon() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.running == nil {
		return false
	}
	close(a.running)
	a.running = nil
	return true
}

func (a *abandoner) Stuck() int { return int(a.nstuck.Load()) }

func (fake) Complete(code string, cursor int) ([]mime.Completion, int, int) {
	if code == "panic" {
		panic("complete")
	}
	return []mime.Completion{{Text: code + "x", Type: "function"}}, cursor - 1, cursor
}

func (fake) Inspect(code string, cursor int, detail int) (mime.Bundle, bool) {
	return mime.TextBundle(fmt.Sprintf("doc of %s at %d/%d", code, cursor, detail)), true
}

func (fake) IsComplete(code string) (string, string) {
	if strings.HasSuffix(code, "{") {
		return "incomplete", "\t"
	}
	return "complete", ""
}

type tbError struct{ name, msg string }

func (e *tbError) Error() string       { return e.msg }
func (e *tbError) Name() string        { return e.name }
func (e *tbError) Traceback() []string { return []string{e.name + ": " + e.msg, "  at line 1"} }

// newClient starts a Client whose child is this test binary.
func newClient(t testing.TB, opts Options) *Client {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	opts.Command = []string{exe, "-test.run=^$"}
	opts.Env = append(append(os.Environ(), opts.Env...), envChild+"=1") // opts.Env: extra variables
	c := New(opts)
	t.Cleanup(func() { c.Close() })
	return c
}

func run(t *testing.T, c *Client, code string) (*mime.Recorder, mime.Bundle, error) {
	t.Helper()
	rec := &mime.Recorder{}
	b, err := c.Execute(context.Background(), code, rec)
	return rec, b, err
}

func text(b mime.Bundle) string { s, _ := b.Data[mime.Text].(string); return s }

func TestCalls(t *testing.T) {
	c := newClient(t, Options{})
	t.Run("value", func(t *testing.T) {
		_, b, err := run(t, c, "value 42")
		if err != nil || text(b) != "42" {
			t.Fatalf("got %v, %v; want 42", b, err)
		}
	})
	t.Run("no value", func(t *testing.T) {
		_, b, err := run(t, c, "print x")
		if err != nil || !b.IsZero() {
			t.Fatalf("got %v, %v; want a zero bundle", b, err)
		}
	})
	t.Run("error with name and traceback", func(t *testing.T) {
		_, _, err := run(t, c, "error CompileError 1:5: undefined: x")
		var tb interface {
			Name() string
			Traceback() []string
		}
		if !errors.As(err, &tb) || tb.Name() != "CompileError" || err.Error() != "1:5: undefined: x" ||
			strings.Join(tb.Traceback(), "|") != "CompileError: 1:5: undefined: x|  at line 1" {
			t.Fatalf("got %#v", err)
		}
	})
	t.Run("plain error", func(t *testing.T) {
		_, _, err := run(t, c, "plainerror boom")
		var tb interface{ Name() string }
		if err == nil || err.Error() != "boom" || errors.As(err, &tb) {
			t.Fatalf("got %#v, want a plain error", err)
		}
	})
	t.Run("panic in Execute", func(t *testing.T) {
		_, _, err := run(t, c, "panic oops")
		var e *Error
		if !errors.As(err, &e) || e.Kind != "panic" || !strings.Contains(e.Msg, "oops") {
			t.Fatalf("got %#v", err)
		}
	})
	t.Run("value JSON cannot carry", func(t *testing.T) {
		_, _, err := run(t, c, "nan")
		if err == nil || !strings.Contains(err.Error(), "could not be sent") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("complete", func(t *testing.T) {
		m, start, end := c.Complete("fm", 2)
		if len(m) != 1 || m[0].Text != "fmx" || m[0].Type != "function" || start != 1 || end != 2 {
			t.Fatalf("got %v %d %d", m, start, end)
		}
	})
	t.Run("complete panics", func(t *testing.T) {
		m, start, end := c.Complete("panic", 5)
		if len(m) != 0 || start != 5 || end != 5 {
			t.Fatalf("got %v %d %d", m, start, end)
		}
	})
	t.Run("inspect", func(t *testing.T) {
		b, ok := c.Inspect("fmt.Println", 4, 1)
		if !ok || text(b) != "doc of fmt.Println at 4/1" {
			t.Fatalf("got %v %v", b, ok)
		}
	})
	for _, tc := range []struct{ code, status, indent string }{
		{"func f() {", "incomplete", "\t"},
		{"x := 1", "complete", ""},
	} {
		t.Run("is_complete "+tc.code, func(t *testing.T) {
			s, i := c.IsComplete(tc.code)
			if s != tc.status || i != tc.indent {
				t.Fatalf("got %q %q", s, i)
			}
		})
	}
	t.Run("publisher calls", func(t *testing.T) {
		rec, _, err := run(t, c, "display a\nupdate d1 b\nclear wait\nclear")
		if err != nil {
			t.Fatal(err)
		}
		got := fmt.Sprint(rec.Outputs())
		want := fmt.Sprint([]mime.Output{
			{Kind: "display", Bundle: mime.TextBundle("a")},
			{Kind: "update", Bundle: mime.TextBundle("b"), ID: "d1"},
			{Kind: "clear", Wait: true},
			{Kind: "clear"},
		})
		if got != want {
			t.Fatalf("got  %s\nwant %s", got, want)
		}
	})
}

func TestOutputCaught(t *testing.T) {
	c := newClient(t, Options{})
	for _, tc := range []struct{ name, code, stdout, stderr string }{
		{"fmt.Println", "print hi", "hi\n", ""},
		{"os.Stdout.Write", "write hi", "hi", ""},
		{"stderr", "stderr oops", "", "oops\n"},
		{"child process", "sh echo hi; echo err >&2", "hi\n", "err\n"},
		{"publisher", "stream hi", "hi\n", ""},
		{"utf-8", "write héllo, 世界", "héllo, 世界", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, _, err := run(t, c, tc.code)
			if err != nil {
				t.Fatal(err)
			}
			if rec.Stdout() != tc.stdout || rec.Stderr() != tc.stderr {
				t.Fatalf("stdout %q stderr %q; want %q %q", rec.Stdout(), rec.Stderr(), tc.stdout, tc.stderr)
			}
		})
	}
}

func TestOrder(t *testing.T) {
	c := newClient(t, Options{})
	rec, _, err := run(t, c, "print a\ndisplay b\nwrite c\nstream d\nsh echo e\ndisplay f\nprint g")
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(rec.Outputs())
	want := fmt.Sprint([]mime.Output{
		{Kind: "stream", Name: "stdout", Text: "a\n"},
		{Kind: "display", Bundle: mime.TextBundle("b")},
		{Kind: "stream", Name: "stdout", Text: "cd\ne\n"},
		{Kind: "display", Bundle: mime.TextBundle("f")},
		{Kind: "stream", Name: "stdout", Text: "g\n"},
	})
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

// counter counts Stream calls on top of a Recorder.
type counter struct {
	mime.Recorder
	mu      sync.Mutex
	streams int
}

func (c *counter) Stream(name, text string) {
	c.mu.Lock()
	c.streams++
	c.mu.Unlock()
	c.Recorder.Stream(name, text)
}

func TestManyLines(t *testing.T) {
	c := newClient(t, Options{})
	const n = 100000
	out := &counter{}
	if _, err := c.Execute(context.Background(), "lines "+strconv.Itoa(n), out); err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintln(&want, "line", i)
	}
	if got := out.Stdout(); got != want.String() {
		t.Fatalf("got %d bytes, want %d", len(got), want.Len())
	}
	t.Logf("%d lines in %d Stream calls", n, out.streams)
	if out.streams > n/100 {
		t.Fatalf("%d lines took %d Stream calls; want batching", n, out.streams)
	}
}

func TestInput(t *testing.T) {
	c := newClient(t, Options{})
	t.Run("answered", func(t *testing.T) {
		rec := &mime.Recorder{Inputs: []string{"42"}}
		if _, err := c.Execute(context.Background(), "input name? ", rec); err != nil {
			t.Fatal(err)
		}
		if rec.Stdout() != "got: 42\n" || len(rec.Prompts) != 1 || rec.Prompts[0] != "name? " {
			t.Fatalf("stdout %q prompts %q", rec.Stdout(), rec.Prompts)
		}
	})
	t.Run("not allowed", func(t *testing.T) {
		_, _, err := run(t, c, "input name? ")
		if !errors.Is(err, mime.ErrNoStdin) {
			t.Fatalf("got %v, want ErrNoStdin", err)
		}
	})
}

func TestChildDies(t *testing.T) {
	c := newClient(t, Options{})
	for _, tc := range []struct{ name, code, want string }{
		{"concurrent map writes", "print before\nconcurrentmap", "fatal error: concurrent map writes"},
		{"unlock of unlocked mutex", "unlock", "fatal error: sync: unlock of unlocked mutex"},
		{"panic in a goroutine", "gopanic boom", "panic: boom"},
		{"os.Exit", "stderr bye\nexit 2", "exit status 2"},
		{"SIGKILL", "kill", "signal: killed"},
		{"garbage on the frame pipe", "garbage", "malformed frame"},
		{"bad JSON frame", "badjson", "bad frame JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, before, _ := run(t, c, "pid")
			rec, _, err := run(t, c, tc.code)
			var e *Error
			if !errors.As(err, &e) || e.Kind != KernelDied {
				t.Fatalf("got %#v, want a KernelDied *Error", err)
			}
			if !strings.Contains(e.Msg, tc.want) || !strings.Contains(e.Msg, "is lost") {
				t.Fatalf("message %q does not contain %q", e.Msg, tc.want)
			}
			if strings.Contains(tc.code, "print before") && !strings.Contains(rec.Stdout(), "before") {
				t.Fatalf("output before the crash lost: %q", rec.Stdout())
			}
			_, after, err := run(t, c, "pid")
			if err != nil || text(after) == "" || text(after) == text(before) {
				t.Fatalf("next cell: %v %v (pid before %v)", after, err, before)
			}
		})
	}
}

// A crash report larger than the stderr pipe must not block the dying
// process: the parent empties the pipes once the runtime starts it.
func TestLargeCrashReport(t *testing.T) {
	c := newClient(t, Options{Env: []string{"GOTRACEBACK=all"}}) // every goroutine in the report
	rec, _, err := run(t, c, "goroutines 10000\nconcurrentmap")
	var e *Error
	if !errors.As(err, &e) || e.Kind != KernelDied || !strings.Contains(e.Msg, "fatal error: concurrent map writes") {
		t.Fatalf("got %v", err)
	}
	if n := len(rec.Stderr()); n < 16<<10 {
		t.Fatalf("stderr stream has %d bytes; want the crash report (clipped at 16 KiB)", n)
	}
}

func TestTruncatedFrame(t *testing.T) {
	defer func(d time.Duration) { bodyTimeout = d }(bodyTimeout)
	bodyTimeout = 200 * time.Millisecond
	c := newClient(t, Options{})
	_, _, err := run(t, c, "truncated")
	if err == nil || !strings.Contains(err.Error(), "did not arrive") {
		t.Fatalf("got %v", err)
	}
	if _, b, err := run(t, c, "value ok"); err != nil || text(b) != "ok" {
		t.Fatalf("next cell: %v %v", b, err)
	}
}

func TestDiesWhileIdle(t *testing.T) {
	c := newClient(t, Options{})
	rec, _, err := run(t, c, "later x")
	if err != nil {
		t.Fatal(err)
	}
	pid := c.PID()
	syscall.Kill(pid, syscall.SIGKILL)
	for c.PID() == pid { // the restart is immediate; wait for it
		runtime.Gosched()
		time.Sleep(time.Millisecond)
	}
	if !strings.Contains(rec.Stderr(), "died (signal: killed") {
		t.Fatalf("last cell's stderr %q", rec.Stderr())
	}
	rec2, b, err := run(t, c, "value ok")
	if err != nil || text(b) != "ok" || !strings.Contains(rec2.Stderr(), "is lost") {
		t.Fatalf("next cell: %v %v stderr %q", b, err, rec2.Stderr())
	}
}

func TestInterrupt(t *testing.T) {
	c := newClient(t, Options{})
	_, before, _ := run(t, c, "pid")
	ctx, cancel := context.WithCancel(context.Background())
	rec := &mime.Recorder{}
	done := make(chan error)
	go func() {
		_, err := c.Execute(ctx, "print started\nloop", rec)
		done <- err
	}()
	waitFor(t, func() bool { return rec.Stdout() != "" })
	cancel()
	err := <-done
	var tb interface{ Name() string }
	if !errors.As(err, &tb) || tb.Name() != "Interrupted" {
		t.Fatalf("got %v", err)
	}
	if _, after, err := run(t, c, "pid"); err != nil || text(after) != text(before) {
		t.Fatalf("state lost: pid %v then %v (%v)", before, after, err)
	}
}

// TestInterruptPolicy follows the policy of the package doc, with a child
// whose Evaluator abandons cells itself (as interp.Session does) and with
// one that does not (Serve then answers the abandoned cell).
func TestInterruptPolicy(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  []string
	}{
		{"Abandoner", []string{envAbandoner + "=1"}},
		{"Serve abandons", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Run("stuck, then interrupt another cell", func(t *testing.T) {
				c := newClient(t, Options{Grace: 50 * time.Millisecond, Env: tc.env})
				_, pid1, _ := run(t, c, "pid")
				err := interruptAfterStart(t, c, "print started\nstuck")
				if !isKind(err, "Interrupted") || !strings.Contains(err.Error(), "keeps running in the background") ||
					!strings.Contains(err.Error(), "restarts the Go interpreter") {
					t.Fatalf("abandoned cell: %v", err)
				}
				// The next cell runs normally, in the same interpreter.
				if _, pid2, err := run(t, c, "pid"); err != nil || text(pid2) != text(pid1) {
					t.Fatalf("after abandon: pid %v then %v (%v)", text(pid1), text(pid2), err)
				}
				// An interrupt while it still runs restarts the interpreter,
				// even for a cell an interrupt could stop.
				err = interruptAfterStart(t, c, "print started\nloop")
				if !isKind(err, InterpreterRestarted) || !strings.Contains(err.Error(), "is lost") {
					t.Fatalf("second interrupt: %v", err)
				}
				if _, pid3, err := run(t, c, "pid"); err != nil || text(pid3) == text(pid1) {
					t.Fatalf("after restart: pid %v then %v (%v)", text(pid1), text(pid3), err)
				}
			})
			t.Run("interrupt while idle", func(t *testing.T) {
				c := newClient(t, Options{Grace: 50 * time.Millisecond, Env: tc.env})
				_, pid1, _ := run(t, c, "pid")
				if err := interruptAfterStart(t, c, "print started\nstuck"); !isKind(err, "Interrupted") {
					t.Fatalf("abandoned cell: %v", err)
				}
				waitFor(t, func() bool { w := c.w; return w != nil && w.stuck.Load() > 0 })
				c.Interrupt() // no cell runs
				rec, pid2, err := run(t, c, "pid")
				if err != nil || text(pid2) == text(pid1) || !strings.Contains(rec.Stderr(), "restarted the Go interpreter") {
					t.Fatalf("next cell: pid %v then %v (%v), stderr %q", text(pid1), text(pid2), err, rec.Stderr())
				}
			})
			t.Run("abandoned cell ends", func(t *testing.T) {
				c := newClient(t, Options{Grace: 50 * time.Millisecond, Env: tc.env})
				_, pid1, _ := run(t, c, "pid")
				if err := interruptAfterStart(t, c, "print started\nstuckuntil"); !isKind(err, "Interrupted") {
					t.Fatalf("abandoned cell: %v", err)
				}
				if _, _, err := run(t, c, "unstick"); err != nil {
					t.Fatal(err)
				}
				c.mu.Lock()
				w := c.w
				c.mu.Unlock()
				waitFor(t, func() bool { return w.stuck.Load() == 0 })
				// Nothing is stuck any more: an interrupt is an interrupt.
				err := interruptAfterStart(t, c, "print started\nloop")
				if !isKind(err, "Interrupted") || strings.Contains(err.Error(), "did not stop") {
					t.Fatalf("interrupt: %v", err)
				}
				if _, pid2, err := run(t, c, "pid"); err != nil || text(pid2) != text(pid1) {
					t.Fatalf("state lost: pid %v then %v (%v)", text(pid1), text(pid2), err)
				}
			})
		})
	}
}

// interruptAfterStart runs code (which prints first), interrupts it as the
// kernel does (cancel the context, then Interrupt) once it printed, and
// returns Execute's error.
func interruptAfterStart(t *testing.T, c *Client, code string) error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rec := &mime.Recorder{}
	done := make(chan error, 1)
	go func() {
		_, err := c.Execute(ctx, code, rec)
		done <- err
	}()
	waitFor(t, func() bool { return rec.Stdout() != "" })
	cancel()
	c.Interrupt()
	select {
	case err := <-done:
		return err
	case <-time.After(20 * time.Second): // a hang guard
		t.Fatal("Execute did not return after the interrupt")
		return nil
	}
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func isKind(err error, kind string) bool {
	var n interface{ Name() string }
	return errors.As(err, &n) && n.Name() == kind
}

func TestLateOutput(t *testing.T) {
	for _, tc := range []struct {
		name string
		keep int
		// where the goroutine's Publisher output lands: cell 1 or 2
		publisherCell int
	}{
		{"latest cell", 0, 2},
		{"its own cell", 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, Options{KeepPublishers: tc.keep})
			rec1, _, err := run(t, c, "later x")
			if err != nil {
				t.Fatal(err)
			}
			rec2, _, err := run(t, c, "release")
			if err != nil {
				t.Fatal(err)
			}
			recs := map[int]*mime.Recorder{1: rec1, 2: rec2}
			if got := recs[tc.publisherCell].Stdout(); !strings.Contains(got, "x (publisher)") {
				t.Fatalf("cell %d stdout %q; cell 1 %q, cell 2 %q", tc.publisherCell, got, rec1.Stdout(), rec2.Stdout())
			}
			// fd 1 carries no tag: the running cell gets it.
			if !strings.Contains(rec2.Stdout(), "x (fd 1)") {
				t.Fatalf("cell 2 stdout %q", rec2.Stdout())
			}
		})
	}
}

func TestClose(t *testing.T) {
	before := runtime.NumGoroutine()
	c := newClient(t, Options{})
	rec, _, err := run(t, c, "sh sleep 30 & echo $!") // a grandchild too
	if err != nil {
		t.Fatal(err)
	}
	grandchild, _ := strconv.Atoi(strings.TrimSpace(rec.Stdout()))
	pid := c.PID()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	// Reaped: the pid no longer exists (a zombie would still answer kill 0).
	if err := syscall.Kill(pid, 0); err != syscall.ESRCH {
		t.Fatalf("kill(%d, 0) = %v, want ESRCH", pid, err)
	}
	// The grandchild was killed with the process group (init reaps it).
	waitFor(t, func() bool { return !alive(grandchild) })
	if _, err := c.Execute(context.Background(), "value x", &mime.Recorder{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Execute after Close: %v", err)
	}
	waitFor(t, func() bool { return runtime.NumGoroutine() <= before })
}

// TestNoProcessLeft starts processes from a cell, one in the child's
// process group and one in a session of its own, then ends the child in
// each way the Client can, and checks that none of them is left.
func TestNoProcessLeft(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("processes that leave the process group are found on Linux only")
	}
	start := func(t *testing.T, c *Client) []int {
		t.Helper()
		rec, _, err := run(t, c, "sh sleep 300 & echo $!; setsid sleep 300 & echo $!")
		if err != nil {
			t.Fatal(err)
		}
		var pids []int
		for _, f := range strings.Fields(rec.Stdout()) {
			pid, err := strconv.Atoi(f)
			if err != nil {
				t.Fatalf("stdout %q", rec.Stdout())
			}
			pids = append(pids, pid)
		}
		waitFor(t, func() bool { return alive(pids[0]) && alive(pids[1]) })
		return pids
	}
	gone := func(t *testing.T, pids []int) {
		t.Helper()
		waitFor(t, func() bool { return !alive(pids[0]) && !alive(pids[1]) })
	}
	t.Run("Close", func(t *testing.T) {
		c := newClient(t, Options{})
		pids := start(t, c)
		c.Close()
		gone(t, pids)
	})
	t.Run("Close with a stuck cell", func(t *testing.T) {
		c := newClient(t, Options{})
		pids := start(t, c)
		go c.Execute(context.Background(), "stuck", &mime.Recorder{})
		waitFor(t, func() bool { c.mu.Lock(); defer c.mu.Unlock(); return c.running != nil })
		c.Close()
		gone(t, pids)
	})
	t.Run("restart", func(t *testing.T) {
		c := newClient(t, Options{Grace: 50 * time.Millisecond})
		pids := start(t, c)
		if err := interruptAfterStart(t, c, "print started\nstuck"); !isKind(err, "Interrupted") {
			t.Fatal(err)
		}
		if err := interruptAfterStart(t, c, "print started\nloop"); !isKind(err, InterpreterRestarted) {
			t.Fatal(err)
		}
		gone(t, pids)
	})
	t.Run("the kernel dies", func(t *testing.T) {
		// The child sees its pipe close, as when the kernel is killed.
		c := newClient(t, Options{})
		pids := start(t, c)
		pid := c.PID()
		c.mu.Lock()
		c.w.toChild.Close()
		c.mu.Unlock()
		gone(t, pids)
		waitFor(t, func() bool { return !alive(pid) })
	})
}

// TestClosedFDs closes the child's descriptors as a careless cell would.
func TestClosedFDs(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("descriptor tests need Linux")
	}
	// Small numbers are harmless: Serve moved its pipes away from them.
	t.Run("fd 3 to 6", func(t *testing.T) {
		c := newClient(t, Options{})
		_, pid1, _ := run(t, c, "pid")
		for fd := 3; fd <= 6; fd++ {
			if _, _, err := run(t, c, fmt.Sprintf("close %d", fd)); err != nil {
				t.Fatalf("close %d: %v", fd, err)
			}
		}
		rec, pid2, err := run(t, c, "print still here\npid")
		if err != nil || text(pid2) != text(pid1) || rec.Stdout() != "still here\n" {
			t.Fatalf("after: pid %v then %v (%v), stdout %q", text(pid1), text(pid2), err, rec.Stdout())
		}
	})
	// fd 1 and 2 are reopened, and the cell is told.
	for _, code := range []string{"close 1", "closestdout", "close 2"} {
		t.Run(code, func(t *testing.T) {
			c := newClient(t, Options{})
			_, pid1, _ := run(t, c, "pid")
			rec, _, err := run(t, c, code)
			if err != nil || !strings.Contains(rec.Stderr(), "it was reopened") {
				t.Fatalf("%v, stderr %q", err, rec.Stderr())
			}
			rec, pid2, err := run(t, c, "print out\nstderr err\npid")
			if err != nil || text(pid2) != text(pid1) || rec.Stdout() != "out\n" || rec.Stderr() != "err\n" {
				t.Fatalf("after: pid %v then %v (%v), stdout %q, stderr %q", text(pid1), text(pid2), err, rec.Stdout(), rec.Stderr())
			}
		})
	}
	// The pipes themselves: the child is restarted, and the error says why.
	for _, tc := range []struct{ code, want string }{
		{"closeproto 3", "lost its pipe from the kernel (fd "},
		{"closeproto 4", "lost its pipe to the kernel (fd "},
		{"closeproto 5", "lost the read end of its stdout pipe (fd "},
		{"closeproto 6", "lost the read end of its stderr pipe (fd "},
	} {
		t.Run(tc.code, func(t *testing.T) {
			c := newClient(t, Options{})
			_, pid1, _ := run(t, c, "pid")
			_, _, err := run(t, c, tc.code)
			if !isKind(err, KernelDied) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "restarted") {
				t.Fatalf("got %v", err)
			}
			rec, pid2, err := run(t, c, "print ok\npid")
			if err != nil || text(pid2) == text(pid1) || rec.Stdout() != "ok\n" {
				t.Fatalf("after: pid %v then %v (%v), stdout %q", text(pid1), text(pid2), err, rec.Stdout())
			}
		})
	}
	t.Run("fd 4 closed by a goroutine", func(t *testing.T) {
		c := newClient(t, Options{})
		_, pid1, _ := run(t, c, "pid")
		if _, _, err := run(t, c, "bgcloseproto 4"); err != nil {
			t.Fatal(err)
		}
		// The Client sees the pipe end while the child lives on, restarts
		// it, and tells the next cell. (Wait for the successor, not for the
		// old child to die: a zombie not yet reaped is not alive, but the
		// Client has not finished with it.)
		waitFor(t, func() bool { return !alive(mustAtoi(t, text(pid1))) })
		waitFor(t, func() bool { p := c.PID(); return p != 0 && strconv.Itoa(p) != text(pid1) })
		rec, pid2, err := run(t, c, "pid")
		if err != nil || text(pid2) == text(pid1) || !strings.Contains(rec.Stderr(), "lost its pipe to the kernel") ||
			strings.Contains(rec.Stderr(), "out of memory") {
			t.Fatalf("after: pid %v then %v (%v), stderr %q", text(pid1), text(pid2), err, rec.Stderr())
		}
	})
	t.Run("closed by a goroutine", func(t *testing.T) {
		c := newClient(t, Options{})
		_, pid1, _ := run(t, c, "pid")
		if _, _, err := run(t, c, "bgcloseproto 3"); err != nil {
			t.Fatal(err)
		}
		// Wait until the goroutine closed it (fdIn was moved to highFD).
		waitFor(t, func() bool {
			_, err := os.Readlink(fmt.Sprintf("/proc/%s/fd/%d", text(pid1), highFD))
			return err != nil
		})
		// The cell never reached that child: it runs in the next one,
		// after a note that says what happened.
		rec, pid2, err := run(t, c, "pid")
		if err != nil || text(pid2) == text(pid1) || !strings.Contains(rec.Stderr(), "lost its pipe from the kernel") {
			t.Fatalf("after: pid %v then %v (%v), stderr %q", text(pid1), text(pid2), err, rec.Stderr())
		}
	})
}

// TestFrameLimit: above the limit between kernel and interpreter, the
// error names it and says what to do, and the interpreter stays. (Frames
// of 70 MiB, above the old limit, are tested in large_test.go.)
func TestFrameLimit(t *testing.T) {
	c := newClient(t, Options{})
	_, pid1, _ := run(t, c, "pid")
	defer func(old int) { maxSend = old }(maxSend)
	maxSend = 1 << 20
	_, _, err := run(t, c, "value ok\n"+strings.Repeat(" ", 2<<20))
	if !isKind(err, "CellTooLarge") || !strings.Contains(err.Error(), "more than the 1 MiB limit") ||
		!strings.Contains(err.Error(), "Split it") {
		t.Fatalf("too large a cell: %v", err)
	}
	if _, pid2, err := run(t, c, "pid"); err != nil || text(pid2) != text(pid1) {
		t.Fatalf("after: pid %v then %v (%v)", text(pid1), text(pid2), err)
	}
	e := &tooLargeError{opResult, 1536 << 20}
	if !errors.Is(e, errTooLarge) || !strings.Contains(e.Error(), "value is 1.5 GiB as JSON, more than the 1 MiB limit") {
		t.Fatalf("result error: %v", e)
	}
}

func TestMemoryLimit(t *testing.T) {
	env := []string{EnvMemoryLimit + "=64MiB"}
	t.Run("a cell is stopped", func(t *testing.T) {
		c := newClient(t, Options{Env: env})
		_, pid1, _ := run(t, c, "pid")
		_, _, err := run(t, c, "alloc")
		if !isKind(err, "MemoryLimit") || !strings.Contains(err.Error(), "more than the 64 MiB memory limit") ||
			!strings.Contains(err.Error(), "is kept") {
			t.Fatalf("got %v", err)
		}
		if _, pid2, err := run(t, c, "pid"); err != nil || text(pid2) != text(pid1) {
			t.Fatalf("after: pid %v then %v (%v)", text(pid1), text(pid2), err)
		}
	})
	t.Run("the interpreter is ended", func(t *testing.T) {
		c := newClient(t, Options{Env: env})
		_, pid1, _ := run(t, c, "pid")
		for _, code := range []string{"allochuge 1024", "allocheld 1024"} {
			_, _, err := run(t, c, code)
			if !isKind(err, "MemoryLimit") || !strings.Contains(err.Error(), "more than the 64 MiB memory limit") ||
				!strings.Contains(err.Error(), "is lost") {
				t.Fatalf("%s: got %v", code, err)
			}
		}
		if _, pid2, err := run(t, c, "pid"); err != nil || text(pid2) == text(pid1) {
			t.Fatalf("after: pid %v then %v (%v)", text(pid1), text(pid2), err)
		}
	})
	t.Run("not a size", func(t *testing.T) {
		t.Setenv(EnvMemoryLimit, "lots")
		c := newClient(t, Options{})
		rec, _, err := run(t, c, "value ok")
		if err != nil || !strings.Contains(rec.Stderr(), `"lots" is not a size`) || !strings.Contains(rec.Stderr(), "without a memory limit") {
			t.Fatalf("%v, stderr %q", err, rec.Stderr())
		}
	})
	t.Run("ParseSize", func(t *testing.T) {
		for in, want := range map[string]int64{"": 0, "0": 0, "2GiB": 2 << 30, "512MiB": 512 << 20, "1.5G": 3 << 29,
			"100mb": 100 << 20, "4096": 4096, " 3 GiB ": 3 << 30} {
			if got, err := ParseSize(in); err != nil || got != want {
				t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
			}
		}
		for _, in := range []string{"GiB", "-1G", "2 lots", "1e30G", "x"} {
			if _, err := ParseSize(in); err == nil {
				t.Errorf("ParseSize(%q): no error", in)
			}
		}
	})
}

// alive reports whether pid runs (is neither gone nor a zombie).
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return syscall.Kill(pid, 0) == nil // no /proc: count zombies as alive
	}
	_, rest, _ := strings.Cut(string(b), ") ")
	return !strings.HasPrefix(rest, "Z") && !strings.HasPrefix(rest, "X")
}

func TestServeRefuses(t *testing.T) {
	t.Setenv(EnvWorker, "")
	if err := Serve(fake{}); err == nil || !strings.Contains(err.Error(), "not started by a worker.Client") {
		t.Fatalf("got %v", err)
	}
}

func TestStartFails(t *testing.T) {
	c := New(Options{Command: []string{"/nonexistent/gokernel", "worker"}})
	defer c.Close()
	_, err := c.Execute(context.Background(), "x", &mime.Recorder{})
	var e *Error
	if !errors.As(err, &e) || e.Kind != WorkerUnavailable {
		t.Fatalf("got %#v", err)
	}
	if s, _ := c.IsComplete("x"); s != "unknown" {
		t.Fatalf("IsComplete = %q", s)
	}
}

// waitFor polls cond: for events that have no channel to wait on.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for i := 0; i < 1000; i++ {
		if cond() {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("condition not reached in 5s")
}
