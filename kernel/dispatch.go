package kernel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gokernel/gokernel/kernel/wire"
)

// A request is one decoded message being served.
type request struct {
	sock    *zsocket
	channel string // "shell" or "control"
	msg     *wire.Message
	// received is when the request was read off its connection.
	received time.Time
}

// handler serves one request type. It sends its own reply through
// (*Kernel).reply; dispatch does the status bookkeeping around it.
type handler struct {
	fn func(k *Kernel, ctx context.Context, r *request)
	// control marks requests the control goroutine serves itself, so that
	// they are answered while a cell runs. The others touch the Evaluator,
	// which takes one call at a time, or the execution count: sent on
	// control, they are served by the shell goroutine between its own
	// requests and answered on control, as the spec says control takes
	// every request shell does.
	control bool
}

// handlers is the one dispatch table, keyed by request type.
var handlers map[string]handler

func init() {
	handlers = map[string]handler{
		msgKernelInfoRequest: {fn: (*Kernel).kernelInfo, control: true},
		msgShutdownRequest:   {fn: (*Kernel).shutdownRequest, control: true},
		msgInterruptRequest:  {fn: (*Kernel).interruptRequest, control: true},
		msgConnectRequest:    {fn: (*Kernel).connectRequest, control: true},
		msgExecuteRequest:    {fn: (*Kernel).execute},
		msgCompleteRequest:   {fn: (*Kernel).complete},
		msgInspectRequest:    {fn: (*Kernel).inspect},
		msgIsCompleteRequest: {fn: (*Kernel).isComplete},
		msgHistoryRequest:    {fn: (*Kernel).historyRequest},
		msgCommInfoRequest:   {fn: (*Kernel).commInfo, control: true},
		msgCommOpen:          {fn: (*Kernel).comm},
		msgCommMsg:           {fn: (*Kernel).comm},
		msgCommClose:         {fn: (*Kernel).comm},
		msgDebugRequest:      {fn: (*Kernel).debugRequest, control: true},
	}
}

// dispatch decodes, checks and serves one message: status busy, the
// handler, status idle, all with the request as parent. A message that
// fails its signature check is dropped without a word to the sender; one
// that cannot be parsed is logged. Neither ever stops the kernel.
func (k *Kernel) dispatch(ctx context.Context, s *zsocket, channel string, in inbound) {
	m := k.decode(channel, in.frames)
	if m == nil {
		return
	}
	r := &request{sock: s, channel: channel, msg: m, received: in.at}
	if h, ok := handlers[m.Header.MsgType]; ok && channel == "control" && !h.control {
		k.toShell(r)
		return
	}
	k.serveRequest(ctx, r)
}

// decode decodes and checks a message read on channel: its signature, and
// that the same signature was not served before (a replayed message, as
// jupyter_client's Session refuses). It logs and returns nil for a message
// to drop.
func (k *Kernel) decode(channel string, frames [][]byte) *wire.Message {
	m, err := k.key.Decode(frames)
	switch {
	case errors.Is(err, wire.ErrBadSignature):
		k.log.Printf("kernel: %s: dropped a message with a bad signature (is another client using a different key?)", channel)
		return nil
	case err != nil:
		k.log.Printf("kernel: %s: dropped a malformed message: %v", channel, err)
		return nil
	case k.key.Signs() && !k.seen.add(m.Signature):
		k.log.Printf("kernel: %s: dropped a replayed message (signature already seen): %s %s", channel, m.Header.MsgType, m.Header.MsgID)
		return nil
	}
	return m
}

// serveRequest serves one decoded request: status busy, the handler,
// status idle, all with the request as parent.
func (k *Kernel) serveRequest(ctx context.Context, r *request) {
	m, channel := r.msg, r.channel
	k.publish(m.Header, msgStatus, statusContent{stateBusy})
	defer k.publish(m.Header, msgStatus, statusContent{stateIdle})
	if k.opts.Activity != nil {
		defer k.opts.Activity()
	}
	h, ok := handlers[m.Header.MsgType]
	if !ok {
		k.log.Printf("kernel: %s: unknown message type %q; ignored", channel, m.Header.MsgType)
		return
	}
	defer func() {
		// A bug in a handler (or an Evaluator's Complete) must not take the
		// kernel down with it.
		if p := recover(); p != nil {
			k.log.Printf("kernel: %s: panic serving %s: %v\n%s", channel, m.Header.MsgType, p, debug.Stack())
		}
	}()
	h.fn(k, ctx, r)
}

// reply answers r on its own channel.
func (k *Kernel) reply(r *request, msgType string, content any) {
	k.send(r.sock, r.msg.Identities, r.msg.Header, msgType, content)
}

