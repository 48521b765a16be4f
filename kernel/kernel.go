package kernel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/go-zeromq/zmq4"
	"github.com/google/uuid"

	"github.com/gokernel/gokernel/kernel/wire"
)

// Options configure a Kernel. The zero value is usable.
type Options struct {
	// Log receives the kernel's diagnostics (dropped messages, unknown
	// types, client trouble). Nil means standard error with prefix
	// "gokernel: ".
	Log *log.Logger
	// Banner is kernel_info_reply's banner. Empty means a default naming
	// the implementation, its version and the Go version.
	Banner string
	// Version is the implementation_version. Empty means "dev".
	Version string
	// Activity, if set, is called when a request is done (the kernel
	// binary uses it to give memory back once the kernel sits idle).
	Activity func()
	// MaxFrameSize bounds one incoming ZMTP frame (one part of a message:
	// a cell's code, say), so that a garbage length cannot exhaust memory.
	// Zero means GOKERNEL_MAX_FRAME_MB (mebibytes) from the environment if
	// set, else DefaultMaxFrameSize (256 MiB). Outgoing messages have no
	// limit, as in ipykernel.
	MaxFrameSize int64
}

// ErrShutdown is returned by Run when it is called on a closed kernel.
var ErrShutdown = errors.New("kernel: shut down")

// graceful bounds how long shutdown waits for a running cell to honour its
// cancelled context and for queued replies to leave.
const graceful = 2 * time.Second

// A Kernel serves the Jupyter protocol for one Evaluator. Make one with
// New, then call Run; Interrupt and Close may be called from any goroutine.
type Kernel struct {
	info    ConnectionInfo
	key     wire.Key
	seen    *digests // signatures already served (replay check)
	ev      Evaluator
	log     *log.Logger
	opts    Options
	session string // this kernel's session id in the headers it sends

	shell, control, stdin, iopub, hb *zsocket

	// iopub messages wait in pubQueue, in the order they were made, to be
	// signed and sent by the publisher goroutine (pubLoop): making a
	// header, encoding and signing take tens of microseconds each, which a
	// cell's round trip would otherwise pay for busy, execute_input and
	// execute_result before its execute_reply could leave.
	pubMu    sync.Mutex
	pubCond  *sync.Cond
	pubQueue []pending
	pubMade  uint64 // messages queued so far
	pubSent  uint64 // of those, handed to the iopub socket
	pubStop  bool
	pubDone  chan struct{}

	execMu     sync.Mutex
	cancelExec context.CancelFunc // cancels the running cell; nil when idle

	// controlQueue takes requests that touch the Evaluator from the
	// control goroutine to the shell goroutine, which serves them between
	// its own: the Evaluator takes one call at a time, and execution_count
	// and history have one owner. A queue, not a channel send, so that the
	// control goroutine never waits for a running cell (interrupt_request
	// must get through).
	controlMu    sync.Mutex
	controlQueue []*request
	controlWake  chan struct{} // a token when controlQueue may be non-empty

	// Owned by the shell goroutine.
	count    int
	history  []historyEntry
	failedAt time.Time // when the last cell failed with stop_on_error

	comms   commTable          // open comms, for comm_info_request (comm.go)
	ahead   []*request         // shell requests read ahead (comm.go); shell goroutine only
	inputMu sync.Mutex         // one input_request at a time
	inputs  chan *wire.Message // input_reply messages from stdin

	shutdownOnce sync.Once
	shutdown     chan struct{}
	restart      bool

	runOnce   sync.Once
	closeOnce sync.Once
	closed    chan struct{}
}

