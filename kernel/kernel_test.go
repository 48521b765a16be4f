package kernel_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gokernel/gokernel/kernel"
	"github.com/gokernel/gokernel/kernel/kerneltest"
	"github.com/gokernel/gokernel/kernel/mime"
	"github.com/gokernel/gokernel/kernel/wire"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// cellError is an Evaluator error with its own name and traceback, as
// interp's errors are.
type cellError struct {
	name  string
	lines []string
}

func (e *cellError) Error() string       { return e.name + ": " + strings.Join(e.lines, "; ") }
func (e *cellError) Name() string        { return e.name }
func (e *cellError) Traceback() []string { return e.lines }

func start(t *testing.T, f kernel.ExecuteFunc) *kerneltest.Frontend {
	t.Helper()
	return kerneltest.Start(t, f, kernel.Options{})
}

func content(m *wire.Message) map[string]any { return kerneltest.Content(m) }

func TestExecuteIOPubSequence(t *testing.T) {
	tests := []struct {
		name     string
		eval     kernel.ExecuteFunc
		req      func(map[string]any)
		types    []string
		status   string
		ename    string
		count    float64
		checkPub func(t *testing.T, pub []*wire.Message)
	}{
		{
			name: "stream then result",
			eval: func(ctx context.Context, code string, out mime.Publisher) (mime.Bundle, error) {
				out.Stream("stdout", "hello\n")
				return mime.TextBundle("42"), nil
			},
			types:  []string{"status", "execute_input", "stream", "execute_result", "status"},
			status: "ok", count: 1,
			checkPub: func(t *testing.T, pub []*wire.Message) {
				if got := kerneltest.Stream(pub, "stdout"); got != "hello\n" {
					t.Errorf("stdout %q", got)
				}
				r := content(pub[3])
				if r["execution_count"] != 1.0 || r["data"].(map[string]any)[mime.Text] != "42" {
					t.Errorf("execute_result %v", r)
				}
				if content(pub[1])["code"] != "6*7" {
					t.Errorf("execute_input %v", content(pub[1]))
				}
			},
		},
		{
			name:   "no value, no output",
			eval:   func(context.Context, string, mime.Publisher) (mime.Bundle, error) { return mime.Bundle{}, nil },
			types:  []string{"status", "execute_input", "status"},
			status: "ok", count: 1,
		},
		{
			name: "error with name and traceback",
			eval: func(context.Context, string, mime.Publisher) (mime.Bundle, error) {
				return mime.Bundle{}, fmt.Errorf("wrapped: %w", &cellError{"panic", []string{"panic: boom", "cell line 1"}})
			},
			types:  []string{"status", "execute_input", "error", "status"},
			status: "error", ename: "panic", count: 1,
			checkPub: func(t *testing.T, pub []*wire.Message) {
				e := content(pub[2])
				if e["ename"] != "panic" || !reflect.DeepEqual(e["traceback"], []any{"panic: boom", "cell line 1"}) || !strings.Contains(e["evalue"].(string), "wrapped") {
					t.Errorf("error content %v", e)
				}
			},
		},
		{
			name: "plain error",
			eval: func(context.Context, string, mime.Publisher) (mime.Bundle, error) {
				return mime.Bundle{}, errors.New("undefined: x")
			},
			types:  []string{"status", "execute_input", "error", "status"},
			status: "error", ename: "Error", count: 1,
		},
		{
			name: "silent broadcasts nothing but status, keeps the count",
			eval: func(ctx context.Context, code string, out mime.Publisher) (mime.Bundle, error) {
				out.Stream("stdout", "x")
				out.Display(mime.TextBundle("d"), "")
				out.Clear(false)
				return mime.TextBundle("42"), nil
			},
			req:    func(c map[string]any) { c["silent"] = true },
			types:  []string{"status", "status"},
			status: "ok", count: 0,
		},
		{
			name: "silent error: reply only",
			eval: func(ctx context.Context, code string, out mime.Publisher) (mime.Bundle, error) {
				out.Stream("stderr", "x")
				return mime.Bundle{}, errors.New("boom")
			},
			req:    func(c map[string]any) { c["silent"] = true },
			types:  []string{"status", "status"},
			status: "error", ename: "Error", count: 0,
		},
		{
			name: "silent name? sends its payload only",
			eval: func(ctx context.Context, code string, out mime.Publisher) (mime.Bundle, error) {
				return mime.TextBundle("42"), nil
			},
			req:    func(c map[string]any) { c["silent"] = true; c["code"] = "x?" },
			types:  []string{"status", "status"},
			status: "ok", count: 0,
		},
		{
			name: "store_history false keeps the count",
			eval: func(context.Context, string, mime.Publisher) (mime.Bundle, error) {
				return mime.TextBundle("1"), nil
			},
			req:    func(c map[string]any) { c["store_history"] = false },
			types:  []string{"status", "execute_input", "execute_result", "status"},
			status: "ok", count: 0,
		},
		{
			name: "outputs keep their order",
			eval: func(ctx context.Context, code string, out mime.Publisher) (mime.Bundle, error) {
				out.Stream("stdout", "a")
				out.Stream("stderr", "b")
				out.Stream("stdout", "c")
				out.Display(mime.Bundle{Data: map[string]any{mime.HTML: "<b>d</b>", mime.Text: "d"}}, "disp")
				out.Update(mime.TextBundle("e"), "disp")
				out.Clear(true)
				out.Stream("stdout", "f")
				return mime.Bundle{}, nil
			},
			types: []string{"status", "execute_input", "stream", "stream", "stream", "display_data",
				"update_display_data", "clear_output", "stream", "status"},
			status: "ok", count: 1,
			checkPub: func(t *testing.T, pub []*wire.Message) {
				if tr := content(pub[5])["transient"].(map[string]any); tr["display_id"] != "disp" {
					t.Errorf("display transient %v", tr)
				}
				if content(pub[7])["wait"] != true {
					t.Errorf("clear_output %v", content(pub[7]))
				}
			},
		},
		{
			name: "evaluator panic fails the cell, not the kernel",
			eval: func(context.Context, string, mime.Publisher) (mime.Bundle, error) {
				panic("bug in evaluator")
			},
			types:  []string{"status", "execute_input", "error", "status"},
			status: "error", ename: "KernelPanic", count: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := start(t, tt.eval)
			req := kerneltest.ExecuteRequest("6*7")
			if tt.req != nil {
				tt.req(req)
			}
			reply, pub := f.ExecuteWith(req)
			if got := kerneltest.Types(pub); !reflect.DeepEqual(got, tt.types) {
				t.Fatalf("IOPub %v, want %v", got, tt.types)
			}
			if kerneltest.State(pub[0]) != "busy" || kerneltest.State(pub[len(pub)-1]) != "idle" {
				t.Errorf("status not busy ... idle")
			}
			c := content(reply)
			if reply.Header.MsgType != "execute_reply" || c["status"] != tt.status || c["execution_count"] != tt.count {
				t.Errorf("reply %s %v, want status %s count %v", reply.Header.MsgType, c, tt.status, tt.count)
			}
			if tt.ename != "" && c["ename"] != tt.ename {
				t.Errorf("reply ename %v, want %s", c["ename"], tt.ename)
			}
			if tt.checkPub != nil {
				tt.checkPub(t, pub)
			}
			// The kernel is still serving.
			if reply, _ := f.Execute("again"); reply.Header.MsgType != "execute_reply" {
				t.Errorf("second execute: %v", reply.Header.MsgType)
			}
		})
	}
}

