package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/gokernel/gokernel/kernel/mime"
)

// Comms across the process boundary. A comm message from the frontend goes
// to the child as an opComm frame with an id of its own, as a cell would:
// what its callbacks print or display is tagged with that id and reaches the
// Publisher the kernel gave for the message (whose parent is the message).
// Everything the interpreter sends that is not a stream, display, update,
// clear or input (comm_open, comm_msg, comm_close, and whatever comes next)
// crosses as one generic opSend frame: a new message type is no change here.

// commRoutes keeps the Publishers of recent comm messages, apart from the
// cells': a slider dragged for a while makes hundreds of comm messages, and
// the runs they start must keep their own message's Publisher (an Output
// widget captures by that parent) without pushing cells out of the router.
type commRoutes struct {
	mu    sync.Mutex
	order []uint64
	pubs  map[uint64]mime.Publisher
}

const keepCommRoutes = 256

func (r *commRoutes) add(id uint64, p mime.Publisher) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.pubs == nil {
		r.pubs = map[uint64]mime.Publisher{}
	}
	r.pubs[id] = p
	r.order = append(r.order, id)
	if len(r.order) > keepCommRoutes {
		delete(r.pubs, r.order[0])
		r.order = append(r.order[:0:0], r.order[1:]...)
	}
}

func (r *commRoutes) get(id uint64) (mime.Publisher, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p, ok := r.pubs[id]
	return p, ok
}

// route returns the route of a frame's cell id: a comm message's if it is
// one, else the router's answer.
func (c *Client) route(cell uint64) route {
	if p, ok := c.comms.get(cell); ok {
		return route{cell, p}
	}
	return c.routes.get(cell)
}

// HandleComm implements kernel.Comms: the message is served in the child,
// one at a time with cells. Cancelling ctx interrupts its callbacks.
func (c *Client) HandleComm(ctx context.Context, m mime.CommMsg, out mime.Publisher) error {
	select {
	case c.exec <- struct{}{}:
	case <-ctx.Done():
		return errors.New("worker: interrupted before the comm message was served")
	}
	defer func() { <-c.exec }()
	w, err := c.get(ctx)
	if err != nil {
		return err
	}
	id := c.seq.Add(1)
	c.comms.add(id, out)
	reply := w.expect(id)
	defer w.forget(id)
	if err := w.send(&frame{Op: opComm, ID: id, Comm: &m, Parent: m.MsgID}); err != nil {
		return err
	}
	done := ctx.Done()
	for {
		select {
		case f := <-reply:
			c.out.flush()
			return fromWire(f.Err)
		case <-w.dead:
			return w.deathErr
		case <-done:
			done = nil
			_ = w.send(&frame{Op: opInterrupt, ID: id})
		}
	}
}

// send forwards an opSend frame to the Publisher of its cell, if that
// Publisher takes such messages.
func (c *Client) sendFrame(f *frame) error {
	if f.MsgType == "" || len(f.Content) == 0 {
		return &protocolError{"send frame without a message type or content"}
	}
	if s, ok := c.route(f.Cell).pub.(mime.Sender); ok {
		var md any
		if len(f.Metadata) > 0 {
			md = f.Metadata
		}
		c.out.do(func() { s.Send(f.MsgType, f.Content, md) })
	}
	return nil
}

// commsEvaluator is an Evaluator that serves comms (interp.Session).
type commsEvaluator interface {
	HandleComm(ctx context.Context, m mime.CommMsg, out mime.Publisher) error
}

// comm serves an opComm frame in the child, as execute serves a cell.
func (s *server) comm(f *frame) {
	ctx, cancel := context.WithCancel(context.Background())
	run := &cellRun{cancel: cancel}
	s.cmu.Lock()
	s.cells[f.ID] = run
	s.cmu.Unlock()
	s.mu.Lock()
	s.syncLocked()
	s.cur.Store(f.ID)
	s.mu.Unlock()

	var err error
	if ev, ok := s.ev.(commsEvaluator); !ok || f.Comm == nil {
		err = errors.New("worker: this interpreter serves no comms")
	} else if p := protect(func() {
		err = ev.HandleComm(ctx, *f.Comm, &publisher{s: s, cell: f.ID, ctx: ctx, parent: f.Parent})
	}); p != nil {
		err = p
	}
	cancel()
	s.cmu.Lock()
	if s.cells[f.ID] == run {
		delete(s.cells, f.ID)
	}
	run.answered = true
	s.cmu.Unlock()
	_ = s.send(&frame{Op: opResult, ID: f.ID, Err: toWire(err), Stuck: s.stuck()})
}

// Send implements mime.Sender.
func (p *publisher) Send(msgType string, content, metadata any) {
	b, err := json.Marshal(content)
	var md []byte
	if err == nil && metadata != nil {
		md, err = json.Marshal(metadata)
	}
	if err != nil {
		p.Stream("stderr", fmt.Sprintf("worker: cannot send this %s: %v\n", msgType, err))
		return
	}
	p.sendBundle(&frame{Op: opSend, Cell: p.cell, MsgType: msgType, Content: b, Metadata: md})
}

// ParentID implements mime.Parent.
func (p *publisher) ParentID() string { return p.parent }

// parentOf returns the msg_id out serves, "" when it does not say.
func parentOf(out mime.Publisher) string {
	if p, ok := out.(mime.Parent); ok {
		return p.ParentID()
	}
	return ""
}
