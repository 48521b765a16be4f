// Package comm is the interpreter's side of Jupyter comms: channels between
// a kernel object and a frontend object, opened by either side, carrying
// JSON messages both ways (the protocol's comm_open, comm_msg, comm_close).
// Jupyter widgets (package widgets) are built on it; cells may use it
// directly:
//
//	c := comm.Open("my.target", map[string]any{"hello": 1}, nil)
//	c.OnMsg(func(m *comm.Msg) { fmt.Println("got", string(m.Data)) })
//	c.Send(map[string]any{"x": 2})
//
//	comm.Register("my.target", func(c *comm.Comm, m *comm.Msg) { ... }) // frontend-opened comms
//
// # How messages travel
//
// Messages to the frontend go through the Publisher of the cell that owns
// the calling goroutine (display.Current), when it is a mime.Sender; a
// publisher that is not (a test recorder of old, a headless run) drops them.
// Messages from the frontend reach Handle, which the interpreter calls with
// a Publisher whose parent is that message, so that what a callback prints
// or displays is tagged with the message that caused it.
//
// # Errors
//
// A callback that panics does not take anything down: the panic is reported
// as stderr text under the cell that opened the comm (its owner), and Handle
// returns it as an error for the kernel's log. A message for an unknown comm
// or a malformed one is an error from Handle, never a panic.
package comm

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"reflect"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/gokernel/gokernel/interp/display"
	"github.com/gokernel/gokernel/interp/rt"
	"github.com/gokernel/gokernel/kernel/mime"
)

// A Comm is one open comm.
type Comm struct {
	id, target string
	owner      mime.Publisher // where a callback's panic is reported

	mu      sync.Mutex
	onMsg   func(*Msg)
	onClose func(*Msg)
	closed  bool
}

// A Msg is a message from the frontend on a comm.
type Msg struct {
	// ID is the message's msg_id: the parent of every output sent while
	// it is handled (an Output widget captures outputs by that id).
	ID string
	// Data is the message's data field, as sent.
	Data json.RawMessage
	// Metadata is the message's metadata field, if any.
	Metadata json.RawMessage
	// Superseded: a later message on this comm is already waiting (see
	// mime.CommMsg).
	Superseded bool
}

var (
	mu      sync.Mutex
	comms   = map[string]*Comm{}
	targets = map[string]func(*Comm, *Msg){}
	nextID  atomic.Uint64
	prefix  = newPrefix()
)

// newPrefix makes comm ids unique across processes (a restarted worker must
// not reuse an id a frontend still knows), as the uuid ipykernel uses does.
func newPrefix() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported systems
	return fmt.Sprintf("%x", b)
}

// Register installs open as the handler of comms the frontend opens with
// target name target; nil removes it. open runs while the comm_open is
// handled; it typically installs OnMsg and OnClose on c. Comm_opens for a
// target with no handler are answered with comm_close.
func Register(target string, open func(c *Comm, m *Msg)) {
	mu.Lock()
	defer mu.Unlock()
	if open == nil {
		delete(targets, target)
		return
	}
	targets[target] = open
}

// Open opens a comm to the frontend's target and returns it. data (nil
// means {}) and metadata (the message's metadata, where the widget protocol
// puts its version) must marshal to JSON objects.
func Open(target string, data, metadata any) *Comm {
	c := &Comm{id: prefix + "-" + fmt.Sprint(nextID.Add(1)), target: target, owner: display.Current()}
	mu.Lock()
	comms[c.id] = c
	mu.Unlock()
	send(mime.MsgCommOpen, map[string]any{"comm_id": c.id, "target_name": target, "data": object(data)}, metadata)
	return c
}

// ID returns the comm's id.
func (c *Comm) ID() string { return c.id }

// Target returns the comm's target name.
func (c *Comm) Target() string { return c.target }

// Send sends a comm_msg with data (a JSON object) to the frontend. It does
// nothing once the comm is closed.
func (c *Comm) Send(data any) {
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return
	}
	send(mime.MsgCommMsg, map[string]any{"comm_id": c.id, "data": object(data)}, nil)
}

// Close closes the comm, telling the frontend with data; later calls do
// nothing.
func (c *Comm) Close(data any) {
	if !c.markClosed() {
		return
	}
	send(mime.MsgCommClose, map[string]any{"comm_id": c.id, "data": object(data)}, nil)
}

func (c *Comm) markClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	c.closed = true
	mu.Lock()
	delete(comms, c.id)
	mu.Unlock()
	return true
}

// Closed reports whether the comm was closed, by either side.
func (c *Comm) Closed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// OnMsg sets the function called with each comm_msg from the frontend.
func (c *Comm) OnMsg(f func(*Msg)) {
	c.mu.Lock()
	c.onMsg = f
	c.mu.Unlock()
}

// OnClose sets the function called when the frontend closes the comm.
func (c *Comm) OnClose(f func(*Msg)) {
	c.mu.Lock()
	c.onClose = f
	c.mu.Unlock()
}

// Owner returns the Publisher of the cell that opened the comm (for a
// frontend-opened comm, of its comm_open): errors of the comm's callbacks
// are shown there.
func (c *Comm) Owner() mime.Publisher { return c.owner }

// Report shows err as stderr text under the comm's owner, the cell the user
// connects with the comm, and under the message being served if that is
// another publisher (an Output widget capturing a callback's output shows
// it there). Callbacks that run on goroutines of their own use it too.
func (c *Comm) Report(err error) {
	if err == nil {
		return
	}
	text := err.Error() + "\n"
	if c.owner != nil {
		c.owner.Stream("stderr", text)
	}
	if cur := display.Current(); !same(cur, c.owner) {
		cur.Stream("stderr", text)
	}
}