func TestExecutionCountAndHistory(t *testing.T) {
	f := start(t, func(ctx context.Context, code string, out mime.Publisher) (mime.Bundle, error) {
		return mime.TextBundle("=" + code), nil
	})
	codes := []string{"a := 1", "a + 1", "b := 2", "a + 1"}
	for i, c := range codes {
		reply, _ := f.Execute(c)
		if got := content(reply)["execution_count"]; got != float64(i+1) {
			t.Fatalf("cell %d: execution_count %v", i+1, got)
		}
	}
	f.ExecuteWith(map[string]any{"code": "not stored", "store_history": false})

	tests := []struct {
		name string
		req  map[string]any
		want []any
	}{
		{"tail", map[string]any{"hist_access_type": "tail", "n": 2, "output": false, "raw": true},
			[]any{[]any{1.0, 3.0, "b := 2"}, []any{1.0, 4.0, "a + 1"}}},
		{"tail with output", map[string]any{"hist_access_type": "tail", "n": 1, "output": true, "raw": true},
			[]any{[]any{1.0, 4.0, []any{"a + 1", "=a + 1"}}}},
		{"range", map[string]any{"hist_access_type": "range", "session": 1, "start": 2, "stop": 4, "output": false, "raw": true},
			[]any{[]any{1.0, 2.0, "a + 1"}, []any{1.0, 3.0, "b := 2"}}},
		{"range of the current session as 0", map[string]any{"hist_access_type": "range", "session": 0, "start": 1, "stop": 2, "output": false, "raw": true},
			[]any{[]any{1.0, 1.0, "a := 1"}}},
		{"range of another session", map[string]any{"hist_access_type": "range", "session": -1, "start": 1, "stop": 2, "output": false, "raw": true},
			[]any{}},
		{"search", map[string]any{"hist_access_type": "search", "pattern": "a ?*", "output": false, "raw": true},
			[]any{[]any{1.0, 1.0, "a := 1"}, []any{1.0, 2.0, "a + 1"}, []any{1.0, 4.0, "a + 1"}}},
		{"search unique", map[string]any{"hist_access_type": "search", "pattern": "a ?*", "unique": true, "output": false, "raw": true},
			[]any{[]any{1.0, 1.0, "a := 1"}, []any{1.0, 4.0, "a + 1"}}},
		{"search n", map[string]any{"hist_access_type": "search", "pattern": "*", "n": 1, "output": false, "raw": true},
			[]any{[]any{1.0, 4.0, "a + 1"}}},
		{"search class", map[string]any{"hist_access_type": "search", "pattern": "[b]*", "output": false, "raw": true},
			[]any{[]any{1.0, 3.0, "b := 2"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reply := f.Reply(f.Send("shell", "history_request", tt.req))
			c := content(reply)
			if c["status"] != "ok" || !reflect.DeepEqual(c["history"], tt.want) {
				t.Errorf("history %v, want %v", c["history"], tt.want)
			}
		})
	}
}

// blocker is a fake cell that blocks until released or interrupted.
type blocker struct {
	started chan string
	release chan struct{}
}

func newBlocker() *blocker {
	return &blocker{started: make(chan string, 100), release: make(chan struct{})}
}

func (b *blocker) eval(ctx context.Context, code string, out mime.Publisher) (mime.Bundle, error) {
	b.started <- code
	switch code {
	case "block", "fail":
		select {
		case <-b.release:
		case <-ctx.Done():
			return mime.Bundle{}, ctx.Err()
		}
		if code == "fail" {
			return mime.Bundle{}, errors.New("failed")
		}
	case "for {}":
		<-ctx.Done()
		return mime.Bundle{}, &cellError{"Interrupted", []string{"interrupted at line 1"}}
	}
	return mime.TextBundle(code), nil
}

func TestStopOnErrorAbortsQueue(t *testing.T) {
	tests := []struct {
		name        string
		stopOnError bool
		want        []string // statuses of the 3 replies
	}{
		{"stop_on_error", true, []string{"error", "aborted", "aborted"}},
		{"keep going", false, []string{"error", "ok", "ok"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBlocker()
			f := start(t, b.eval)
			var ids []string
			for _, code := range []string{"fail", "b", "c"} {
				req := kerneltest.ExecuteRequest(code)
				req["stop_on_error"] = tt.stopOnError
				ids = append(ids, f.Send("shell", "execute_request", req))
			}
			<-b.started // "fail" runs while b and c wait in the queue
			close(b.release)
			for i, id := range ids {
				if got := content(f.Reply(id))["status"]; got != tt.want[i] {
					t.Errorf("reply %d status %v, want %s", i, got, tt.want[i])
				}
				if pub := kerneltest.Types(f.IOPub(id)); pub[0] != "status" || pub[len(pub)-1] != "status" {
					t.Errorf("reply %d: IOPub %v", i, pub)
				}
			}
			// After the queue is flushed, new requests run again.
			if got := content(mustReply(f.Execute("d")))["status"]; got != "ok" {
				t.Errorf("after abort: %v", got)
			}
		})
	}
}

func mustReply(reply *wire.Message, _ []*wire.Message) *wire.Message { return reply }

func TestInterrupt(t *testing.T) {
	tests := []struct {
		name      string
		interrupt func(f *kerneltest.Frontend)
	}{
		{"interrupt_request on control", func(f *kerneltest.Frontend) {
			r := f.Reply(f.Send("control", "interrupt_request", struct{}{}))
			if r.Header.MsgType != "interrupt_reply" || content(r)["status"] != "ok" {
				t.Errorf("interrupt reply %s %v", r.Header.MsgType, content(r))
			}
		}},
		{"Interrupt method (SIGINT)", func(f *kerneltest.Frontend) { f.Kernel.Interrupt() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBlocker()
			f := start(t, b.eval)
			id := f.Send("shell", "execute_request", kerneltest.ExecuteRequest("for {}"))
			<-b.started
			tt.interrupt(f)
			c := content(f.Reply(id))
			if c["status"] != "error" || c["ename"] != "Interrupted" {
				t.Errorf("interrupted cell reply %v", c)
			}
			reply, _ := f.Execute("after")
			if c := content(reply); c["status"] != "ok" || c["execution_count"] != 2.0 {
				t.Errorf("cell after interrupt: %v", c)
			}
		})
	}
}

func TestControlAndHeartbeatWhileCellRuns(t *testing.T) {
	b := newBlocker()
	f := start(t, b.eval)
	cell := f.Send("shell", "execute_request", kerneltest.ExecuteRequest("block"))
	<-b.started
	for i := 0; i < 3; i++ {
		echo, err := f.Heartbeat([]byte(fmt.Sprint("ping ", i)))
		if err != nil || string(echo) != fmt.Sprint("ping ", i) {
			t.Fatalf("heartbeat %d: %q, %v", i, echo, err)
		}
	}
	info := f.Send("control", "kernel_info_request", struct{}{})
	if r := f.Reply(info); r.Header.MsgType != "kernel_info_reply" {
		t.Errorf("control kernel_info: %s", r.Header.MsgType)
	}
	if types := kerneltest.Types(f.IOPub(info)); !reflect.DeepEqual(types, []string{"status", "status"}) {
		t.Errorf("kernel_info IOPub %v", types)
	}
	if f.HasReply(cell) {
		t.Fatal("the cell finished before it was released")
	}
	close(b.release)
	if c := content(f.Reply(cell)); c["status"] != "ok" {
		t.Errorf("cell %v", c)
	}
}

func TestBadSignatureGetsNoReply(t *testing.T) {
	f := start(t, func(context.Context, string, mime.Publisher) (mime.Bundle, error) { return mime.Bundle{}, nil })
	for _, channel := range []string{"shell", "control"} {
		t.Run(channel, func(t *testing.T) {
			tests := []struct {
				name string
				key  []byte
			}{
				{"wrong key", []byte("not the key")},
				{"unsigned", nil},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					bad := f.Message("kernel_info_request", struct{}{})
					f.SendMessage(channel, bad, tt.key)
					good := f.Send(channel, "kernel_info_request", struct{}{})
					f.Reply(good) // requests on a channel are served in order
					f.IOPub(good)
					if f.HasReply(bad.Header.MsgID) {
						t.Error("a badly signed request was answered")
					}
					if pub := f.IOPubSoFar(bad.Header.MsgID); len(pub) != 0 {
						t.Errorf("a badly signed request got IOPub %v", kerneltest.Types(pub))
					}
				})
			}
		})
	}
}

