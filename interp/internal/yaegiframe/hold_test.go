package yaegiframe

import (
	"context"
	"testing"
	"time"

	yaegi "github.com/traefik/yaegi/interp"
)

// TestHold: a held Debug run does not end after its program (no terminate
// event, the interpreter keeps its debugger) until Release, and Result has
// what the program returned.
func TestHold(t *testing.T) {
	i := yaegi.New(yaegi.Options{})
	prog, err := i.Compile("1 + 2")
	if err != nil {
		t.Fatal(err)
	}
	exited, over := make(chan struct{}), make(chan struct{})
	dbg := i.Debug(context.Background(), prog, func(e *yaegi.DebugEvent) {
		switch e.Reason() {
		case yaegi.DebugExitGoRoutine:
			close(exited)
		case yaegi.DebugTerminate:
			close(over)
		}
	}, nil)
	if !Hold(dbg) {
		t.Fatal("yaegi's Debugger has no context, gWait, result or err field: runs end with their files")
	}
	if err := dbg.Continue(0); err != nil {
		t.Fatal(err)
	}
	<-exited
	select {
	case <-over:
		t.Fatal("the held run ended with its program")
	case <-time.After(50 * time.Millisecond):
	}
	res, err := Result(dbg)
	if err != nil || !res.IsValid() || res.Int() != 3 {
		t.Errorf("Result: %v, %v", res, err)
	}
	Release(dbg)
	<-over
}
