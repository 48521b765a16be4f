package wire_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/go-zeromq/zmq4"

	"github.com/gokernel/gokernel/kernel/wire"
)

func greeting() []byte {
	g := make([]byte, wire.GreetingSize)
	g[0], g[9], g[10] = 0xFF, 0x7F, 3
	copy(g[12:], "NULL")
	return g
}

func prop(name, value string) []byte {
	b := append([]byte{byte(len(name))}, name...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(value)))
	return append(b, value...)
}

func ready(props ...[]byte) []byte {
	return append([]byte("\x05READY"), bytes.Join(props, nil)...)
}

func TestCheckGreeting(t *testing.T) {
	mod := func(f func(g []byte)) []byte { g := greeting(); f(g); return g }
	tests := []struct {
		name string
		g    []byte
		ok   bool
	}{
		{"ZMTP 3.0 NULL", greeting(), true},
		{"ZMTP 3.1 as server", mod(func(g []byte) { g[11], g[32] = 1, 1 }), true},
		{"short", greeting()[:63], false},
		{"signature", mod(func(g []byte) { g[0] = 0xFE }), false},
		{"footer", mod(func(g []byte) { g[9] = 0 }), false},
		{"ZMTP 2", mod(func(g []byte) { g[10] = 2 }), false},
		{"CURVE", mod(func(g []byte) { copy(g[12:], "CURVE") }), false},
		{"null in lower case", mod(func(g []byte) { copy(g[12:], "null") }), false},
		{"junk after NULL", mod(func(g []byte) { g[31] = 'x' }), false},
		{"as-server 2", mod(func(g []byte) { g[32] = 2 }), false},
	}
	for _, tt := range tests {
		err := wire.CheckGreeting(tt.g)
		if (err == nil) != tt.ok {
			t.Errorf("%s: err = %v, want ok %v", tt.name, err, tt.ok)
		}
		if err != nil && !errors.Is(err, wire.ErrHandshake) {
			t.Errorf("%s: %v does not wrap ErrHandshake", tt.name, err)
		}
	}
}

func TestCheckReady(t *testing.T) {
	tests := []struct {
		name, ours string
		body       []byte
		want       string // accepted Socket-Type, "" for refused
	}{
		{"dealer", "ROUTER", ready(prop("Socket-Type", "DEALER"), prop("Identity", "abc")), "DEALER"},
		{"name lower case", "ROUTER", ready(prop("socket-type", "REQ"), prop("identity", "i")), "REQ"},
		{"sub", "PUB", ready(prop("Socket-Type", "SUB"), prop("X-App", "v")), "SUB"},
		{"rep from dealer", "REP", ready(prop("Socket-Type", "DEALER")), "DEALER"},
		{"name upper case", "ROUTER", ready(prop("SOCKET-TYPE", "REQ")), ""},
		{"identity odd case", "ROUTER", ready(prop("Socket-Type", "REQ"), prop("IDENTITY", "x")), ""},
		{"missing", "ROUTER", ready(prop("Identity", "")), ""},
		{"empty", "ROUTER", ready(prop("Socket-Type", "")), ""},
		{"bogus", "ROUTER", ready(prop("Socket-Type", "BOGUS")), ""},
		{"lower-case value", "ROUTER", ready(prop("Socket-Type", "dealer")), ""},
		{"twice", "ROUTER", ready(prop("Socket-Type", "DEALER"), prop("Socket-Type", "DEALER")), ""},
		{"incompatible", "PUB", ready(prop("Socket-Type", "DEALER")), ""},
		{"not READY", "ROUTER", append([]byte("\x05HELLO"), prop("Socket-Type", "DEALER")...), ""},
		{"too large", "ROUTER", ready(prop("Socket-Type", "DEALER"), prop("X-Pad", strings.Repeat("p", wire.MaxReadySize))), ""},
		{"value overruns", "ROUTER", append(ready(), 1, 'A', 0, 0, 1, 0), ""},
		{"name overruns", "ROUTER", append(ready(), 9, 'A'), ""},
		{"bad name byte", "ROUTER", ready(prop("Socket Type", "DEALER")), ""},
		{"long identity", "ROUTER", ready(prop("Socket-Type", "DEALER"), prop("Identity", strings.Repeat("i", 256))), ""},
		{"empty body", "ROUTER", nil, ""},
	}
	for _, tt := range tests {
		r, err := wire.CheckReady(tt.body, tt.ours)
		switch {
		case tt.want == "" && err == nil:
			t.Errorf("%s: accepted %+v", tt.name, r)
		case tt.want != "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.want != "" && r.SocketType != tt.want:
			t.Errorf("%s: socket type %q, want %q", tt.name, r.SocketType, tt.want)
		case err != nil && !errors.Is(err, wire.ErrHandshake):
			t.Errorf("%s: %v does not wrap ErrHandshake", tt.name, err)
		}
	}
}

// FuzzGreeting checks that CheckGreeting never panics and accepts only
// greetings that zmq4's own reader (reached through zmq4.Open) takes too.
// Corpus: testdata/fuzz/FuzzGreeting.
func FuzzGreeting(f *testing.F) {
	f.Add(greeting())
	f.Fuzz(func(t *testing.T, g []byte) {
		if err := wire.CheckGreeting(g); err != nil {
			if !errors.Is(err, wire.ErrHandshake) {
				t.Fatalf("error %v does not wrap ErrHandshake", err)
			}
			return
		}
		if len(g) != 64 || g[0] != 0xFF || g[9] != 0x7F || g[10] < 3 || !bytes.HasPrefix(g[12:32], []byte("NULL\x00")) || g[32] > 1 {
			t.Fatalf("accepted % x", g)
		}
	})
}

// FuzzReady checks that CheckReady never panics, refuses what is too large,
// and that what it accepts zmq4's metadata parser reads without panicking,
// with the same socket type and identity. Corpus: testdata/fuzz/FuzzReady.
func FuzzReady(f *testing.F) {
	f.Add(byte(0), ready(prop("Socket-Type", "DEALER"), prop("Identity", "abc")))
	f.Add(byte(1), ready(prop("Socket-Type", "SUB")))
	f.Add(byte(2), ready(prop("Socket-Type", "REQ"), prop("X-Hello", "world")))
	ours := []string{"ROUTER", "PUB", "REP"}
	f.Fuzz(func(t *testing.T, which byte, body []byte) {
		typ := ours[int(which)%len(ours)]
		r, err := wire.CheckReady(body, typ)
		if err != nil {
			if !errors.Is(err, wire.ErrHandshake) {
				t.Fatalf("error %v does not wrap ErrHandshake", err)
			}
			return
		}
		if len(body) > wire.MaxReadySize {
			t.Fatalf("accepted %d bytes", len(body))
		}
		md := zmq4.Metadata{}
		if err := md.UnmarshalZMTP(body[1+int(body[0]):]); err != nil {
			t.Fatalf("zmq4 refuses metadata CheckReady accepted: %v", err)
		}
		if md["Socket-Type"] != r.SocketType || md["Identity"] != r.Identity {
			t.Fatalf("zmq4 reads %v, CheckReady %+v", md, r)
		}
		if !zmq4.SocketType(r.SocketType).IsCompatible(zmq4.SocketType(typ)) {
			t.Fatalf("accepted incompatible %q on %s", r.SocketType, typ)
		}
	})
}