func TestMalformedInputIsSurvived(t *testing.T) {
	f := start(t, func(context.Context, string, mime.Publisher) (mime.Bundle, error) { return mime.Bundle{}, nil })
	sign := func(h, p, m, c string) [][]byte {
		return [][]byte{[]byte(wire.Delimiter), []byte(wire.Sign(f.Key(), []byte(h), []byte(p), []byte(m), []byte(c))),
			[]byte(h), []byte(p), []byte(m), []byte(c)}
	}
	tests := []struct {
		name   string
		frames [][]byte
	}{
		{"empty frame", [][]byte{{}}},
		{"no delimiter", [][]byte{[]byte("hello"), []byte("world")}},
		{"too few frames", [][]byte{[]byte(wire.Delimiter), []byte("sig")}},
		{"header not JSON", sign("{", "{}", "{}", "{}")},
		{"content not JSON", sign(`{"msg_id":"x","msg_type":"execute_request"}`, "{}", "{}", "{")},
		{"binary garbage", [][]byte{{0xff, 0xfe, 0, 1}, []byte(wire.Delimiter), {0}, {1}, {2}, {3}, {4}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.SendFrames("shell", tt.frames...)
			if r := f.Reply(f.Send("shell", "kernel_info_request", struct{}{})); r.Header.MsgType != "kernel_info_reply" {
				t.Errorf("after malformed input: %s", r.Header.MsgType)
			}
		})
	}
	t.Run("wrong content types", func(t *testing.T) {
		r := f.Reply(f.Send("shell", "execute_request", map[string]any{"code": 5}))
		if c := content(r); c["status"] != "error" || c["ename"] != "BadRequest" {
			t.Errorf("reply %v", c)
		}
	})
	t.Run("unknown message type", func(t *testing.T) {
		id := f.Send("shell", "no_such_request", struct{}{})
		if types := kerneltest.Types(f.IOPub(id)); !reflect.DeepEqual(types, []string{"status", "status"}) {
			t.Errorf("IOPub %v", types)
		}
		if f.HasReply(id) {
			t.Error("unknown type answered")
		}
	})
	t.Run("not a ZMTP peer", func(t *testing.T) {
		for _, junk := range [][]byte{[]byte("GET / HTTP/1.0\r\n\r\n"), {0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f}} {
			c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", f.Info.ShellPort))
			if err != nil {
				t.Fatal(err)
			}
			c.Write(junk)
			c.Close()
		}
		if r := f.Reply(f.Send("shell", "kernel_info_request", struct{}{})); r.Header.MsgType != "kernel_info_reply" {
			t.Errorf("after junk: %s", r.Header.MsgType)
		}
	})
}

