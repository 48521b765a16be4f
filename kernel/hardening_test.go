package kernel_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"

	"github.com/gokernel/gokernel/kernel"
	"github.com/gokernel/gokernel/kernel/kerneltest"
	"github.com/gokernel/gokernel/kernel/mime"
	"github.com/gokernel/gokernel/kernel/wire"
)

// TestReplayedMessageIsRefused sends one signed execute_request twice (and
// once more on control, and once with its signature in capitals, which
// verifies as well): it runs once and gets one reply.
func TestReplayedMessageIsRefused(t *testing.T) {
	var runs atomic.Int32
	f := start(t, func(ctx context.Context, code string, out mime.Publisher) (mime.Bundle, error) {
		runs.Add(1)
		return mime.Bundle{}, nil
	})
	m := f.Message("execute_request", kerneltest.ExecuteRequest("x := 1"))
	frames := f.Frames(m)
	f.SendFrames("shell", frames...)
	f.Reply(m.Header.MsgID)
	f.SendFrames("shell", frames...)
	f.SendFrames("control", frames...)
	upper := append([][]byte(nil), frames...)
	upper[1] = []byte(strings.ToUpper(string(frames[1])))
	f.SendFrames("shell", upper...)
	// Requests on a socket are served in order: once a fresh request sent
	// after the replays is answered, the replays have been dealt with.
	f.Reply(f.Send("shell", "kernel_info_request", struct{}{}))
	f.Reply(f.Send("control", "kernel_info_request", struct{}{}))
	if n := runs.Load(); n != 1 {
		t.Errorf("the cell ran %d times", n)
	}
	if _, n := f.ReplyChannel(m.Header.MsgID); n != 1 {
		t.Errorf("%d replies to one request sent four times", n)
	}
	if got := f.IOPub(m.Header.MsgID); len(got) != 3 { // busy, execute_input, idle
		t.Errorf("IOPub for the request: %v", kerneltest.Types(got))
	}
}

// exprEvaluator evaluates "a+b"-like cells to their own text, prints on
// stdout as it does, and fails on "bad".
func exprEvaluator(calls *[]string, mu *sync.Mutex) kernel.ExecuteFunc {
	return func(ctx context.Context, code string, out mime.Publisher) (mime.Bundle, error) {
		mu.Lock()
		*calls = append(*calls, code)
		mu.Unlock()
		out.Stream("stdout", "ran "+code+"\n")
		out.Display(mime.TextBundle("shown "+code), "")
		switch code {
		case "bad":
			return mime.Bundle{}, &cellError{"CompileError", []string{"1:1: undefined: bad"}}
		case "cellfails":
			return mime.Bundle{}, errors.New("the cell failed")
		}
		return mime.TextBundle("value of " + code), nil
	}
}

func TestUserExpressions(t *testing.T) {
	var (
		calls []string
		mu    sync.Mutex
	)
	f := start(t, exprEvaluator(&calls, &mu))
	req := kerneltest.ExecuteRequest("cell")
	req["user_expressions"] = map[string]any{"b": "bad", "a": "x+1", "n": 7}
	reply, iopub := f.ExecuteWith(req)
	c := content(reply)
	want := map[string]any{
		"a": map[string]any{"status": "ok", "data": map[string]any{"text/plain": "value of x+1"}, "metadata": map[string]any{}},
		"b": map[string]any{"status": "error", "ename": "CompileError", "evalue": "CompileError: 1:1: undefined: bad", "traceback": []any{"1:1: undefined: bad"}},
		"n": map[string]any{"status": "error", "ename": "TypeError", "evalue": `user expression "n" is not a string`, "traceback": []any{`user expression "n" is not a string`}},
	}
	if !reflect.DeepEqual(c["user_expressions"], want) {
		t.Errorf("user_expressions\n got %v\nwant %v", c["user_expressions"], want)
	}
	if c["execution_count"] != 1.0 || !reflect.DeepEqual(c["payload"], []any{}) {
		t.Errorf("execution_count %v payload %v", c["execution_count"], c["payload"])
	}
	mu.Lock()
	if !reflect.DeepEqual(calls, []string{"cell", "x+1", "bad"}) { // the cell first, then sorted by name
		t.Errorf("evaluated %q", calls)
	}
	mu.Unlock()
	// Only the cell's own outputs are published.
	if got := kerneltest.Types(iopub); !reflect.DeepEqual(got, []string{"status", "execute_input", "stream", "display_data", "execute_result", "status"}) {
		t.Errorf("IOPub %v", got)
	}
	if s := kerneltest.Stream(iopub, "stdout"); s != "ran cell\n" {
		t.Errorf("stdout %q", s)
	}
	// The next cell's count is 2: expressions did not count.
	if c := content(mustReply(f.Execute("next"))); c["execution_count"] != 2.0 {
		t.Errorf("next execution_count %v", c["execution_count"])
	}

	t.Run("failed cell: none evaluated, fields present", func(t *testing.T) {
		req := kerneltest.ExecuteRequest("cellfails")
		req["user_expressions"] = map[string]any{"a": "x+1"}
		c := content(mustReply(f.ExecuteWith(req)))
		if c["status"] != "error" || !reflect.DeepEqual(c["user_expressions"], map[string]any{}) || !reflect.DeepEqual(c["payload"], []any{}) {
			t.Errorf("reply %v", c)
		}
	})
}