// New binds the five sockets the connection info names and returns a
// kernel ready to Run. Errors name the socket and address that failed.
func New(info ConnectionInfo, ev Evaluator, opts Options) (*Kernel, error) {
	if ev == nil {
		return nil, errors.New("kernel: nil Evaluator")
	}
	if err := info.check(); err != nil {
		return nil, fmt.Errorf("kernel: %w", err)
	}
	key, err := wire.NewKey(info.SignatureScheme, []byte(info.Key))
	if err != nil {
		return nil, fmt.Errorf("kernel: %w", err)
	}
	k := &Kernel{
		info:        info,
		key:         key,
		seen:        newDigests(digestHistory),
		controlWake: make(chan struct{}, 1),
		ev:          ev,
		log:         opts.Log,
		opts:        opts,
		session:     uuid.NewString(),
		inputs:      make(chan *wire.Message, 1),
		shutdown:    make(chan struct{}),
		closed:      make(chan struct{}),
	}
	if k.log == nil {
		k.log = log.New(os.Stderr, "gokernel: ", log.LstdFlags)
	}
	k.pubCond = sync.NewCond(&k.pubMu)
	k.pubDone = make(chan struct{})
	go k.pubLoop() // nothing is queued before the sockets are bound
	binds := []struct {
		name string
		typ  zmq4.SocketType
		port *int
		sock **zsocket
	}{
		{"shell", zmq4.Router, &k.info.ShellPort, &k.shell},
		{"control", zmq4.Router, &k.info.ControlPort, &k.control},
		{"stdin", zmq4.Router, &k.info.StdinPort, &k.stdin},
		{"iopub", zmq4.Pub, &k.info.IOPubPort, &k.iopub},
		{"heartbeat", zmq4.Rep, &k.info.HBPort, &k.hb},
	}
	for _, b := range binds {
		s, port, err := listen(b.name, b.typ, k.info.Transport, k.info.IP, *b.port, k.log, maxFrame(opts, k.log))
		if err != nil {
			k.closeSockets()
			return nil, err
		}
		*b.sock, *b.port = s, port
	}
	return k, nil
}

// maxFrame is the incoming frame limit opts and the environment ask for.
func maxFrame(opts Options, logger *log.Logger) uint64 {
	if opts.MaxFrameSize > 0 {
		return uint64(opts.MaxFrameSize)
	}
	if v := os.Getenv("GOKERNEL_MAX_FRAME_MB"); v != "" {
		mb, err := strconv.ParseUint(v, 10, 32)
		if err == nil && mb > 0 {
			return mb << 20
		}
		logger.Printf("kernel: GOKERNEL_MAX_FRAME_MB=%q is not a positive whole number of MiB; using %d MiB", v, DefaultMaxFrameSize>>20)
	}
	return DefaultMaxFrameSize
}

// ConnectionInfo returns the connection info with the ports actually bound.
func (k *Kernel) ConnectionInfo() ConnectionInfo { return k.info }

// Run serves requests until a shutdown_request arrives (restart reports
// whether it asked for a restart) or ctx is done (err is then ctx.Err()).
// Before returning it cancels the running cell and closes the Evaluator if
// it is an io.Closer; the sockets stay open until Close, so the
// shutdown_reply reaches the client.
func (k *Kernel) Run(ctx context.Context) (restart bool, err error) {
	err = ErrShutdown
	k.runOnce.Do(func() { restart, err = k.run(ctx) })
	return restart, err
}

func (k *Kernel) run(ctx context.Context) (bool, error) {
	select {
	case <-k.closed:
		return false, ErrShutdown
	default:
	}
	loopCtx, stop := context.WithCancel(context.Background())
	defer stop()
	k.publish(wire.Header{}, msgStatus, statusContent{stateStarting})

	var wg sync.WaitGroup
	shellDone := make(chan struct{})
	wg.Add(2)
	go func() { defer close(shellDone); k.serveShell(loopCtx) }()
	go func() { defer wg.Done(); k.serve(loopCtx, k.control, "control") }()
	go func() { defer wg.Done(); k.serveStdin(loopCtx) }()

	var err error
	select {
	case <-ctx.Done():
		err = ctx.Err()
	case <-k.shutdown:
	case <-k.closed:
		err = ErrShutdown
	}
	stop()
	k.interrupt(false)
	select {
	case <-shellDone:
	case <-time.After(graceful):
		k.log.Printf("kernel: the running cell ignored its cancelled context for %v; closing the evaluator under it", graceful)
	}
	if c, ok := k.ev.(io.Closer); ok {
		if cerr := c.Close(); cerr != nil {
			k.log.Printf("kernel: closing the evaluator: %v", cerr)
		}
	}
	wg.Wait()
	return k.restart, err
}

// Interrupt cancels the running cell's context, as interrupt_request does.
// The binary calls it on SIGINT. The evaluator is told even when no cell
// runs: the worker restarts an interpreter whose abandoned cell still runs
// on an interrupt between cells (see interp/worker, "Interrupt").
func (k *Kernel) Interrupt() { k.interrupt(true) }