// TestStalledSubscriber connects an IOPub subscriber that never reads and
// checks that a healthy one still receives every byte of a large output.
// With zmq4's PUB socket the stalled connection's full TCP buffers would
// block the one queue all subscribers share.
func TestStalledSubscriber(t *testing.T) {
	const chunk, chunks = 64 << 10, 384 // 24 MiB, more than loopback buffers hold
	f := start(t, func(ctx context.Context, code string, out mime.Publisher) (mime.Bundle, error) {
		line := strings.Repeat("x", chunk-1) + "\n"
		for i := 0; i < chunks && code == "flood"; i++ {
			out.Stream("stdout", line)
		}
		return mime.Bundle{}, nil
	})
	stalled := f.Subscribe() // never read
	_ = stalled
	healthy := f.Subscribe()
	var got atomic.Int64
	all := make(chan struct{})
	go func() {
		for {
			frames, err := healthy.Recv()
			if err != nil {
				return
			}
			if m, err := wire.Decode(f.Key(), frames); err == nil && m.Header.MsgType == "stream" {
				if got.Add(int64(len(kerneltest.Content(m)["text"].(string)))) == chunk*chunks {
					close(all)
				}
			}
		}
	}()
	// Make sure both subscriptions are in place before the flood.
	f.Execute("warm up")
	reply, pub := f.Execute("flood")
	if content(reply)["status"] != "ok" {
		t.Fatalf("reply %v", content(reply))
	}
	if n := len(kerneltest.Stream(pub, "stdout")); n != chunk*chunks {
		t.Errorf("the frontend's subscriber got %d bytes, want %d", n, chunk*chunks)
	}
	select {
	case <-all:
	case <-time.After(kerneltest.Timeout):
		t.Errorf("the second healthy subscriber got %d bytes, want %d", got.Load(), chunk*chunks)
	}
	// The kernel keeps serving.
	if r, _ := f.Execute("after"); content(r)["status"] != "ok" {
		t.Errorf("after the flood: %v", content(r))
	}
}