// parse decodes r's content into v; on failure it answers with an error
// reply of replyType and returns false.
func (k *Kernel) parse(r *request, v any, replyType string) bool {
	if err := json.Unmarshal(r.msg.Content, v); err != nil {
		k.log.Printf("kernel: %s: bad %s content: %v", r.channel, r.msg.Header.MsgType, err)
		k.reply(r, replyType, executeReply{Status: statusError, errorContent: errorContent{
			EName: "BadRequest", EValue: err.Error(), Traceback: []string{"BadRequest: " + err.Error()},
		}})
		return false
	}
	return true
}

func (k *Kernel) kernelInfo(_ context.Context, r *request) {
	k.reply(r, msgKernelInfoReply, k.kernelInfoContent())
}

func (k *Kernel) kernelInfoContent() kernelInfo {
	version := k.opts.Version
	if version == "" {
		version = "dev"
	}
	goVersion := strings.TrimPrefix(runtime.Version(), "go")
	banner := k.opts.Banner
	if banner == "" {
		banner = fmt.Sprintf("gokernel %s: Go %s in Jupyter (cells are interpreted by yaegi)", version, goVersion)
	}
	_, debugger := k.debugger()
	return kernelInfo{
		Status:                statusOK,
		Debugger:              debugger,
		ProtocolVersion:       wire.Version,
		Implementation:        "gokernel",
		ImplementationVersion: version,
		LanguageInfo: languageInfo{
			Name:              "go",
			Version:           goVersion,
			MIMEType:          "text/x-go",
			FileExtension:     ".go",
			PygmentsLexer:     "go",
			CodeMirrorMode:    "go",
			NBConvertExporter: "script",
		},
		Banner: banner,
		HelpLinks: []helpLink{
			{Text: "Go documentation", URL: "https://go.dev/doc/"},
			{Text: "Go standard library", URL: "https://pkg.go.dev/std"},
			{Text: "Effective Go", URL: "https://go.dev/doc/effective_go"},
		},
	}
}

func (k *Kernel) shutdownRequest(_ context.Context, r *request) {
	var req shutdownContent
	_ = json.Unmarshal(r.msg.Content, &req) // a bad body still shuts down
	reply := shutdownContent{Status: statusOK, Restart: req.Restart}
	k.reply(r, msgShutdownReply, reply)
	// ipykernel also broadcasts it, so every client learns of the shutdown.
	k.publish(r.msg.Header, msgShutdownReply, reply)
	k.requestShutdown(req.Restart)
	k.interrupt(false)
}

func (k *Kernel) interruptRequest(_ context.Context, r *request) {
	k.Interrupt()
	k.reply(r, msgInterruptReply, map[string]string{"status": statusOK})
}

func (k *Kernel) connectRequest(_ context.Context, r *request) {
	k.reply(r, msgConnectReply, map[string]any{
		"status":       statusOK,
		"shell_port":   k.info.ShellPort,
		"iopub_port":   k.info.IOPubPort,
		"stdin_port":   k.info.StdinPort,
		"hb_port":      k.info.HBPort,
		"control_port": k.info.ControlPort,
	})
}

func (k *Kernel) complete(_ context.Context, r *request) {
	var req completeRequest
	if !k.parse(r, &req, msgCompleteReply) {
		return
	}
	items, start, end := k.ev.Complete(req.Code, req.CursorPos)
	matches := make([]string, len(items))
	types := make([]completionType, len(items))
	for i, c := range items {
		matches[i] = c.Text
		types[i] = completionType{Start: start, End: end, Text: c.Text, Type: c.Type, Signature: c.Signature}
	}
	k.reply(r, msgCompleteReply, completeReply{
		Status:      statusOK,
		Matches:     matches,
		CursorStart: start,
		CursorEnd:   end,
		Metadata:    map[string]any{"_jupyter_types_experimental": types},
	})
}

func (k *Kernel) inspect(_ context.Context, r *request) {
	var req inspectRequest
	if !k.parse(r, &req, msgInspectReply) {
		return
	}
	b, found := k.ev.Inspect(req.Code, req.CursorPos, req.DetailLevel)
	d, m := data(b)
	k.reply(r, msgInspectReply, inspectReply{Status: statusOK, Found: found && !b.IsZero(), Data: d, Metadata: m})
}

func (k *Kernel) isComplete(_ context.Context, r *request) {
	var req struct {
		Code string `json:"code"`
	}
	if !k.parse(r, &req, msgIsCompleteReply) {
		return
	}
	status, indent := k.ev.IsComplete(req.Code)
	switch status {
	case "complete", "incomplete", "invalid", "unknown":
	default:
		status = "unknown"
	}
	if status != "incomplete" {
		indent = ""
	}
	k.reply(r, msgIsCompleteReply, isCompleteReply{Status: status, Indent: indent})
}
