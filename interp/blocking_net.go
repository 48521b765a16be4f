package interp

import (
	"context"
	"net"
	"reflect"
	"time"

	"github.com/gokernel/gokernel/interp/rt"
)

// Network calls of cells end with an interrupt.
//
// net.Listen and net.Dial give cells listeners and connections wrapped so
// that a blocked Accept, Read or Write returns when the cell is
// interrupted: a deadline in the past wakes the call (the listener or
// connection itself stays usable, its deadline is put back), and the cell
// stops with Interrupted. Dial uses a context the interrupt cancels. Every
// such call releases the emulated GIL while it waits, as CPython's socket
// calls release the GIL. (The price: a wrapped value is not a
// *net.TCPConn or *net.TCPListener, so a type assertion to those fails.)

func netExports() map[string]reflect.Value {
	return map[string]reflect.Value{
		"Listen":      reflect.ValueOf(netListen),
		"Dial":        reflect.ValueOf(netDialCell),
		"DialTimeout": reflect.ValueOf(netDialTimeoutCell),
	}
}

func netListen(network, address string) (net.Listener, error) {
	l, err := net.Listen(network, address)
	if err != nil {
		return nil, err
	}
	return cellListener{l}, nil
}

func netDialCell(network, address string) (net.Conn, error) {
	return netDialTimeoutCell(network, address, 0)
}

func netDialTimeoutCell(network, address string, timeout time.Duration) (net.Conn, error) {
	ctx := cellContext()
	defer rt.Blocking()()
	d := net.Dialer{Timeout: timeout}
	c, err := d.DialContext(ctx, network, address)
	stopIfInterrupted()
	if err != nil {
		return nil, err
	}
	return cellConn{c}, nil
}

// cellContext is done when the calling goroutine's cell is interrupted
// (interruptCtx), or never outside a cell.
func cellContext() context.Context {
	if c := rt.Current(); c != nil {
		return interruptCtx{c}
	}
	return context.Background()
}

// stopIfInterrupted ends the calling goroutine with Interrupted if its
// cell was interrupted.
func stopIfInterrupted() {
	if c := rt.Current(); c != nil && c.Interrupted() {
		panic(rt.Interrupted{})
	}
}

// interruptible runs call (a blocking Accept, Read or Write), waking it
// with wake (which sets a deadline in the past) if the cell is
// interrupted meanwhile, and then restoring the deadline with reset.
func interruptible[T any](wake, reset func(), call func() (T, error)) (T, error) {
	c := rt.Current()
	if c == nil {
		return call()
	}
	if c.Interrupted() {
		panic(rt.Interrupted{})
	}
	done := rt.Blocking()
	finished := make(chan struct{})
	woke := make(chan bool, 1)
	go func() {
		select {
		case <-c.Done():
			wake()
			woke <- true
		case <-finished:
			woke <- false
		}
	}()
	v, err := call()
	close(finished)
	if <-woke {
		reset()
	}
	done()
	if c.Interrupted() {
		panic(rt.Interrupted{})
	}
	return v, err
}

type deadliner interface{ SetDeadline(time.Time) error }

type cellListener struct{ net.Listener }

func (l cellListener) Accept() (net.Conn, error) {
	d, ok := l.Listener.(deadliner)
	if !ok {
		return l.Listener.Accept()
	}
	c, err := interruptible(func() { d.SetDeadline(time.Now()) }, func() { d.SetDeadline(time.Time{}) }, l.Listener.Accept)
	if err != nil {
		return nil, err
	}
	return cellConn{c}, nil
}

type cellConn struct{ net.Conn }

func (c cellConn) Read(p []byte) (int, error) {
	return interruptible(func() { c.Conn.SetReadDeadline(time.Now()) }, func() { c.Conn.SetReadDeadline(time.Time{}) },
		func() (int, error) { return c.Conn.Read(p) })
}

func (c cellConn) Write(p []byte) (int, error) {
	return interruptible(func() { c.Conn.SetWriteDeadline(time.Now()) }, func() { c.Conn.SetWriteDeadline(time.Time{}) },
		func() (int, error) { return c.Conn.Write(p) })
}
