package interp

import (
	"context"
	"os/exec"
	"testing"

	"github.com/gokernel/gokernel/kernel/mime"
)

// TestGet lays out a module from the module cache (uuid, which the
// project requires) in a GOPATH tree and imports it from a cell.
func TestGet(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	gopath := t.TempDir()
	if err := Get(context.Background(), gopath, "github.com/google/uuid@v1.6.0", nil); err != nil {
		t.Skipf("module not available offline: %v", err)
	}
	s, err := NewSession(Options{GOPATH: gopath})
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Execute(context.Background(), "import \"github.com/google/uuid\"\nlen(uuid.NewString())", &mime.Recorder{})
	if err != nil {
		t.Fatal(err)
	}
	if got := b.Data[mime.Text]; got != "36" {
		t.Errorf("len(uuid.NewString()) = %v, want 36", got)
	}
}

func TestGetBadModule(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	err := Get(context.Background(), t.TempDir(), "example.invalid/nope@v0.0.0", nil)
	if err == nil {
		t.Fatal("no error for a module that does not exist")
	}
}
