// Package kerneltest is a fake Jupyter frontend for tests, in the manner of
// net/http/httptest: it starts a kernel on loopback with a given Evaluator,
// connects to all five sockets, sends requests and records the replies and
// the IOPub traffic.
//
//	f := kerneltest.Start(t, kernel.ExecuteFunc(func(ctx context.Context, code string, out mime.Publisher) (mime.Bundle, error) {
//		out.Stream("stdout", "hi\n")
//		return mime.TextBundle("42"), nil
//	}), kernel.Options{})
//	reply, iopub := f.Execute("6*7")
//	// kerneltest.Types(iopub) == [status execute_input stream execute_result status]
//
// Every wait is bounded (Timeout) and fails the test rather than hang.
package kerneltest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"
	"github.com/go-zeromq/zmq4/security/null"
	"github.com/google/uuid"

	"github.com/gokernel/gokernel/kernel"
	"github.com/gokernel/gokernel/kernel/wire"
)

// Timeout bounds every wait for a message.
var Timeout = 20 * time.Second

// A Frontend is a client connected to a kernel it started.
type Frontend struct {
	Kernel  *kernel.Kernel
	Info    kernel.ConnectionInfo
	Session string // the client session id, also its shell/stdin identity
	// ConnectionFile is where the connection info was written (in t.TempDir).
	ConnectionFile string

	t      testing.TB
	key    []byte
	scheme string // signature_scheme of the connection file

	shell, control, stdin *Conn
	iopub                 *Conn
	hb                    *Conn

	mu      sync.Mutex
	cond    *sync.Cond
	replies map[string]*wire.Message // shell and control, by parent msg_id
	channel map[string]string        // "shell" or "control": where each reply came, by parent msg_id
	counts  map[string]int           // replies received, by parent msg_id
	order   []*wire.Message          // shell and control replies, as received
	pub     []*wire.Message          // iopub, as received
	inputs  []*wire.Message          // input_requests, as received

	runDone chan struct{}
	restart bool
	runErr  error
}

// Start writes a connection file with a random key and free ports, starts
// a kernel on it with ev, connects to every socket and waits until IOPub
// delivers (so no early message is missed). The kernel is closed when the
// test ends.
func Start(t testing.TB, ev kernel.Evaluator, opts kernel.Options) *Frontend {
	t.Helper()
	return StartScheme(t, ev, opts, "hmac-sha256")
}

// StartScheme is Start with a connection file whose signature_scheme is
// scheme ("hmac-sha512", ...); the frontend signs and checks with it too.
func StartScheme(t testing.TB, ev kernel.Evaluator, opts kernel.Options, scheme string) *Frontend {
	t.Helper()
	keyb := make([]byte, 16)
	rand.Read(keyb)
	info := kernel.ConnectionInfo{
		Transport: "tcp", IP: "127.0.0.1", Key: hex.EncodeToString(keyb),
		SignatureScheme: scheme, KernelName: "gokernel-test",
	}
	path := filepath.Join(t.TempDir(), "kernel.json")
	b, _ := json.Marshal(info)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	info, err := kernel.ReadConnectionFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if opts.Log == nil {
		opts.Log = newLogger(t)
	}
	k, err := kernel.New(info, ev, opts)
	if err != nil {
		t.Fatal(err)
	}
	f := &Frontend{
		Kernel: k, Info: k.ConnectionInfo(), Session: uuid.NewString(), ConnectionFile: path,
		t: t, key: []byte(info.Key), scheme: info.SignatureScheme, replies: map[string]*wire.Message{}, channel: map[string]string{}, counts: map[string]int{}, runDone: make(chan struct{}),
	}
	f.cond = sync.NewCond(&f.mu)
	go func() {
		defer close(f.runDone)
		f.restart, f.runErr = k.Run(context.Background())
	}()
	t.Cleanup(f.Close)

	id := []byte(f.Session)
	f.shell = f.dial(f.Info.ShellPort, zmq4.Dealer, id)
	f.control = f.dial(f.Info.ControlPort, zmq4.Dealer, []byte(f.Session+"-control"))
	f.stdin = f.dial(f.Info.StdinPort, zmq4.Dealer, id)
	f.iopub = f.Subscribe()
	f.hb = f.dial(f.Info.HBPort, zmq4.Req, nil)
	go f.collect(f.shell, "shell", &f.order)
	go f.collect(f.control, "control", &f.order)
	go f.collect(f.stdin, "stdin", &f.inputs)
	go f.collect(f.iopub, "iopub", &f.pub)
	f.waitIOPub()
	return f
}

