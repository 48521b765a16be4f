package mech

import (
	"os"
	"testing"

	"github.com/gokernel/gokernel/interp/subprocess"
)

// The test binary is also the subprocess model's worker.
func TestMain(m *testing.M) {
	if subprocess.IsChild() {
		subprocess.ChildMain()
	}
	if os.Getenv("GORACE") == "" {
		os.Setenv("GORACE", "atexit_sleep_ms=0")
	}
	os.Exit(m.Run())
}
