package kerneltest

import (
	"log"
	"strings"
	"sync"
	"testing"
)

// testWriter sends the kernel's log to t.Log until the test ends (logging
// after that would panic in testing).
type testWriter struct {
	mu   sync.Mutex
	t    testing.TB
	done bool
}

func (w *testWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimSuffix(string(b), "\n"))
	}
	return len(b), nil
}

func newLogger(t testing.TB) *log.Logger {
	w := &testWriter{t: t}
	t.Cleanup(func() {
		w.mu.Lock()
		w.done = true
		w.mu.Unlock()
	})
	return log.New(w, "kernel log: ", 0)
}
