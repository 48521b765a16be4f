package worker

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/gokernel/gokernel/kernel/mime"
)

// Frame operations. Parent to child:
const (
	opExecute    = "execute"     // ID: cell id; Code
	opInterrupt  = "interrupt"   // ID: cell id
	opComplete   = "complete"    // ID: call id; Code, Cursor
	opInspect    = "inspect"     // ID: call id; Code, Cursor, Detail
	opIsComplete = "is_complete" // ID: call id; Code
	opInputReply = "input_reply" // ID: input id; Text, Err
	opAbandon    = "abandon"     // ID: cell id (interrupted, and still running after Options.Grace)
	opComm       = "comm"        // ID: cell id; Comm, Parent (comm.go)
	opDebug      = "debug"       // ID: call id; Text: a DAP request (reply: Text, the DAP response)
)

// Child to parent:
const (
	opReady   = "ready"   // PID
	opResult  = "result"  // ID: cell id; Bundle, Err
	opReply   = "reply"   // ID: call id; Matches, Start, End / Bundle, Found / Status, Indent
	opStream  = "stream"  // Cell; Name, Text
	opDisplay = "display" // Cell; Bundle, DisplayID
	opUpdate  = "update"  // Cell; Bundle, DisplayID
	opClear   = "clear"   // Cell; Wait
	opInput   = "input"   // ID: input id; Cell; Prompt, Password
	opStuck   = "stuck"   // Stuck: how many abandoned cells still run (sent when it changes)
	opLost    = "lost"    // Text: which of its pipes a cell closed; the child then exits
	opSend    = "send"    // Cell; MsgType, Content, Metadata: any other iopub message (comm.go)

	opDebugEvent = "debug_event" // Text: a DAP event
)

// A frame is one message on the control pipes: a 4-byte big-endian length,
// then that many bytes of JSON. JSON rather than gob because bundles hold
// arbitrary JSON values (map[string]any, []any) that gob cannot carry without
// registering every concrete type, and they end up as JSON on the wire to the
// frontend anyway.
type frame struct {
	Op   string `json:"op"`
	ID   uint64 `json:"id,omitempty"`
	Cell uint64 `json:"cell,omitempty"`
	PID  int    `json:"pid,omitempty"`

	// Stuck is how many abandoned cells still run in the child: in opStuck
	// frames and in every opResult.
	Stuck int `json:"stuck,omitempty"`

	Code   string `json:"code,omitempty"`
	Cursor int    `json:"cursor,omitempty"`
	Detail int    `json:"detail,omitempty"`

	Name      string       `json:"name,omitempty"`
	Text      string       `json:"text,omitempty"`
	Bundle    *mime.Bundle `json:"bundle,omitempty"`
	DisplayID string       `json:"display_id,omitempty"`
	Wait      bool         `json:"wait,omitempty"`
	Prompt    string       `json:"prompt,omitempty"`
	Password  bool         `json:"password,omitempty"`

	Err *wireError `json:"err,omitempty"`

	Matches []mime.Completion `json:"matches,omitempty"`
	Start   int               `json:"start,omitempty"`
	End     int               `json:"end,omitempty"`
	Found   bool              `json:"found,omitempty"`
	Status  string            `json:"status,omitempty"`
	Indent  string            `json:"indent,omitempty"`

	Comm     *mime.CommMsg   `json:"comm,omitempty"`
	Parent   string          `json:"parent,omitempty"` // the msg_id the cell or comm message serves
	MsgType  string          `json:"msg_type,omitempty"`
	Content  json.RawMessage `json:"content,omitempty"`
	Metadata json.RawMessage `json:"metadata,omitempty"`

	raw bool // a raw stream frame: Text may end in the middle of a character
}

// maxFrame bounds one frame. It is generous (ipykernel has no limit, and
// notebooks do hold cells and values of a hundred megabytes): the reader
// grows its buffer as bytes arrive (readN), so a bogus length costs nothing
// up front, and bodyTimeout catches one that never arrives. The length word
// leaves 31 bits (rawFlag is the 32nd).
const maxFrame = 1 << 30

// maxSend is maxFrame where frames are encoded; tests lower it.
var maxSend = maxFrame

// errTooLarge matches every *tooLargeError.
var errTooLarge = errors.New("worker: message too large")

// A tooLargeError is a frame over maxFrame: it names the limit and what to
// do, since the user can act on it (the interpreter is fine).
type tooLargeError struct {
	op   string
	size int
}

func (e *tooLargeError) Is(target error) bool { return target == errTooLarge }

