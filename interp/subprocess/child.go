package subprocess

import (
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gokernel/gokernel/interp/rt"
)

// The worker contract: what ChildMain expects of the process that starts it.
const (
	envChild   = "GOKERNEL_SUBPROCESS"      // "worker" in a worker process
	envParent  = "GOKERNEL_SUBPROCESS_PPID" // the parent's pid, to notice a parent that died before we started
	childArg   = "subprocess-worker"        // the default argument a worker is started with
	fdFromPar  = 3                          // the worker reads the parent's messages here
	fdToParent = 4                          // and writes its own here
)

// IsChild reports whether this process was started as a worker (the
// environment variable GOKERNEL_SUBPROCESS is "worker"). A program calls it
// first thing in main and then ChildMain.
func IsChild() bool { return os.Getenv(envChild) == "worker" }

// ChildMain runs this process as a worker and never returns: it answers
// the parent that started it (messages on file descriptors 3 and 4) until
// the parent tells it to exit or goes away. Call it from main (the kernel's
// "gokernel subprocess-worker" subcommand, or a test's TestMain) after
// package initialisation, which registers the compiled functions, and after
// SetCellRuntime. It does nothing heavy before telling the parent it is
// ready.
func ChildMain() {
	os.Exit(childMain())
}

// A child is the worker side of the link.
type child struct {
	l     *link
	tasks chan *msg

	mu      sync.Mutex
	waiting map[uint64]chan *msg // queue requests in flight
	nextReq uint64

	src     string
	srcHash uint64
	loaded  uint64 // hash of the source the cell runtime has loaded; 0: none
}

func childMain() int {
	in := os.NewFile(fdFromPar, "subprocess-from-parent")
	out := os.NewFile(fdToParent, "subprocess-to-parent")
	if in == nil || out == nil {
		fmt.Fprintln(os.Stderr, "subprocess: ChildMain: this process was not started as a worker (no file descriptors 3 and 4)")
		return 2
	}
	// Not inherited by processes a task starts: they must not hold the
	// worker's pipes open after it exits.
	syscall.CloseOnExec(fdFromPar)
	syscall.CloseOnExec(fdToParent)
	c := &child{l: newLink(in, out), tasks: make(chan *msg, 4), waiting: map[uint64]chan *msg{}}
	if err := c.l.send(&msg{Op: opReady, Pid: os.Getpid()}); err != nil {
		return 3
	}
	// Pdeathsig is set before exec, but a parent that died before that does
	// not send it: notice it here.
	if pp, err := strconv.Atoi(os.Getenv(envParent)); err == nil && pp != os.Getppid() {
		return 4
	}
	go c.readLoop()
	for m := range c.tasks {
		c.run(m)
	}
	return 0
}

// readLoop reads the parent's messages. Pings and queue replies are answered
// here, so they are not held up by a running task; tasks go to the main
// goroutine. When the parent goes away (end of file) the worker exits at
// once, even in the middle of a task.
func (c *child) readLoop() {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(os.Stderr, "subprocess: worker reader: panic: %v\n", r)
			os.Exit(5)
		}
	}()
	for {
		m := new(msg)
		if err := c.l.recv(m); err != nil {
			if !errors.Is(err, io.EOF) {
				fmt.Fprintf(os.Stderr, "subprocess: worker: reading from the parent: %v\n", err)
			}
			os.Exit(0)
		}
		switch m.Op {
		case opPing:
			p := &msg{Op: opPong, ID: m.ID, N: len(m.Data)}
			if m.Echo {
				p.Data = m.Data
			}
			c.l.send(p)
		case opTask, opLoad:
			c.tasks <- m
		case opQGot:
			c.mu.Lock()
			ch := c.waiting[m.ID]
			delete(c.waiting, m.ID)
			c.mu.Unlock()
			if ch != nil {
				ch <- m
			}
		case opExit:
			os.Exit(0)
		}
	}
}

// request sends a queue request and waits for its reply.
func (c *child) request(m *msg) *msg {
	ch := make(chan *msg, 1)
	c.mu.Lock()
	c.nextReq++
	m.ID = c.nextReq
	c.waiting[m.ID] = ch
	c.mu.Unlock()
	if err := c.l.send(m); err != nil {
		return &msg{Name: "subprocess: lost the link to the parent process: " + err.Error()}
	}
	return <-ch
}

func (c *child) run(m *msg) {
	if m.Op == opLoad {
		c.src, c.srcHash = m.Src, m.Hash
		return
	}
	res := &msg{Op: opResult, ID: m.ID, Results: make([]result, len(m.Calls))}
	fn, err := c.lookup(m)
	res.T0 = time.Now().UnixNano()
	for i, args := range m.Calls {
		if err != nil {
			res.Results[i] = result{Err: err.Error()}
			continue
		}
		res.Results[i] = invoke(m.Name, fn, args, c)
	}
	res.T1 = time.Now().UnixNano()
	sendErr := c.l.send(res)
	if m.Exit {
		code := 0
		for _, r := range res.Results {
			if r.Err != "" {
				code = 1
				fmt.Fprintf(os.Stderr, "Process %s (pid %d): %s\n", m.Label, os.Getpid(), r.Err)
			}
		}
		if sendErr != nil && code == 0 {
			code = 1
		}
		os.Exit(code)
	}
}