// exprOnly implements the optional EvaluateExpression.
type exprOnly struct {
	kernel.ExecuteFunc
	got chan string
}

func (e exprOnly) EvaluateExpression(ctx context.Context, expr string) (mime.Bundle, error) {
	e.got <- expr
	return mime.TextBundle("E(" + expr + ")"), nil
}

func TestUserExpressionsOptionalInterface(t *testing.T) {
	ev := exprOnly{
		ExecuteFunc: func(ctx context.Context, code string, out mime.Publisher) (mime.Bundle, error) {
			if code != "cell" {
				return mime.Bundle{}, fmt.Errorf("Execute called with %q", code)
			}
			return mime.Bundle{}, nil
		},
		got: make(chan string, 1),
	}
	f := kerneltest.Start(t, ev, kernel.Options{})
	req := kerneltest.ExecuteRequest("cell")
	req["user_expressions"] = map[string]any{"a": "x"}
	c := content(mustReply(f.ExecuteWith(req)))
	a, _ := c["user_expressions"].(map[string]any)["a"].(map[string]any)
	if a["status"] != "ok" || a["data"].(map[string]any)["text/plain"] != "E(x)" {
		t.Errorf("user_expressions %v", c["user_expressions"])
	}
}

// TestShellRequestsOnControl sends every shell request on control: each is
// answered on control, and the Evaluator is still called one at a time.
func TestShellRequestsOnControl(t *testing.T) {
	var busy atomic.Int32
	var overlap atomic.Bool
	ev := fullEvaluator{ExecuteFunc: func(ctx context.Context, code string, out mime.Publisher) (mime.Bundle, error) {
		if busy.Add(1) > 1 {
			overlap.Store(true)
		}
		defer busy.Add(-1)
		time.Sleep(time.Millisecond)
		return mime.TextBundle(code), nil
	}}
	f := kerneltest.Start(t, ev, kernel.Options{})
	requests := []struct {
		msgType string
		content any
		reply   string
	}{
		{"execute_request", kerneltest.ExecuteRequest("1"), "execute_reply"},
		{"complete_request", map[string]any{"code": "fmt.Pr", "cursor_pos": 6}, "complete_reply"},
		{"inspect_request", map[string]any{"code": "fmt.Println", "cursor_pos": 3, "detail_level": 0}, "inspect_reply"},
		{"is_complete_request", map[string]any{"code": "x"}, "is_complete_reply"},
		{"history_request", map[string]any{"hist_access_type": "tail", "n": 5}, "history_reply"},
		{"comm_info_request", map[string]any{}, "comm_info_reply"},
		{"kernel_info_request", map[string]any{}, "kernel_info_reply"},
	}
	var ids []string
	for i := 0; i < 3; i++ { // shell and control at once, to catch overlap
		for _, r := range requests {
			ids = append(ids, f.Send("control", r.msgType, r.content), f.Send("shell", r.msgType, r.content))
		}
	}
	for i, id := range ids {
		r := requests[(i/2)%len(requests)]
		m := f.Reply(id)
		ch, _ := f.ReplyChannel(id)
		want := []string{"control", "shell"}[i%2]
		status := content(m)["status"]
		if m.Header.MsgType != r.reply || ch != want || status != "ok" && status != "complete" {
			t.Errorf("%s on %s: got %s on %s, %v", r.msgType, want, m.Header.MsgType, ch, content(m))
		}
	}
	if overlap.Load() {
		t.Error("the Evaluator was called from two goroutines at once")
	}
	// The execution count went 1..6 over both channels.
	if c := content(mustReply(f.Execute("last"))); c["execution_count"] != 7.0 {
		t.Errorf("execution_count %v, want 7", c["execution_count"])
	}
}