// same reports whether a and b are the same publisher, without panicking
// on publishers of incomparable types.
func same(a, b mime.Publisher) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	ta, tb := reflect.TypeOf(a), reflect.TypeOf(b)
	return ta == tb && ta.Comparable() && a == b
}

// Comms returns the ids and target names of the open comms whose target is
// target ("" means all), as comm_info_reply lists them.
func Comms(target string) map[string]string {
	mu.Lock()
	defer mu.Unlock()
	m := map[string]string{}
	for id, c := range comms {
		if target == "" || c.target == target {
			m[id] = c.target
		}
	}
	return m
}

// Lookup returns the open comm with id, or nil.
func Lookup(id string) *Comm {
	mu.Lock()
	defer mu.Unlock()
	return comms[id]
}

// content is the part of comm_open, comm_msg and comm_close we read.
type content struct {
	CommID     string          `json:"comm_id"`
	TargetName string          `json:"target_name"`
	Data       json.RawMessage `json:"data"`
	Metadata   json.RawMessage `json:"metadata"`
}

// Handle serves one comm message from the frontend. out is the Publisher
// of that message (its parent is the message); the interpreter makes it
// the current one (display.Current) while Handle runs. The error, if any,
// is for the kernel's log: what the user must see has been shown.
func Handle(m mime.CommMsg, out mime.Publisher) error {
	var c content
	if err := json.Unmarshal(m.Content, &c); err != nil {
		return fmt.Errorf("comm: malformed %s: %v", m.Type, err)
	}
	if c.CommID == "" {
		return fmt.Errorf("comm: %s without a comm_id", m.Type)
	}
	msg := &Msg{ID: m.MsgID, Data: c.Data, Metadata: c.Metadata, Superseded: m.Superseded}
	if len(msg.Data) == 0 || string(msg.Data) == "null" {
		msg.Data = json.RawMessage("{}")
	}
	switch m.Type {
	case mime.MsgCommOpen:
		mu.Lock()
		open := targets[c.TargetName]
		_, dup := comms[c.CommID]
		mu.Unlock()
		if open == nil || dup {
			// The protocol's answer to a comm_open nobody can serve.
			if s, ok := out.(mime.Sender); ok {
				s.Send(mime.MsgCommClose, map[string]any{"comm_id": c.CommID, "data": map[string]any{}}, nil)
			}
			if dup {
				return fmt.Errorf("comm: comm_open for comm %s, which is already open; closed", c.CommID)
			}
			return fmt.Errorf("comm: no comm target %q; comm %s closed", c.TargetName, c.CommID)
		}
		cm := &Comm{id: c.CommID, target: c.TargetName, owner: out}
		mu.Lock()
		comms[cm.id] = cm
		mu.Unlock()
		return cm.call(func() { open(cm, msg) }, "comm_open")
	case mime.MsgCommMsg, mime.MsgCommClose:
		cm := Lookup(c.CommID)
		if cm == nil {
			return fmt.Errorf("comm: %s for unknown comm id %q (closed, or opened by an earlier interpreter); ignored", m.Type, c.CommID)
		}
		cm.mu.Lock()
		f := cm.onMsg
		if m.Type == mime.MsgCommClose {
			f = cm.onClose
		}
		cm.mu.Unlock()
		if m.Type == mime.MsgCommClose {
			cm.markClosed()
		}
		if f == nil {
			return nil
		}
		return cm.call(func() { f(msg) }, m.Type)
	}
	return fmt.Errorf("comm: %q is not a comm message", m.Type)
}

// call runs a callback of c, turning a panic into an error shown under the
// comm's owner.
func (c *Comm) call(f func(), what string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = Panic(r, fmt.Sprintf("%s callback of comm %s (%s)", what, c.id, c.target))
			c.Report(err)
		}
	}()
	f()
	return nil
}

// Panic turns a recovered panic value into an error that names where it
// happened and the first frames of user code, for callbacks run by comms
// and widgets.
func Panic(r any, where string) error {
	if _, ok := r.(rt.Interrupted); ok {
		return fmt.Errorf("%s: interrupted", where)
	}
	return fmt.Errorf("panic in %s: %v\n%s", where, r, trimStack(debug.Stack()))
}

// trimStack keeps a short stack: the panicking frames below the runtime's
// own, at most a dozen lines, so the error reads under a cell.
func trimStack(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	// Skip "goroutine N [running]:", debug.Stack, and the deferred
	// function's frames down to runtime.gopanic.
	for i, l := range lines {
		if strings.HasPrefix(l, "panic(") || strings.HasPrefix(l, "runtime.gopanic") {
			lines = lines[min(i+2, len(lines)):]
			break
		}
	}
	if len(lines) > 12 {
		lines = append(lines[:12], "\t...")
	}
	return strings.Join(lines, "\n")
}

// send sends an iopub message through the current cell's Publisher.
func send(msgType string, c map[string]any, metadata any) {
	if s, ok := display.Current().(mime.Sender); ok {
		s.Send(msgType, c, metadata)
	}
}

// object returns v, or an empty object for nil, so that data and metadata
// are always JSON objects as the protocol requires.
func object(v any) any {
	if v == nil {
		return map[string]any{}
	}
	return v
}

// Targets returns the registered target names, sorted.
func Targets() []string {
	mu.Lock()
	defer mu.Unlock()
	ts := make([]string, 0, len(targets))
	for t := range targets {
		ts = append(ts, t)
	}
	sort.Strings(ts)
	return ts
}