func TestStreamCoalescing(t *testing.T) {
	const lines = 100000
	f := start(t, func(ctx context.Context, code string, out mime.Publisher) (mime.Bundle, error) {
		for i := 0; i < lines; i++ {
			out.Stream("stdout", fmt.Sprintf("line %d\n", i))
		}
		return mime.Bundle{}, nil
	})
	_, pub := f.Execute("print")
	var want strings.Builder
	for i := 0; i < lines; i++ {
		fmt.Fprintf(&want, "line %d\n", i)
	}
	if got := kerneltest.Stream(pub, "stdout"); got != want.String() {
		t.Errorf("stdout differs: got %d bytes, want %d", len(got), want.Len())
	}
	n := 0
	for _, m := range pub {
		if m.Header.MsgType == "stream" {
			n++
		}
	}
	t.Logf("%d lines in %d stream messages", lines, n)
	if n > 50 {
		t.Errorf("%d stream messages for %d lines, want at most 50", n, lines)
	}
}

// TestStreamShowsWhilePrinting checks a line appears while its cell still
// runs: the cell waits until the frontend has seen it.
func TestStreamShowsWhilePrinting(t *testing.T) {
	seen := make(chan struct{})
	f := start(t, func(ctx context.Context, code string, out mime.Publisher) (mime.Bundle, error) {
		for i := 0; i < 3; i++ {
			out.Stream("stdout", fmt.Sprintf("tick %d\n", i))
			select {
			case <-seen:
			case <-ctx.Done():
				return mime.Bundle{}, ctx.Err()
			}
		}
		return mime.Bundle{}, nil
	})
	id := f.Send("shell", "execute_request", kerneltest.ExecuteRequest("ticks"))
	for i := 0; i < 3; i++ {
		want := fmt.Sprintf("tick %d\n", i)
		for !strings.Contains(kerneltest.Stream(f.IOPubSoFar(id), "stdout"), want) {
			if f.HasReply(id) {
				t.Fatalf("cell ended before %q was seen", want)
			}
			waitABit()
		}
		seen <- struct{}{}
	}
	if c := content(f.Reply(id)); c["status"] != "ok" {
		t.Errorf("reply %v", c)
	}
}