// TestControlExecuteWaitsButInterruptDoesNot: an execute_request on control
// waits for the running cell, while an interrupt_request behind it on
// control is answered at once.
func TestControlExecuteWaitsButInterruptDoesNot(t *testing.T) {
	b := newBlocker()
	f := start(t, b.eval)
	first := kerneltest.ExecuteRequest("block")
	first["stop_on_error"] = false // else what is queued behind it is aborted
	running := f.Send("shell", "execute_request", first)
	<-b.started
	queued := f.Send("control", "execute_request", kerneltest.ExecuteRequest("after"))
	f.Reply(f.Send("control", "interrupt_request", struct{}{}))
	if c := content(f.Reply(running)); c["status"] != "error" {
		t.Errorf("interrupted cell: %v", c)
	}
	if c := content(f.Reply(queued)); c["status"] != "ok" {
		t.Errorf("control cell: %v", c)
	}
	if ch, _ := f.ReplyChannel(queued); ch != "control" {
		t.Errorf("control cell answered on %q", ch)
	}
}

func TestSignatureSchemes(t *testing.T) {
	for _, scheme := range wire.Schemes() {
		t.Run(scheme, func(t *testing.T) {
			f := kerneltest.StartScheme(t, kernel.ExecuteFunc(func(ctx context.Context, code string, out mime.Publisher) (mime.Bundle, error) {
				return mime.TextBundle(code), nil
			}), kernel.Options{}, scheme)
			reply, iopub := f.Execute("6*7")
			if content(reply)["status"] != "ok" || len(iopub) != 4 {
				t.Errorf("reply %v, IOPub %v", content(reply), kerneltest.Types(iopub))
			}
			if len(reply.Signature) == 0 {
				t.Error("reply not signed")
			}
			if scheme == "hmac-sha256" {
				return
			}
			// A message signed with SHA-256 instead is refused.
			m := f.Message("kernel_info_request", struct{}{})
			frames, err := wire.Encode(f.Key(), m)
			if err != nil {
				t.Fatal(err)
			}
			f.SendFrames("shell", frames...)
			f.Reply(f.Send("shell", "kernel_info_request", struct{}{}))
			if f.HasReply(m.Header.MsgID) {
				t.Error("a message signed with the wrong scheme was answered")
			}
		})
	}
}

func TestHelpSyntax(t *testing.T) {
	var executed []string
	var mu sync.Mutex
	f := kerneltest.Start(t, fullEvaluator{ExecuteFunc: func(ctx context.Context, code string, out mime.Publisher) (mime.Bundle, error) {
		mu.Lock()
		executed = append(executed, code)
		mu.Unlock()
		return mime.Bundle{}, nil
	}}, kernel.Options{})
	tests := []struct {
		code   string
		page   string // the page payload's text/plain; "" for none
		stdout string
	}{
		{"fmt.Println?", "func Println (detail 0)", ""},
		{"fmt.Println??", "func Println (detail 1)", ""},
		{"  ?fmt.Println\n", "func Println (detail 0)", ""},
		{"??fmt.Println", "func Println (detail 1)", ""},
		{"nosuch?", "", "Object `nosuch` not found.\n"},
	}
	for i, tt := range tests {
		reply, iopub := f.Execute(tt.code)
		c := content(reply)
		if c["status"] != "ok" || c["execution_count"] != float64(i+1) {
			t.Errorf("%q: reply %v", tt.code, c)
		}
		payload, _ := c["payload"].([]any)
		switch {
		case tt.page == "" && len(payload) != 0:
			t.Errorf("%q: payload %v", tt.code, payload)
		case tt.page != "":
			want := []any{map[string]any{"source": "page", "data": map[string]any{"text/plain": tt.page}, "start": 0.0}}
			if !reflect.DeepEqual(payload, want) {
				t.Errorf("%q: payload %v, want %v", tt.code, payload, want)
			}
		}
		if got := kerneltest.Stream(iopub, "stdout"); got != tt.stdout {
			t.Errorf("%q: stdout %q", tt.code, got)
		}
	}
	// Not help: sent to the Evaluator as Go.
	for _, code := range []string{"a ? b", "x?y", "?x?", "fmt.Println(1)", "x???"} {
		f.Execute(code)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"a ? b", "x?y", "?x?", "fmt.Println(1)", "x???"}; !reflect.DeepEqual(executed, want) {
		t.Errorf("executed %q, want %q", executed, want)
	}
}

