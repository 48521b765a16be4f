package kernel

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/go-zeromq/zmq4"
	"github.com/go-zeromq/zmq4/security/null"

	"github.com/gokernel/gokernel/kernel/wire"
)

// This file is the kernel's own ZeroMQ sockets, built on zmq4's ZMTP
// connection (zmq4.Open) rather than its Socket types. zmq4 v0.17.0's PUB
// pushes every message through one unbounded queue and writes it to each
// subscriber in turn, so one subscriber that stops reading stalls output to
// every client and grows memory without bound (go-zeromq/zmq4#151); its
// ROUTER holds one lock while writing to a peer; and its accept loop runs
// the ZMTP handshake inline, so a client that connects and says nothing
// blocks every later client. Here every peer has its own handshake, reader
// and writer goroutines and a bounded outgoing queue: a stalled peer loses
// its own messages (as libzmq does past its high-water mark) and nobody
// else's.

const (
	handshakeTimeout = 10 * time.Second
	peerQueueMsgs    = 4096     // messages queued per peer before dropping
	peerQueueBytes   = 64 << 20 // bytes queued per peer before dropping (plus one larger message)
	// DefaultMaxFrameSize bounds one incoming ZMTP frame unless
	// Options.MaxFrameSize or GOKERNEL_MAX_FRAME_MB says otherwise; a
	// larger frame closes its connection with a log line naming the limit.
	DefaultMaxFrameSize = 256 << 20
)

// inbound is one multipart message read from a peer.
type inbound struct {
	from   *peer
	frames [][]byte
	at     time.Time // when it was read off the connection
}

// zsocket is one bound ZeroMQ socket of type ROUTER, PUB or REP.
type zsocket struct {
	name string // "shell", "iopub", ... for logs and errors
	typ  zmq4.SocketType
	ln   net.Listener
	log  *log.Logger
	path string // unix socket file to remove on close (ipc transport)
	max  uint64 // largest incoming frame

	in   chan inbound // ROUTER: messages received, identity first
	done chan struct{}
	wg   sync.WaitGroup

	mu     sync.Mutex
	peers  map[*peer]struct{}
	byID   map[string]*peer
	nextID uint32
	closed bool
}

// peer is one ZMTP connection to a zsocket.
type peer struct {
	s     *zsocket
	raw   net.Conn
	guard *frameGuard // raw, buffered and size-checked, under conn
	conn  *zmq4.Conn
	id    []byte // ROUTER routing id

	mu      sync.Mutex
	cond    *sync.Cond
	queue   [][][]byte
	qbytes  int // bytes of the queued messages of up to peerQueueBytes each
	big     int // queued messages larger than peerQueueBytes (0 or 1)
	dropped int
	sending bool // write is sending a message taken off the queue
	closed  bool
	topics  map[string]bool // PUB subscriptions
}

// listen binds a socket of type typ on endpoint ("tcp://127.0.0.1:5555",
// "ipc:///tmp/k-1"), returning its actual address (port 0 picks one).
func listen(name string, typ zmq4.SocketType, transport, ip string, port int, logger *log.Logger, maxFrame uint64) (*zsocket, int, error) {
	var (
		ln   net.Listener
		err  error
		path string
	)
	switch transport {
	case "", "tcp":
		ln, err = net.Listen("tcp", net.JoinHostPort(ip, fmt.Sprint(port)))
	case "ipc":
		path = fmt.Sprintf("%s-%d", ip, port)
		ln, err = net.Listen("unix", path)
	default:
		err = fmt.Errorf("unknown transport %q (want tcp or ipc)", transport)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("kernel: could not bind %s socket on %s://%s:%d: %w", name, transport, ip, port, err)
	}
	s := &zsocket{
		name:   name,
		typ:    typ,
		ln:     ln,
		log:    logger,
		path:   path,
		in:     make(chan inbound, 64),
		done:   make(chan struct{}),
		peers:  make(map[*peer]struct{}),
		byID:   make(map[string]*peer),
		nextID: 1,
		max:    maxFrame,
	}
	if a, ok := ln.Addr().(*net.TCPAddr); ok {
		port = a.Port
	}
	s.wg.Add(1)
	go s.accept()
	return s, port, nil
}