func TestInput(t *testing.T) {
	eval := func(ctx context.Context, code string, out mime.Publisher) (mime.Bundle, error) {
		name, err := out.Input("name? ", code == "password")
		if err != nil {
			return mime.Bundle{}, err
		}
		out.Stream("stdout", "hello "+name+"\n")
		return mime.Bundle{}, nil
	}
	t.Run("round trip", func(t *testing.T) {
		f := start(t, eval)
		for _, code := range []string{"plain", "password"} {
			id := f.Send("shell", "execute_request", kerneltest.ExecuteRequest(code))
			req := f.InputRequest()
			c := content(req)
			if req.Parent.MsgID != id || c["prompt"] != "name? " || c["password"] != (code == "password") {
				t.Errorf("input_request parent %s content %v", req.Parent.MsgID, c)
			}
			f.SendInput(req, "gopher")
			f.Reply(id)
			if got := kerneltest.Stream(f.IOPub(id), "stdout"); got != "hello gopher\n" {
				t.Errorf("stdout %q", got)
			}
		}
	})
	t.Run("allow_stdin false", func(t *testing.T) {
		f := start(t, eval)
		req := kerneltest.ExecuteRequest("x")
		req["allow_stdin"] = false
		reply, _ := f.ExecuteWith(req)
		if c := content(reply); c["status"] != "error" || !strings.Contains(c["evalue"].(string), mime.ErrNoStdin.Error()) {
			t.Errorf("reply %v", c)
		}
	})
	t.Run("interrupted while waiting", func(t *testing.T) {
		f := start(t, eval)
		id := f.Send("shell", "execute_request", kerneltest.ExecuteRequest("x"))
		f.InputRequest()
		f.Reply(f.Send("control", "interrupt_request", struct{}{}))
		if c := content(f.Reply(id)); c["status"] != "error" {
			t.Errorf("reply %v", c)
		}
	})
}

// fullEvaluator answers completion, inspection and is_complete.
type fullEvaluator struct{ kernel.ExecuteFunc }

func (fullEvaluator) Complete(code string, cursor int) ([]mime.Completion, int, int) {
	return []mime.Completion{{Text: "Println", Type: "function", Signature: "func(a ...any) (int, error)"}, {Text: "Printf", Type: "function"}}, cursor - 5, cursor
}

func (fullEvaluator) Inspect(code string, cursor, detail int) (mime.Bundle, bool) {
	if !strings.HasPrefix(code, "fmt.") {
		return mime.Bundle{}, false
	}
	return mime.TextBundle(fmt.Sprintf("func Println (detail %d)", detail)), true
}

func (fullEvaluator) IsComplete(code string) (string, string) {
	if strings.HasSuffix(code, "{") {
		return "incomplete", "\t"
	}
	return "complete", "ignored"
}