// TestLargeResult: a result larger than a peer's queue bound (64 MiB)
// reaches the client whole; ipykernel has no size limit either.
func TestLargeResult(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 70 MiB through the kernel")
	}
	big := strings.Repeat("x", 70<<20) // over the 64 MiB queue bound
	f := start(t, func(ctx context.Context, code string, out mime.Publisher) (mime.Bundle, error) {
		return mime.TextBundle(big), nil
	})
	_, iopub := f.Execute("big")
	var got string
	for _, m := range iopub {
		if m.Header.MsgType == "execute_result" {
			got, _ = content(m)["data"].(map[string]any)["text/plain"].(string)
		}
	}
	if len(got) != len(big) {
		t.Errorf("execute_result of %d bytes arrived as %d (IOPub %v)", len(big), len(got), kerneltest.Types(iopub))
	}
}

// lockedBuffer is a log destination read while the kernel writes to it.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestFrameLimitNamesItself: an incoming frame over the limit closes its
// connection with a log line giving the limit and the setting that raises
// it; the kernel and other clients carry on.
func TestFrameLimitNamesItself(t *testing.T) {
	logs := &lockedBuffer{}
	f := kerneltest.Start(t, kernel.ExecuteFunc(func(ctx context.Context, code string, out mime.Publisher) (mime.Bundle, error) {
		return mime.TextBundle(fmt.Sprint(len(code))), nil
	}), kernel.Options{MaxFrameSize: 1 << 20, Log: log.New(logs, "", 0)})
	c, err := f.Dial(f.Info.ShellPort, zmq4.Dealer, []byte("big"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	m := f.Message("execute_request", kerneltest.ExecuteRequest(strings.Repeat("x", 2<<20)))
	c.Send(f.Frames(m)...)
	deadline := time.Now().Add(kerneltest.Timeout)
	for !strings.Contains(logs.String(), "larger than the limit") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if s := logs.String(); !strings.Contains(s, "larger than the limit of 1 MiB") || !strings.Contains(s, "GOKERNEL_MAX_FRAME_MB") {
		t.Errorf("log does not name the limit and the setting:\n%s", s)
	}
	// Under the limit: served, on the frontend's own connection.
	reply, _ := f.Execute(strings.Repeat("y", 1<<19))
	if c := content(reply); c["status"] != "ok" {
		t.Errorf("reply %v", c)
	}
	if f.HasReply(m.Header.MsgID) {
		t.Error("the oversized request was answered")
	}
}

func TestFrameLimitFromEnvironment(t *testing.T) {
	for _, tt := range []struct {
		env, want string
	}{
		{"1", "limit of 1 MiB"},
		{"lots", "limit of 256 MiB"}, // bad values are logged and ignored
	} {
		t.Run(tt.env, func(t *testing.T) {
			t.Setenv("GOKERNEL_MAX_FRAME_MB", tt.env)
			logs := &lockedBuffer{}
			f := kerneltest.Start(t, kernel.ExecuteFunc(func(ctx context.Context, code string, out mime.Publisher) (mime.Bundle, error) {
				return mime.Bundle{}, nil
			}), kernel.Options{Log: log.New(logs, "", 0)})
			if tt.env == "lots" {
				if !strings.Contains(logs.String(), `GOKERNEL_MAX_FRAME_MB="lots" is not a positive whole number`) {
					t.Errorf("bad value not logged:\n%s", logs)
				}
				return
			}
			c, err := f.Dial(f.Info.ShellPort, zmq4.Dealer, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.Send(bytes.Repeat([]byte("z"), 1<<20+1))
			deadline := time.Now().Add(kerneltest.Timeout)
			for !strings.Contains(logs.String(), tt.want) && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if !strings.Contains(logs.String(), tt.want) {
				t.Errorf("log:\n%s", logs)
			}
		})
	}
}
