package kernel

import (
	"encoding/hex"
	"sync"
)

// digestHistory is how many signatures the replay check remembers, as
// jupyter_client's Session.digest_history_size (2^16).
const digestHistory = 1 << 16

// digest is the last 16 bytes of a signature's MAC: enough to tell
// messages apart (forging a collision needs the key), and a quarter of the
// memory of the hex text of a SHA-256 signature.
type digest [16]byte

// digests remembers the signatures of the last messages served, so that a
// signed message captured off the wire and sent again is refused rather
// than run twice. Oldest first out: a replay older than the last
// digestHistory messages gets through, as with jupyter_client (which culls
// at random).
type digests struct {
	mu   sync.Mutex
	max  int
	set  map[digest]struct{}
	ring []digest // grows to max, then the oldest is overwritten at next
	next int
}

// newDigests remembers up to n signatures. Nothing is allocated up front:
// an idle kernel's memory is a measured target.
func newDigests(n int) *digests {
	return &digests{max: n, set: map[digest]struct{}{}}
}

// add records sig (hex, as on the wire, already verified) and reports
// whether it is new. It compares the decoded MAC, so the same signature
// written in capitals, which verifies too, counts as seen.
func (d *digests) add(sig []byte) bool {
	var k digest
	mac := make([]byte, hex.DecodedLen(len(sig)))
	n, _ := hex.Decode(mac, sig)
	copy(k[:], mac[max(0, n-len(k)):n])
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, dup := d.set[k]; dup {
		return false
	}
	if len(d.ring) < d.max {
		d.ring = append(d.ring, k)
	} else {
		delete(d.set, d.ring[d.next])
		d.ring[d.next] = k
		d.next = (d.next + 1) % d.max
	}
	d.set[k] = struct{}{}
	return true
}
