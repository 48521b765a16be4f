package subprocess

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The test binary is also the worker: TestMain hands over to ChildMain when
// started as one, as the kernel's main does.
func TestMain(m *testing.M) {
	if IsChild() {
		SetCellRuntime(&fakeRuntime{})
		ChildMain()
	}
	// Under -race a process sleeps a second at exit (atexit_sleep_ms) to
	// catch late races; workers inherit this and exit at once.
	if os.Getenv("GORACE") == "" {
		os.Setenv("GORACE", "atexit_sleep_ms=0")
	}
	os.Exit(m.Run())
}

type point struct {
	X, Y int
}

func init() {
	Register("square", func(x int) int { return x * x })
	Register("add", func(a, b int) int { return a + b })
	Register("failOn3", func(x int) (int, error) {
		if x == 3 {
			return 0, errors.New("three is not allowed")
		}
		return x, nil
	})
	Register("panicOn2", func(x int) int {
		if x == 2 {
			var m map[string]int
			m["x"] = 1 // a nil map write: panics
		}
		return x
	})
	Register("exitOn3", func(x int) int {
		if x == 3 {
			fmt.Fprintln(os.Stderr, "worker: giving up on 3")
			os.Exit(7)
		}
		return x * 10
	})
	Register("killSelf", func() { syscall.Kill(os.Getpid(), syscall.SIGKILL); time.Sleep(time.Second) })
	Register("exitWith", func(code int) { os.Exit(code) })
	Register("pid", func() int { return os.Getpid() })
	Register("signalThenSleep", func(q *Queue, d time.Duration) int {
		q.Put(os.Getpid())
		time.Sleep(d)
		return 1
	})
	Register("signalAndHang", func(q *Queue) int {
		q.Put(os.Getpid())
		time.Sleep(time.Minute)
		return 1
	})
	Register("produce", func(q *Queue, n int) error {
		for i := range n {
			if err := q.Put(fmt.Sprintf("item %d", i)); err != nil {
				return err
			}
		}
		return nil
	})
	Register("consumeSum", func(q *Queue) (int, error) {
		sum := 0
		for {
			var x int
			if err := q.GetInto(&x); err != nil {
				return 0, err
			}
			if x < 0 {
				return sum, nil
			}
			sum += x
		}
	})
	Register("pipeDouble", func(c *Conn) error {
		for {
			v, err := c.Recv()
			if err != nil {
				return err
			}
			n, ok := v.(int)
			if !ok {
				return fmt.Errorf("got %T", v)
			}
			if n == 0 {
				return c.Send("bye")
			}
			if err := c.Send(2 * n); err != nil {
				return err
			}
		}
	})
	Register("norm1", func(p point) int { return abs(p.X) + abs(p.Y) })
	Register("mirror", func(p point) point { return point{X: p.Y, Y: p.X} })
	Register("spin", spin)
	Register("notEncodableResult", func() chan int { return make(chan int) })
	Register("swap", func(a, b string) (string, string) { return b, a })
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// spin is a CPU-bound loop (a sum of squares, as in the articles).
func spin(n int) int {
	s := 0
	for i := range n {
		s += i * i % 7
	}
	return s
}

// fakeRuntime stands for the interpreter in a worker: it understands a few
// fixed declarations.
type fakeRuntime struct {
	funcs map[string]any
}

func (r *fakeRuntime) Load(src string) error {
	if strings.Contains(src, "syntax error") {
		return errors.New("1:1: expected declaration, found 'syntax'")
	}
	r.funcs = map[string]any{}
	if strings.Contains(src, "func triple(x int) int") {
		r.funcs["triple"] = func(x int) int { return 3 * x }
	}
	if strings.Contains(src, "func greet(p point) string") {
		r.funcs["greet"] = func(p point) string { return fmt.Sprintf("hello (%d,%d)", p.X, p.Y) }
	}
	if strings.Contains(src, "v2") { // a redefinition
		r.funcs["triple"] = func(x int) int { return 3*x + 1 }
	}
	return nil
}

func (r *fakeRuntime) Func(name string) (any, error) {
	f, ok := r.funcs[name]
	if !ok {
		return nil, fmt.Errorf("undefined: %s", name)
	}
	return f, nil
}