func (s *zsocket) accept() {
	defer s.wg.Done()
	for {
		raw, err := s.ln.Accept()
		if err != nil {
			select {
			case <-s.done:
				return
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			s.log.Printf("kernel: %s: accept: %v", s.name, err)
			time.Sleep(50 * time.Millisecond) // e.g. out of file descriptors: do not spin
			continue
		}
		s.wg.Add(1)
		go s.open(raw)
	}
}

// open runs the ZMTP handshake with a new connection and starts its reader
// and writer.
func (s *zsocket) open(raw net.Conn) {
	defer s.wg.Done()
	raw.SetDeadline(time.Now().Add(handshakeTimeout))
	guarded, conn, err := handshake(raw, s.typ, s.max)
	if err != nil {
		s.log.Printf("kernel: %s: refused a connection from %s: %v", s.name, raw.RemoteAddr(), err)
		raw.Close()
		return
	}
	raw.SetDeadline(time.Time{})
	guarded.bufferWrites()
	p := &peer{s: s, raw: raw, guard: guarded, conn: conn, topics: make(map[string]bool)}
	p.cond = sync.NewCond(&p.mu)

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		raw.Close()
		return
	}
	if s.typ == zmq4.Router {
		// Use the peer's identity when it set one (jupyter_client sets the
		// session id on shell and stdin, which is how input_request finds the
		// right client); otherwise make one as libzmq does: 0 then 4 bytes.
		id := []byte(conn.Peer.Meta["Identity"])
		if len(id) == 0 || id[0] == 0 || s.byID[string(id)] != nil {
			id = make([]byte, 5)
			binary.BigEndian.PutUint32(id[1:], s.nextID)
			s.nextID++
		}
		p.id = id
		s.byID[string(id)] = p
	}
	s.peers[p] = struct{}{}
	s.wg.Add(2)
	s.mu.Unlock()

	go p.write()
	go p.read()
}

// handshake runs the server side of the ZMTP handshake on raw for a socket
// of type typ. The peer's greeting and READY are checked before zmq4 reads
// them; should zmq4 still panic on something they let through, the panic
// costs this connection only.
func handshake(raw net.Conn, typ zmq4.SocketType, maxFrame uint64) (g *frameGuard, conn *zmq4.Conn, err error) {
	defer func() {
		if r := recover(); r != nil {
			g, conn, err = nil, nil, fmt.Errorf("kernel: zmq4 panicked in the handshake: %v", r)
		}
	}()
	g = newFrameGuard(raw, typ, maxFrame)
	conn, err = zmq4.Open(g, null.Security(), typ, nil, true, nil)
	if err != nil {
		return nil, nil, err
	}
	return g, conn, nil
}

// read receives messages from p until the connection ends.
func (p *peer) read() {
	defer p.s.wg.Done()
	defer p.close()
	defer func() {
		// zmq4's reader trusts frame sizes; frameGuard refuses absurd ones,
		// and this catches anything else, so a malformed stream costs one
		// connection, never the kernel.
		if r := recover(); r != nil {
			p.s.log.Printf("kernel: %s: dropping connection after malformed input: %v", p.s.name, r)
		}
	}()
	for {
		msg, err := p.conn.RecvMsg()
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) && !p.isClosed() {
				p.s.log.Printf("kernel: %s: read: %v", p.s.name, err)
			}
			return
		}
		if msg.Type == zmq4.CmdMsg {
			continue // PING is answered by zmq4; nothing else concerns us
		}
		switch p.s.typ {
		case zmq4.Pub:
			p.subscribe(msg.Frames)
		case zmq4.Rep:
			// Heartbeat: the reply is the request, envelope and all.
			p.send(msg.Frames)
		case zmq4.Router:
			frames := make([][]byte, 0, len(msg.Frames)+1)
			frames = append(frames, p.id)
			frames = append(frames, msg.Frames...)
			select {
			case p.s.in <- inbound{from: p, frames: frames, at: time.Now()}:
			case <-p.s.done:
				return
			}
		}
	}
}