// Close shuts the kernel down (Kernel.Close) and waits for Run to return.
func (f *Frontend) Close() {
	f.Kernel.Close()
	select {
	case <-f.runDone:
	case <-time.After(Timeout):
		f.t.Errorf("kerneltest: Run did not return %v after Close", Timeout)
	}
	for _, c := range []*Conn{f.shell, f.control, f.stdin, f.iopub, f.hb} {
		if c != nil {
			c.Close()
		}
	}
	f.mu.Lock()
	f.cond.Broadcast()
	f.mu.Unlock()
}

// Wait waits for Run to return (after a shutdown_request) and reports what
// it returned.
func (f *Frontend) Wait() (restart bool, err error) {
	f.t.Helper()
	select {
	case <-f.runDone:
		return f.restart, f.runErr
	case <-time.After(Timeout):
		f.t.Fatalf("kerneltest: Run did not return within %v", Timeout)
		return false, nil
	}
}

// waitIOPub sends kernel_info_request until its status reaches IOPub:
// a new subscription takes a moment to reach the kernel (ZeroMQ's "slow
// joiner"), as jupyter_client knows.
func (f *Frontend) waitIOPub() {
	deadline := time.Now().Add(Timeout)
	for time.Now().Before(deadline) {
		id := f.Send("shell", "kernel_info_request", struct{}{})
		f.Reply(id)
		if f.waitFor(200*time.Millisecond, func() bool { return f.idleLocked(id) }) {
			return
		}
	}
	f.t.Fatal("kerneltest: IOPub never delivered")
}

// A Conn is one raw ZMTP connection to a kernel socket.
type Conn struct {
	raw  net.Conn
	zc   *zmq4.Conn
	wmu  sync.Mutex
	once sync.Once
}

// Send sends one multipart message.
func (c *Conn) Send(frames ...[]byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.zc.SendMsg(zmq4.NewMsgFrom(frames...))
}

// Recv receives one multipart message.
func (c *Conn) Recv() ([][]byte, error) {
	for {
		m, err := c.zc.RecvMsg()
		if err != nil {
			return nil, err
		}
		if m.Type != zmq4.CmdMsg {
			return m.Frames, nil
		}
	}
}

// Close closes the connection.
func (c *Conn) Close() { c.once.Do(func() { c.raw.Close() }) }

// Dial opens a ZMTP connection of type typ (Dealer, Sub, Req) to a port
// of the kernel, with routing identity id (nil for none).
func (f *Frontend) Dial(port int, typ zmq4.SocketType, id []byte) (*Conn, error) {
	raw, err := net.DialTimeout("tcp", net.JoinHostPort(f.Info.IP, fmt.Sprint(port)), Timeout)
	if err != nil {
		return nil, err
	}
	zc, err := zmq4.Open(raw, null.Security(), typ, zmq4.SocketIdentity(id), false, nil)
	if err != nil {
		raw.Close()
		return nil, err
	}
	return &Conn{raw: raw, zc: zc}, nil
}

func (f *Frontend) dial(port int, typ zmq4.SocketType, id []byte) *Conn {
	f.t.Helper()
	c, err := f.Dial(port, typ, id)
	if err != nil {
		f.t.Fatalf("kerneltest: connecting to port %d: %v", port, err)
	}
	return c
}

// Subscribe connects a new IOPub subscriber to everything. The caller
// reads it (Recv) or deliberately never does; it is closed with f.
func (f *Frontend) Subscribe() *Conn {
	f.t.Helper()
	c := f.dial(f.Info.IOPubPort, zmq4.Sub, nil)
	if err := c.Send([]byte{1}); err != nil {
		f.t.Fatalf("kerneltest: subscribing: %v", err)
	}
	f.t.Cleanup(c.Close)
	return c
}

func (f *Frontend) collect(c *Conn, channel string, into *[]*wire.Message) {
	for {
		frames, err := c.Recv()
		if err != nil {
			return
		}
		m, err := f.signer(f.key).Decode(frames)
		if err != nil {
			f.t.Errorf("kerneltest: the kernel sent a bad message: %v", err)
			continue
		}
		f.mu.Lock()
		*into = append(*into, m)
		if into == &f.order && m.Parent.MsgID != "" {
			f.replies[m.Parent.MsgID] = m
			f.channel[m.Parent.MsgID] = channel
			f.counts[m.Parent.MsgID]++
		}
		f.cond.Broadcast()
		f.mu.Unlock()
	}
}

