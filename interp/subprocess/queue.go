package subprocess

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gokernel/gokernel/interp/rt"
)

// Errors of queues and pipes.
var (
	ErrEmpty  = errors.New("subprocess: queue is empty (timed out)")
	ErrClosed = errors.New("subprocess: queue is closed")
)

// A Queue carries values between processes, like multiprocessing.Queue:
// make it in the notebook, pass it as an argument to a Process or a pool
// task, and Put and Get on either side. The parent process hosts it (as a
// multiprocessing Manager does): a worker's Put and Get travel to the parent
// over the worker's pipes, so values between two workers take two hops.
// Values are encoded at Put (so a value that cannot cross fails there),
// with the rules of the package documentation.
type Queue struct {
	id     uint64
	remote *child // set in a worker: operations go to the parent

	mu     sync.Mutex
	items  []value
	wake   chan struct{} // closed and replaced at each Put and at Close
	closed bool
}

var queues = struct {
	sync.Mutex
	m    map[uint64]*Queue
	next atomic.Uint64
}{m: map[uint64]*Queue{}}

// NewQueue returns an empty, unbounded queue.
func NewQueue() *Queue {
	q := &Queue{id: queues.next.Add(1), wake: make(chan struct{})}
	queues.Lock()
	queues.m[q.id] = q
	queues.Unlock()
	return q
}

func lookupQueue(id uint64) *Queue {
	queues.Lock()
	defer queues.Unlock()
	return queues.m[id]
}

// queueRef is the queue a received reference stands for: in the parent the
// queue itself, in a worker a proxy.
func queueRef(id uint64, c *child) *Queue {
	if c == nil {
		if q := lookupQueue(id); q != nil {
			return q
		}
		q := &Queue{id: id, wake: make(chan struct{}), closed: true}
		return q
	}
	return &Queue{id: id, remote: c}
}

// Put adds v to the queue.
func (q *Queue) Put(v any) error {
	e, err := encode(v, "a value put on a queue")
	if err != nil {
		return err
	}
	if q.remote != nil {
		return q.remote.l.send(&msg{Op: opQPut, Q: q.id, V: e})
	}
	return q.putValue(e)
}

func (q *Queue) putValue(v value) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return ErrClosed
	}
	q.items = append(q.items, v)
	close(q.wake)
	q.wake = make(chan struct{})
	return nil
}

// Get removes and returns the oldest value, waiting for one. In the parent,
// an interrupt of the cell ends the wait (with an rt.Interrupted panic, as
// rt.Sleep does). Values come back as their own type when the receiver knows
// it (see RegisterType); use GetInto to decode into a type of your own.
func (q *Queue) Get() (any, error) { return q.GetTimeout(0) }

// GetTimeout is Get waiting at most d (0: no limit); it returns ErrEmpty
// when nothing came.
func (q *Queue) GetTimeout(d time.Duration) (any, error) {
	v, err := q.get(d)
	if err != nil {
		return nil, err
	}
	return decodeAny(v, q.remote)
}

// GetInto is Get decoding the value into *ptr.
func (q *Queue) GetInto(ptr any) error {
	p := reflect.ValueOf(ptr)
	if p.Kind() != reflect.Pointer || p.IsNil() {
		return fmt.Errorf("subprocess: GetInto needs a non-nil pointer, not %T", ptr)
	}
	v, err := q.get(0)
	if err != nil {
		return err
	}
	x, err := decode(v, p.Elem().Type(), q.remote)
	if err != nil {
		return err
	}
	p.Elem().Set(x)
	return nil
}

func (q *Queue) get(d time.Duration) (value, error) {
	if q.remote != nil {
		r := q.remote.request(&msg{Op: opQGet, Q: q.id, Timeout: int64(d)})
		if r.Name != "" {
			switch r.Name {
			case ErrEmpty.Error():
				return value{}, ErrEmpty
			case ErrClosed.Error():
				return value{}, ErrClosed
			}
			return value{}, errors.New(r.Name)
		}
		return r.V, nil
	}
	var cell <-chan struct{}
	if c := rt.Current(); c != nil {
		cell = c.Done()
	}
	done := rt.Blocking() // an emulated GIL is released while waiting
	v, err := q.getValue(d, cell)
	done()
	if errors.Is(err, errCancelled) {
		panic(rt.Interrupted{})
	}
	return v, err
}

var errCancelled = errors.New("subprocess: cancelled")

// getValue waits for a value, at most d (0: no limit), or until cancel.
func (q *Queue) getValue(d time.Duration, cancel <-chan struct{}) (value, error) {
	var timeout <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	for {
		q.mu.Lock()
		if len(q.items) > 0 {
			v := q.items[0]
			q.items[0] = value{}
			q.items = q.items[1:]
			q.mu.Unlock()
			return v, nil
		}
		if q.closed {
			q.mu.Unlock()
			return value{}, ErrClosed
		}
		wake := q.wake
		q.mu.Unlock()
		select {
		case <-wake:
		case <-timeout:
			return value{}, ErrEmpty
		case <-cancel:
			return value{}, errCancelled
		}
	}
}

// Len returns the number of values waiting (Python's qsize).
func (q *Queue) Len() int {
	if q.remote != nil {
		return q.remote.request(&msg{Op: opQLen, Q: q.id}).N
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}

// Close ends the queue: Put fails, and Get fails with ErrClosed once the
// values already put are taken. Only the parent closes a queue.
func (q *Queue) Close() {
	if q.remote != nil {
		return
	}
	q.mu.Lock()
	if !q.closed {
		q.closed = true
		close(q.wake)
	}
	q.mu.Unlock()
}

// A Conn is one end of a Pipe.
type Conn struct {
	in, out *Queue
}

// Pipe returns the two ends of a two-way channel between processes, like
// multiprocessing.Pipe(): what one end Sends the other Recvs. Pass an end as
// an argument to a Process or a pool task. Like Queue it is relayed by the
// parent.
func Pipe() (*Conn, *Conn) {
	a, b := NewQueue(), NewQueue()
	return &Conn{in: a, out: b}, &Conn{in: b, out: a}
}

// Send sends v to the other end.
func (c *Conn) Send(v any) error { return c.out.Put(v) }

// Recv waits for the next value from the other end.
func (c *Conn) Recv() (any, error) { return c.in.Get() }

// RecvTimeout is Recv waiting at most d; ErrEmpty when nothing came.
func (c *Conn) RecvTimeout(d time.Duration) (any, error) { return c.in.GetTimeout(d) }

// RecvInto is Recv decoding into *ptr.
func (c *Conn) RecvInto(ptr any) error { return c.in.GetInto(ptr) }

// Close closes both directions (in the parent).
func (c *Conn) Close() {
	c.in.Close()
	c.out.Close()
}