func (e *tooLargeError) Error() string {
	limit := fmt.Sprintf("the %s limit of one message between the kernel and the Go interpreter", byteSize(maxSend))
	switch e.op {
	case opExecute:
		return fmt.Sprintf("The cell was not run: its code is %s, more than %s. "+
			"Split it into smaller cells, or read large data from a file instead of writing it into the cell.", byteSize(e.size), limit)
	case opResult:
		return fmt.Sprintf("the cell's value is %s as JSON, more than %s: "+
			"show a part of it, or write it to a file", byteSize(e.size), limit)
	case opDisplay, opUpdate:
		return fmt.Sprintf("this display is %s as JSON, more than %s: show a smaller one", byteSize(e.size), limit)
	}
	return fmt.Sprintf("worker: a %s message of %s is more than %s", e.op, byteSize(e.size), limit)
}

// byteSize formats n bytes for people: 64 MiB, 1.5 GiB, 300 bytes.
func byteSize(n int) string {
	switch {
	case n >= 1<<30:
		return strings.TrimSuffix(fmt.Sprintf("%.1f", float64(n)/(1<<30)), ".0") + " GiB"
	case n >= 1<<20:
		return strings.TrimSuffix(fmt.Sprintf("%.1f", float64(n)/(1<<20)), ".0") + " MiB"
	case n >= 1<<10:
		return strings.TrimSuffix(fmt.Sprintf("%.1f", float64(n)/(1<<10)), ".0") + " KiB"
	}
	return fmt.Sprintf("%d bytes", n)
}

func encodeFrame(f *frame) ([]byte, error) {
	body, err := json.Marshal(f)
	if err != nil {
		return nil, fmt.Errorf("worker: encoding %s frame: %w", f.Op, err)
	}
	if len(body) > maxSend {
		return nil, &tooLargeError{f.Op, len(body)}
	}
	buf := make([]byte, 4+len(body))
	binary.BigEndian.PutUint32(buf, uint32(len(body)))
	copy(buf[4:], body)
	return buf, nil
}

// readFrame reads one frame. It returns io.EOF only at a clean frame
// boundary; anything else that is wrong is a *protocolError.
func readFrame(r io.Reader) (*frame, error) { return readFrameDeadline(r, nil) }

// bodyTimeout is how long a frame's body may take to arrive once its header
// has: a child that wrote a bogus length and went quiet must not hang the
// kernel.
var bodyTimeout = 10 * time.Second

// Raw stream frames carry the bytes of the child's stdout and stderr pipes
// without JSON: the length word has rawFlag set, and the body is the cell id
// (8 bytes), the stream (1 byte: 1 stdout, 2 stderr), then the bytes. The
// child moves those bytes from its pipe into the frame pipe with splice(2),
// so they are never only in the child's memory (see server.drainLocked).
const (
	rawFlag   = 1 << 31
	rawHeader = 9
)

func rawFrameHeader(cell uint64, name string, n int) []byte {
	b := make([]byte, 4+rawHeader)
	binary.BigEndian.PutUint32(b, uint32(rawHeader+n)|rawFlag)
	binary.BigEndian.PutUint64(b[4:], cell)
	b[12] = 1
	if name == "stderr" {
		b[12] = 2
	}
	return b
}

// errTruncated is a frame cut short by the end of the pipe: the child died
// while writing it. It is not a protocol error; readFrame returns what
// arrived of a raw frame along with it.
var errTruncated = errors.New("worker: the interpreter process ended in the middle of a frame")

// readFrameDeadline is readFrame with setDeadline (if not nil) used to bound
// the wait for a frame's body.
func readFrameDeadline(r io.Reader, setDeadline func(time.Time) error) (*frame, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		if err == io.ErrUnexpectedEOF {
			return nil, errTruncated
		}
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	raw := n&rawFlag != 0
	n &^= rawFlag
	if n == 0 || n > maxFrame || raw && n < rawHeader {
		return nil, &protocolError{fmt.Sprintf("bad frame length %d (header % x)", n, hdr)}
	}
	if setDeadline != nil {
		_ = setDeadline(time.Now().Add(bodyTimeout))
	}
	body, err := readN(r, int(n))
	got := len(body)
	if setDeadline != nil {
		_ = setDeadline(time.Time{})
	}
	if err != nil {
		switch {
		case err == io.EOF || err == io.ErrUnexpectedEOF:
			if raw && got >= rawHeader {
				return rawFrame(body), errTruncated
			}
			return nil, errTruncated
		case errors.Is(err, os.ErrDeadlineExceeded):
			return nil, &protocolError{fmt.Sprintf("a frame of %d bytes did not arrive within %v", n, bodyTimeout)}
		}
		return nil, err
	}
	if raw {
		if body[8] != 1 && body[8] != 2 {
			return nil, &protocolError{fmt.Sprintf("bad stream number %d in a raw frame", body[8])}
		}
		return rawFrame(body), nil
	}
	f := new(frame)
	if err := json.Unmarshal(body, f); err != nil {
		return nil, &protocolError{fmt.Sprintf("bad frame JSON: %v", err)}
	}
	if f.Op == "" {
		return nil, &protocolError{"frame without op"}
	}
	return f, nil
}

