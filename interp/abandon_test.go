package interp

import (
	"context"
	"errors"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gokernel/gokernel/kernel/mime"
	yaegi "github.com/traefik/yaegi/interp"
)

// TestAbandonStuckCell: a cell blocked inside compiled code, where no
// interrupt reaches, is abandoned; the next cells run and see the state
// kept; the stuck count drops when the compiled call finally returns.
func TestAbandonStuckCell(t *testing.T) {
	s, err := NewSession(Options{})
	if err != nil {
		t.Fatal(err)
	}
	release, entered := make(chan struct{}), make(chan struct{}, 1)
	if err := s.i.Use(yaegi.Exports{"stucktest/stucktest": {
		"Wait": reflect.ValueOf(func() { entered <- struct{}{}; <-release }),
	}}); err != nil {
		t.Fatal(err)
	}
	exec := func(ctx context.Context, code string) (string, error) {
		t.Helper()
		rec := &mime.Recorder{}
		_, err := s.Execute(ctx, code, rec)
		var out strings.Builder
		for _, o := range rec.Outputs() {
			out.WriteString(o.Text)
		}
		return out.String(), err
	}
	if _, err := exec(context.Background(), "import \"stucktest\"\nkeep := 7"); err != nil {
		t.Fatal(err)
	}
	if s.Abandon() {
		t.Error("Abandon with no cell running reported true")
	}

	ctx, cancel := context.WithCancel(context.Background())
	type result struct {
		out string
		err error
	}
	res := make(chan result, 1)
	go func() {
		out, err := exec(ctx, "fmt.Println(\"in\")\nstucktest.Wait()\nfmt.Println(\"out\")")
		res <- result{out, err}
	}()
	<-entered
	cancel() // an interrupt cannot reach it: Execute keeps waiting
	select {
	case r := <-res:
		t.Fatalf("Execute returned before Abandon: %q %v", r.out, r.err)
	case <-time.After(100 * time.Millisecond):
	}
	if !s.Abandon() {
		t.Fatal("Abandon with a stuck cell reported false")
	}
	var r result
	select {
	case r = <-res:
	case <-time.After(10 * time.Second): // hang guard
		t.Fatal("Execute did not return after Abandon")
	}
	var e *Error
	if !errors.As(r.err, &e) || e.Ename != "Interrupted" || !strings.Contains(e.Msg, "stuck") {
		t.Fatalf("abandoned cell: got %#v, want an Interrupted error saying it is stuck", r.err)
	}
	if s.Stuck() != 1 {
		t.Errorf("Stuck() = %d, want 1", s.Stuck())
	}
	if s.Abandon() {
		t.Error("Abandon after the cell was abandoned reported true")
	}

	out, err := exec(context.Background(), "fmt.Println(keep)")
	if err != nil || out != "7\n" {
		t.Fatalf("next cell: got %q, %v; want \"7\\n\"", out, err)
	}
	out, err = exec(context.Background(), "func twice(x int) int { return 2 * x }\nfmt.Println(twice(keep))")
	if err != nil || out != "14\n" {
		t.Fatalf("declaring after an abandoned cell: got %q, %v", out, err)
	}

	close(release)
	for deadline := time.Now().Add(10 * time.Second); s.Stuck() != 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) { // hang guard
			t.Fatal("Stuck() stayed non-zero after the compiled call returned")
		}
	}
	out, err = exec(context.Background(), "fmt.Println(twice(keep))")
	if err != nil || out != "14\n" {
		t.Fatalf("after the abandoned cell came back: got %q, %v", out, err)
	}
}

// TestInterruptWaits: Execute has no timer of its own after an
// interrupt; a cell that unwinds late still gives its own result.
func TestInterruptWaits(t *testing.T) {
	s, err := NewSession(Options{})
	if err != nil {
		t.Fatal(err)
	}
	release, entered := make(chan struct{}), make(chan struct{}, 1)
	if err := s.i.Use(yaegi.Exports{"stucktest/stucktest": {
		"Wait": reflect.ValueOf(func() { entered <- struct{}{}; <-release }),
	}}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-entered
		cancel()
		time.Sleep(600 * time.Millisecond) // longer than the old 400 ms abandonment
		close(release)
	}()
	_, err = s.Execute(ctx, "import \"stucktest\"\nstucktest.Wait()\nfor {}", nil)
	var e *Error
	if !errors.As(err, &e) || e.Msg != "interrupted" {
		t.Fatalf("got %#v, want the plain Interrupted error of a cell that unwound", err)
	}
	if s.Stuck() != 0 {
		t.Errorf("Stuck() = %d, want 0", s.Stuck())
	}
}

// TestGoexitFromCompiledCode: runtime.Goexit called by compiled code on
// the cell's goroutine really ends that goroutine; the cell ends with a
// Goexit error and the next cell runs on a new one, state kept.
func TestGoexitFromCompiledCode(t *testing.T) {
	s, err := NewSession(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.i.Use(yaegi.Exports{"exittest/exittest": {"Exit": reflect.ValueOf(runtime.Goexit)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Execute(context.Background(), "import \"exittest\"\nkeep := 3", nil); err != nil {
		t.Fatal(err)
	}
	_, err = s.Execute(context.Background(), "exittest.Exit()", nil)
	var e *Error
	if !errors.As(err, &e) || e.Ename != "Goexit" {
		t.Fatalf("got %#v, want a Goexit error", err)
	}
	rec := &mime.Recorder{}
	if _, err := s.Execute(context.Background(), "fmt.Println(keep)", rec); err != nil {
		t.Fatal(err)
	}
	if out := rec.Outputs(); len(out) != 1 || out[0].Text != "3\n" {
		t.Errorf("next cell printed %+v, want 3", out)
	}
}
