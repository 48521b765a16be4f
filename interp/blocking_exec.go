package interp

import (
	"context"
	"os/exec"
	"reflect"
	"time"

	"github.com/gokernel/gokernel/interp/rt"
)

// Commands a cell runs end with an interrupt.
//
// exec.Command in a cell is exec.CommandContext with a context that is
// done when the cell is interrupted: the command (and, on Linux, the
// process group it leads, so `sh -c "sleep 30; echo"` goes too) is killed,
// Run, Wait, Output and reads from its pipes return, and the cell stops
// with Interrupted, as subprocess.run does on KeyboardInterrupt. A command
// the cell leaves running keeps running after the cell ends: only an
// interrupt of that cell, while it runs, stops it.

func execExports() map[string]reflect.Value {
	return map[string]reflect.Value{
		"Command": reflect.ValueOf(execCommandCell),
	}
}

func execCommandCell(name string, arg ...string) *exec.Cmd {
	c := rt.Current()
	if c == nil {
		return exec.Command(name, arg...)
	}
	cmd := exec.CommandContext(interruptCtx{c}, name, arg...)
	leadGroup(cmd)
	// Killed, its children may still hold its pipes: do not wait for them for ever.
	cmd.WaitDelay = time.Second
	return cmd
}

// interruptCtx is a context that is done when its cell is interrupted. It needs
// no goroutine of its own (a cell may start many commands and never be
// interrupted).
type interruptCtx struct{ c *rt.Cell }

func (interruptCtx) Deadline() (time.Time, bool) { return time.Time{}, false }
func (d interruptCtx) Done() <-chan struct{}     { return d.c.Done() }
func (interruptCtx) Value(any) any               { return nil }
func (d interruptCtx) Err() error {
	if d.c.Interrupted() {
		return context.Canceled
	}
	return nil
}