// Message makes a request of msgType from this client's session.
func (f *Frontend) Message(msgType string, content any) *wire.Message {
	f.t.Helper()
	c, err := json.Marshal(content)
	if err != nil {
		f.t.Fatal(err)
	}
	h := wire.NewHeader(msgType, f.Session)
	h.Username = "kerneltest"
	return &wire.Message{Header: h, Content: c}
}

// Send sends a request on "shell" or "control" and returns its msg_id.
func (f *Frontend) Send(channel, msgType string, content any) string {
	f.t.Helper()
	m := f.Message(msgType, content)
	f.SendMessage(channel, m, f.key)
	return m.Header.MsgID
}

// SendMessage signs m with key (which need not be the kernel's), in the
// connection's signature scheme, and sends it on channel ("shell",
// "control" or "stdin").
func (f *Frontend) SendMessage(channel string, m *wire.Message, key []byte) {
	f.t.Helper()
	frames, err := f.signer(key).Encode(m)
	if err != nil {
		f.t.Fatal(err)
	}
	f.SendFrames(channel, frames...)
}

// SendFrames sends raw frames on channel, for malformed-input tests.
func (f *Frontend) SendFrames(channel string, frames ...[]byte) {
	f.t.Helper()
	if err := f.conn(channel).Send(frames...); err != nil {
		f.t.Fatalf("kerneltest: sending on %s: %v", channel, err)
	}
}

func (f *Frontend) conn(channel string) *Conn {
	switch channel {
	case "shell":
		return f.shell
	case "control":
		return f.control
	case "stdin":
		return f.stdin
	}
	f.t.Fatalf("kerneltest: no channel %q", channel)
	return nil
}

// signer is the frontend's signature scheme with key.
func (f *Frontend) signer(key []byte) wire.Key {
	k, err := wire.NewKey(f.scheme, key)
	if err != nil {
		f.t.Fatalf("kerneltest: %v", err)
	}
	return k
}

// Frames returns m signed with the connection key, as SendFrames takes
// them (to send one message twice, say).
func (f *Frontend) Frames(m *wire.Message) [][]byte {
	f.t.Helper()
	frames, err := f.signer(f.key).Encode(m)
	if err != nil {
		f.t.Fatal(err)
	}
	return frames
}

// Key returns the connection key.
func (f *Frontend) Key() []byte { return f.key }

// waitFor waits until cond (called with f.mu held) holds or d passes.
func (f *Frontend) waitFor(d time.Duration, cond func() bool) bool {
	timer := time.AfterFunc(d, func() {
		f.mu.Lock()
		f.cond.Broadcast()
		f.mu.Unlock()
	})
	defer timer.Stop()
	deadline := time.Now().Add(d)
	f.mu.Lock()
	defer f.mu.Unlock()
	for !cond() {
		if !time.Now().Before(deadline) {
			return false
		}
		f.cond.Wait()
	}
	return true
}

// Reply waits for the shell or control reply to msgID.
func (f *Frontend) Reply(msgID string) *wire.Message {
	f.t.Helper()
	var m *wire.Message
	if !f.waitFor(Timeout, func() bool { m = f.replies[msgID]; return m != nil }) {
		f.t.Fatalf("kerneltest: no reply to %s within %v", msgID, Timeout)
	}
	return m
}

// ReplyChannel returns the channel ("shell" or "control") the reply to
// msgID came on, and how many replies to it came; "" and 0 before any.
func (f *Frontend) ReplyChannel(msgID string) (channel string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.channel[msgID], f.counts[msgID]
}

// HasReply reports whether a reply to msgID has arrived, without waiting.
func (f *Frontend) HasReply(msgID string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.replies[msgID] != nil
}

// Replies returns the shell and control replies received so far, in order.
func (f *Frontend) Replies() []*wire.Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*wire.Message(nil), f.order...)
}

func (f *Frontend) idleLocked(msgID string) bool {
	for _, m := range f.pub {
		if m.Parent.MsgID == msgID && m.Header.MsgType == "status" && State(m) == "idle" {
			return true
		}
	}
	return false
}

