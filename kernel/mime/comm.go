package mime

import "encoding/json"

// A Sender is a Publisher that can also send any other iopub message, with
// the request being served as parent: comm_open, comm_msg and comm_close
// today, whatever the protocol adds tomorrow. One generic method rather than
// one per message type, so that a new message type needs no change to any
// Publisher. Callers find it with a type assertion and do without it when
// it is missing (a recorder, a headless run):
//
//	if s, ok := out.(mime.Sender); ok {
//		s.Send("comm_msg", map[string]any{"comm_id": id, "data": data}, nil)
//	}
//
// content and metadata (the message's metadata: a comm's, such as the
// widget protocol version on comm_open) must marshal to JSON objects; nil
// metadata means {}, and a json.RawMessage is sent as is.
type Sender interface {
	Send(msgType string, content, metadata any)
}

// A CommMsg is a comm message from the frontend (comm_open, comm_msg or
// comm_close), as the kernel hands it to the interpreter.
type CommMsg struct {
	Type    string          `json:"type"`    // "comm_open", "comm_msg" or "comm_close"
	MsgID   string          `json:"msg_id"`  // the message's own id: outputs sent while serving it have it as parent
	Content json.RawMessage `json:"content"` // comm_id, data, and target_name for comm_open
	// Superseded says that a later comm_msg for the same comm has already
	// arrived: the state must still be applied, but work that only shows the
	// latest state (re-running an Interact) can wait for that message, so a
	// burst of updates from a dragged slider gives one run, not one each.
	Superseded bool `json:"superseded,omitempty"`
}

// Comm message types.
const (
	MsgCommOpen  = "comm_open"
	MsgCommMsg   = "comm_msg"
	MsgCommClose = "comm_close"
)

// A Parent is a Publisher that knows the msg_id of the request it serves,
// the parent of everything it sends. An Output widget captures outputs by
// that id (its msg_id attribute), so widgets ask for it.
type Parent interface {
	ParentID() string
}
