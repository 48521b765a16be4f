package residency

import (
	"testing"
	"time"
)

func TestIdleTrimmer(t *testing.T) {
	tr := NewIdleTrimmer(30 * time.Millisecond)
	// Activity more often than the idle period: no trim.
	for i := 0; i < 10; i++ {
		tr.Busy()
		time.Sleep(5 * time.Millisecond)
	}
	if n := tr.Trims(); n != 0 {
		t.Fatalf("trimmed %d times while busy", n)
	}
	deadline := time.Now().Add(5 * time.Second)
	for tr.Trims() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := tr.Trims(); n != 1 {
		t.Fatalf("trimmed %d times after going idle, want 1", n)
	}
	// Idle stays idle: no further trims without activity.
	time.Sleep(100 * time.Millisecond)
	if n := tr.Trims(); n != 1 {
		t.Fatalf("trimmed %d times with no activity since the first trim", n)
	}
	tr.Busy()
	for tr.Trims() == 1 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := tr.Trims(); n != 2 {
		t.Fatalf("trimmed %d times after a second burst, want 2", n)
	}
}