func TestShellRequests(t *testing.T) {
	f := kerneltest.Start(t, fullEvaluator{}, kernel.Options{})
	tests := []struct {
		name    string
		msgType string
		content map[string]any
		reply   string
		want    map[string]any
	}{
		{"complete", "complete_request", map[string]any{"code": "fmt.Print", "cursor_pos": 9}, "complete_reply", map[string]any{
			"status": "ok", "matches": []any{"Println", "Printf"}, "cursor_start": 4.0, "cursor_end": 9.0,
			"metadata": map[string]any{"_jupyter_types_experimental": []any{
				map[string]any{"start": 4.0, "end": 9.0, "text": "Println", "type": "function", "signature": "func(a ...any) (int, error)"},
				map[string]any{"start": 4.0, "end": 9.0, "text": "Printf", "type": "function"},
			}},
		}},
		{"inspect found", "inspect_request", map[string]any{"code": "fmt.Println", "cursor_pos": 5, "detail_level": 1}, "inspect_reply", map[string]any{
			"status": "ok", "found": true, "data": map[string]any{"text/plain": "func Println (detail 1)"}, "metadata": map[string]any{},
		}},
		{"inspect not found", "inspect_request", map[string]any{"code": "x", "cursor_pos": 1}, "inspect_reply", map[string]any{
			"status": "ok", "found": false, "data": map[string]any{}, "metadata": map[string]any{},
		}},
		{"is_complete incomplete", "is_complete_request", map[string]any{"code": "func f() {"}, "is_complete_reply", map[string]any{
			"status": "incomplete", "indent": "\t",
		}},
		{"is_complete complete", "is_complete_request", map[string]any{"code": "x := 1"}, "is_complete_reply", map[string]any{
			"status": "complete",
		}},
		{"comm_info", "comm_info_request", map[string]any{}, "comm_info_reply", map[string]any{
			"status": "ok", "comms": map[string]any{},
		}},
		{"connect", "connect_request", map[string]any{}, "connect_reply", map[string]any{
			"status": "ok", "shell_port": float64(f.Info.ShellPort), "iopub_port": float64(f.Info.IOPubPort),
			"stdin_port": float64(f.Info.StdinPort), "hb_port": float64(f.Info.HBPort), "control_port": float64(f.Info.ControlPort),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := f.Send("shell", tt.msgType, tt.content)
			r := f.Reply(id)
			if r.Header.MsgType != tt.reply || !reflect.DeepEqual(content(r), tt.want) {
				t.Errorf("%s %v\nwant %s %v", r.Header.MsgType, content(r), tt.reply, tt.want)
			}
			if types := kerneltest.Types(f.IOPub(id)); !reflect.DeepEqual(types, []string{"status", "status"}) {
				t.Errorf("IOPub %v", types)
			}
		})
	}
	t.Run("comm_open to an unknown target", func(t *testing.T) {
		id := f.Send("shell", "comm_open", map[string]any{"comm_id": "c-1", "target_name": "jupyter.widget", "data": map[string]any{}})
		pub := f.IOPub(id)
		if types := kerneltest.Types(pub); !reflect.DeepEqual(types, []string{"status", "comm_close", "status"}) {
			t.Fatalf("IOPub %v", types)
		}
		if c := content(pub[1]); c["comm_id"] != "c-1" {
			t.Errorf("comm_close %v", c)
		}
	})
}

func TestKernelInfoGolden(t *testing.T) {
	f := start(t, func(context.Context, string, mime.Publisher) (mime.Bundle, error) { return mime.Bundle{}, nil })
	id := f.Send("shell", "kernel_info_request", struct{}{})
	r := f.Reply(id)
	if types := kerneltest.Types(f.IOPub(id)); !reflect.DeepEqual(types, []string{"status", "status"}) {
		t.Errorf("kernel_info IOPub %v (jupyter_client waits for busy/idle)", types)
	}
	c := content(r)
	li := c["language_info"].(map[string]any)
	for k, v := range li {
		if s, ok := v.(string); !ok || s == "" {
			t.Errorf("language_info.%s = %#v, want a non-empty string", k, v)
		}
	}
	// Versions vary with the toolchain and banner; pin everything else.
	li["version"] = "GOVERSION"
	c["banner"] = "BANNER"
	got := []byte(kerneltest.Indent(c) + "\n")
	path := filepath.Join("testdata", "kernel_info.golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("kernel_info_reply changed:\n%s\nwant:\n%s", got, want)
	}
}

type closingEvaluator struct {
	kernel.ExecuteFunc
	closed atomic.Bool
}

func (c *closingEvaluator) Close() error { c.closed.Store(true); return nil }

var _ io.Closer = (*closingEvaluator)(nil)

