package wire_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/gokernel/gokernel/kernel/wire"
)

// FuzzDecode feeds arbitrary frames to Decode (the corpus is in
// testdata/fuzz/FuzzDecode). The input is split into frames on NUL-NUL, so
// the fuzzer can build multipart messages from one byte string; the first
// frame is the key. Decode must never panic, must reject a message whose
// signature does not match, and what it accepts must survive a round trip.
func FuzzDecode(f *testing.F) {
	f.Add([]byte("key\x00\x00id\x00\x00<IDS|MSG>\x00\x00sig\x00\x00{}\x00\x00{}\x00\x00{}\x00\x00{}"))
	f.Add([]byte("\x00\x00<IDS|MSG>\x00\x00\x00\x00{\"msg_id\":\"1\"}\x00\x00{}\x00\x00{}\x00\x00{\"code\":\"1\"}\x00\x00buf"))
	f.Fuzz(func(t *testing.T, data []byte) {
		parts := bytes.Split(data, []byte{0, 0})
		key, frames := parts[0], parts[1:]
		m, err := wire.Decode(key, frames)
		if err != nil {
			return
		}
		d := len(m.Identities)
		if len(key) > 0 && !wire.Verify(key, frames[d+1], frames[d+2], frames[d+3], frames[d+4], frames[d+5]) {
			t.Fatal("Decode accepted a message Verify rejects")
		}
		// Re-sign with a fresh key and decode again: the same message back.
		out, err := wire.Encode([]byte("k2"), m)
		if err != nil {
			t.Fatalf("Encode of a decoded message: %v", err)
		}
		m2, err := wire.Decode([]byte("k2"), out)
		if err != nil {
			t.Fatalf("round trip: %v", err)
		}
		if m2.Header != m.Header || m2.Parent != m.Parent || len(m2.Identities) != d {
			t.Fatalf("round trip changed the message: %+v vs %+v", m2, m)
		}
		// Changing one hex digit of the signature must be caught.
		bad := append([][]byte(nil), out...)
		sig := append([]byte(nil), out[d+1]...)
		if sig[0] == '0' {
			sig[0] = '1'
		} else {
			sig[0] = '0'
		}
		bad[d+1] = sig
		if _, err := wire.Decode([]byte("k2"), bad); !errors.Is(err, wire.ErrBadSignature) {
			t.Fatalf("changed signature: err = %v, want ErrBadSignature", err)
		}
	})
}
