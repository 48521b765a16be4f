package kernel

import (
	"context"
	"encoding/json"
	"sync"

	"github.com/gokernel/gokernel/kernel/mime"
)

// Comms. The kernel routes comm_open, comm_msg and comm_close to an
// Evaluator that implements Comms, with status busy and idle around each
// (dispatch does that for every request) and a Publisher whose parent is the
// comm message, so that what a widget's callback prints or displays is
// tagged with the message the user caused, which is where an Output widget
// captures it. The interpreter sends its own comm messages through
// Publisher.Send (mime.Sender). The kernel itself only keeps the table of
// open comms that comm_info_request lists, seen from the messages crossing
// it both ways. An Evaluator without Comms has no comm targets: every
// comm_open is answered with comm_close, as the protocol asks.

// commTable is the set of open comms: id -> target name.
type commTable struct {
	mu sync.Mutex
	m  map[string]string
}

// note updates the table from a comm message that crossed the kernel.
func (t *commTable) note(msgType string, content any) {
	if msgType != mime.MsgCommOpen && msgType != mime.MsgCommClose {
		return
	}
	var c commOpen
	switch x := content.(type) {
	case json.RawMessage:
		_ = json.Unmarshal(x, &c)
	case []byte:
		_ = json.Unmarshal(x, &c)
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return
		}
		_ = json.Unmarshal(b, &c)
	}
	if c.CommID == "" {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if msgType == mime.MsgCommClose {
		delete(t.m, c.CommID)
		return
	}
	if t.m == nil {
		t.m = map[string]string{}
	}
	t.m[c.CommID] = c.TargetName
}

// list returns the open comms whose target is target ("" means all) as
// comm_info_reply's comms field.
func (t *commTable) list(target string) map[string]any {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := map[string]any{}
	for id, tn := range t.m {
		if target == "" || tn == target {
			out[id] = map[string]string{"target_name": tn}
		}
	}
	return out
}

// clear forgets every comm: the interpreter that held them is gone.
func (t *commTable) clear() {
	t.mu.Lock()
	t.m = nil
	t.mu.Unlock()
}

func (k *Kernel) commInfo(_ context.Context, r *request) {
	var req struct {
		TargetName string `json:"target_name"`
	}
	_ = json.Unmarshal(r.msg.Content, &req) // no body: all comms
	k.reply(r, msgCommInfoReply, map[string]any{"status": statusOK, "comms": k.comms.list(req.TargetName)})
}

// comm serves comm_open, comm_msg and comm_close from the frontend.
func (k *Kernel) comm(ctx context.Context, r *request) {
	var c commOpen
	if err := json.Unmarshal(r.msg.Content, &c); err != nil || c.CommID == "" {
		k.log.Printf("kernel: %s without a comm_id; ignored", r.msg.Header.MsgType)
		return
	}
	ev, ok := k.ev.(Comms)
	if !ok {
		if r.msg.Header.MsgType == msgCommOpen {
			k.log.Printf("kernel: no comm target %q; closing comm %s", c.TargetName, c.CommID)
			k.publish(r.msg.Header, msgCommClose, map[string]any{"comm_id": c.CommID, "data": map[string]any{}})
		}
		return
	}
	k.comms.note(r.msg.Header.MsgType, json.RawMessage(r.msg.Content))
	superseded := r.msg.Header.MsgType == msgCommMsg && r.channel == "shell" && k.laterCommMsg(c.CommID)
	// An interrupt stops a callback as it stops a cell.
	cctx, cancel := context.WithCancel(ctx)
	k.execMu.Lock()
	k.cancelExec = cancel
	k.execMu.Unlock()
	out := newPublisher(k, r, false, cctx)
	err := ev.HandleComm(cctx, mime.CommMsg{Type: r.msg.Header.MsgType, MsgID: r.msg.Header.MsgID,
		Content: json.RawMessage(r.msg.Content), Superseded: superseded}, out)
	k.execMu.Lock()
	k.cancelExec = nil
	k.execMu.Unlock()
	cancel()
	out.flush()
	if err != nil {
		k.log.Printf("kernel: %s: %v", r.msg.Header.MsgType, err)
	}
}

// Send implements mime.Sender: any iopub message with the request as
// parent, after the stream text written before it.
func (p *publisher) Send(msgType string, content, metadata any) {
	var md json.RawMessage
	if metadata != nil {
		b, err := json.Marshal(metadata)
		if err != nil {
			p.k.log.Printf("kernel: encoding the metadata of %s: %v", msgType, err)
			return
		}
		md = b
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.flushLocked(true)
	p.k.comms.note(msgType, content)
	p.k.publishMeta(p.parent, msgType, content, md)
}

// ParentID implements mime.Parent.
func (p *publisher) ParentID() string { return p.parent.MsgID }

// laterCommMsg reports whether a comm_msg for commID is already waiting on
// shell behind the one being served. It moves what has arrived into
// k.ahead (decoded once: decoding records the signature against replays),
// which serveShell serves first, in order. Only the shell goroutine calls
// it.
func (k *Kernel) laterCommMsg(commID string) bool {
	for drained := false; !drained; {
		select {
		case in := <-k.shell.in:
			if m := k.decode("shell", in.frames); m != nil {
				k.ahead = append(k.ahead, &request{sock: k.shell, channel: "shell", msg: m, received: in.at})
			}
		default:
			drained = true
		}
	}
	for _, a := range k.ahead {
		if a.msg.Header.MsgType != msgCommMsg {
			continue
		}
		var c commOpen
		if json.Unmarshal(a.msg.Content, &c) == nil && c.CommID == commID {
			return true
		}
	}
	return false
}

// nextAhead returns the next request laterCommMsg read ahead, or nil.
func (k *Kernel) nextAhead() *request {
	if len(k.ahead) == 0 {
		return nil
	}
	r := k.ahead[0]
	k.ahead[0] = nil
	k.ahead = k.ahead[1:]
	return r
}