// readN reads n bytes, growing its buffer as they arrive, so that a bogus
// length does not allocate 64 MiB up front. On error it returns what it read.
func readN(r io.Reader, n int) ([]byte, error) {
	const step = 1 << 20
	body := make([]byte, 0, min(n, step))
	for len(body) < n {
		k := min(n-len(body), step)
		if cap(body)-len(body) < k {
			body = append(body, make([]byte, k)...)[:len(body)]
		}
		m, err := io.ReadFull(r, body[len(body):len(body)+k])
		body = body[:len(body)+m]
		if err != nil {
			if err == io.EOF && len(body) > 0 {
				err = io.ErrUnexpectedEOF
			}
			return body, err
		}
	}
	return body, nil
}

func rawFrame(body []byte) *frame {
	f := &frame{Op: opStream, Cell: binary.BigEndian.Uint64(body), Name: "stdout", Text: string(body[rawHeader:]), raw: true}
	if body[8] == 2 {
		f.Name = "stderr"
	}
	return f
}

// A protocolError is a malformed frame: the stream cannot be resynchronised,
// so the side that reads it gives up on the peer.
type protocolError struct{ msg string }

func (e *protocolError) Error() string {
	return "worker: malformed frame from the interpreter process: " + e.msg
}

// wireError carries an error across the process boundary with what the
// kernel reads from it: the text and, when the error has them, Name and
// Traceback.
type wireError struct {
	Msg       string   `json:"msg"`
	Name      string   `json:"name,omitempty"`
	Traceback []string `json:"traceback,omitempty"`
	Rich      bool     `json:"rich,omitempty"` // the error had Name or Traceback
	NoStdin   bool     `json:"no_stdin,omitempty"`
}

func toWire(err error) *wireError {
	if err == nil {
		return nil
	}
	w := &wireError{Msg: err.Error(), NoStdin: errors.Is(err, mime.ErrNoStdin)}
	var n interface{ Name() string }
	if errors.As(err, &n) {
		w.Name, w.Rich = n.Name(), true
	}
	var t interface{ Traceback() []string }
	if errors.As(err, &t) {
		w.Traceback, w.Rich = t.Traceback(), true
	}
	return w
}

func fromWire(w *wireError) error {
	switch {
	case w == nil:
		return nil
	case w.NoStdin && w.Msg == mime.ErrNoStdin.Error():
		return mime.ErrNoStdin
	case w.NoStdin && w.Msg == mime.ErrInputInterrupted.Error():
		return mime.ErrInputInterrupted
	case w.Rich:
		name := w.Name
		if name == "" {
			name = "Error"
		}
		tb := w.Traceback
		if tb == nil {
			tb = []string{w.Msg}
		}
		return &Error{Kind: name, Msg: w.Msg, Lines: tb}
	case w.NoStdin:
		return &remoteError{w.Msg, mime.ErrNoStdin}
	default:
		return &remoteError{msg: w.Msg}
	}
}

// remoteError is an error from the child that had only a message.
type remoteError struct {
	msg   string
	cause error
}

func (e *remoteError) Error() string { return e.msg }
func (e *remoteError) Unwrap() error { return e.cause }

// Error is an error from the interpreter process that carries a name and a
// traceback, as the kernel shows them (ename, traceback). Errors the child
// returned with Name or Traceback methods arrive as *Error; so do the
// Client's own errors, whose Kind is one of the constants below.
type Error struct {
	Kind  string   // ename
	Msg   string   // evalue
	Lines []string // traceback; nil means Msg alone
}

// Kinds of the errors the Client makes itself.
const (
	// KernelDied: the interpreter process died (a fatal runtime error, out
	// of memory, os.Exit, a signal) or broke the protocol; a fresh one was
	// started and the session's state is lost.
	KernelDied = "KernelDied"
	// InterpreterRestarted: an interrupt came while a cell abandoned after
	// an earlier interrupt still ran, so the interpreter was restarted;
	// state lost.
	InterpreterRestarted = "InterpreterRestarted"
	// WorkerUnavailable: the interpreter process could not be started.
	WorkerUnavailable = "WorkerUnavailable"
)

func (e *Error) Error() string { return e.Msg }

// Name returns Kind (the kernel's ename).
func (e *Error) Name() string { return e.Kind }

// Traceback returns the traceback lines.
func (e *Error) Traceback() []string {
	if e.Lines == nil {
		return []string{e.Msg}
	}
	return e.Lines
}