// subscribe handles a ZMTP 3.0 subscription message: 1 then the topic to
// subscribe, 0 then the topic to cancel.
func (p *peer) subscribe(frames [][]byte) {
	if len(frames) != 1 || len(frames[0]) == 0 {
		return
	}
	f := frames[0]
	p.mu.Lock()
	switch f[0] {
	case 1:
		p.topics[string(f[1:])] = true
	case 0:
		delete(p.topics, string(f[1:]))
	}
	p.mu.Unlock()
}

func (p *peer) subscribed(topic []byte) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for t := range p.topics {
		if strings.HasPrefix(string(topic), t) {
			return true
		}
	}
	return false
}

// send queues frames for p, dropping them when p's queue is full: a peer
// that does not read must not hold up the kernel or other peers.
func (p *peer) send(frames [][]byte) {
	n := 0
	for _, f := range frames {
		n += len(f)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	// ipykernel has no limit on message size, so one message larger than
	// the byte bound (a 100 MB result) may wait beside the others, and the
	// messages after it (status idle) still fit: memory stays bounded by
	// peerQueueBytes plus one such message.
	big := n > peerQueueBytes
	if len(p.queue) >= peerQueueMsgs || big && p.big > 0 || !big && p.qbytes+n > peerQueueBytes {
		if p.dropped == 0 {
			p.s.log.Printf("kernel: %s: a client is not reading; dropping its messages", p.s.name)
		}
		p.dropped++
		return
	}
	p.queue = append(p.queue, frames)
	if big {
		p.big++
	} else {
		p.qbytes += n
	}
	p.cond.Signal()
}

// write sends p's queue in order until p closes.
func (p *peer) write() {
	defer p.s.wg.Done()
	for {
		p.mu.Lock()
		for len(p.queue) == 0 && !p.closed {
			p.cond.Wait()
		}
		if p.closed {
			p.mu.Unlock()
			return
		}
		frames := p.queue[0]
		p.queue[0] = nil
		p.queue = p.queue[1:]
		n := 0
		for _, f := range frames {
			n += len(f)
		}
		if n > peerQueueBytes {
			p.big--
		} else {
			p.qbytes -= n
		}
		p.sending = true
		if p.dropped > 0 && len(p.queue) == 0 {
			p.s.log.Printf("kernel: %s: client reading again after %d dropped messages", p.s.name, p.dropped)
			p.dropped = 0
		}
		p.mu.Unlock()
		err := p.conn.SendMsg(zmq4.NewMsgFrom(frames...))
		p.mu.Lock()
		more := len(p.queue) > 0
		p.mu.Unlock()
		if err == nil && !more {
			err = p.guard.Flush() // the queue is empty: send the batch
		}
		p.mu.Lock()
		p.sending = false
		p.mu.Unlock()
		if err != nil {
			if !p.isClosed() {
				p.s.log.Printf("kernel: %s: write: %v", p.s.name, err)
			}
			p.close()
			return
		}
	}
}

// flushed reports whether p has nothing left to send.
func (p *peer) flushed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed || (len(p.queue) == 0 && !p.sending)
}

func (p *peer) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

func (p *peer) close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	p.queue = nil
	p.cond.Broadcast()
	p.mu.Unlock()
	p.raw.Close()

	s := p.s
	s.mu.Lock()
	delete(s.peers, p)
	if p.id != nil && s.byID[string(p.id)] == p {
		delete(s.byID, string(p.id))
	}
	s.mu.Unlock()
}

// route sends frames (routing id first) to the ROUTER peer they name; a
// message for a peer that has gone is dropped, as ZeroMQ does.
func (s *zsocket) route(frames [][]byte) bool {
	if len(frames) == 0 {
		return false
	}
	s.mu.Lock()
	p := s.byID[string(frames[0])]
	s.mu.Unlock()
	if p == nil {
		return false
	}
	p.send(frames[1:])
	return true
}

