package kernel

import (
	"context"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gokernel/gokernel/kernel/mime"
	"github.com/gokernel/gokernel/kernel/wire"
)

// Stream coalescing. A cell that prints 100,000 lines must not become
// 100,000 messages (JupyterLab renders each one), yet a line printed once
// a second must show when printed. Stream text is buffered and sent when
// another kind of output comes, when the buffer is large, when the cell
// ends, or after a delay that starts at streamDelayMin and grows with the
// length of a continuous burst of writes (a quarter of the burst so far,
// at most streamDelayMax), so a long flood costs a few messages a second
// while an occasional line waits only streamDelayMin.
// stdinGrace is how long input waits for the requesting client's stdin
// connection to finish its handshake.
const stdinGrace = 2 * time.Second

const (
	streamFlushSize = 128 << 10
	streamDelayMin  = 20 * time.Millisecond
	streamDelayMax  = 500 * time.Millisecond
	streamBurstGap  = 200 * time.Millisecond // a pause this long ends a burst
)

// publisher is the mime.Publisher the kernel passes to Execute: it sends
// the cell's outputs on iopub with the execute_request as parent. It stays
// usable after Execute returns, so output from goroutines that outlive the
// cell still appears under it, as ipykernel does for threads.
type publisher struct {
	k          *Kernel
	parent     wire.Header
	ids        [][]byte // the requesting client, for input_request
	allowStdin bool
	silent     bool            // execute_request's silent: publish no output
	ctx        context.Context // the cell's; done when interrupted or over

	mu         sync.Mutex
	name       string // stream being buffered
	buf        []byte
	timer      *time.Timer
	burstStart time.Time
	lastWrite  time.Time
}

var _ mime.Publisher = (*publisher)(nil)

func newPublisher(k *Kernel, r *request, allowStdin bool, ctx context.Context) *publisher {
	return &publisher{k: k, parent: r.msg.Header, ids: r.msg.Identities, allowStdin: allowStdin, ctx: ctx}
}

// Stream implements mime.Publisher.
func (p *publisher) Stream(name, text string) {
	if text == "" || p.silent {
		return
	}
	if name != "stderr" {
		name = "stdout"
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.buf) > 0 && name != p.name {
		p.flushLocked(true) // keep stdout and stderr in the order written
	}
	p.name = name
	p.buf = append(p.buf, text...)
	now := time.Now()
	if now.Sub(p.lastWrite) > streamBurstGap {
		p.burstStart = now
	}
	p.lastWrite = now
	if len(p.buf) >= streamFlushSize {
		p.flushLocked(false)
		return
	}
	if p.timer == nil {
		delay := min(streamDelayMax, streamDelayMin+now.Sub(p.burstStart)/4)
		p.timer = time.AfterFunc(delay, p.flushTimer)
	}
}

func (p *publisher) flushTimer() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.timer = nil
	p.flushLocked(false)
}

// flush sends whatever stream text is buffered.
func (p *publisher) flush() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.flushLocked(true)
}

// flushLocked sends the buffered text. Unless all is set it keeps back an
// incomplete UTF-8 sequence at the end, whose rest is likely in the next
// write (pipes cut text anywhere).
func (p *publisher) flushLocked(all bool) {
	if p.timer != nil {
		p.timer.Stop()
		p.timer = nil
	}
	n := len(p.buf)
	if !all {
		n = completeUTF8(p.buf)
	}
	if n == 0 {
		return
	}
	p.k.publish(p.parent, msgStream, streamContent{Name: p.name, Text: string(p.buf[:n])})
	rest := copy(p.buf, p.buf[n:])
	p.buf = p.buf[:rest]
	if len(p.buf) > 0 && !all {
		p.timer = time.AfterFunc(streamDelayMin, p.flushTimer)
	}
}

// completeUTF8 returns the length of b without a trailing incomplete
// UTF-8 sequence.
func completeUTF8(b []byte) int {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if !utf8.RuneStart(b[i]) {
			continue
		}
		if !utf8.FullRune(b[i:]) {
			return i
		}
		break
	}
	return len(b)
}

// Display implements mime.Publisher.
func (p *publisher) Display(b mime.Bundle, id string) {
	p.display(msgDisplayData, b, id)
}

// Update implements mime.Publisher.
func (p *publisher) Update(b mime.Bundle, id string) {
	if id == "" {
		p.k.log.Printf("kernel: update_display_data without a display id; sent as display_data")
		p.display(msgDisplayData, b, id)
		return
	}
	p.display(msgUpdateDisplayData, b, id)
}

func (p *publisher) display(msgType string, b mime.Bundle, id string) {
	if p.silent {
		return
	}
	d, m := data(b)
	c := displayData{Data: d, Metadata: m}
	if id != "" {
		c.Transient = map[string]any{"display_id": id}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.flushLocked(true)
	p.k.publish(p.parent, msgType, c)
}

// Clear implements mime.Publisher.
func (p *publisher) Clear(wait bool) {
	if p.silent {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.flushLocked(true)
	p.k.publish(p.parent, msgClearOutput, map[string]bool{"wait": wait})
}

// Input implements mime.Publisher: an input_request on stdin to the client
// that sent the execute_request, then its input_reply. It returns
// mime.ErrNoStdin when the request did not allow input, the client has no
// stdin connection, or the cell is interrupted (or over) while waiting.
func (p *publisher) Input(prompt string, password bool) (string, error) {
	p.flush()
	if !p.allowStdin {
		return "", mime.ErrNoStdin
	}
	return p.k.input(p.ctx, p.ids, p.parent, prompt, password)
}

// input asks the client named by ids for one line.
func (k *Kernel) input(ctx context.Context, ids [][]byte, parent wire.Header, prompt string, password bool) (string, error) {
	k.inputMu.Lock()
	defer k.inputMu.Unlock()
	if ctx.Err() != nil {
		return "", mime.ErrNoStdin
	}
	select { // a stale reply to an abandoned request
	case <-k.inputs:
	default:
	}
	// The prompt's stream output, already flushed by Input, leaves on iopub
	// before the input_request leaves on stdin.
	k.flushPublished(time.Now().Add(graceful))
	h, ok := k.send(k.stdin, ids, parent, msgInputRequest, inputRequest{Prompt: prompt, Password: password})
	// A client connects its channels at once but each connection's
	// handshake finishes on its own: a cell that asks for input right away
	// may come before the stdin connection is in place. Give it a moment.
	for wait := time.Now().Add(stdinGrace); !ok && time.Now().Before(wait) && ctx.Err() == nil; {
		time.Sleep(10 * time.Millisecond)
		h, ok = k.send(k.stdin, ids, parent, msgInputRequest, inputRequest{Prompt: prompt, Password: password})
	}
	if !ok {
		k.log.Printf("kernel: stdin: the client is not connected to stdin; input refused")
		return "", mime.ErrNoStdin
	}
	for {
		select {
		case m := <-k.inputs:
			if !m.Parent.IsZero() && m.Parent.MsgID != h.MsgID {
				k.log.Printf("kernel: stdin: input_reply to another request; dropped")
				continue
			}
			var rep inputReply
			if err := unmarshal(m.Content, &rep); err != nil {
				k.log.Printf("kernel: stdin: bad input_reply: %v", err)
				return "", mime.ErrNoStdin
			}
			return rep.Value, nil
		case <-ctx.Done():
			return "", mime.ErrInputInterrupted
		case <-k.closed:
			return "", mime.ErrNoStdin
		}
	}
}
