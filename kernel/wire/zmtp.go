package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// This file checks what a ZeroMQ peer says before its first message: the
// 64-byte ZMTP 3 greeting and the READY command of the NULL mechanism
// (https://rfc.zeromq.org/spec/23/). The kernel runs these checks on the
// raw bytes before zmq4 sees them: zmq4 v0.17.0 panics on a READY whose
// Socket-Type is missing or unknown and on a property that claims more
// bytes than it has, and a panic in a connection's goroutine ends the whole
// kernel. Nothing here allocates more than the input.

// GreetingSize is the length of a ZMTP 3 greeting.
const GreetingSize = 64

// MaxReadySize bounds the READY command frame (body, name included). A
// READY carries a socket type, an identity of at most 255 bytes and
// perhaps a few application properties: a few hundred bytes from libzmq
// and zmq4. 64 KiB leaves room for generous metadata and refuses a peer
// that claims megabytes before saying who it is.
const MaxReadySize = 64 << 10

// ErrHandshake is wrapped by every error of CheckGreeting and CheckReady.
var ErrHandshake = errors.New("wire: bad ZMTP handshake")

func handshakeErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrHandshake, fmt.Sprintf(format, args...))
}

// CheckGreeting checks a peer's 64-byte ZMTP greeting: the signature
// (0xFF, 8 bytes, 0x7F), a version of 3.0 or later, the NULL mechanism and
// an as-server byte of 0 or 1.
func CheckGreeting(g []byte) error {
	if len(g) != GreetingSize {
		return handshakeErr("greeting is %d bytes, want %d", len(g), GreetingSize)
	}
	if g[0] != 0xFF || g[9] != 0x7F {
		return handshakeErr("greeting signature % x...% x is not ZMTP", g[0], g[9])
	}
	if g[10] < 3 {
		return handshakeErr("ZMTP version %d.%d, want 3.0 or later", g[10], g[11])
	}
	mech := g[12:32]
	n := 0
	for n < len(mech) && mech[n] != 0 {
		n++
	}
	for _, c := range mech[n:] {
		if c != 0 {
			return handshakeErr("security mechanism is not NUL-padded")
		}
	}
	if string(mech[:n]) != "NULL" {
		return handshakeErr("security mechanism %q, want NULL", mech[:n])
	}
	if g[32] > 1 {
		return handshakeErr("as-server byte %d, want 0 or 1", g[32])
	}
	return nil
}

// compatible lists, for each socket type the kernel binds, the peer socket
// types ZMTP allows to connect to it (RFC 23, "Socket type compatibility").
var compatible = map[string][]string{
	"ROUTER": {"DEALER", "REQ", "ROUTER"},
	"PUB":    {"SUB", "XSUB"},
	"REP":    {"REQ", "DEALER"},
}

// Compatible returns the peer socket types that may connect to a socket of
// type ours ("ROUTER", "PUB" or "REP"); nil for another type.
func Compatible(ours string) []string { return append([]string(nil), compatible[ours]...) }

// Ready is the metadata of a READY command that CheckReady accepted.
type Ready struct {
	SocketType string // exactly as sent, one of Compatible(ours)
	Identity   string // "" when the peer set none; at most 255 bytes
}

// CheckReady checks a READY command frame's body (name length, name,
// properties) from a peer connecting to a socket of type ours ("ROUTER",
// "PUB" or "REP"). Property names are compared without regard to case, as
// ZMTP says; each may appear once. Socket-Type must be present, upper
// case, and a type that may connect to ours.
func CheckReady(body []byte, ours string) (Ready, error) {
	var r Ready
	if len(body) > MaxReadySize {
		return r, handshakeErr("READY command of %d bytes (at most %d)", len(body), MaxReadySize)
	}
	if len(body) == 0 {
		return r, handshakeErr("empty command")
	}
	n := int(body[0])
	if 1+n > len(body) {
		return r, handshakeErr("command name of %d bytes in a %d-byte command", n, len(body))
	}
	if name := string(body[1 : 1+n]); name != "READY" {
		return r, handshakeErr("first command is %q, want READY", name)
	}
	p := body[1+n:]
	seen := map[string]bool{}
	sawType := false
	for len(p) > 0 {
		kl := int(p[0])
		if kl == 0 {
			return r, handshakeErr("property with an empty name")
		}
		if 1+kl+4 > len(p) {
			return r, handshakeErr("property truncated (name of %d bytes, %d left)", kl, len(p)-1)
		}
		key := string(p[1 : 1+kl])
		for i := 0; i < len(key); i++ {
			c := key[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._+", c) >= 0) {
				return r, handshakeErr("property name %q has a byte ZMTP does not allow", key)
			}
		}
		vl := binary.BigEndian.Uint32(p[1+kl:])
		p = p[1+kl+4:]
		if uint64(vl) > uint64(len(p)) {
			return r, handshakeErr("property %q claims %d bytes, %d left", key, vl, len(p))
		}
		val := string(p[:vl])
		p = p[vl:]
		lower := strings.ToLower(key)
		if seen[lower] {
			return r, handshakeErr("property %q given twice", key)
		}
		seen[lower] = true
		switch lower {
		case "socket-type", "identity":
			// zmq4 looks these up after capitalising each word and
			// nothing else: "SOCKET-TYPE" would reach it as missing.
			if wordsTitled(key) != "Socket-Type" && wordsTitled(key) != "Identity" {
				return r, handshakeErr("property name %q: spell it %q", key, map[string]string{"socket-type": "Socket-Type", "identity": "Identity"}[lower])
			}
		}
		switch lower {
		case "socket-type":
			sawType = true
			r.SocketType = val
		case "identity":
			if len(val) > 255 {
				return r, handshakeErr("identity of %d bytes (at most 255)", len(val))
			}
			r.Identity = val
		}
	}
	if !sawType {
		return r, handshakeErr("READY has no Socket-Type")
	}
	peers, ok := compatible[ours]
	if !ok {
		return r, handshakeErr("unknown local socket type %q", ours)
	}
	for _, t := range peers {
		if r.SocketType == t {
			return r, nil
		}
	}
	return r, handshakeErr("socket type %q may not connect to a %s socket (want one of %s)", r.SocketType, ours, strings.Join(peers, ", "))
}

// wordsTitled upper-cases the first letter of each hyphenated word of an
// ASCII name and leaves the rest alone, as zmq4 does to property names.
func wordsTitled(s string) string {
	b := []byte(s)
	for i := range b {
		if (i == 0 || b[i-1] == '-') && b[i] >= 'a' && b[i] <= 'z' {
			b[i] -= 'a' - 'A'
		}
	}
	return string(b)
}