// IOPub waits for the idle status whose parent is msgID and returns every
// IOPub message with that parent, in order (busy first, idle last).
func (f *Frontend) IOPub(msgID string) []*wire.Message {
	f.t.Helper()
	if !f.waitFor(Timeout, func() bool { return f.idleLocked(msgID) }) {
		f.t.Fatalf("kerneltest: no idle status for %s within %v; IOPub so far: %v", msgID, Timeout, Types(f.AllIOPub()))
	}
	return f.IOPubSoFar(msgID)
}

// IOPubSoFar returns the IOPub messages with parent msgID received so far.
func (f *Frontend) IOPubSoFar(msgID string) []*wire.Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*wire.Message
	for _, m := range f.pub {
		if m.Parent.MsgID == msgID {
			out = append(out, m)
		}
	}
	return out
}

// AllIOPub returns every IOPub message received so far.
func (f *Frontend) AllIOPub() []*wire.Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*wire.Message(nil), f.pub...)
}

// Execute sends an execute_request for code (defaults as JupyterLab sends
// them) and returns its reply and IOPub messages.
func (f *Frontend) Execute(code string) (reply *wire.Message, iopub []*wire.Message) {
	f.t.Helper()
	return f.ExecuteWith(ExecuteRequest(code))
}

// ExecuteRequest returns execute_request content with JupyterLab's
// defaults, to adjust before ExecuteWith or Send.
func ExecuteRequest(code string) map[string]any {
	return map[string]any{
		"code": code, "silent": false, "store_history": true,
		"user_expressions": map[string]any{}, "allow_stdin": true, "stop_on_error": true,
	}
}

// ExecuteWith sends an execute_request with the given content.
func (f *Frontend) ExecuteWith(content map[string]any) (reply *wire.Message, iopub []*wire.Message) {
	f.t.Helper()
	id := f.Send("shell", "execute_request", content)
	reply = f.Reply(id)
	return reply, f.IOPub(id)
}

// InputRequest waits for the next input_request on stdin.
func (f *Frontend) InputRequest() *wire.Message {
	f.t.Helper()
	var m *wire.Message
	if !f.waitFor(Timeout, func() bool {
		if len(f.inputs) > 0 {
			m, f.inputs = f.inputs[0], f.inputs[1:]
		}
		return m != nil
	}) {
		f.t.Fatalf("kerneltest: no input_request within %v", Timeout)
	}
	return m
}

// SendInput answers an input_request.
func (f *Frontend) SendInput(req *wire.Message, value string) {
	f.t.Helper()
	m := f.Message("input_reply", map[string]string{"value": value})
	m.Parent = req.Header
	f.SendMessage("stdin", m, f.key)
}

// Heartbeat sends payload to the heartbeat socket and returns the echo.
func (f *Frontend) Heartbeat(payload []byte) ([]byte, error) {
	if err := f.hb.Send([]byte{}, payload); err != nil {
		return nil, err
	}
	type result struct {
		frames [][]byte
		err    error
	}
	ch := make(chan result, 1)
	go func() { fs, err := f.hb.Recv(); ch <- result{fs, err} }()
	select {
	case r := <-ch:
		if r.err != nil {
			return nil, r.err
		}
		if len(r.frames) != 2 || len(r.frames[0]) != 0 {
			return nil, fmt.Errorf("kerneltest: heartbeat reply %q is not an echo", r.frames)
		}
		return r.frames[1], nil
	case <-time.After(Timeout):
		return nil, fmt.Errorf("kerneltest: no heartbeat within %v", Timeout)
	}
}

// Types returns the msg_type of each message.
func Types(ms []*wire.Message) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Header.MsgType
	}
	return out
}

// Content decodes m's content into a map.
func Content(m *wire.Message) map[string]any {
	var c map[string]any
	json.Unmarshal(m.Content, &c)
	return c
}

// State returns the execution_state of a status message.
func State(m *wire.Message) string {
	s, _ := Content(m)["execution_state"].(string)
	return s
}

// Stream returns the concatenated text of the stream messages named name.
func Stream(ms []*wire.Message, name string) string {
	var s string
	for _, m := range ms {
		if m.Header.MsgType == "stream" && Content(m)["name"] == name {
			s += Content(m)["text"].(string)
		}
	}
	return s
}

// Indent returns v as indented JSON, for golden files.
func Indent(v any) string {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err.Error()
	}
	return string(b)
}