// publish sends frames to every PUB subscriber whose topic matches the
// first frame.
func (s *zsocket) publish(frames [][]byte) {
	s.mu.Lock()
	peers := make([]*peer, 0, len(s.peers))
	for p := range s.peers {
		peers = append(peers, p)
	}
	s.mu.Unlock()
	for _, p := range peers {
		if p.subscribed(frames[0]) {
			p.send(frames)
		}
	}
}

// recv returns the next message a ROUTER received, or ok false once the
// socket is closed or ctx is done. A non-zero wait bounds the wait
// (timedOut true).
func (s *zsocket) recv(ctx context.Context, wait time.Duration) (m inbound, ok, timedOut bool) {
	var timeout <-chan time.Time
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case m := <-s.in:
		return m, true, false
	case <-s.done:
	case <-ctx.Done():
	case <-timeout:
		return inbound{}, false, true
	}
	return inbound{}, false, false
}

// drain waits, until deadline at most, for every peer's queue to empty, so
// that a shutdown_reply is not lost when the sockets close behind it. A
// peer that does not read only costs the wait.
func (s *zsocket) drain(deadline time.Time) {
	for time.Now().Before(deadline) {
		s.mu.Lock()
		done := true
		for p := range s.peers {
			if !p.flushed() {
				done = false
				break
			}
		}
		s.mu.Unlock()
		if done {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// close stops accepting, closes every connection and waits for the
// socket's goroutines.
func (s *zsocket) close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.done)
	peers := make([]*peer, 0, len(s.peers))
	for p := range s.peers {
		peers = append(peers, p)
	}
	s.mu.Unlock()
	s.ln.Close()
	for _, p := range peers {
		p.close()
	}
	s.wg.Wait()
	if s.path != "" {
		os.Remove(s.path)
	}
}

// frameGuard sits under zmq4's ZMTP reader. It checks the peer's greeting
// and READY command before zmq4 sees them (wire.CheckGreeting and
// wire.CheckReady): zmq4 v0.17.0 panics on a READY without a known
// Socket-Type or with a property longer than the command. After the
// handshake it refuses frames larger than its limit: zmq4 allocates
// whatever size a frame header claims, so a stray or hostile 8-byte length
// would otherwise exhaust memory.
type frameGuard struct {
	net.Conn
	r *bufio.Reader // zmq4 reads a frame in small pieces: one syscall each without this

	typ     string // our socket type, for the READY check
	max     uint64 // largest frame accepted after the handshake
	stage   int    // 0: greeting not read; 1: READY not read; 2: handshake checked
	pending []byte // checked handshake bytes zmq4 has not read yet

	wmu   sync.Mutex
	w     *bufio.Writer // after the handshake: a message's frames leave in one write
	pos   int           // bytes of the 64-byte greeting seen
	state int           // 0: flags; 1-8: size bytes; 10: body
	long  bool          // frame has an 8-byte size
	size  uint64        // frame size being read
	left  uint64        // body bytes left
}

// errFrameTooLarge is what a frame over the limit gives (wrapped in a
// frameTooLarge that says the sizes and what to do).
var errFrameTooLarge = errors.New("kernel: ZMTP frame too large")

type frameTooLarge struct{ size, max uint64 }

func (e *frameTooLarge) Error() string {
	return fmt.Sprintf("kernel: a ZMTP frame of %d bytes is larger than the limit of %d MiB; "+
		"set GOKERNEL_MAX_FRAME_MB in the kernelspec's env to accept it", e.size, e.max>>20)
}

func (e *frameTooLarge) Unwrap() error { return errFrameTooLarge }

func newFrameGuard(c net.Conn, typ zmq4.SocketType, maxFrame uint64) *frameGuard {
	if maxFrame == 0 {
		maxFrame = DefaultMaxFrameSize
	}
	return &frameGuard{Conn: c, r: bufio.NewReaderSize(c, 64<<10), typ: string(typ), max: maxFrame}
}

// handshake reads and checks the next part of the peer's handshake into
// g.pending. zmq4 writes its own greeting (and then its READY) before it
// reads the peer's, so reading ahead here never waits for something the
// peer is waiting for (libzmq sends its greeting in pieces, in step with
// ours).
func (g *frameGuard) handshake() error {
	switch g.stage {
	case 0:
		greeting := make([]byte, wire.GreetingSize)
		if _, err := io.ReadFull(g.r, greeting); err != nil {
			return err
		}
		if err := wire.CheckGreeting(greeting); err != nil {
			return err
		}
		g.pending, g.stage = greeting, 1
	case 1:
		var hdr [9]byte
		if _, err := io.ReadFull(g.r, hdr[:2]); err != nil {
			return err
		}
		flags, hl := hdr[0], 2
		if flags&0x04 == 0 || flags&0x01 != 0 || flags&^0x07 != 0 {
			return fmt.Errorf("%w: first frame has flags %#x, want a single command frame", wire.ErrHandshake, flags)
		}
		size := uint64(hdr[1])
		if flags&0x02 != 0 {
			if _, err := io.ReadFull(g.r, hdr[2:]); err != nil {
				return err
			}
			size, hl = binary.BigEndian.Uint64(hdr[1:]), 9
		}
		if size > wire.MaxReadySize {
			return fmt.Errorf("%w: first command of %d bytes (at most %d)", wire.ErrHandshake, size, wire.MaxReadySize)
		}
		buf := make([]byte, hl+int(size))
		copy(buf, hdr[:hl])
		if _, err := io.ReadFull(g.r, buf[hl:]); err != nil {
			return err
		}
		if _, err := wire.CheckReady(buf[hl:], g.typ); err != nil {
			return err
		}
		g.pending, g.stage = buf, 2
	}
	return nil
}

// bufferWrites makes writes collect until Flush. Only after the handshake:
// zmq4 waits for answers to what it writes there.
func (g *frameGuard) bufferWrites() {
	g.wmu.Lock()
	g.w = bufio.NewWriterSize(g.Conn, 64<<10)
	g.wmu.Unlock()
}

func (g *frameGuard) Write(b []byte) (int, error) {
	g.wmu.Lock()
	defer g.wmu.Unlock()
	if g.w == nil {
		return g.Conn.Write(b)
	}
	return g.w.Write(b)
}

// Flush sends what Write collected.
func (g *frameGuard) Flush() error {
	g.wmu.Lock()
	defer g.wmu.Unlock()
	if g.w == nil {
		return nil
	}
	return g.w.Flush()
}

func (g *frameGuard) Read(b []byte) (int, error) {
	var (
		n   int
		err error
	)
	if g.stage < 2 && len(g.pending) == 0 {
		if err := g.handshake(); err != nil {
			return 0, err
		}
	}
	if len(g.pending) > 0 {
		n = copy(b, g.pending)
		g.pending = g.pending[n:]
	} else {
		n, err = g.r.Read(b)
	}
	for i := 0; i < n; {
		switch {
		case g.pos < 64: // the greeting
			k := min(64-g.pos, n-i)
			g.pos += k
			i += k
			continue
		case g.state == 10: // skip the body
			k := min(g.left, uint64(n-i))
			g.left -= k
			i += int(k)
			if g.left == 0 {
				g.state = 0
			}
			continue
		}
		c := b[i]
		i++
		switch {
		case g.state == 0:
			g.long = c&0x02 != 0
			g.size = 0
			g.state = 1
			continue
		case !g.long:
			g.size = uint64(c)
		default:
			g.size = g.size<<8 | uint64(c)
			if g.state++; g.state < 9 {
				continue
			}
		}
		if g.size > g.max {
			g.Conn.Close()
			return 0, &frameTooLarge{size: g.size, max: g.max}
		}
		g.left, g.state = g.size, 10
		if g.left == 0 {
			g.state = 0
		}
	}
	return n, err
}
