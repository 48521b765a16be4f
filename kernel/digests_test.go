package kernel

import (
	"fmt"
	"testing"
)

func TestDigestsForgetOldest(t *testing.T) {
	d := newDigests(3)
	sig := func(i int) []byte { return []byte(fmt.Sprintf("%064x", i)) }
	for i := 0; i < 3; i++ {
		if !d.add(sig(i)) {
			t.Fatalf("signature %d reported seen", i)
		}
	}
	if d.add(sig(1)) || d.add([]byte(fmt.Sprintf("%064X", 0xabc))) != true || d.add([]byte(fmt.Sprintf("%064x", 0xabc))) {
		t.Fatal("replay not caught (or case not folded)")
	}
	// 0xabc pushed out 0; 0 is new again, 2 is still remembered.
	if !d.add(sig(0)) || d.add(sig(2)) {
		t.Error("oldest-first eviction")
	}
	if len(d.set) != 3 || len(d.ring) != 3 {
		t.Errorf("holds %d/%d, want 3", len(d.set), len(d.ring))
	}
}
