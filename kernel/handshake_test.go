package kernel

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"
	"github.com/go-zeromq/zmq4/security/null"

	"github.com/gokernel/gokernel/kernel/wire"
)

// greeting returns a ZMTP 3.0 NULL greeting from a client.
func greeting() []byte {
	g := make([]byte, 64)
	g[0], g[9], g[10], g[11] = 0xFF, 0x7F, 3, 0
	copy(g[12:], "NULL")
	return g
}

// prop is one READY property on the wire.
func prop(name, value string) []byte {
	b := []byte{byte(len(name))}
	b = append(b, name...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(value)))
	return append(b, value...)
}

// readyBody is a READY command's body with the given properties.
func readyBody(props ...[]byte) []byte {
	return append([]byte("\x05READY"), bytes.Join(props, nil)...)
}

// command frames a command body (short or long size as needed).
func command(body []byte) []byte { return frame(0x04, body) }

// clientHandshake is what a well-behaved client of type typ sends first.
func clientHandshake(typ string) []byte {
	return append(greeting(), command(readyBody(prop("Socket-Type", typ), prop("Identity", "")))...)
}

// badHandshakes are peer openings the kernel must refuse, one connection
// each, and survive. The e2e test (testdata/e2e/test_hardening.py) sends
// the same ones through a real socket.
func badHandshakes() []struct {
	name  string
	bytes []byte
} {
	g := greeting()
	with := func(f func(g []byte)) []byte { c := greeting(); f(c); return c }
	longSize := []byte{0x06, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF} // command claiming 2^63 bytes
	return []struct {
		name  string
		bytes []byte
	}{
		{"no Socket-Type", append(g, command(readyBody(prop("Identity", "x")))...)},
		{"empty Socket-Type", append(g, command(readyBody(prop("Socket-Type", "")))...)},
		{"unknown Socket-Type", append(g, command(readyBody(prop("Socket-Type", "BOGUS")))...)},
		{"lower-case Socket-Type", append(g, command(readyBody(prop("Socket-Type", "dealer")))...)},
		{"Socket-Type twice", append(g, command(readyBody(prop("Socket-Type", "DEALER"), prop("socket-type", "DEALER")))...)},
		{"incompatible Socket-Type", append(g, command(readyBody(prop("Socket-Type", "PUB")))...)},
		{"1 MiB command", append(g, command(readyBody(prop("Socket-Type", "DEALER"), prop("X-Pad", strings.Repeat("x", 1<<20))))...)},
		{"command claiming 2^63 bytes", append(g, longSize...)},
		{"property longer than the command", append(g, command(append(readyBody(), 11, 'S', 'o', 'c', 'k', 'e', 't', '-', 'T', 'y', 'p', 'e', 0xFF, 0xFF, 0xFF, 0xFF))...)},
		{"property name past the end", append(g, command(append(readyBody(), 200, 'a'))...)},
		{"empty property name", append(g, command(append(readyBody(), 0, 0, 0, 0, 0))...)},
		{"identity of 300 bytes", append(g, command(readyBody(prop("Socket-Type", "DEALER"), prop("Identity", strings.Repeat("i", 300))))...)},
		{"empty command", append(g, command(nil)...)},
		{"command name past the end", append(g, command([]byte{9, 'R', 'E'})...)},
		{"ERROR instead of READY", append(g, command(append([]byte("\x05ERROR"), prop("Error-Reason", "no")...))...)},
		{"message before READY", append(g, frame(0, []byte("hello"))...)},
		{"command with MORE", append(g, frame(0x05, readyBody(prop("Socket-Type", "DEALER")))...)},
		{"bad signature", with(func(c []byte) { c[0] = 0 })},
		{"ZMTP 2", with(func(c []byte) { c[10] = 2 })},
		{"PLAIN mechanism", with(func(c []byte) { copy(c[12:32], "PLAIN\x00\x00\x00\x00") })},
		{"mechanism not NUL-padded", with(func(c []byte) { c[20] = 'x' })},
		{"as-server 7", with(func(c []byte) { c[32] = 7 })},
		{"HTTP request", []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n" + strings.Repeat("x", 64))},
		{"short greeting then close", g[:20]},
	}
}

func TestHandshakeRefusesBadInput(t *testing.T) {
	for _, tt := range badHandshakes() {
		t.Run(tt.name, func(t *testing.T) {
			g, conn, err := handshake(&pipeConn{r: bytes.NewReader(tt.bytes)}, zmq4.Router, DefaultMaxFrameSize)
			if err == nil {
				t.Fatalf("handshake accepted it (peer meta %v)", conn.Peer.Meta)
			}
			if g != nil || conn != nil {
				t.Errorf("a refused handshake returned a connection")
			}
			if strings.Contains(err.Error(), "panicked") {
				t.Errorf("refused only by recovering from a panic: %v", err)
			}
		})
	}
}

func TestHandshakeAcceptsClients(t *testing.T) {
	for _, tt := range []struct {
		ours  zmq4.SocketType
		peers []string
	}{
		{zmq4.Router, []string{"DEALER", "REQ", "ROUTER"}},
		{zmq4.Pub, []string{"SUB", "XSUB"}},
		{zmq4.Rep, []string{"REQ", "DEALER"}},
	} {
		for _, peer := range tt.peers {
			in := append(clientHandshake(peer), frame(0, []byte("after"))...)
			_, conn, err := handshake(&pipeConn{r: bytes.NewReader(in)}, tt.ours, DefaultMaxFrameSize)
			if err != nil {
				t.Errorf("%s to %s: %v", peer, tt.ours, err)
				continue
			}
			if got := conn.Peer.Meta["Socket-Type"]; got != peer {
				t.Errorf("%s to %s: peer type %q", peer, tt.ours, got)
			}
			msg, err := conn.RecvMsg()
			if err != nil || len(msg.Frames) != 1 || string(msg.Frames[0]) != "after" {
				t.Errorf("%s to %s: first message %q, %v", peer, tt.ours, msg.Frames, err)
			}
		}
	}
}

// syncWriter collects log output from several goroutines.
type syncWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (w *syncWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(b)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// TestBadHandshakesOverTCP sends every bad handshake to a real ROUTER
// socket and checks that each is logged and refused while a good client
// connected before them, and one connecting after, are still served.
func TestBadHandshakesOverTCP(t *testing.T) {
	logs := &syncWriter{}
	s, port, err := listen("shell", zmq4.Router, "tcp", "127.0.0.1", 0, log.New(logs, "", 0), DefaultMaxFrameSize)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	dial := func() *zmq4.Conn {
		t.Helper()
		raw, err := net.DialTimeout("tcp", addr, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { raw.Close() })
		c, err := zmq4.Open(raw, null.Security(), zmq4.Dealer, zmq4.SocketIdentity("good"), false, nil)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	echo := func(c *zmq4.Conn, text string) {
		t.Helper()
		if err := c.SendMsg(zmq4.NewMsgString(text)); err != nil {
			t.Fatal(err)
		}
		select {
		case m := <-s.in:
			if got := string(m.frames[len(m.frames)-1]); got != text {
				t.Fatalf("got %q, want %q", got, text)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("the socket stopped serving: %q never arrived; log:\n%s", text, logs)
		}
	}
	before := dial()
	echo(before, "before")
	bad := badHandshakes()
	for _, tt := range bad {
		raw, err := net.DialTimeout("tcp", addr, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		// Read the kernel's side until it hangs up, so the test knows the
		// attempt was dealt with.
		go func() {
			raw.Write(tt.bytes)
			raw.(*net.TCPConn).CloseWrite()
		}()
		raw.SetReadDeadline(time.Now().Add(20 * time.Second))
		_, err = io.Copy(io.Discard, raw)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Errorf("%s: the kernel kept the connection open", tt.name)
		}
		raw.Close()
	}
	echo(before, "still there")
	echo(dial(), "after")
	deadline := time.Now().Add(20 * time.Second)
	for strings.Count(logs.String(), "refused a connection") < len(bad) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := strings.Count(logs.String(), "refused a connection"); n != len(bad) {
		t.Errorf("%d refusals logged for %d bad handshakes:\n%s", n, len(bad), logs)
	}
	if strings.Contains(logs.String(), "panicked") {
		t.Errorf("a handshake was refused only by recovering a panic:\n%s", logs)
	}
}

// FuzzHandshake feeds arbitrary bytes, as a client's side of a connection,
// to the kernel's handshake on each of its socket types, and reads a few
// messages after it. Nothing may panic (there is no recover between this
// and zmq4 but the one in handshake, which the test treats as a failure),
// and whatever is accepted must have passed wire.CheckReady.
func FuzzHandshake(f *testing.F) {
	for _, tt := range badHandshakes() {
		f.Add(byte(0), tt.bytes)
	}
	f.Add(byte(0), append(clientHandshake("DEALER"), frame(0, []byte("hi"))...))
	f.Add(byte(1), append(clientHandshake("SUB"), frame(0, []byte("\x01"))...))
	f.Add(byte(2), append(clientHandshake("REQ"), frame(1, nil)...))
	types := []zmq4.SocketType{zmq4.Router, zmq4.Pub, zmq4.Rep}
	f.Fuzz(func(t *testing.T, which byte, in []byte) {
		typ := types[int(which)%len(types)]
		_, conn, err := handshake(&pipeConn{r: bytes.NewReader(in)}, typ, 1<<20)
		if err != nil {
			if strings.Contains(err.Error(), "panicked") {
				t.Fatal(err)
			}
			return
		}
		if !bytes.Contains(in, []byte("READY")) {
			t.Fatalf("accepted a handshake with no READY")
		}
		peer := conn.Peer.Meta["Socket-Type"]
		ok := false
		for _, p := range wire.Compatible(string(typ)) {
			ok = ok || p == peer
		}
		if !ok {
			t.Fatalf("accepted peer type %q on %s", peer, typ)
		}
		for i := 0; i < 4; i++ {
			if _, err := conn.RecvMsg(); err != nil {
				return
			}
		}
	})
}
