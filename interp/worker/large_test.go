//go:build (linux || darwin) && !race

package worker

import (
	"strconv"
	"strings"
	"testing"
)

// TestLargeFrames: a cell and a value above the old 64 MiB limit go
// through. Not under the race detector, where encoding 70 MiB of JSON in
// both processes takes about a minute.
func TestLargeFrames(t *testing.T) {
	c := newClient(t, Options{})
	const big = 70 << 20
	_, b, err := run(t, c, "big "+strconv.Itoa(big))
	if err != nil || len(text(b)) != big {
		t.Fatalf("a %d-byte value: %d bytes, %v", big, len(text(b)), err)
	}
	_, b, err = run(t, c, "value ok\n"+strings.Repeat(" ", big))
	if err != nil || text(b) != "ok" {
		t.Fatalf("a %d-byte cell: %v, %v", big, b, err)
	}
}
