package residency

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// written is changed at run time: if a writable mapping of the binary were
// dropped, it would read as its initial value again.
var written = "initial"

// fileRss returns the file-backed resident bytes of this process.
func fileRss(t *testing.T) int {
	b, err := os.ReadFile("/proc/self/smaps_rollup")
	if err != nil {
		t.Skip("no /proc/self/smaps_rollup:", err)
	}
	var rss, anon int
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		n, _ := strconv.Atoi(f[1])
		switch f[0] {
		case "Rss:":
			rss = n
		case "Anonymous:":
			anon = n
		}
	}
	return (rss - anon) << 10
}

func TestDropExecutablePages(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("linux only")
	}
	written = "changed at run time"
	before := fileRss(t)
	n, err := DropExecutablePages()
	if err != nil {
		t.Fatal(err)
	}
	after := fileRss(t)
	if n == 0 {
		t.Fatal("no mapping of the executable was found in /proc/self/maps")
	}
	if after >= before {
		t.Errorf("file-backed RSS %d KiB before, %d KiB after: nothing was released", before>>10, after>>10)
	}
	// The process goes on: code and read-only data fault back in, and
	// writable data kept its run-time value.
	if written != "changed at run time" {
		t.Errorf("a writable mapping was dropped: written = %q", written)
	}
	if got := strconv.Itoa(12345) + strings.Repeat("x", 3); got != "12345xxx" {
		t.Errorf("after the drop: %q", got)
	}
	runtime.GC()
	t.Logf("file-backed RSS: %d KiB before, %d KiB after (advised on %d KiB)", before>>10, after>>10, n>>10)
}
