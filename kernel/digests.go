package kernel

import (
	"strings"
	"sync"
)

// digestHistory is how many signatures the replay check remembers, as
// jupyter_client's Session.digest_history_size (2^16).
const digestHistory = 1 << 16

// digests remembers the signatures of the last messages served, so that a
// signed message captured off the wire and sent again is refused rather
// than run twice. Oldest first out: a replay older than the last
// digestHistory messages gets through, as with jupyter_client (which culls
// at random).
type digests struct {
	mu   sync.Mutex
	max  int
	set  map[string]struct{}
	ring []string // grows to max, then oldest is overwritten at next
	next int
}

// newDigests remembers up to n signatures. Nothing is allocated up front:
// an idle kernel's memory is a measured target.
func newDigests(n int) *digests {
	return &digests{max: n, set: map[string]struct{}{}}
}

// add records sig and reports whether it is new. Hex case is folded: the
// same MAC written in capitals verifies too, so it must count as seen.
func (d *digests) add(sig []byte) bool {
	s := strings.ToLower(string(sig))
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, dup := d.set[s]; dup {
		return false
	}
	if len(d.ring) < d.max {
		d.ring = append(d.ring, s)
	} else {
		delete(d.set, d.ring[d.next])
		d.ring[d.next] = s
		d.next = (d.next + 1) % d.max
	}
	d.set[s] = struct{}{}
	return true
}
