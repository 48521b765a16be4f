package interp

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/gokernel/gokernel/kernel/mime"
)

// TestRunnerAlone drives the runner with a fake cell runner: the interrupt
// protocol without yaegi.
func TestRunnerAlone(t *testing.T) {
	release := make(chan struct{})
	var r runner
	r.run = func(run *cellRun, code string) (mime.Bundle, error) {
		switch code {
		case "stuck": // where no interrupt reaches
			<-release
			return mime.Bundle{}, nil
		case "wait": // until interrupted
			<-run.cell.Done()
			return mime.Bundle{}, &Error{Ename: "Interrupted", Msg: "interrupted"}
		case "goexit":
			runtime.Goexit()
		}
		return mime.Bundle{Data: map[string]any{mime.Text: code}}, nil
	}
	want := func(b mime.Bundle, err error, text string) {
		t.Helper()
		if err != nil || b.Data[mime.Text] != text {
			t.Fatalf("got %v, %v; want %q", b.Data, err, text)
		}
	}
	ename := func(err error) string {
		var e *Error
		if errors.As(err, &e) {
			return e.Ename
		}
		return ""
	}
	b, err := r.execute(context.Background(), "one", nil)
	want(b, err, "one")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.execute(ctx, "wait", nil); ename(err) != "Interrupted" {
		t.Fatalf("interrupted cell: %v", err)
	}

	if _, err := r.execute(context.Background(), "goexit", nil); ename(err) != "Goexit" {
		t.Fatalf("Goexit: %v", err)
	}
	b, err = r.execute(context.Background(), "after goexit", nil)
	want(b, err, "after goexit")

	done := make(chan error, 1)
	go func() { _, err := r.execute(context.Background(), "stuck", nil); done <- err }()
	for !r.abandon() { // until the cell is running
		time.Sleep(time.Millisecond)
	}
	select {
	case err := <-done:
		if ename(err) != "Interrupted" {
			t.Fatalf("abandoned: %v", err)
		}
	case <-time.After(10 * time.Second): // hang guard
		t.Fatal("execute did not return after abandon")
	}
	if r.stuckCells() != 1 {
		t.Errorf("stuck = %d, want 1", r.stuckCells())
	}
	b, err = r.execute(context.Background(), "next", nil)
	want(b, err, "next")
	close(release)
	for deadline := time.Now().Add(10 * time.Second); r.stuckCells() != 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) { // hang guard
			t.Fatal("stuck count stayed at 1 after the cell returned")
		}
	}
	r.close()
	b, err = r.execute(context.Background(), "after close", nil)
	want(b, err, "after close")
}