// lookup finds the function a task names.
func (c *child) lookup(m *msg) (reflect.Value, error) {
	if !m.Cell {
		registry.RLock()
		e := registry.byName[m.Name]
		if e == nil && m.Sym != "" {
			e = registry.bySym[m.Sym]
		}
		registry.RUnlock()
		if e != nil {
			return e.fn, nil
		}
		return reflect.Value{}, fmt.Errorf("subprocess: worker %d has no function %q (%s): compiled functions must be registered with subprocess.Register in an init function of their package, because a worker runs only package initialisation: %w",
			os.Getpid(), m.Name, m.Sym, ErrUnknownFunc)
	}
	hooks.RLock()
	r := hooks.runtime
	hooks.RUnlock()
	if r == nil {
		return reflect.Value{}, fmt.Errorf("subprocess: worker %d cannot run %s, a function declared in a notebook cell: this program installed no cell runtime (SetCellRuntime)", os.Getpid(), m.Name)
	}
	if c.loaded != c.srcHash || c.loaded == 0 {
		if err := r.Load(c.src); err != nil {
			return reflect.Value{}, fmt.Errorf("subprocess: worker %d could not load the notebook's declarations to run %s: %w", os.Getpid(), m.Name, err)
		}
		c.loaded = c.srcHash
	}
	f, err := r.Func(m.Name)
	if err != nil {
		return reflect.Value{}, fmt.Errorf("subprocess: worker %d: no function %s in the notebook's declarations: %w", os.Getpid(), m.Name, err)
	}
	v := reflect.ValueOf(f)
	if v.Kind() != reflect.Func || v.IsNil() {
		return reflect.Value{}, fmt.Errorf("subprocess: worker %d: %s is a %T, not a function", os.Getpid(), m.Name, f)
	}
	return v, nil
}

// invoke calls fn with the encoded arguments and encodes its result. A
// panic is the call's error, with its stack.
func invoke(name string, fn reflect.Value, args []value, c *child) result {
	ft := fn.Type()
	nin := ft.NumIn()
	if ft.IsVariadic() {
		if len(args) < nin-1 {
			return result{Err: fmt.Sprintf("subprocess: %s takes at least %d arguments, got %d", name, nin-1, len(args))}
		}
	} else if len(args) != nin {
		return result{Err: fmt.Sprintf("subprocess: %s takes %d argument%s, got %d", name, nin, plural(nin), len(args))}
	}
	in := make([]reflect.Value, len(args))
	for i, a := range args {
		var pt reflect.Type
		if ft.IsVariadic() && i >= nin-1 {
			pt = ft.In(nin - 1).Elem()
		} else {
			pt = ft.In(i)
		}
		v, err := decode(a, pt, c)
		if err != nil {
			return result{Err: fmt.Sprintf("subprocess: argument %d of %s: %v", i+1, name, err)}
		}
		in[i] = v
	}
	var outs []reflect.Value
	if p := rt.Protect(func() { outs = fn.Call(in) }); p != nil {
		msg := fmt.Sprintf("panic: %v", p.Value)
		if st := trimStack(p.Stack); st != "" {
			msg += "\n\n" + st
		}
		return result{Err: msg, Panic: true}
	}
	if n := len(outs); n > 0 && ft.Out(n-1) == errorType {
		if e := outs[n-1]; !e.IsNil() {
			return result{Err: e.Interface().(error).Error()}
		}
		outs = outs[:n-1]
	}
	var out any
	switch len(outs) {
	case 0:
	case 1:
		out = outs[0].Interface()
	default:
		xs := make([]any, len(outs))
		for i, o := range outs {
			xs[i] = o.Interface()
		}
		out = xs
	}
	v, err := encode(out, "the result of "+name)
	if err != nil {
		return result{Err: err.Error()}
	}
	return result{V: v}
}

// trimStack keeps the frames of the user's function: it drops the
// goroutine header, the frames of debug.Stack and the panic machinery, and
// everything from reflect's call on.
func trimStack(s []byte) string {
	lines := strings.Split(strings.TrimSpace(string(s)), "\n")
	var keep []string
	start := 0
	for i, l := range lines {
		if strings.HasPrefix(l, "panic(") {
			start = i + 2
		}
	}
	for i := start; i+1 < len(lines); i += 2 {
		if strings.HasPrefix(lines[i], "reflect.") {
			break
		}
		keep = append(keep, lines[i], lines[i+1])
	}
	return strings.Join(keep, "\n")
}