func TestShutdown(t *testing.T) {
	for _, restart := range []bool{false, true} {
		for _, channel := range []string{"control", "shell"} {
			t.Run(fmt.Sprintf("%s restart=%v", channel, restart), func(t *testing.T) {
				ev := &closingEvaluator{ExecuteFunc: func(context.Context, string, mime.Publisher) (mime.Bundle, error) { return mime.Bundle{}, nil }}
				f := kerneltest.Start(t, ev, kernel.Options{})
				id := f.Send(channel, "shutdown_request", map[string]any{"restart": restart})
				r := f.Reply(id)
				if c := content(r); r.Header.MsgType != "shutdown_reply" || c["restart"] != restart || c["status"] != "ok" {
					t.Errorf("reply %s %v", r.Header.MsgType, c)
				}
				got, err := f.Wait()
				if got != restart || err != nil {
					t.Errorf("Run returned %v, %v; want %v, nil", got, err, restart)
				}
				if !ev.closed.Load() {
					t.Error("the evaluator was not closed")
				}
			})
		}
	}
	t.Run("shutdown interrupts a running cell", func(t *testing.T) {
		b := newBlocker()
		f := start(t, b.eval)
		f.Send("shell", "execute_request", kerneltest.ExecuteRequest("for {}"))
		<-b.started
		f.Reply(f.Send("control", "shutdown_request", map[string]any{"restart": false}))
		if _, err := f.Wait(); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	t.Run("context cancelled", func(t *testing.T) {
		k, err := kernel.New(kernel.ConnectionInfo{}, kernel.ExecuteFunc(nil), kernel.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer k.Close()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := k.Run(ctx); !errors.Is(err, context.Canceled) {
			t.Errorf("Run = %v, want context.Canceled", err)
		}
	})
}

func TestConnectionErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(s), 0o600)
		return p
	}
	tests := []struct {
		name, path, want string
	}{
		{"missing", filepath.Join(dir, "nope.json"), "reading connection file"},
		{"not JSON", write("bad.json", "{"), "unexpected end"},
		{"scheme", write("scheme.json", `{"signature_scheme": "hmac-whirlpool"}`), `signature_scheme "hmac-whirlpool" not supported (want one of hmac-md5, hmac-sha1, hmac-sha224, hmac-sha256, hmac-sha384, hmac-sha512)`},
		{"transport", write("transport.json", `{"transport": "udp"}`), `transport "udp" not supported`},
		{"port", write("port.json", `{"shell_port": 70000}`), "port 70000 out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := kernel.ReadConnectionFile(tt.path)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "kernel: ") {
				t.Errorf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
	t.Run("port in use names the socket", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		port := l.Addr().(*net.TCPAddr).Port
		_, err = kernel.New(kernel.ConnectionInfo{IP: "127.0.0.1", HBPort: port}, kernel.ExecuteFunc(nil), kernel.Options{})
		if err == nil || !strings.Contains(err.Error(), "heartbeat socket") || !strings.Contains(err.Error(), fmt.Sprint(port)) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("ipc transport", func(t *testing.T) {
		k, err := kernel.New(kernel.ConnectionInfo{Transport: "ipc", IP: filepath.Join(dir, "k"), ShellPort: 1, IOPubPort: 2, StdinPort: 3, ControlPort: 4, HBPort: 5}, kernel.ExecuteFunc(nil), kernel.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(dir, "k-1")); err != nil {
			t.Errorf("no ipc socket file: %v", err)
		}
		k.Close()
	})
}

// TestArchitecture checks the dependency rule: the protocol side never
// imports the interpreter.
func TestArchitecture(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	pkgs := []string{
		"github.com/gokernel/gokernel/kernel",
		"github.com/gokernel/gokernel/kernel/wire",
		"github.com/gokernel/gokernel/kernel/mime",
		"github.com/gokernel/gokernel/kernel/kerneltest",
	}
	out, err := exec.Command("go", append([]string{"list", "-deps"}, pkgs...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.Contains(dep, "yaegi") || strings.Contains(dep, "/interp") {
			t.Errorf("kernel packages depend on %s", dep)
		}
	}
}

// TestIOPubOrderUnderBurst checks that iopub messages, which are signed and
// sent by their own goroutine, leave in the order they were made, none
// lost, with the header dates in that order too, when a cell makes them far
// faster than they can be sent (more than the signing queue holds).
func TestIOPubOrderUnderBurst(t *testing.T) {
	const n = 3000
	f := start(t, func(ctx context.Context, code string, out mime.Publisher) (mime.Bundle, error) {
		for i := 0; i < n; i++ {
			out.Display(mime.TextBundle(fmt.Sprint(i)), "")
		}
		return mime.TextBundle("done"), nil
	})
	_, pub := f.Execute("burst")
	var types []string
	i := 0
	last := ""
	for _, m := range pub {
		if m.Header.Date < last {
			t.Errorf("%s dated %s after a message dated %s", m.Header.MsgType, m.Header.Date, last)
		}
		last = m.Header.Date
		if m.Header.MsgType != "display_data" {
			types = append(types, m.Header.MsgType)
			continue
		}
		data, _ := content(m)["data"].(map[string]any)
		if got := data["text/plain"]; got != fmt.Sprint(i) {
			t.Fatalf("display %d is %v", i, got)
		}
		i++
	}
	if i != n {
		t.Errorf("got %d displays, want %d", i, n)
	}
	want := []string{"status", "execute_input", "execute_result", "status"}
	if !reflect.DeepEqual(types, want) {
		t.Errorf("other messages %v, want %v around the displays", types, want)
	}
}