// interrupt cancels the running cell, if any, and tells an evaluator that
// wants to know about interrupts: every time when always is set, otherwise
// only when a cell was running (Close, which must not restart anything).
func (k *Kernel) interrupt(always bool) {
	k.execMu.Lock()
	running := k.cancelExec != nil
	if running {
		k.cancelExec()
	}
	k.execMu.Unlock()
	// A context is cancelled only once, but an evaluator may act on every
	// interrupt (the worker restarts an interpreter stuck in a wait it
	// cannot break on the second one), so it is told each time.
	if i, ok := k.ev.(interface{ Interrupt() }); ok && (running || always) {
		i.Interrupt()
	}
}

// Close stops a running Run, lets queued messages leave (briefly) and
// closes every socket. It is safe to call more than once.
func (k *Kernel) Close() error {
	k.closeOnce.Do(func() {
		close(k.closed)
		k.interrupt(false)
		k.closeSockets()
	})
	return nil
}

func (k *Kernel) closeSockets() {
	socks := []*zsocket{k.shell, k.control, k.stdin, k.iopub, k.hb}
	deadline := time.Now().Add(graceful)
	k.flushPublished(deadline)
	k.pubMu.Lock()
	k.pubStop = true
	k.pubCond.Broadcast()
	k.pubMu.Unlock()
	<-k.pubDone
	for _, s := range socks {
		if s != nil {
			s.drain(deadline)
		}
	}
	for _, s := range socks {
		if s != nil {
			s.close()
		}
	}
}

func (k *Kernel) requestShutdown(restart bool) {
	k.shutdownOnce.Do(func() {
		k.restart = restart
		close(k.shutdown)
	})
}

// message makes a message of msgType answering parent, made now.
func (k *Kernel) message(parent wire.Header, msgType string, content any) (*wire.Message, error) {
	c, err := encodeContent(msgType, content)
	if err != nil {
		return nil, err
	}
	return k.messageAt(parent, msgType, c, time.Now()), nil
}

// messageAt makes a message of msgType answering parent, made at t, from
// its encoded content.
func (k *Kernel) messageAt(parent wire.Header, msgType string, content json.RawMessage, t time.Time) *wire.Message {
	return &wire.Message{
		Header:  wire.NewHeaderAt(msgType, k.session, t),
		Parent:  parent,
		Content: content,
	}
}

func encodeContent(msgType string, content any) (json.RawMessage, error) {
	c, err := json.Marshal(content)
	if err != nil {
		return nil, fmt.Errorf("kernel: encoding %s: %w", msgType, err)
	}
	return c, nil
}

// pending is an iopub message made but not yet signed and sent.
type pending struct {
	parent   wire.Header
	msgType  string
	content  json.RawMessage
	metadata json.RawMessage // nil: {}
	at       time.Time       // the header's date: when it was made
}

// publish sends a message on iopub: its content is encoded now (so the
// caller may reuse what it passed), its header, signature and frames are
// made by pubLoop, in order.
func (k *Kernel) publish(parent wire.Header, msgType string, content any) {
	k.publishMeta(parent, msgType, content, nil)
}

// publishMeta is publish with the message's metadata (nil means {}).
func (k *Kernel) publishMeta(parent wire.Header, msgType string, content any, metadata json.RawMessage) {
	c, err := encodeContent(msgType, content)
	if err != nil {
		k.log.Print(err)
		return
	}
	k.pubMu.Lock()
	// A cell that makes messages faster than they can be signed waits here,
	// as it did when publishing was synchronous, rather than queueing
	// without bound.
	for len(k.pubQueue) >= pubQueueMax && !k.pubStop {
		k.pubCond.Wait()
	}
	if !k.pubStop {
		k.pubQueue = append(k.pubQueue, pending{parent: parent, msgType: msgType, content: c, metadata: metadata, at: time.Now()})
		k.pubMade++
		k.pubCond.Broadcast()
	}
	k.pubMu.Unlock()
}

// pubQueueMax bounds the iopub messages waiting to be signed.
const pubQueueMax = 256

