package interp

import (
	"os"
	"testing"

	"github.com/gokernel/gokernel/interp/subprocess"
)

// The test binary is also the subprocess model's worker (as
// gokernel-worker is in the kernel), so cells can start pools of it and
// run their own functions there.
func TestMain(m *testing.M) {
	if subprocess.IsChild() {
		subprocess.SetCellRuntime(&CellRuntime{})
		subprocess.ChildMain()
	}
	// Under -race a process sleeps a second at exit to catch late races;
	// workers inherit this, and need not.
	if os.Getenv("GORACE") == "" {
		os.Setenv("GORACE", "atexit_sleep_ms=0")
	}
	code := m.Run()
	subprocess.Shutdown()
	os.Exit(code)
}
