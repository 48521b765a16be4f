package interp

import (
	"context"
	"fmt"
	"time"

	"github.com/gokernel/gokernel/interp/comm"
	"github.com/gokernel/gokernel/interp/rt"
	"github.com/gokernel/gokernel/kernel/mime"
)

// commGrace is how long an interrupted callback may take to stop before
// HandleComm returns without it (it is left running, as a stuck cell is).
const commGrace = 2 * time.Second

// HandleComm serves a comm message from the frontend (kernel.Comms): the
// comm's callbacks (a widget's observers, a button's click handler) run on a
// goroutine that belongs to the message as a cell does, so what they print
// or display goes to out, whose parent is the message, and an interrupt
// stops them as it stops a cell. Goroutines they start with go belong to it
// too.
func (s *Session) HandleComm(ctx context.Context, m mime.CommMsg, out mime.Publisher) error {
	if out == nil {
		out = discard{}
	}
	started := make(chan *rt.Cell, 1)
	done := make(chan error, 1)
	go func() {
		c := rt.BeginCell(out)
		started <- c
		var err error
		if p := rt.Protect(func() { err = comm.Handle(m, out) }); p != nil {
			err = fmt.Errorf("interp: %s: %v", m.Type, p.Value) // comm.Handle recovers callbacks' panics; this is a bug of ours
		}
		c.End()
		done <- err
	}()
	c := <-started
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	c.Interrupt()
	select {
	case err := <-done:
		return err
	case <-time.After(commGrace):
		return fmt.Errorf("interp: a %s callback did not stop when interrupted; it was left running", m.Type)
	}
}