// pubLoop signs and sends what publish queued until closeSockets stops it.
func (k *Kernel) pubLoop() {
	defer close(k.pubDone)
	var batch []pending
	k.pubMu.Lock()
	for {
		for len(k.pubQueue) == 0 && !k.pubStop {
			k.pubCond.Wait()
		}
		if len(k.pubQueue) == 0 {
			k.pubMu.Unlock()
			return
		}
		batch, k.pubQueue = k.pubQueue, batch[:0]
		k.pubCond.Broadcast() // publish may be waiting for room
		k.pubMu.Unlock()
		for i, p := range batch {
			m := k.messageAt(p.parent, p.msgType, p.content, p.at)
			m.Metadata = p.metadata
			// A topic frame as ipykernel sends; clients subscribe to everything.
			m.Identities = [][]byte{[]byte("kernel." + k.session + "." + p.msgType)}
			if frames, err := k.key.Encode(m); err != nil {
				k.log.Print(err)
			} else {
				k.iopub.publish(frames)
			}
			batch[i] = pending{}
		}
		k.pubMu.Lock()
		k.pubSent += uint64(len(batch))
		k.pubCond.Broadcast() // flushPublished may be waiting for these
	}
}

// flushPublished waits until everything published before the call has been
// handed to the iopub socket (or the deadline passes): an input_request
// must not overtake the prompt printed before it, nor shutdown the last
// messages. What other goroutines publish meanwhile is not waited for.
func (k *Kernel) flushPublished(deadline time.Time) {
	stop := time.AfterFunc(time.Until(deadline), func() {
		k.pubMu.Lock()
		k.pubCond.Broadcast()
		k.pubMu.Unlock()
	})
	defer stop.Stop()
	k.pubMu.Lock()
	for want := k.pubMade; k.pubSent < want && !k.pubStop && time.Now().Before(deadline); {
		k.pubCond.Wait()
	}
	k.pubMu.Unlock()
}

// send sends a message to the client with the given routing identities
// on a ROUTER socket (shell, control or stdin). It reports whether that
// client is still connected.
func (k *Kernel) send(s *zsocket, ids [][]byte, parent wire.Header, msgType string, content any) (wire.Header, bool) {
	m, err := k.message(parent, msgType, content)
	if err != nil {
		k.log.Print(err)
		return wire.Header{}, false
	}
	m.Identities = ids
	frames, err := k.key.Encode(m)
	if err != nil {
		k.log.Print(err)
		return wire.Header{}, false
	}
	return m.Header, s.route(frames)
}

// serve reads requests from a ROUTER socket and dispatches them one at a
// time, until ctx is done.
func (k *Kernel) serve(ctx context.Context, s *zsocket, channel string) {
	for {
		in, ok, _ := s.recv(ctx, 0)
		if !ok {
			return
		}
		k.dispatch(ctx, s, channel, in)
	}
}

// serveShell is serve for the shell socket, which also serves the requests
// the control goroutine hands over (control2shell).
func (k *Kernel) serveShell(ctx context.Context) {
	for {
		if r := k.nextAhead(); r != nil { // read ahead by laterCommMsg (comm.go)
			k.serveRequest(ctx, r)
			continue
		}
		select {
		case in := <-k.shell.in:
			k.dispatch(ctx, k.shell, "shell", in)
		case <-k.controlWake:
			for {
				k.controlMu.Lock()
				if len(k.controlQueue) == 0 {
					k.controlMu.Unlock()
					break
				}
				r := k.controlQueue[0]
				k.controlQueue[0] = nil
				k.controlQueue = k.controlQueue[1:]
				k.controlMu.Unlock()
				k.serveRequest(ctx, r)
			}
		case <-k.shell.done:
			return
		case <-ctx.Done():
			return
		}
	}
}

// toShell queues a control request for the shell goroutine.
func (k *Kernel) toShell(r *request) {
	k.controlMu.Lock()
	k.controlQueue = append(k.controlQueue, r)
	k.controlMu.Unlock()
	select {
	case k.controlWake <- struct{}{}:
	default: // a token is already waiting
	}
}

// serveStdin reads input_reply messages and hands them to the waiting
// Input call.
func (k *Kernel) serveStdin(ctx context.Context) {
	for {
		in, ok, _ := k.stdin.recv(ctx, 0)
		if !ok {
			return
		}
		m := k.decode("stdin", in.frames)
		if m == nil {
			continue
		}
		if m.Header.MsgType != msgInputReply {
			k.log.Printf("kernel: stdin: ignoring %q", m.Header.MsgType)
			continue
		}
		select {
		case k.inputs <- m:
		default:
			k.log.Printf("kernel: stdin: input_reply with nobody waiting; dropped")
		}
	}
}
